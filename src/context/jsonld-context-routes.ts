import type { FastifyRequest } from 'fastify';
import type { RoutePlugin } from '../platform/http/server.js';
import { negotiate } from './http-support.js';
import type { JsonldContextService } from './jsonld-context-service.js';
import { ContextIdParams, ContextListQuery as ListQuery, ContextReloadQuery as DeleteQuery, DetailsQuery as GetQuery, JsonObjectBody, NoContent, TypeListAnswer, ngsiProblems } from './schemas.js';

/** The address the client used (hosted context URLs are given under it). */
export const baseOf = (req: FastifyRequest) => `${req.protocol}://${req.host}`;

/** The @context API (§6.29–6.30) under /ngsi-ld/v1/jsonldContexts. */
export const jsonldContextRoutes = (service: JsonldContextService): RoutePlugin => async (app) => {
  const read = { access: 'context.entity.read' as const };
  const write = { access: 'context.entity.write' as const };
  app.get('/jsonldContexts', { config: read, schema: { querystring: ListQuery, response: { 200: TypeListAnswer, ...ngsiProblems } } }, async (req, reply) => {
    negotiate(req, false);
    return reply.type('application/json').send(JSON.stringify(await service.list(req.actor, baseOf(req), req.query)));
  });
  app.get('/jsonldContexts/:contextId', { config: read, schema: { params: ContextIdParams, querystring: GetQuery, response: { 200: TypeListAnswer, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const body = await service.get(req.actor, baseOf(req), req.params.contextId, req.query.details ?? false);
    return reply.type(rep === 'ld' && !req.query.details ? 'application/ld+json' : 'application/json').send(JSON.stringify(body));
  });
  app.post('/jsonldContexts', { config: write, schema: { body: JsonObjectBody, response: { 201: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    const r = await service.add(req.actor, baseOf(req), req.body);
    reply.header('Location', `/ngsi-ld/v1/jsonldContexts/${encodeURIComponent(r.id)}`);
    return reply.code(201).send();
  });
  app.delete('/jsonldContexts/:contextId', { config: write, schema: { params: ContextIdParams, querystring: DeleteQuery, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await service.remove(req.actor, req.params.contextId, req.query.reload ?? false);
    return reply.code(204).send();
  });
};
