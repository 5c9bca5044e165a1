import { Type } from 'typebox';
import { Value } from 'typebox/value';
import type { RoutePlugin } from '../platform/http/server.js';
import { invalidField } from '../platform/errors/problem.js';
import type { SharingService } from './sharing-service.js';
import type { GatewayService } from './gateway-service.js';
import type { UsageService } from './usage-service.js';
import {
  AggregateAnswer, AggregateFilters, AggregateQuery, DataUsage, DatasetParam, GrantDecision, GrantView, IdParams, RequestListQuery,
  RequestOutcome, RequestView, RevokeInput, RowsPage, RowsQuery, ShareRequestInput,
} from './schemas.js';

/** A comma-separated list of field names, as the gateway's query strings carry them. */
const fieldList = (s: string | undefined): string[] => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);

/** The aggregate's `where`: a JSON array of row filters in the query string. */
function whereFilters(text: string | undefined): AggregateFilters | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalidField('where', 'not JSON: a JSON array of {field, op, value}');
  }
  if (!Value.Check(AggregateFilters, json)) throw invalidField('where', 'a JSON array of at most 20 {field, op: eq|ne|in|gte|lte, value}');
  return json;
}

/** Sharing under /api/share: requests, decisions, grants, the gateway and "who used my data". */
export const shareRoutes = (deps: { sharing: SharingService; gateway: GatewayService; usage: UsageService }): RoutePlugin => async (app) => {
  const { sharing, gateway, usage } = deps;

  app.post('/requests', {
    config: { access: 'share.request.create' },
    schema: {
      tags: ['sharing'], summary: 'Ask for fields of a dataset (unconditional datasets are granted at once)',
      body: ShareRequestInput, response: { 201: RequestOutcome },
    },
  }, async (req, reply) => reply.code(201).send(await sharing.request(req.actor, req.body)));

  app.get('/requests', {
    config: { access: 'share.request.read' },
    schema: {
      tags: ['sharing'],
      summary: 'Sharing requests the caller\'s organisation made or received (the data bureau: all); each says whether it is overdue',
      querystring: RequestListQuery,
      response: { 200: Type.Array(RequestView) },
    },
  }, (req) => sharing.listRequests(req.actor, req.query));

  app.get('/requests/overdue', {
    config: { access: 'share.overdue.read' },
    schema: { tags: ['sharing'], summary: 'Requests past their decision deadline (flagged to the data bureau)', response: { 200: Type.Array(RequestView) } },
  }, (req) => sharing.overdue(req.actor));

  app.get('/requests/:id', {
    config: { access: 'share.request.read' },
    schema: { tags: ['sharing'], params: IdParams, response: { 200: RequestView } },
  }, (req) => sharing.getRequest(req.actor, req.params.id));

  app.post('/requests/:id/decision', {
    config: { access: 'share.request.decide' },
    schema: {
      tags: ['sharing'], summary: 'Grant (possibly narrower) or refuse with a reason', params: IdParams,
      body: GrantDecision, response: { 200: RequestOutcome },
    },
  }, (req) => sharing.decide(req.actor, req.params.id, req.body));

  app.get('/grants', {
    config: { access: 'share.request.read' },
    schema: { tags: ['sharing'], response: { 200: Type.Array(GrantView) } },
  }, (req) => sharing.listGrants(req.actor));

  app.post('/grants/:id/revoke', {
    config: { access: 'share.grant.revoke' },
    schema: { tags: ['sharing'], params: IdParams, body: RevokeInput, response: { 200: GrantView } },
  }, (req) => sharing.revoke(req.actor, req.params.id, req.body.reason));

  app.get('/my-data-usage', {
    config: { access: 'share.usage.self' },
    schema: { tags: ['sharing'], summary: 'Who used my data (我的数据谁用了)', response: { 200: DataUsage } },
  }, (req) => usage.myDataUsage(req.actor));

  app.get('/:dataset/rows', {
    config: { access: 'share.gateway.use' },
    schema: {
      tags: ['sharing'], summary: 'Rows through the gateway: granted fields only, masked, filtered; ledgered',
      params: DatasetParam, querystring: RowsQuery,
      response: { 200: { content: { 'application/json': { schema: RowsPage }, 'text/csv': { schema: Type.String() } } } },
    },
  }, async (req, reply) => {
    const { fields, ...query } = req.query;
    const answer = await gateway.rows(req.actor, req.params.dataset, { ...query, fields: fields ? fieldList(fields) : undefined });
    // The body is sent exactly as hashed into the ledger (already serialised: Fastify sends strings as they are).
    return reply.type(answer.contentType).header('x-response-sha256', answer.responseHash).send(answer.body);
  });

  app.get('/:dataset/aggregate', {
    config: { access: 'share.gateway.use' },
    schema: {
      tags: ['sharing'],
      summary: 'Noisy counts and sums per group (differential privacy): each answer spends epsilon of the grant\'s privacy budget',
      params: DatasetParam, querystring: AggregateQuery, response: { 200: AggregateAnswer },
    },
  }, (req) => gateway.aggregate(req.actor, req.params.dataset, {
    groupBy: fieldList(req.query.groupBy), sum: fieldList(req.query.sum), grant: req.query.grant,
    where: whereFilters(req.query.where), epsilon: req.query.epsilon,
  }));
};
