import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, RoutePlugin } from '../platform/http/server.js';
import { negotiate, scopeOf, sendNgsi } from './http-support.js';
import { ngsiProblem } from './ngsi-errors.js';
import type { ContextResolver } from './jsonld-context.js';
import type { SnapshotService } from './snapshot-service.js';
import { NoContent, ngsiProblems } from './schemas.js';

const SnapshotParams = Type.Object({ snapshotId: Type.String() });
/** DELETE /snapshots (§6.36.3.2 purge): a q over Snapshot members. */
const PurgeQuery = Type.Object({ q: Type.Optional(Type.String()) });
const ListQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 0 })), offset: Type.Optional(Type.Integer({ minimum: 0 })) });
/** The body as sent: its members are checked against §5.2.41 by the service (naming the member at fault). */
const SnapshotBody = Type.Unknown();
const Details = Type.Array(Type.Object({ resultStatus: Type.String(), problemDetails: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }));
/** §5.2.41 Snapshot, the members CityHub keeps. */
const NgsiSnapshot = Type.Object({
  id: Type.String(),
  type: Type.String(),
  snapshotQueries: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
  snapshotTemporalQueries: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
  snapshotLifetime: Type.Optional(Type.String()),
  snapshotPriority: Type.Integer(),
  snapshotStatus: Type.String(),
  snapshotQueriesDetails: Type.Optional(Details),
  snapshotTemporalQueriesDetails: Type.Optional(Details),
  createdAt: Type.String(),
  modifiedAt: Type.String(),
  lastUsedAt: Type.String(),
  expiresAt: Type.String(),
});

/** The `NGSILD-Snapshot` header of a request (§6.3.22), if any. */
export const snapshotHeader = (request: FastifyRequest): string | undefined => {
  const h = request.headers['ngsild-snapshot'];
  return typeof h === 'string' && h.trim() !== '' ? h.trim() : undefined;
};

/** The routes answered from a snapshot's copy; the Snapshot resources themselves are never scoped by the header. */
const SCOPED = new Set(['GET /entities', 'GET /entities/:entityId', 'POST /entityOperations/query']);

/**
 * §6.3.22 for every NGSI-LD route: the header comes back on the response (errors included), and a request other
 * than the entity reads above that names a snapshot is refused (422 OperationNotSupported): answering it from the
 * live data, or writing into the frozen copy, would be wrong.
 */
export function registerSnapshotScope(app: App): void {
  app.addHook('preHandler', async (request) => {
    if (!snapshotHeader(request)) return;
    const path = (request.routeOptions.url ?? '').replace(/^.*?\/ngsi-ld\/v1/, '');
    if (SCOPED.has(`${request.method} ${path}`) || path.startsWith('/snapshots')) return;
    throw ngsiProblem('OperationNotSupported', 'NGSILD-Snapshot: only GET /entities, GET /entities/{entityId} and POST /entityOperations/query are answered from a snapshot here');
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const id = snapshotHeader(request);
    if (id) reply.header('NGSILD-Snapshot', id);
    return payload;
  });
}

/**
 * Snapshots (ETSI GS CIM 009 v1.9.1 §5.16; HTTP §6.36 /snapshots, §6.37 /snapshots/{id}, §6.38 …/clone) under
 * /ngsi-ld/v1: `context.snapshot.manage` for all of them; a snapshot is its creator's (snapshot-service.ts).
 */
export const snapshotRoutes = (snapshots: SnapshotService, contexts: ContextResolver): RoutePlugin => async (app) => {
  const manage = { access: 'context.snapshot.manage' as const };
  const created = (reply: FastifyReply, r: { location: string }) => reply.header('Location', r.location).code(201).send();

  app.post('/snapshots', { config: manage, schema: { body: SnapshotBody, response: { 201: NoContent, ...ngsiProblems } } }, async (req, reply) =>
    created(reply, await snapshots.create(await scopeOf(req, contexts, req.body), req.body)));
  app.get('/snapshots', { config: manage, schema: { querystring: ListQuery, response: { 200: Type.Array(NgsiSnapshot), ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    return sendNgsi(reply, 200, await snapshots.list(scope, req.query), scope.ctx, rep);
  });
  app.delete('/snapshots', { config: manage, schema: { querystring: PurgeQuery, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await snapshots.purge(await scopeOf(req, contexts), req.query.q);
    return reply.code(204).send();
  });
  app.get('/snapshots/:snapshotId', { config: manage, schema: { params: SnapshotParams, response: { 200: NgsiSnapshot, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    return sendNgsi(reply, 200, await snapshots.get(scope, req.params.snapshotId), scope.ctx, rep);
  });
  app.patch('/snapshots/:snapshotId', { config: manage, schema: { params: SnapshotParams, body: SnapshotBody, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await snapshots.update(await scopeOf(req, contexts, req.body), req.params.snapshotId, req.body);
    return reply.code(204).send();
  });
  app.delete('/snapshots/:snapshotId', { config: manage, schema: { params: SnapshotParams, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await snapshots.delete(await scopeOf(req, contexts), req.params.snapshotId);
    return reply.code(204).send();
  });
  app.post('/snapshots/:snapshotId/clone', { config: manage, schema: { params: SnapshotParams, body: SnapshotBody, response: { 201: NoContent, ...ngsiProblems } } }, async (req, reply) =>
    created(reply, await snapshots.clone(await scopeOf(req, contexts, req.body), req.params.snapshotId, req.body)));
};
