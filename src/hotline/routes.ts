import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { ticketActions, ticketStatuses, type TicketAction } from './ticket-workflow.js';
import { satisfactions, ticketChannels, ticketResults, type NewTicket, type TicketQuery, type TicketService, type TransitionPayload } from './ticket-service.js';
import type { HotlineReferenceService } from './reference-service.js';

const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const NStr = Nullable(Type.String());
const NNum = Nullable(Type.Number());
const NBool = Nullable(Type.Boolean());
const Attachment = Type.Object({
  name: Type.String({ maxLength: 200 }), type: Type.String({ maxLength: 100 }), size: Type.Integer({ minimum: 0 }),
  url: Type.Optional(Type.String({ maxLength: 1000 })),
});

/** The public fields of a ticket: anything not listed here never leaves the server. */
const TicketView = Type.Object({
  id: Type.String(), number: Type.String(), channel: Type.String(),
  citizenName: NStr, citizenPhone: NStr, masked: Type.Boolean(),
  title: Type.String(), content: Type.String(), address: NStr, lon: NNum, lat: NNum,
  areaId: NStr, districtId: NStr, categoryId: NStr, urgency: Type.String(),
  tags: Type.Array(Type.String()), attachments: Type.Array(Attachment),
  status: Type.String(), unitId: NStr, mainTicketId: NStr,
  supervised: Type.Boolean(), signOverdue: Type.Boolean(), overdue: Type.Boolean(), deadlineWarning: Type.Boolean(),
  returnCount: Type.Integer(), reopenCount: Type.Integer(), returnReason: NStr,
  replyText: NStr, result: NStr, visitContacted: NBool, visitSolved: NBool, satisfaction: NStr, likes: Type.Integer(),
  source: NStr, externalId: NStr, open311Token: NStr,
  createdAt: Type.String(), updatedAt: Type.String(), dispatchedAt: NStr, signDueAt: NStr, acceptedAt: NStr, dueAt: NStr,
  answeredAt: NStr, visitedAt: NStr, closedAt: NStr,
});
const TicketDetail = Type.Intersect([TicketView, Type.Object({ allowed: Type.Array(Type.String()) })]);
const TicketEvent = Type.Object({
  id: Type.Integer(), at: Type.String(), actor: Type.String(), actorOrgId: NStr, action: Type.String(),
  fromStatus: NStr, toStatus: NStr, details: Type.Record(Type.String(), Type.Unknown()),
});
const AreaView = Type.Object({
  id: Type.String(), parentId: NStr, name: Type.String(), level: Type.String(), orgId: NStr, centerLon: NNum, centerLat: NNum,
});
const AreaNode = Type.Intersect([AreaView, Type.Object({ children: Type.Array(AreaView) })]);
const CategoryView = Type.Object({
  id: Type.String(), code: Type.String(), level1: Type.String(), level2: NStr, level3: NStr, path: Type.String(), active: Type.Boolean(),
});
const RuleView = Type.Object({
  id: Type.String(), categoryId: NStr, areaId: NStr, unitId: Type.String(), priority: Type.Integer(), createdAt: Type.String(),
});
const Suggestion = Type.Object({ unitId: NStr, source: Type.String(), ruleId: NStr });

const NewTicketBody = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  content: Type.String({ minLength: 1, maxLength: 10_000 }),
  channel: Type.Optional(Type.Enum([...ticketChannels])),
  citizenName: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  citizenPhone: Type.Optional(Nullable(Type.String({ maxLength: 30, pattern: '^[0-9+\\- ]*$' }))),
  address: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  lon: Type.Optional(Nullable(Type.Number({ minimum: -180, maximum: 180 }))),
  lat: Type.Optional(Nullable(Type.Number({ minimum: -90, maximum: 90 }))),
  areaId: Type.Optional(Nullable(Uuid)),
  categoryId: Type.Optional(Nullable(Uuid)),
  urgency: Type.Optional(Type.Enum(['emergency', 'urgent', 'normal', 'complex'])),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 20 })),
  attachments: Type.Optional(Type.Array(Attachment, { maxItems: 20 })),
}, { additionalProperties: false });

const TransitionBody = Type.Object({
  unitId: Type.Optional(Uuid),
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  replyText: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
  result: Type.Optional(Type.Enum([...ticketResults])),
  contacted: Type.Optional(Type.Boolean()),
  solved: Type.Optional(Type.Boolean()),
  satisfaction: Type.Optional(Type.Enum([...satisfactions])),
  mainTicketId: Type.Optional(Uuid),
  categoryId: Type.Optional(Uuid),
  note: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: false });

const ListQuery = Type.Object({
  status: Type.Optional(Type.Array(Type.Enum([...ticketStatuses]))),
  unitId: Type.Optional(Uuid),
  areaId: Type.Optional(Uuid),
  categoryId: Type.Optional(Uuid),
  mainTicketId: Type.Optional(Uuid),
  overdue: Type.Optional(Type.Boolean()),
  supervised: Type.Optional(Type.Boolean()),
  satisfaction: Type.Optional(Type.Array(Type.Enum([...satisfactions]), { description: 'the return visit\'s rating (满意度)' })),
  text: Type.Optional(Type.String({ maxLength: 100 })),
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
});

const PublicTicket = Type.Object({
  id: Type.String(), number: Type.String(), title: Type.String(), status: Type.String(), categoryId: NStr,
  overdue: Type.Boolean(), signOverdue: Type.Boolean(), replyText: NStr, result: NStr,
  visitContacted: NBool, visitSolved: NBool, satisfaction: NStr,
  createdAt: Type.String(), updatedAt: Type.String(), dispatchedAt: NStr, dueAt: NStr, answeredAt: NStr, visitedAt: NStr, closedAt: NStr,
  allowed: Type.Array(Type.String()),
});
const PublicEvent = Type.Object({ id: Type.Integer(), at: Type.String(), action: Type.String(), fromStatus: NStr, toStatus: NStr });
const DistrictCountsView = Type.Object({
  from: Type.String(), to: Type.String(),
  districts: Type.Array(Type.Object({
    areaId: Type.String(), name: Type.String(), tickets: Type.Integer(), open: Type.Integer(), overdue: Type.Integer(), signOverdue: Type.Integer(),
  })),
});

const IdParams = Type.Object({ id: Uuid });
const tags = ['hotline'];

/** Tickets, the workflow, areas, categories and routing rules under /api/hotline. */
export async function hotlineRoutes(app: FastifyInstance, opts: { hotline: TicketService; reference: HotlineReferenceService }) {
  const { hotline, reference } = opts;

  // ── tickets ──────────────────────────────────────────────────────────────────────────────────────────
  app.post('/tickets', {
    config: { access: 'hotline.ticket.create' },
    schema: { tags, summary: 'File a ticket (受理)', body: NewTicketBody, response: { 201: TicketView } },
  }, async (request, reply) => reply.code(201).send(await hotline.create(request.actor, request.body as NewTicket)));

  app.get('/tickets', {
    config: { access: 'hotline.ticket.read' },
    schema: {
      tags, summary: 'List tickets (personal fields masked on tickets you do not handle)', querystring: ListQuery,
      response: { 200: Type.Object({ items: Type.Array(TicketView), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() }) },
    },
  }, (request) => hotline.list(request.actor, request.query as TicketQuery));

  app.get('/track', {
    config: { access: 'public' },
    schema: {
      tags,
      summary: 'Track a ticket by its number and the phone given when filing (查询进度): status, timeline, reply',
      description: 'An unknown number and a wrong phone are the same 404; too many misses from one address or on one number: 429 HOTLINE_TRACK_RATE_LIMITED.',
      querystring: Type.Object({
        number: Type.String({ minLength: 1, maxLength: 40 }),
        phone: Type.String({ minLength: 1, maxLength: 30 }),
      }),
      response: { 200: Type.Object({ ticket: PublicTicket, timeline: Type.Array(PublicEvent) }) },
    },
  }, (request) => {
    const { number, phone } = request.query as { number: string; phone: string };
    return hotline.track(request.actor, number, phone, request.ip);
  });

  app.get('/district-counts', {
    config: { access: 'hotline.kpi.read.all' },
    schema: {
      tags,
      summary: 'Tickets, open, overdue and sign-overdue tickets per district (the cockpit map); default: the last 365 days',
      querystring: Type.Object({ from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })) }),
      response: { 200: DistrictCountsView },
    },
  }, (request) => hotline.districtCounts(request.actor, request.query as { from?: string; to?: string }));

  app.get('/tickets/:id', {
    config: { access: 'hotline.ticket.read' },
    schema: { tags, params: IdParams, response: { 200: TicketDetail } },
  }, (request) => hotline.get(request.actor, (request.params as { id: string }).id));

  app.get('/tickets/:id/timeline', {
    config: { access: 'hotline.ticket.read' },
    schema: { tags, summary: 'The ticket timeline (every transition, who, when, why)', params: IdParams, response: { 200: Type.Array(TicketEvent) } },
  }, (request) => hotline.timeline(request.actor, (request.params as { id: string }).id));

  app.post('/tickets/:id/:action', {
    config: { access: 'hotline.ticket.act' },
    schema: {
      tags,
      summary: 'Take a workflow action: dispatch, accept, return, start, answer, visit, close, reopen, supervise, merge',
      description: 'A forbidden action is 409 HOTLINE_TRANSITION_NOT_ALLOWED with `allowed`: the actions you may take now.',
      params: Type.Object({ id: Uuid, action: Type.Enum([...ticketActions]) }),
      body: Type.Optional(TransitionBody),
      response: { 200: TicketView },
    },
  }, (request) => {
    const { id, action } = request.params as { id: string; action: TicketAction };
    return hotline.transition(request.actor, id, action, (request.body ?? {}) as TransitionPayload);
  });

  app.get('/routing/suggest', {
    config: { access: 'hotline.ticket.act' },
    schema: {
      tags, summary: 'The unit routing proposes for a category and an area (rule, else the district: 首接负责)',
      querystring: Type.Object({ categoryId: Type.Optional(Uuid), areaId: Type.Optional(Uuid) }),
      response: { 200: Suggestion },
    },
  }, (request) => {
    const q = request.query as { categoryId?: string; areaId?: string };
    return hotline.suggestUnit(q.categoryId ?? null, q.areaId ?? null);
  });

  // ── areas ────────────────────────────────────────────────────────────────────────────────────────────
  app.get('/areas', {
    config: { access: 'hotline.reference.read' },
    schema: { tags, summary: 'The area tree: districts with their streets', response: { 200: Type.Array(AreaNode) } },
  }, (request) => reference.areaTree(request.actor));

  app.post('/areas', {
    config: { access: 'hotline.reference.manage' },
    schema: {
      tags,
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 100 }), parentId: Type.Optional(Nullable(Uuid)), orgId: Type.Optional(Nullable(Uuid)),
        centerLon: Type.Optional(Nullable(Type.Number({ minimum: -180, maximum: 180 }))),
        centerLat: Type.Optional(Nullable(Type.Number({ minimum: -90, maximum: 90 }))),
      }, { additionalProperties: false }),
      response: { 201: AreaView },
    },
  }, async (request, reply) => reply.code(201).send(await reference.createArea(request.actor, request.body as never)));

  app.patch('/areas/:id', {
    config: { access: 'hotline.reference.manage' },
    schema: {
      tags, params: IdParams,
      body: Type.Object({
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), orgId: Type.Optional(Nullable(Uuid)),
        centerLon: Type.Optional(Nullable(Type.Number({ minimum: -180, maximum: 180 }))),
        centerLat: Type.Optional(Nullable(Type.Number({ minimum: -90, maximum: 90 }))),
      }, { additionalProperties: false }),
      response: { 200: AreaView },
    },
  }, (request) => reference.updateArea(request.actor, (request.params as { id: string }).id, request.body as never));

  // ── categories ───────────────────────────────────────────────────────────────────────────────────────
  app.get('/categories', {
    config: { access: 'hotline.reference.read' },
    schema: {
      tags, summary: 'The three-level category taxonomy',
      querystring: Type.Object({ includeInactive: Type.Optional(Type.Boolean()) }),
      response: { 200: Type.Array(CategoryView) },
    },
  }, (request) => reference.listCategories(request.actor, request.query as { includeInactive?: boolean }));

  app.post('/categories', {
    config: { access: 'hotline.reference.manage' },
    schema: {
      tags,
      body: Type.Object({
        level1: Type.String({ minLength: 1, maxLength: 100 }),
        level2: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
        level3: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
      }, { additionalProperties: false }),
      response: { 201: CategoryView },
    },
  }, async (request, reply) => reply.code(201).send(await reference.createCategory(request.actor, request.body as never)));

  app.patch('/categories/:id', {
    config: { access: 'hotline.reference.manage' },
    schema: { tags, params: IdParams, body: Type.Object({ active: Type.Boolean() }, { additionalProperties: false }), response: { 200: CategoryView } },
  }, (request) => reference.setCategoryActive(request.actor, (request.params as { id: string }).id, (request.body as { active: boolean }).active));

  // ── routing rules ────────────────────────────────────────────────────────────────────────────────────
  const RuleBody = {
    categoryId: Type.Optional(Nullable(Uuid)), areaId: Type.Optional(Nullable(Uuid)),
    priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
  };
  app.get('/routing-rules', {
    config: { access: 'hotline.reference.read' },
    schema: { tags, summary: 'Routing rules: category × area → unit', response: { 200: Type.Array(RuleView) } },
  }, (request) => reference.listRules(request.actor));

  app.post('/routing-rules', {
    config: { access: 'hotline.reference.manage' },
    schema: { tags, body: Type.Object({ ...RuleBody, unitId: Uuid }, { additionalProperties: false }), response: { 201: RuleView } },
  }, async (request, reply) => reply.code(201).send(await reference.createRule(request.actor, request.body as never)));

  app.patch('/routing-rules/:id', {
    config: { access: 'hotline.reference.manage' },
    schema: { tags, params: IdParams, body: Type.Object({ ...RuleBody, unitId: Type.Optional(Uuid) }, { additionalProperties: false }), response: { 200: RuleView } },
  }, (request) => reference.updateRule(request.actor, (request.params as { id: string }).id, request.body as never));

  app.delete('/routing-rules/:id', {
    config: { access: 'hotline.reference.manage' },
    schema: { tags, params: IdParams, response: { 204: Type.Null() } },
  }, async (request, reply) => {
    await reference.deleteRule(request.actor, (request.params as { id: string }).id);
    return reply.code(204).send();
  });
}
