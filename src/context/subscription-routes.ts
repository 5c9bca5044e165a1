import type { RoutePlugin } from '../platform/http/server.js';
import { negotiate, scopeOf, sendNgsi, tenantOf } from './http-support.js';
import { ngsiProblem } from './ngsi-errors.js';
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
    // subscription's jsonldContext unless it gives one. Made once its @context has resolved (scopeOf). A list of
    // one URL is that URL: notifications name it in their Link header as it was given.
    const own = req.body['@context'];
    const oneUrl = typeof own === 'string' || (Array.isArray(own) && own.length === 1 && typeof own[0] === 'string');
    if (jsonld && own !== undefined && !oneUrl && req.body.jsonldContext === undefined) {
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
    const { limit = 100, offset = 0, count } = req.query;
    if (limit === 0 && !count) throw ngsiProblem('BadRequestData', 'limit=0 asks only for the count: it needs count=true', { errors: [{ field: 'limit', message: 'must be at least 1 without count=true' }] });
    const { items, total } = await subscriptions.list(scope, limit, offset);
    if (count) reply.header('NGSILD-Results-Count', String(total));
    const links = pageLinks('/ngsi-ld/v1/subscriptions', limit, offset, total, rep === 'ld' ? 'application/ld+json' : 'application/json');
    if (links.length > 0) reply.header('Link', links);
    return sendNgsi(reply, 200, items, scope.ctx, rep);
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

/**
 * §6.3.13 pagination: the `prev` and `next` pages as Link header values
 * (`</ngsi-ld/v1/subscriptions?limit=1&offset=2>;rel="next";type="application/json"`), each only when it exists.
 */
export function pageLinks(path: string, limit: number, offset: number, total: number, type: string): string[] {
  if (limit === 0) return [];
  const link = (at: number, rel: string) => `<${path}?limit=${limit}&offset=${at}>;rel="${rel}";type="${type}"`;
  return [
    ...(offset > 0 ? [link(Math.max(0, offset - limit), 'prev')] : []),
    ...(offset + limit < total ? [link(offset + limit, 'next')] : []),
  ];
}
