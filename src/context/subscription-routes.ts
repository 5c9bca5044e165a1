import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ngsiProblem } from './ngsi-errors.js';
import { negotiate, registerNgsiErrors, registerNgsiParsers, scopeOf, sendNgsi, tenantOf } from './http-support.js';
import type { ContextResolver } from './jsonld-context.js';
import type { SubscriptionService } from './subscription-service.js';

const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer() }, { additionalProperties: true });
const problems = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 406: Problem, 409: Problem, 415: Problem, 503: Problem };
const Sub = Type.Object({}, { additionalProperties: true });
const Id = Type.Object({ subscriptionId: Type.String() });
const access = { access: 'context.subscription.manage' as const };

const objectBody = (body: unknown): Record<string, unknown> => {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw ngsiProblem('BadRequestData', 'the body must be a JSON object');
  return body as Record<string, unknown>;
};

/** Subscriptions (§6.10–6.11) under /ngsi-ld/v1/subscriptions. */
export async function subscriptionRoutes(app: FastifyInstance, opts: { subscriptions: SubscriptionService; contexts: ContextResolver }): Promise<void> {
  const { subscriptions, contexts } = opts;
  registerNgsiParsers(app);
  registerNgsiErrors(app);
  app.post('/subscriptions', { config: access, schema: { body: Type.Unknown(), response: { 201: Type.Null(), ...problems } } }, async (req, reply) => {
    const id = await subscriptions.create(await scopeOf(req, contexts, req.body), objectBody(req.body));
    if (tenantOf(req)) reply.header('NGSILD-Tenant', tenantOf(req)!);
    return reply.code(201).header('Location', `/ngsi-ld/v1/subscriptions/${encodeURIComponent(id)}`).send();
  });
  app.get('/subscriptions', { config: access, schema: { querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })), offset: Type.Optional(Type.Integer({ minimum: 0 })) }), response: { 200: Type.Array(Sub), ...problems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const q = req.query as { limit?: number; offset?: number };
    return sendNgsi(reply, 200, await subscriptions.list(scope, q.limit ?? 100, q.offset ?? 0), scope.ctx, rep);
  });
  app.get('/subscriptions/:subscriptionId', { config: access, schema: { params: Id, response: { 200: Sub, ...problems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    return sendNgsi(reply, 200, await subscriptions.get(scope, (req.params as { subscriptionId: string }).subscriptionId), scope.ctx, rep);
  });
  app.patch('/subscriptions/:subscriptionId', { config: access, schema: { params: Id, body: Type.Unknown(), response: { 204: Type.Null(), ...problems } } }, async (req, reply) => {
    await subscriptions.update(await scopeOf(req, contexts, req.body), (req.params as { subscriptionId: string }).subscriptionId, objectBody(req.body));
    return reply.code(204).send();
  });
  app.delete('/subscriptions/:subscriptionId', { config: access, schema: { params: Id, response: { 204: Type.Null(), ...problems } } }, async (req, reply) => {
    await subscriptions.delete(await scopeOf(req, contexts), (req.params as { subscriptionId: string }).subscriptionId);
    return reply.code(204).send();
  });
}
