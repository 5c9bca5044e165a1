import type { RoutePlugin } from '../platform/http/server.js';
import { negotiate, scopeOf, sendNgsi, tenantOf } from './http-support.js';
import type { ContextResolver } from './jsonld-context.js';
import type { JsonldContextService } from './jsonld-context-service.js';
import { baseOf } from './jsonld-context-routes.js';
import type { SubscriptionService } from './subscription-service.js';
import { JsonObjectBody, NgsiSubscription, NgsiSubscriptionList, NoContent, SubscriptionIdParams, SubscriptionListQuery, ngsiProblems } from './schemas.js';

/** Subscriptions (§6.10–6.11) under /ngsi-ld/v1/subscriptions. */
export const subscriptionRoutes = (subscriptions: SubscriptionService, contexts: ContextResolver, jsonld?: JsonldContextService): RoutePlugin => async (app) => {
  const config = { access: 'context.subscription.manage' as const };
  app.post('/subscriptions', { config, schema: { body: JsonObjectBody, response: { 201: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    const scope = await scopeOf(req, contexts, req.body);
    // A body @context that is a list or an object becomes an ImplicitlyCreated context (§5.13), named by the
    // subscription's jsonldContext unless it gives one. Made once its @context has resolved (scopeOf).
    const own = req.body['@context'];
    if (jsonld && own !== undefined && typeof own !== 'string' && req.body.jsonldContext === undefined) {
      req.body.jsonldContext = await jsonld.implicit(baseOf(req), own);
    }
    const id = await subscriptions.create(scope, req.body);
    const tenant = tenantOf(req);
    if (tenant) reply.header('NGSILD-Tenant', tenant);
    reply.header('Location', `/ngsi-ld/v1/subscriptions/${encodeURIComponent(id)}`);
    return reply.code(201).send();
  });
  app.get('/subscriptions', { config, schema: { querystring: SubscriptionListQuery, response: { 200: NgsiSubscriptionList, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    return sendNgsi(reply, 200, await subscriptions.list(scope, req.query.limit ?? 100, req.query.offset ?? 0), scope.ctx, rep);
  });
  app.get('/subscriptions/:subscriptionId', { config, schema: { params: SubscriptionIdParams, response: { 200: NgsiSubscription, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    return sendNgsi(reply, 200, await subscriptions.get(scope, req.params.subscriptionId), scope.ctx, rep);
  });
  app.patch('/subscriptions/:subscriptionId', { config, schema: { params: SubscriptionIdParams, body: JsonObjectBody, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await subscriptions.update(await scopeOf(req, contexts, req.body), req.params.subscriptionId, req.body);
    return reply.code(204).send();
  });
  app.delete('/subscriptions/:subscriptionId', { config, schema: { params: SubscriptionIdParams, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await subscriptions.delete(await scopeOf(req, contexts), req.params.subscriptionId);
    return reply.code(204).send();
  });
};
