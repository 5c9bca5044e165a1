import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { negotiate, registerNgsiErrors, registerNgsiParsers, scopeOf, sendNgsi } from './http-support.js';
import type { ContextResolver } from './jsonld-context.js';
import { serializeJson } from './raw-json.js';
import type { TemporalParams, TemporalService } from './temporal-service.js';

const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer() }, { additionalProperties: true });
const problems = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 406: Problem, 422: Problem, 503: Problem };
const Temporal = {
  options: Type.Optional(Type.String()),
  format: Type.Optional(Type.String()),
  attrs: Type.Optional(Type.String()),
  timerel: Type.Optional(Type.String()),
  timeAt: Type.Optional(Type.String()),
  endTimeAt: Type.Optional(Type.String()),
  lastN: Type.Optional(Type.Integer({ minimum: 1 })),
  aggrMethods: Type.Optional(Type.String()),
  aggrPeriodDuration: Type.Optional(Type.String()),
};
const Query = Type.Object({
  ...Temporal,
  id: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  idPattern: Type.Optional(Type.String()),
  q: Type.Optional(Type.String()),
  georel: Type.Optional(Type.String()),
  geometry: Type.Optional(Type.String()),
  coordinates: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});

/** Aggregated series come as JsonPart (history-store seriesRows), written into the bytes; the rest is serialised plainly. */
const stringifierOf = (q: TemporalParams) => (q.aggrMethods !== undefined ? serializeJson : JSON.stringify);

/** Temporal representation of entities (§6.18–6.22) under /ngsi-ld/v1/temporal. */
export async function temporalRoutes(app: FastifyInstance, opts: { temporal: TemporalService; contexts: ContextResolver }): Promise<void> {
  const { temporal, contexts } = opts;
  registerNgsiParsers(app);
  registerNgsiErrors(app);
  app.get('/temporal/entities', { config: { access: 'context.entity.read' }, schema: { querystring: Query, response: { 200: Type.Array(Type.Object({}, { additionalProperties: true })), ...problems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const q = req.query as TemporalParams;
    const r = await temporal.query(scope, q);
    return sendNgsi(reply, 200, r.entities, scope.ctx, rep, undefined, stringifierOf(q));
  });
  app.get('/temporal/entities/:entityId', { config: { access: 'context.entity.read' }, schema: { params: Type.Object({ entityId: Type.String() }), querystring: Type.Object(Temporal), response: { 200: Type.Object({}, { additionalProperties: true }), ...problems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const q = req.query as TemporalParams;
    const r = await temporal.get(scope, (req.params as { entityId: string }).entityId, q);
    return sendNgsi(reply, 200, r, scope.ctx, rep, undefined, stringifierOf(q));
  });
  app.delete('/temporal/entities/:entityId', { config: { access: 'context.entity.write' }, schema: { params: Type.Object({ entityId: Type.String() }), response: { 204: Type.Null(), ...problems } } }, async (req, reply) => {
    await temporal.delete(await scopeOf(req, contexts), (req.params as { entityId: string }).entityId);
    return reply.code(204).send();
  });
  app.delete('/temporal/entities/:entityId/attrs/:attrId', { config: { access: 'context.entity.write' }, schema: { params: Type.Object({ entityId: Type.String(), attrId: Type.String() }), response: { 204: Type.Null(), ...problems } } }, async (req, reply) => {
    const p = req.params as { entityId: string; attrId: string };
    await temporal.delete(await scopeOf(req, contexts), p.entityId, p.attrId);
    return reply.code(204).send();
  });
}
