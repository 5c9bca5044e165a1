import type { RoutePlugin } from '../platform/http/server.js';
import { ngsiProblem } from './ngsi-errors.js';
import { isProblem } from '../platform/errors/problem.js';
import { negotiate, preferredReturn, scopeOf, sendNgsi, tenantOf, type Representation } from './http-support.js';
import type { RequestScope } from './request-scope.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ContextResolver } from './jsonld-context.js';
import type { EntityService } from './entity-service.js';
import type { AttributeService } from './attribute-service.js';
import { assertNarrow, type EntityQueryService } from './entity-query-service.js';
import type { BatchWrite, EntityBatchService } from './entity-batch-service.js';
import type { EntityMapService } from './entity-map-service.js';
import type { SnapshotService } from './snapshot-service.js';
import { snapshotHeader } from './snapshot-routes.js';
import type { OutputOptions } from './schemas.js';
import {
  AttributeBody, AttributeParams, AttrUpdateResult, BatchCreated, BatchReport, DeleteAttributeQuery, EntityBatchBody, EntityIdBatchBody, EntityIdParams,
  EntityQuery, JsonObjectBody, NgsiEntity, NgsiEntityList, NoContent, OptionsQuery, RetrieveQuery, TypeSelectorQuery, AppendQuery, QueryBody, QueryPageQuery, TypeListAnswer,
  TypeNameParams, AttributeNameParams, DetailsQuery, LocalQuery, EntityOrNothing, NgsiEntityOrList, ngsiProblems, type BatchResult, type EntityQueryParams,
} from './schemas.js';
import { compactIri, expandTerm } from './jsonld-context.js';

export interface EntityRoutesDeps {
  entities: EntityService;
  attributes: AttributeService;
  queries: EntityQueryService;
  batches: EntityBatchService;
  contexts: ContextResolver;
  /** GET /entities with `entityMap=true` or an `NGSILD-EntityMap` header pages through an entity map (§5.14). */
  entityMaps?: EntityMapService;
  /** GET /entities and GET /entities/{id} with an `NGSILD-Snapshot` header read the snapshot's copy (v1.9 §6.3.22). */
  snapshots?: Pick<SnapshotService, 'query' | 'getEntity'>;
}

/** §5.2.27 Attribute: an attribute name with the types that have it. */
const attributeDetails = (name: string, all: { type: string; attrs: string[] }[]) => ({
  id: name, type: 'Attribute', attributeName: name, typeNames: all.filter((t) => t.attrs.includes(name)).map((t) => t.type),
});

const hasOption = (options: string | undefined, name: string) => (options ?? '').split(',').includes(name);

/** 204 when every attribute was written, else 207 with what was not (§6.6.3.1, §6.7.3.1). */
const attrReport = (reply: FastifyReply, r: AttrUpdateResult) =>
  r.notUpdated.length === 0 ? reply.code(204).send() : reply.code(207).type('application/json').send(JSON.stringify(r));

/** 207 with the errors; else 201 with the ids a create (or an upsert that created some) made; else 204 (§6.14–6.17). */
const batchReport = (reply: FastifyReply, r: BatchResult, op: BatchWrite | 'delete' | 'merge') => {
  if (r.errors.length > 0) return reply.code(207).type('application/json').send(JSON.stringify({ success: r.success, errors: r.errors }));
  if (op === 'create') return reply.code(201).type('application/json').send(JSON.stringify(r.success));
  if (op === 'upsert' && r.created.length > 0) return reply.code(201).type('application/json').send(JSON.stringify(r.created));
  return reply.code(204).send();
};

/**
 * §4.12, §6.3.13 pagination of GET /entities: the `prev` and `next` pages as Link values, each only when it
 * exists — the same query (its parameters in name order) with another offset. A next page exists when the query
 * read an entity past this page (`more`) or, where it did not say (an entity map, context sources), the count.
 */
function pageLinks(query: Record<string, unknown>, limit: number, page: { count?: number; more?: boolean }, rep: Representation): string[] {
  if (limit === 0) return [];
  const offset = typeof query.offset === 'number' ? query.offset : 0;
  const more = page.more ?? (page.count !== undefined && offset + limit < page.count);
  const type = rep === 'ld' ? 'application/ld+json' : rep === 'geo' ? 'application/geo+json' : 'application/json';
  const link = (at: number, rel: string) => {
    const params: Record<string, unknown> = { ...query, limit, offset: at };
    const qs = new URLSearchParams(Object.keys(params).sort().filter((k) => params[k] !== undefined).map((k) => [k, String(params[k])]));
    return `</ngsi-ld/v1/entities?${qs}>;rel="${rel}";type="${type}"`;
  };
  return [...(offset > 0 ? [link(Math.max(0, offset - limit), 'prev')] : []), ...(more ? [link(offset + limit, 'next')] : [])];
}

/** A Query body (§5.2.23: `entities`, `attrs`, `q`, `scopeQ`, `geoQ`) as the parameters of GET /entities. */
export function paramsOfQueryBody(body: QueryBody): EntityQueryParams {
  const ents = body.entities ?? [];
  const geoQ = body.geoQ ?? {};
  return {
    id: ents.flatMap((e) => e.id ?? []).join(',') || undefined,
    type: ents.map((e) => e.type).filter(Boolean).join(',') || undefined,
    // §5.2.33: a selector's id takes precedence over its idPattern.
    idPattern: ents.find((e) => e.idPattern && e.id === undefined)?.idPattern,
    attrs: body.attrs?.join(','),
    q: body.q,
    scopeQ: body.scopeQ,
    georel: geoQ.georel, geometry: geoQ.geometry, coordinates: geoQ.coordinates, geoproperty: geoQ.geoproperty,
  };
}

/** NGSI-LD entities, attributes, batch operations and types (§6.4–6.8, §6.14–6.17, §6.23, §6.25–6.28) under /ngsi-ld/v1. */
export const entityRoutes = ({ entities, attributes, queries, batches, contexts, entityMaps, snapshots }: EntityRoutesDeps): RoutePlugin => async (app) => {
  const read = { access: 'context.entity.read' as const };
  const write = { access: 'context.entity.write' as const };

  /** A write's `Prefer: return=…`, the representation it asks for checked before the write is made (406 first). */
  const preferenceOf = (req: FastifyRequest) => {
    const preference = preferredReturn(req);
    return { preference, rep: preference === 'representation' ? negotiate(req, false) : undefined };
  };
  type Preference = ReturnType<typeof preferenceOf>;
  /**
   * The answer of a successful write of one entity: `status` with no body, or with `Prefer: return=representation`
   * the entity as it now is (201 for a create, else 200) and `Preference-Applied` naming what was applied.
   */
  const written = async (reply: FastifyReply, p: Preference, scope: RequestScope, id: string, status: 201 | 204) => {
    if (p.preference) reply.header('Preference-Applied', `return=${p.preference}`);
    if (!p.rep) return reply.code(status).send();
    return sendNgsi(reply, status === 201 ? 201 : 200, await queries.getEntity(scope, id, {}), scope.ctx, p.rep);
  };

  /** A query answered from a snapshot's copy (`NGSILD-Snapshot`, v1.9 §6.3.22): GET /entities and POST /entityOperations/query. */
  const fromSnapshot = async (reply: FastifyReply, scope: RequestScope, snapshot: string, p: EntityQueryParams, o: OutputOptions, rep: ReturnType<typeof negotiate>) => {
    const frozen = await snapshots!.query(scope, snapshot, p, o);
    if (frozen.count !== undefined) reply.header('NGSILD-Results-Count', String(frozen.count));
    return sendNgsi(reply, 200, frozen.entities, scope.ctx, rep);
  };

  // ---- entities (§6.4, §6.5) ----
  app.get('/entities', { config: read, schema: { querystring: EntityQuery, response: { 200: NgsiEntityList, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req);
    const scope = await scopeOf(req, contexts);
    const o = { ...req.query, geoJson: rep === 'geo' };
    const snapshot = snapshotHeader(req);
    if (snapshots && snapshot) return fromSnapshot(reply, scope, snapshot, req.query, o, rep);
    assertNarrow(req.query);
    const join = queries.joinOf(scope, o, req.query.q);
    const header = req.headers['ngsild-entitymap'];
    const mapped = await entityMaps?.query(scope, req.query, o, typeof header === 'string' ? header : undefined);
    if (mapped) reply.header('NGSILD-EntityMap', mapped.location);
    const result = mapped ? { entities: mapped.entities, count: req.query.count ? mapped.count : undefined }
      : req.query.local ? await queries.queryHere(scope, req.query, o) : await queries.queryEntities(scope, req.query, o);
    if (result.count !== undefined) reply.header('NGSILD-Results-Count', String(result.count));
    const pages = pageLinks(req.query, queries.pageLimit(req.query.limit), result, rep);
    if (pages.length) reply.header('Link', pages);
    const linked = join ? await queries.linked(scope, result.entities, join, o) : [];
    const body = rep === 'geo' ? { type: 'FeatureCollection', features: result.entities } : [...result.entities, ...linked];
    return sendNgsi(reply, 200, body, scope.ctx, rep);
  });

  app.post('/entities', { config: write, schema: { body: JsonObjectBody, response: { 201: EntityOrNothing, ...ngsiProblems } } }, async (req, reply) => {
    const pref = preferenceOf(req);
    const scope = await scopeOf(req, contexts, req.body);
    const id = await entities.createEntity(scope, req.body);
    const tenant = tenantOf(req);
    if (tenant) reply.header('NGSILD-Tenant', tenant);
    reply.header('Location', `/ngsi-ld/v1/entities/${encodeURIComponent(id)}`);
    return written(reply, pref, scope, id, 201);
  });

  // Purge (§6.4.3.3): every entity the filter selects; a filter is required (no "delete everything").
  app.delete('/entities', { config: write, schema: { querystring: EntityQuery, response: { 204: NoContent, 207: BatchReport, ...ngsiProblems } } }, async (req, reply) => {
    const scope = await scopeOf(req, contexts);
    const { type, id, idPattern, q, scopeQ } = req.query;
    if (type === undefined && id === undefined && idPattern === undefined && q === undefined && scopeQ === undefined) {
      throw ngsiProblem('BadRequestData', 'purging entities needs type, id, idPattern, q or scopeQ');
    }
    const page = { type, id, idPattern, q, scopeQ, expandValues: req.query.expandValues, limit: batches.maxBatch, pick: 'id', options: 'keyValues' };
    // The ids held here; context sources purge their own (a federated batch service forwards the filter).
    const r = await batches.purge(scope, async () => (await queries.queryHere(scope, page, page)).entities.map((e) => e.id as string), page);
    return batchReport(reply, r, 'delete');
  });

  app.get('/entities/:entityId', { config: read, schema: { params: EntityIdParams, querystring: RetrieveQuery, response: { 200: NgsiEntityOrList, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req);
    const scope = await scopeOf(req, contexts);
    const o = { ...req.query, geoJson: rep === 'geo' };
    const snapshot = snapshotHeader(req);
    if (snapshots && snapshot) return sendNgsi(reply, 200, await snapshots.getEntity(scope, snapshot, req.params.entityId, o), scope.ctx, rep);
    const join = queries.joinOf(scope, o);
    const body = await queries.getEntity(scope, req.params.entityId, o);
    // join=flat answers a list: the entity, then those it links to.
    const linked = join ? await queries.linked(scope, [body], join, o) : [];
    return sendNgsi(reply, 200, join?.mode === 'flat' ? [body, ...linked] : body, scope.ctx, rep);
  });

  app.delete('/entities/:entityId', { config: write, schema: { params: EntityIdParams, querystring: TypeSelectorQuery, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await entities.deleteEntity(await scopeOf(req, contexts), req.params.entityId);
    return reply.code(204).send();
  });

  app.put('/entities/:entityId', { config: write, schema: { params: EntityIdParams, querystring: TypeSelectorQuery, body: JsonObjectBody, response: { 200: NgsiEntity, 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    const pref = preferenceOf(req);
    const scope = await scopeOf(req, contexts, req.body);
    await entities.replaceEntity(scope, req.params.entityId, req.body);
    return written(reply, pref, scope, req.params.entityId, 204);
  });

  app.patch('/entities/:entityId', { config: write, schema: { params: EntityIdParams, querystring: TypeSelectorQuery, body: JsonObjectBody, response: { 200: NgsiEntity, 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    const pref = preferenceOf(req);
    const scope = await scopeOf(req, contexts, req.body);
    await entities.mergeEntity(scope, req.params.entityId, req.body);
    return written(reply, pref, scope, req.params.entityId, 204);
  });

  // ---- attributes (§6.6–6.8) ----
  app.post('/entities/:entityId/attrs', { config: write, schema: { params: EntityIdParams, querystring: AppendQuery, body: JsonObjectBody, response: { 200: NgsiEntity, 204: NoContent, 207: AttrUpdateResult, ...ngsiProblems } } }, async (req, reply) => {
    const pref = preferenceOf(req);
    const scope = await scopeOf(req, contexts, req.body);
    const r = await attributes.appendAttrs(scope, req.params.entityId, req.body, hasOption(req.query.options, 'noOverwrite'));
    return r.notUpdated.length === 0 ? written(reply, pref, scope, req.params.entityId, 204) : attrReport(reply, r);
  });

  app.patch('/entities/:entityId/attrs', { config: write, schema: { params: EntityIdParams, querystring: TypeSelectorQuery, body: JsonObjectBody, response: { 200: NgsiEntity, 204: NoContent, 207: AttrUpdateResult, ...ngsiProblems } } }, async (req, reply) => {
    const pref = preferenceOf(req);
    const scope = await scopeOf(req, contexts, req.body);
    const r = await attributes.updateAttrs(scope, req.params.entityId, req.body);
    return r.notUpdated.length === 0 ? written(reply, pref, scope, req.params.entityId, 204) : attrReport(reply, r);
  });

  app.patch('/entities/:entityId/attrs/:attrId', { config: write, schema: { params: AttributeParams, querystring: TypeSelectorQuery, body: JsonObjectBody, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await attributes.patchAttr(await scopeOf(req, contexts, req.body), req.params.entityId, req.params.attrId, req.body);
    return reply.code(204).send();
  });

  app.put('/entities/:entityId/attrs/:attrId', { config: write, schema: { params: AttributeParams, querystring: TypeSelectorQuery, body: AttributeBody, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await attributes.replaceAttr(await scopeOf(req, contexts, req.body), req.params.entityId, req.params.attrId, req.body);
    return reply.code(204).send();
  });

  app.delete('/entities/:entityId/attrs/:attrId', { config: write, schema: { params: AttributeParams, querystring: DeleteAttributeQuery, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await attributes.deleteAttr(await scopeOf(req, contexts), req.params.entityId, req.params.attrId, req.query);
    return reply.code(204).send();
  });

  // ---- batch (§6.14–6.17, §6.23) ----
  /**
   * A batch's answer with the client's `Prefer` (RFC 7240, as for single-entity writes): a 207 report is always
   * sent as it is (the errors must reach the client; nothing is applied). Otherwise `return=minimal` answers the
   * status without a body; `return=representation` answers the entities written, as they now are (read through
   * the query service, so what context sources hold is included), 201 when entities were created, else 200.
   * A deleted entity has no representation: a batch delete applies only `return=minimal`.
   */
  const batchAnswer = async (reply: FastifyReply, p: Preference, scope: RequestScope, r: BatchResult, op: BatchWrite | 'delete' | 'merge') => {
    const applied = r.errors.length === 0 && (p.preference === 'minimal' || (p.preference === 'representation' && op !== 'delete'));
    if (!applied) return batchReport(reply, r, op);
    reply.header('Preference-Applied', `return=${p.preference}`);
    const created = op === 'create' || (op === 'upsert' && r.created.length > 0);
    if (!p.rep) return created ? reply.code(201).send() : reply.code(204).send();
    const now: Record<string, unknown>[] = [];
    for (const id of new Set(r.success)) {
      // An entity the caller may not read (or that a source no longer gives) is left out, not a failed write.
      try {
        now.push(await queries.getEntity(scope, id, {}));
      } catch (err) {
        if (!isProblem(err) || err.status !== 404) throw err;
      }
    }
    return sendNgsi(reply, created ? 201 : 200, now, scope.ctx, p.rep);
  };

  for (const op of ['create', 'upsert', 'update'] as const) {
    app.post(`/entityOperations/${op}`, { config: write, schema: { querystring: OptionsQuery, body: EntityBatchBody, response: { 200: NgsiEntityList, 201: BatchCreated, 204: NoContent, 207: BatchReport, ...ngsiProblems } } }, async (req, reply) => {
      const pref = preferenceOf(req);
      const scope = await scopeOf(req, contexts, req.body.length ? req.body : undefined);
      const isLd = (req.headers['content-type'] ?? '').startsWith('application/ld+json');
      // With JSON-LD each entity carries its own @context.
      const ctxs = isLd ? await Promise.all(req.body.map((b) => contexts.resolve(b && typeof b === 'object' && '@context' in b ? b['@context'] : undefined))) : undefined;
      const r = await batches.batchWrite(scope, op, req.body, { replace: !hasOption(req.query.options, 'update'), noOverwrite: hasOption(req.query.options, 'noOverwrite'), contexts: ctxs });
      return batchAnswer(reply, pref, scope, r, op);
    });
  }

  app.post('/entityOperations/merge', { config: write, schema: { body: EntityBatchBody, response: { 200: NgsiEntityList, 204: NoContent, 207: BatchReport, ...ngsiProblems } } }, async (req, reply) => {
    const pref = preferenceOf(req);
    const scope = await scopeOf(req, contexts, req.body.length ? req.body : undefined);
    return batchAnswer(reply, pref, scope, await batches.batchMerge(scope, req.body), 'merge');
  });

  app.post('/entityOperations/delete', { config: write, schema: { body: EntityIdBatchBody, response: { 204: NoContent, 207: BatchReport, ...ngsiProblems } } }, async (req, reply) => {
    const pref = preferenceOf(req);
    const scope = await scopeOf(req, contexts);
    return batchAnswer(reply, pref, scope, await batches.batchDelete(scope, req.body), 'delete');
  });

  app.post('/entityOperations/query', { config: read, schema: { querystring: QueryPageQuery, body: QueryBody, response: { 200: NgsiEntityList, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts, req.body);
    const params: EntityQueryParams = { ...paramsOfQueryBody(req.body), limit: req.query.limit, offset: req.query.offset, count: req.query.count };
    // §5.2.23: the Query's own output members (pick, omit, lang, join…); the query string's win where both are given.
    const b = req.body;
    if ('temporalQ' in b) throw ngsiProblem('BadRequestData', 'temporalQ is for temporal queries (/temporal/entityOperations/query)', { errors: [{ field: '/body/temporalQ', message: 'not a member of this query' }] });
    const list = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(',') : v);
    const { options, format } = req.query;
    const o = {
      attrs: params.attrs, options, format, pick: list(b.pick), omit: list(b.omit), lang: b.lang,
      datasetId: req.query.datasetId ?? list(b.datasetId), join: req.query.join ?? b.join, joinLevel: req.query.joinLevel ?? b.joinLevel,
      containedBy: req.query.containedBy ?? list(b.containedBy),
    };
    const snapshot = snapshotHeader(req);
    if (snapshots && snapshot) return fromSnapshot(reply, scope, snapshot, params, o, rep);
    // v1.8 §4.5.23 on the POST form too: checked before anything is read, then answered as GET /entities does.
    assertNarrow(params);
    const join = queries.joinOf(scope, o, params.q);
    const result = await queries.queryEntities(scope, params, o);
    if (result.count !== undefined) reply.header('NGSILD-Results-Count', String(result.count));
    const linked = join ? await queries.linked(scope, result.entities, join, o) : [];
    return sendNgsi(reply, 200, [...result.entities, ...linked], scope.ctx, rep);
  });

  // ---- types and attributes (§6.25–6.28) ----
  app.get('/types', { config: read, schema: { querystring: DetailsQuery, response: { 200: TypeListAnswer, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const types = await queries.entityTypes(scope);
    if (req.query.details) {
      // §5.2.25 EntityType: each type with the names of its attributes.
      const attrs = new Map((await queries.attributesOfTypes(scope)).map((t) => [t.type, t.attrs]));
      return sendNgsi(reply, 200, types.map((t) => ({ id: t.type, type: 'EntityType', typeName: t.type, attributeNames: attrs.get(t.type) ?? [] })), scope.ctx, rep);
    }
    return sendNgsi(reply, 200, { id: `urn:ngsi-ld:EntityTypeList:${Date.now()}`, type: 'EntityTypeList', typeList: types.map((t) => t.type) }, scope.ctx, rep);
  });

  app.get('/types/:type', { config: read, schema: { params: TypeNameParams, querystring: LocalQuery, response: { 200: TypeListAnswer, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const name = req.params.type;
    const [info] = await queries.attributesOfTypes(scope, name);
    if (!info) throw ngsiProblem('ResourceNotFound', `no entity of type ${name}`);
    const count = (await queries.entityTypes(scope)).find((t) => t.type === info.type)?.count ?? 0;
    return sendNgsi(reply, 200, { id: info.type, type: 'EntityTypeInfo', typeName: info.type, entityCount: count, attributeDetails: info.attrs.map((a) => ({ id: a, type: 'Attribute', attributeName: a })) }, scope.ctx, rep);
  });

  app.get('/attributes', { config: read, schema: { querystring: DetailsQuery, response: { 200: TypeListAnswer, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const all = await queries.attributesOfTypes(scope);
    const names = [...new Set(all.flatMap((t) => t.attrs))].sort();
    const body = req.query.details
      ? names.map((n) => attributeDetails(n, all))
      : { id: `urn:ngsi-ld:AttributeList:${Date.now()}`, type: 'AttributeList', attributeList: names };
    return sendNgsi(reply, 200, body, scope.ctx, rep);
  });

  app.get('/attributes/:attrId', { config: read, schema: { params: AttributeNameParams, querystring: LocalQuery, response: { 200: TypeListAnswer, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const all = await queries.attributesOfTypes(scope);
    const name = compactIri(scope.ctx, expandTerm(scope.ctx, req.params.attrId));
    if (!all.some((t) => t.attrs.includes(name))) throw ngsiProblem('ResourceNotFound', `no entity has an attribute ${req.params.attrId}`);
    return sendNgsi(reply, 200, attributeDetails(name, all), scope.ctx, rep);
  });
};
