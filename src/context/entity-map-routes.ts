import { Type } from 'typebox';
import type { RoutePlugin } from '../platform/http/server.js';
import { negotiate, scopeOf, sendNgsi } from './http-support.js';
import type { ContextResolver } from './jsonld-context.js';
import type { EntityMapService } from './entity-map-service.js';
import { paramsOfQueryBody } from './entity-routes.js';
import { EntityQuery, JsonObjectBody, NoContent, QueryBody, TemporalQuery, ngsiProblems } from './schemas.js';

/** GET /entityMaps (§6.34.3.1): the parameters of Query Entities, with local scope and a suggested expiry. */
const EntityMapQuery = Type.Object({
  ...EntityQuery.properties,
  local: Type.Optional(Type.Boolean()),
  expiresAt: Type.Optional(Type.String()),
});
/** POST /entityMaps (§6.34.3.2): a Query body, with local scope and a suggested expiry. */
const EntityMapBody = Type.Object({ ...QueryBody.properties, local: Type.Optional(Type.Boolean()), expiresAt: Type.Optional(Type.String()) }, { additionalProperties: true });
/** GET /temporal/entityMaps (v1.9 §6.35.3.1): the parameters of Query Temporal Evolution of Entities, with local scope and a suggested expiry. */
const TemporalEntityMapQuery = Type.Object({ ...TemporalQuery.properties, local: Type.Optional(Type.Boolean()), expiresAt: Type.Optional(Type.String()) });
/** POST /temporal/entityMaps (§6.35.3.2): a Query body with its `temporalQ` (§5.2.21). */
const TemporalEntityMapBody = Type.Object({
  ...EntityMapBody.properties,
  temporalQ: Type.Optional(Type.Object({
    timerel: Type.Optional(Type.String()), timeAt: Type.Optional(Type.String()), endTimeAt: Type.Optional(Type.String()),
    lastN: Type.Optional(Type.Integer({ minimum: 1 })), timeproperty: Type.Optional(Type.String()),
  }, { additionalProperties: false })),
}, { additionalProperties: true });
const EntityMapParams = Type.Object({ entityMapId: Type.String() });
/** §5.2.39 EntityMap. */
const NgsiEntityMap = Type.Object({
  id: Type.String(),
  type: Type.String(),
  expiresAt: Type.String(),
  entityMap: Type.Record(Type.String(), Type.Array(Type.String())),
  linkedMaps: Type.Record(Type.String(), Type.String()),
});

/**
 * Entity maps (ETSI GS CIM 009 v1.9 §6.32, §6.34, §6.35 temporal) under /ngsi-ld/v1. Creating one is a query (GET with the query
 * in the URL, or POST with a Query body), so reading entities is the permission for all of them; a map is its
 * creator's (entity-map-service.ts).
 */
export const entityMapRoutes = (maps: EntityMapService, contexts: ContextResolver): RoutePlugin => async (app) => {
  const read = { access: 'context.entity.read' as const };
  const created = (reply: import('fastify').FastifyReply, r: { map: Record<string, unknown>; location: string }, rep: ReturnType<typeof negotiate>, ctx: Parameters<typeof sendNgsi>[3]) => {
    // §6.34.3.1: the map's resource in NGSILD-EntityMap (and, as for any creation, in Location).
    reply.header('NGSILD-EntityMap', r.location).header('Location', r.location);
    return sendNgsi(reply, 201, r.map, ctx, rep);
  };

  app.get('/entityMaps', { config: read, schema: { querystring: EntityMapQuery, response: { 201: NgsiEntityMap, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const { local, expiresAt, ...query } = req.query;
    return created(reply, await maps.create(scope, query, { local, expiresAt }), rep, scope.ctx);
  });
  app.post('/entityMaps', { config: read, schema: { body: EntityMapBody, response: { 201: NgsiEntityMap, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts, req.body);
    return created(reply, await maps.create(scope, paramsOfQueryBody(req.body), { local: req.body.local, expiresAt: req.body.expiresAt }), rep, scope.ctx);
  });
  app.get('/temporal/entityMaps', { config: read, schema: { querystring: TemporalEntityMapQuery, response: { 201: NgsiEntityMap, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const { local, expiresAt, ...query } = req.query;
    return created(reply, await maps.createTemporal(scope, query, { local, expiresAt }), rep, scope.ctx);
  });
  app.post('/temporal/entityMaps', { config: read, schema: { body: TemporalEntityMapBody, response: { 201: NgsiEntityMap, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts, req.body);
    const { timeproperty: _timeproperty, ...window } = req.body.temporalQ ?? {};
    return created(reply, await maps.createTemporal(scope, { ...paramsOfQueryBody(req.body), ...window }, { local: req.body.local, expiresAt: req.body.expiresAt }), rep, scope.ctx);
  });
  app.get('/entityMaps/:entityMapId', { config: read, schema: { params: EntityMapParams, response: { 200: NgsiEntityMap, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    return sendNgsi(reply, 200, await maps.get(scope, req.params.entityMapId), scope.ctx, rep);
  });
  app.patch('/entityMaps/:entityMapId', { config: read, schema: { params: EntityMapParams, body: JsonObjectBody, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await maps.update(await scopeOf(req, contexts, req.body), req.params.entityMapId, req.body);
    return reply.code(204).send();
  });
  app.delete('/entityMaps/:entityMapId', { config: read, schema: { params: EntityMapParams, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await maps.delete(await scopeOf(req, contexts), req.params.entityMapId);
    return reply.code(204).send();
  });
};
