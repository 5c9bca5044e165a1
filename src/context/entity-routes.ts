import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ngsiProblem } from './ngsi-errors.js';
import { negotiate, registerNgsiErrors, registerNgsiParsers, scopeOf, sendNgsi, tenantOf } from './http-support.js';
import type { ContextResolver } from './jsonld-context.js';
import type { EntityService, OutputOptions, QueryParams } from './entity-service.js';

export interface EntityRoutesOptions {
  entities: EntityService;
  contexts: ContextResolver;
}

const Any = Type.Unknown();
const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()) }, { additionalProperties: true });
const problems = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 406: Problem, 409: Problem, 413: Problem, 415: Problem, 503: Problem };
const EntityList = Type.Array(Type.Object({}, { additionalProperties: true }));
const EntityDoc = Type.Object({}, { additionalProperties: true });
const BatchReport = Type.Object({ success: Type.Array(Type.String()), errors: Type.Array(Type.Object({ entityId: Type.String(), error: Problem })) });
const AttrReport = Type.Object({ updated: Type.Array(Type.String()), notUpdated: Type.Array(Type.Object({ attributeName: Type.String(), reason: Type.String() })) });

const EntityId = Type.Object({ entityId: Type.String() });
const AttrPath = Type.Object({ entityId: Type.String(), attrId: Type.String() });
const Output = {
  options: Type.Optional(Type.String()),
  format: Type.Optional(Type.String()),
  attrs: Type.Optional(Type.String()),
  pick: Type.Optional(Type.String()),
  omit: Type.Optional(Type.String()),
  lang: Type.Optional(Type.String()),
  geometryProperty: Type.Optional(Type.String()),
};
const QueryString = Type.Object({
  ...Output,
  id: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  idPattern: Type.Optional(Type.String()),
  q: Type.Optional(Type.String()),
  georel: Type.Optional(Type.String()),
  geometry: Type.Optional(Type.String()),
  coordinates: Type.Optional(Type.String()),
  geoproperty: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  count: Type.Optional(Type.Boolean()),
  orderBy: Type.Optional(Type.String()),
});

type Query = Record<string, string | number | boolean | undefined>;
const outputOf = (q: Query, geo: boolean): OutputOptions => ({
  options: q.options as string | undefined, format: q.format as string | undefined, attrs: q.attrs as string | undefined,
  pick: q.pick as string | undefined, omit: q.omit as string | undefined, lang: q.lang as string | undefined,
  geoJson: geo, geoproperty: q.geometryProperty as string | undefined,
});
const hasOption = (q: Query, name: string) => String(q.options ?? '').split(',').includes(name);
const objectBody = (body: unknown): Record<string, unknown> => {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw ngsiProblem('BadRequestData', 'the body must be a JSON object');
  return body as Record<string, unknown>;
};

/** NGSI-LD entities, batch operations and types (§6.4–6.6, §6.14–6.17) under /ngsi-ld/v1. */
export async function entityRoutes(app: FastifyInstance, opts: EntityRoutesOptions): Promise<void> {
  const { entities, contexts } = opts;
  registerNgsiParsers(app);
  registerNgsiErrors(app);
  const read = { access: 'context.entity.read' as const };
  const write = { access: 'context.entity.write' as const };
  const bodySchema = { body: Any };

  app.get('/entities', { config: read, schema: { querystring: QueryString, response: { 200: EntityList, ...problems } } }, async (req, reply) => {
    const rep = negotiate(req);
    const scope = await scopeOf(req, contexts);
    const q = req.query as Query;
    const result = await entities.queryEntities(scope, q as QueryParams, outputOf(q, rep === 'geo'));
    if (result.count !== undefined) reply.header('NGSILD-Results-Count', String(result.count));
    const body = rep === 'geo' ? { type: 'FeatureCollection', features: result.entities } : result.entities;
    return sendNgsi(reply, 200, body, scope.ctx, rep);
  });

  app.post('/entities', { config: write, schema: { ...bodySchema, response: { 201: Type.Null(), ...problems } } }, async (req, reply) => {
    const scope = await scopeOf(req, contexts, req.body);
    const id = await entities.createEntity(scope, objectBody(req.body));
    if (tenantOf(req)) reply.header('NGSILD-Tenant', tenantOf(req)!);
    return reply.code(201).header('Location', `/ngsi-ld/v1/entities/${encodeURIComponent(id)}`).send();
  });

  app.get('/entities/:entityId', { config: read, schema: { params: EntityId, querystring: Type.Object(Output), response: { 200: EntityDoc, ...problems } } }, async (req, reply) => {
    const rep = negotiate(req);
    const scope = await scopeOf(req, contexts);
    const body = await entities.getEntity(scope, (req.params as { entityId: string }).entityId, outputOf(req.query as Query, rep === 'geo'));
    return sendNgsi(reply, 200, body, scope.ctx, rep);
  });

  app.delete('/entities/:entityId', { config: write, schema: { params: EntityId, response: { 204: Type.Null(), ...problems } } }, async (req, reply) => {
    await entities.deleteEntity(await scopeOf(req, contexts), (req.params as { entityId: string }).entityId);
    return reply.code(204).send();
  });

  app.put('/entities/:entityId', { config: write, schema: { params: EntityId, ...bodySchema, response: { 204: Type.Null(), ...problems } } }, async (req, reply) => {
    await entities.replaceEntity(await scopeOf(req, contexts, req.body), (req.params as { entityId: string }).entityId, objectBody(req.body));
    return reply.code(204).send();
  });

  app.patch('/entities/:entityId', { config: write, schema: { params: EntityId, ...bodySchema, response: { 204: Type.Null(), ...problems } } }, async (req, reply) => {
    await entities.mergeEntity(await scopeOf(req, contexts, req.body), (req.params as { entityId: string }).entityId, objectBody(req.body));
    return reply.code(204).send();
  });

  const attrReport = (reply: import('fastify').FastifyReply, r: { updated: string[]; notUpdated: unknown[] }) =>
    r.notUpdated.length === 0 ? reply.code(204).send() : reply.code(207).type('application/json').send(JSON.stringify(r));

  app.post('/entities/:entityId/attrs', { config: write, schema: { params: EntityId, querystring: Type.Object({ options: Type.Optional(Type.String()) }), ...bodySchema, response: { 204: Type.Null(), 207: AttrReport, ...problems } } }, async (req, reply) => {
    const r = await entities.appendAttrs(await scopeOf(req, contexts, req.body), (req.params as { entityId: string }).entityId, objectBody(req.body), hasOption(req.query as Query, 'noOverwrite'));
    return attrReport(reply, r);
  });

  app.patch('/entities/:entityId/attrs', { config: write, schema: { params: EntityId, ...bodySchema, response: { 204: Type.Null(), 207: AttrReport, ...problems } } }, async (req, reply) => {
    const r = await entities.updateAttrs(await scopeOf(req, contexts, req.body), (req.params as { entityId: string }).entityId, objectBody(req.body));
    return attrReport(reply, r);
  });

  app.patch('/entities/:entityId/attrs/:attrId', { config: write, schema: { params: AttrPath, ...bodySchema, response: { 204: Type.Null(), ...problems } } }, async (req, reply) => {
    const p = req.params as { entityId: string; attrId: string };
    await entities.patchAttr(await scopeOf(req, contexts, req.body), p.entityId, p.attrId, objectBody(req.body));
    return reply.code(204).send();
  });

  app.put('/entities/:entityId/attrs/:attrId', { config: write, schema: { params: AttrPath, ...bodySchema, response: { 204: Type.Null(), ...problems } } }, async (req, reply) => {
    const p = req.params as { entityId: string; attrId: string };
    await entities.replaceAttr(await scopeOf(req, contexts, req.body), p.entityId, p.attrId, req.body);
    return reply.code(204).send();
  });

  app.delete('/entities/:entityId/attrs/:attrId', { config: write, schema: { params: AttrPath, querystring: Type.Object({ datasetId: Type.Optional(Type.String()), deleteAll: Type.Optional(Type.Boolean()) }), response: { 204: Type.Null(), ...problems } } }, async (req, reply) => {
    const p = req.params as { entityId: string; attrId: string };
    await entities.deleteAttr(await scopeOf(req, contexts), p.entityId, p.attrId, req.query as { datasetId?: string; deleteAll?: boolean });
    return reply.code(204).send();
  });

  // ---- batch (§6.14–6.17, §6.31) ----
  const batchReport = (reply: import('fastify').FastifyReply, r: { success: string[]; errors: unknown[]; created: string[] }, op: string) => {
    if (r.errors.length > 0) return reply.code(207).type('application/json').send(JSON.stringify({ success: r.success, errors: r.errors }));
    if (op === 'create') return reply.code(201).type('application/json').send(JSON.stringify(r.success));
    if (op === 'upsert' && r.created.length > 0) return reply.code(201).type('application/json').send(JSON.stringify(r.created));
    return reply.code(204).send();
  };
  for (const op of ['create', 'upsert', 'update'] as const) {
    app.post(`/entityOperations/${op}`, { config: write, schema: { querystring: Type.Object({ options: Type.Optional(Type.String()) }), ...bodySchema, response: { 201: Type.Array(Type.String()), 204: Type.Null(), 207: BatchReport, ...problems } } }, async (req, reply) => {
      if (!Array.isArray(req.body)) throw ngsiProblem('BadRequestData', 'a batch operation needs a JSON array of entities');
      const scope = await scopeOf(req, contexts, req.body.length ? req.body : undefined);
      const isLd = (req.headers['content-type'] ?? '').startsWith('application/ld+json');
      // With JSON-LD each entity carries its own @context.
      const ctxs = isLd ? await Promise.all(req.body.map((b) => contexts.resolve((b as Record<string, unknown>)?.['@context']))) : undefined;
      const q = req.query as Query;
      const r = await entities.batchWrite(scope, op, req.body, { replace: !hasOption(q, 'update'), noOverwrite: hasOption(q, 'noOverwrite'), contexts: ctxs });
      return batchReport(reply, r, op);
    });
  }
  app.post('/entityOperations/delete', { config: write, schema: { ...bodySchema, response: { 204: Type.Null(), 207: BatchReport, ...problems } } }, async (req, reply) => {
    const r = await entities.batchDelete(await scopeOf(req, contexts), req.body);
    return batchReport(reply, r, 'delete');
  });
  app.post('/entityOperations/query', { config: read, schema: { querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 0 })), offset: Type.Optional(Type.Integer({ minimum: 0 })), count: Type.Optional(Type.Boolean()) }), ...bodySchema, response: { 200: EntityList, ...problems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const body = objectBody(req.body);
    const scope = await scopeOf(req, contexts, body);
    const ents = (body.entities as { id?: string; type?: string; idPattern?: string }[] | undefined) ?? [];
    const geoQ = (body.geoQ ?? {}) as { georel?: string; geometry?: string; coordinates?: unknown; geoproperty?: string };
    const q = req.query as Query;
    const params: QueryParams = {
      id: ents.map((e) => e.id).filter(Boolean).join(',') || undefined,
      type: ents.map((e) => e.type).filter(Boolean).join(',') || undefined,
      idPattern: ents.find((e) => e.idPattern)?.idPattern,
      attrs: Array.isArray(body.attrs) ? body.attrs.join(',') : undefined,
      q: body.q as string | undefined,
      georel: geoQ.georel, geometry: geoQ.geometry, coordinates: geoQ.coordinates, geoproperty: geoQ.geoproperty,
      limit: q.limit as number | undefined, offset: q.offset as number | undefined, count: q.count as boolean | undefined,
    };
    const result = await entities.queryEntities(scope, params, { attrs: params.attrs });
    if (result.count !== undefined) reply.header('NGSILD-Results-Count', String(result.count));
    return sendNgsi(reply, 200, result.entities, scope.ctx, rep);
  });

  // ---- types and attributes (§6.25–6.28) ----
  app.get('/types', { config: read, schema: { response: { 200: Any, ...problems } } }, async (req: FastifyRequest, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const types = await entities.entityTypes(scope);
    return sendNgsi(reply, 200, { id: `urn:ngsi-ld:EntityTypeList:${Date.now()}`, type: 'EntityTypeList', typeList: types.map((t) => t.type) }, scope.ctx, rep);
  });
  app.get('/types/:type', { config: read, schema: { params: Type.Object({ type: Type.String() }), response: { 200: Any, ...problems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const name = (req.params as { type: string }).type;
    const [info] = await entities.attributesOfTypes(scope, name);
    if (!info) throw ngsiProblem('ResourceNotFound', `no entity of type ${name}`);
    const count = (await entities.entityTypes(scope)).find((t) => t.type === info.type)?.count ?? 0;
    return sendNgsi(reply, 200, { id: info.type, type: 'EntityTypeInfo', typeName: info.type, entityCount: count, attributeDetails: info.attrs.map((a) => ({ id: a, type: 'Attribute', attributeName: a })) }, scope.ctx, rep);
  });
  app.get('/attributes', { config: read, schema: { response: { 200: Any, ...problems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const all = await entities.attributesOfTypes(scope);
    const names = [...new Set(all.flatMap((t) => t.attrs))].sort();
    return sendNgsi(reply, 200, { id: `urn:ngsi-ld:AttributeList:${Date.now()}`, type: 'AttributeList', attributeList: names }, scope.ctx, rep);
  });
}
