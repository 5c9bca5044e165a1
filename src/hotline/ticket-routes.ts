import { Type } from 'typebox';
import type { RoutePlugin } from '../platform/http/server.js';
import { Problem } from '../platform/errors/problem.js';
import type { TicketIntakeService } from './ticket-intake-service.js';
import type { TicketQueryService } from './ticket-query-service.js';
import type { TicketTrackingService } from './ticket-tracking-service.js';
import type { TicketWorkflowService } from './ticket-workflow-service.js';
import type { RoutingService } from './routing-service.js';
import {
  IdParams, NewTicketBody, SuggestQuery, TicketDetail, TicketEventView, TicketPage, TicketQuery,
  TicketView, TrackBody, TrackResult, TransitionParams, TransitionPayload, UnitSuggestion,
} from './schemas.js';

const tags = ['hotline'];

/** Tickets, the public lookup, the workflow's actions and routing suggestions under /api/hotline. */
export const ticketRoutes = (services: {
  intake: TicketIntakeService;
  tickets: TicketQueryService;
  tracking: TicketTrackingService;
  workflow: TicketWorkflowService;
  routing: RoutingService;
}): RoutePlugin => async (app) => {
  const { intake, tickets, tracking, workflow, routing } = services;

  app.post('/tickets', {
    config: { access: 'hotline.ticket.create' },
    schema: {
      tags, summary: 'File a ticket (受理)',
      description: 'With an `Idempotency-Key` header (a signed-in user or an API key), a retry of the same body gets the ticket ' +
        'that key filed (201, `Idempotent-Replayed: true`) instead of a second one; the same key with another body: 422 HOTLINE_IDEMPOTENCY_KEY_REUSED.',
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 255 })) }),
      body: NewTicketBody, response: { 201: TicketView },
    },
  }, async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (key === undefined) return reply.code(201).send(await intake.create(request.actor, request.body));
    const { ticket, replayed } = await intake.createOnce(request.actor, request.body, key);
    if (replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(201).send(ticket);
  });

  app.get('/tickets', {
    config: { access: 'hotline.ticket.read' },
    schema: {
      tags, summary: 'List tickets (personal fields masked on tickets you do not handle)', querystring: TicketQuery,
      response: { 200: TicketPage },
    },
  }, (request) => tickets.list(request.actor, request.query));

  app.post('/track', {
    config: { access: 'public' },
    schema: {
      tags,
      summary: 'Track a ticket by its number and the phone given when filing (查询进度): status, timeline, reply',
      description: 'The number and phone travel in the body, never in the URL (access logs, proxies, browser history). ' +
        'An unknown number and a wrong phone are the same 404; too many misses from one address or on one number: 429 HOTLINE_TRACK_RATE_LIMITED.',
      body: TrackBody,
      response: { 200: TrackResult },
    },
  }, (request) => tracking.track(request.actor, request.body.number, request.body.phone, request.ip));

  // The lookup used to be a GET with the phone in the query string, which put citizens' phone numbers into access
  // logs and browser history. An old client gets 405 with `Allow: POST` and a problem saying where to go; the query
  // is never read, and nothing is looked up.
  app.get('/track', {
    config: { access: 'public' },
    schema: { tags, summary: 'Moved: use POST /api/hotline/track {number, phone} (405 HOTLINE_TRACK_USE_POST)', deprecated: true },
  }, async (_request, reply) => {
    reply.header('allow', 'POST');
    throw new Problem('HOTLINE_TRACK_USE_POST', { detail: 'send POST /api/hotline/track with {"number", "phone"} as JSON; the phone must not be part of a URL' });
  });

  app.get('/tickets/:id', {
    config: { access: 'hotline.ticket.read' },
    schema: { tags, params: IdParams, response: { 200: TicketDetail } },
  }, (request) => tickets.get(request.actor, request.params.id));

  app.get('/tickets/:id/timeline', {
    config: { access: 'hotline.ticket.read' },
    schema: { tags, summary: 'The ticket timeline (every transition, who, when, why)', params: IdParams, response: { 200: Type.Array(TicketEventView) } },
  }, (request) => tickets.timeline(request.actor, request.params.id));

  app.post('/tickets/:id/:action', {
    config: { access: 'hotline.ticket.act' },
    schema: {
      tags,
      summary: 'Take a workflow action: dispatch, accept, return, start, answer, visit, close, reopen, supervise, merge, recategorize',
      description: 'A forbidden action is 409 HOTLINE_TRANSITION_NOT_ALLOWED with `allowed`: the actions you may take now.',
      params: TransitionParams,
      body: Type.Optional(TransitionPayload),
      response: { 200: TicketView },
    },
  }, (request) => workflow.transition(request.actor, request.params.id, request.params.action, request.body ?? {}));

  app.get('/routing/suggest', {
    config: { access: 'hotline.ticket.act' },
    schema: {
      tags, summary: 'The unit routing proposes for a category and an area (rule, else the district: 首接负责)',
      querystring: SuggestQuery,
      response: { 200: UnitSuggestion },
    },
  }, (request) => routing.suggestUnit(request.query.categoryId ?? null, request.query.areaId ?? null));
};
