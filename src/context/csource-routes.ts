import type { RoutePlugin } from '../platform/http/server.js';
import { negotiate, scopeOf, sendNgsi, tenantOf } from './http-support.js';
import type { ContextResolver } from './jsonld-context.js';
import type { JsonldContextService } from './jsonld-context-service.js';
import { baseOf } from './jsonld-context-routes.js';
import type { CsourceRegistry } from './csource-service.js';
import type { CsourceSubscriptionService } from './csource-subscription-service.js';
import type { RemoteSubscriptions } from './csource-remote-subscriptions.js';
import { NoContent, ngsiProblems } from './schemas.js';
import {
  CsourceQuery, CsourceSubscriptionIdParams, CsourceSubscriptionListQuery, JsonObjectBody, NgsiRegistration, NgsiRegistrationList,
  RegistrationIdParams, RemoteNotificationParams,
} from './csource-schemas.js';

export interface CsourceRoutesDeps {
  registry: CsourceRegistry;
  csourceSubscriptions: CsourceSubscriptionService;
  remote: RemoteSubscriptions;
  contexts: ContextResolver;
  /** Makes the ImplicitlyCreated @context of a registration made with a list or object @context (§5.13). */
  jsonld?: JsonldContextService;
}

/**
 * Context sources (§6.8–6.9 registrations, §6.11–6.12 subscriptions to registrations) and the endpoint where
 * sources notify the subscriptions made there on behalf of local ones, under /ngsi-ld/v1.
 */
export const csourceRoutes = ({ registry, csourceSubscriptions, remote, contexts, jsonld }: CsourceRoutesDeps): RoutePlugin => async (app) => {
  const read = { access: 'context.csource.read' as const };
  const manage = { access: 'context.csource.manage' as const };
  const subscribe = { access: 'context.csource.subscribe' as const };
  const created = (reply: import('fastify').FastifyReply, tenant: string | undefined, location: string) => {
    if (tenant) reply.header('NGSILD-Tenant', tenant);
    reply.header('Location', location);
    return reply.code(201).send();
  };

  /** §5.13.1: a registration whose @context is a list or an object gets an ImplicitlyCreated context (once written). */
  const implicit = async (req: import('fastify').FastifyRequest, body: JsonObjectBody) => {
    const own = body['@context'];
    if (jsonld && own !== undefined && own !== null && typeof own !== 'string') await jsonld.implicit(baseOf(req), own);
  };

  app.post('/csourceRegistrations', { config: manage, schema: { body: JsonObjectBody, response: { 201: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    const id = await registry.create(await scopeOf(req, contexts, req.body), req.body);
    await implicit(req, req.body);
    return created(reply, tenantOf(req), `/ngsi-ld/v1/csourceRegistrations/${encodeURIComponent(id)}`);
  });
  app.get('/csourceRegistrations', { config: read, schema: { querystring: CsourceQuery, response: { 200: NgsiRegistrationList, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    const { items, count } = await registry.query(scope, req.query);
    if (req.query.count) reply.header('NGSILD-Results-Count', String(count));
    return sendNgsi(reply, 200, items, scope.ctx, rep);
  });
  app.get('/csourceRegistrations/:registrationId', { config: read, schema: { params: RegistrationIdParams, response: { 200: NgsiRegistration, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    return sendNgsi(reply, 200, await registry.get(scope, req.params.registrationId), scope.ctx, rep);
  });
  app.patch('/csourceRegistrations/:registrationId', { config: manage, schema: { params: RegistrationIdParams, body: JsonObjectBody, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await registry.update(await scopeOf(req, contexts, req.body), req.params.registrationId, req.body);
    await implicit(req, req.body);
    return reply.code(204).send();
  });
  app.delete('/csourceRegistrations/:registrationId', { config: manage, schema: { params: RegistrationIdParams, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await registry.delete(await scopeOf(req, contexts), req.params.registrationId);
    return reply.code(204).send();
  });

  app.post('/csourceSubscriptions', { config: subscribe, schema: { body: JsonObjectBody, response: { 201: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    const id = await csourceSubscriptions.create(await scopeOf(req, contexts, req.body), req.body);
    return created(reply, tenantOf(req), `/ngsi-ld/v1/csourceSubscriptions/${encodeURIComponent(id)}`);
  });
  app.get('/csourceSubscriptions', { config: subscribe, schema: { querystring: CsourceSubscriptionListQuery, response: { 200: NgsiRegistrationList, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    return sendNgsi(reply, 200, await csourceSubscriptions.list(scope, req.query.limit ?? 100, req.query.offset ?? 0), scope.ctx, rep);
  });
  app.get('/csourceSubscriptions/:subscriptionId', { config: subscribe, schema: { params: CsourceSubscriptionIdParams, response: { 200: NgsiRegistration, ...ngsiProblems } } }, async (req, reply) => {
    const rep = negotiate(req, false);
    const scope = await scopeOf(req, contexts);
    return sendNgsi(reply, 200, await csourceSubscriptions.get(scope, req.params.subscriptionId), scope.ctx, rep);
  });
  app.patch('/csourceSubscriptions/:subscriptionId', { config: subscribe, schema: { params: CsourceSubscriptionIdParams, body: JsonObjectBody, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await csourceSubscriptions.update(await scopeOf(req, contexts, req.body), req.params.subscriptionId, req.body);
    return reply.code(204).send();
  });
  app.delete('/csourceSubscriptions/:subscriptionId', { config: subscribe, schema: { params: CsourceSubscriptionIdParams, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await csourceSubscriptions.delete(await scopeOf(req, contexts), req.params.subscriptionId);
    return reply.code(204).send();
  });

  // A source's notification for a subscription made there on a local one's behalf: the unguessable token in the
  // path is the credential (only its SHA-256 is stored), as a webhook's secret URL.
  app.post('/cityhub/csourceNotifications/:token', { config: { access: 'public' }, schema: { params: RemoteNotificationParams, body: JsonObjectBody, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await remote.receive(req.params.token, req.body);
    return reply.code(204).send();
  });
};
