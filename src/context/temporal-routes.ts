import type { RoutePlugin } from '../platform/http/server.js';
import { negotiate, scopeOf, sendNgsi } from './http-support.js';
import { assertAttrName } from './entity-model.js';
import type { ContextResolver } from './jsonld-context.js';
import { serializeJson } from './raw-json.js';
import type { TemporalService } from './temporal-service.js';
import type { TemporalWriteService } from './temporal-write-service.js';
import type { EntityMapService } from './entity-map-service.js';
import { AttributeParams, EntityIdParams, InstanceParams, JsonObjectBody, NoContent, ngsiProblems } from './schemas.js';
import { TemporalEntity, TemporalEntityList, TemporalEntityQuery, TemporalPostQuery, TemporalQuery, TemporalQueryBody } from './temporal-schemas.js';
import { paramsOfQueryBody } from './entity-routes.js';
import type { FastifyReply } from 'fastify';

/** 206 with Content-Range when the temporal limit cut the instances (§6.3.10), else 200. */
const pageStatus = (reply: FastifyReply, range: string | undefined): 200 | 206 => {
  if (range === undefined) return 200;
  reply.header('Content-Range', range);
  return 206;
};

/** Aggregated series come as JsonPart (history-store seriesRows), written into the bytes; the rest is serialised plainly. */
const stringifierOf = (q: { aggrMethods?: string }) => (q.aggrMethods !== undefined ? serializeJson : JSON.stringify);

/** Temporal representation of entities (§6.18–6.22) under /ngsi-ld/v1/temporal. */
export const temporalRoutes = (temporal: TemporalService, writes: TemporalWriteService, contexts: ContextResolver, entityMaps?: EntityMapService): RoutePlugin => async (app) => {
  const read = { access: 'context.entity.read' as const };
  const write = { access: 'context.entity.write' as const };
  app.get('/temporal/entities', { config: read, schema: { querystring: TemporalQuery, response: { 200: TemporalEntityList, 206: TemporalEntityList, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    // v1.9 §5.14.5: with NGSILD-EntityMap the page comes from that map (a new one when it is gone).
    const header = req.headers['ngsild-entitymap'];
    const mapped = await entityMaps?.queryTemporal(scope, req.query, typeof header === 'string' ? header : undefined);
    if (mapped) reply.header('NGSILD-EntityMap', mapped.location);
    const r = mapped ? { ...mapped, count: req.query.count ? mapped.count : undefined } : await temporal.query(scope, req.query);
    if (r.count !== undefined) reply.header('NGSILD-Results-Count', String(r.count));
    return sendNgsi(reply, pageStatus(reply, r.range), r.entities, scope.ctx, rep, undefined, stringifierOf(req.query));
  });
  // §6.24: the same query with the Query in the body (its temporalQ the window), paging in the query string.
  app.post('/temporal/entityOperations/query', { config: read, schema: { querystring: TemporalPostQuery, body: TemporalQueryBody, response: { 200: TemporalEntityList, 206: TemporalEntityList, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts, req.body);
    const { coordinates, ...filter } = paramsOfQueryBody(req.body);
    const t = req.body.temporalQ ?? {};
    const query: TemporalQuery = {
      ...filter, ...(coordinates === undefined ? {} : { coordinates: typeof coordinates === 'string' ? coordinates : JSON.stringify(coordinates) }),
      timerel: t.timerel, timeAt: t.timeAt, endTimeAt: t.endTimeAt, timeproperty: t.timeproperty, lang: req.body.lang,
      // §5.2.21: the aggregation may come in the temporalQ (aggrMethods a list or a comma-separated string).
      aggrMethods: Array.isArray(t.aggrMethods) ? t.aggrMethods.join(',') : t.aggrMethods, aggrPeriodDuration: t.aggrPeriodDuration,
      ...req.query, lastN: req.query.lastN ?? t.lastN,
    };
    const r = await temporal.query(scope, query);
    if (r.count !== undefined) reply.header('NGSILD-Results-Count', String(r.count));
    return sendNgsi(reply, pageStatus(reply, r.range), r.entities, scope.ctx, rep, undefined, stringifierOf(query));
  });
  app.get('/temporal/entities/:entityId', { config: read, schema: { params: EntityIdParams, querystring: TemporalEntityQuery, response: { 200: TemporalEntity, 206: TemporalEntity, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const r = await temporal.get(scope, req.params.entityId, req.query);
    return sendNgsi(reply, pageStatus(reply, r.range), r.entity, scope.ctx, rep, undefined, stringifierOf(req.query));
  });
  app.delete('/temporal/entities/:entityId', { config: write, schema: { params: EntityIdParams, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await temporal.delete(await scopeOf(req, contexts), req.params.entityId);
    return reply.code(204).send();
  });
  app.delete('/temporal/entities/:entityId/attrs/:attrId', { config: write, schema: { params: AttributeParams, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    assertAttrName(req.params.attrId); // before any source is asked (a `..` would name the temporal entity)
    await temporal.delete(await scopeOf(req, contexts), req.params.entityId, req.params.attrId);
    return reply.code(204).send();
  });

  // ---- temporal writes (§6.18.3.1, §6.20.3.1, §6.22) ----
  app.post('/temporal/entities', { config: write, schema: { body: JsonObjectBody, response: { 201: NoContent, 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    const r = await writes.upsert(await scopeOf(req, contexts, req.body), req.body);
    if (!r.created) return reply.code(204).send();
    reply.header('Location', `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(r.id)}`);
    return reply.code(201).send();
  });
  app.post('/temporal/entities/:entityId/attrs', { config: write, schema: { params: EntityIdParams, body: JsonObjectBody, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await writes.append(await scopeOf(req, contexts, req.body), req.params.entityId, req.body);
    return reply.code(204).send();
  });
  app.patch('/temporal/entities/:entityId/attrs/:attrId/:instanceId', { config: write, schema: { params: InstanceParams, body: JsonObjectBody, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await writes.modifyInstance(await scopeOf(req, contexts, req.body), req.params.entityId, req.params.attrId, req.params.instanceId, req.body);
    return reply.code(204).send();
  });
  app.delete('/temporal/entities/:entityId/attrs/:attrId/:instanceId', { config: write, schema: { params: InstanceParams, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await writes.deleteInstance(await scopeOf(req, contexts), req.params.entityId, req.params.attrId, req.params.instanceId);
    return reply.code(204).send();
  });
};
