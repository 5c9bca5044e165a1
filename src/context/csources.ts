import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Logger } from 'pino';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { OutboundPolicy } from '../platform/net/outbound.js';
import type { RoutePlugin } from '../platform/http/server.js';
import { CsourceRegistry } from './csource-service.js';
import { CsourceSubscriptionService } from './csource-subscription-service.js';
import { CsourceForwarder, forwardingState } from './csource-forwarder.js';
import { Federation, type FederatedAttributeService, type FederatedEntityService, type FederatedQueryService } from './csource-federation.js';
import { RemoteSubscriptions, type FederatedSubscriptionService } from './csource-remote-subscriptions.js';
import type { FederatedBatchService } from './csource-batch.js';
import type { FederatedTemporalService, FederatedTemporalWriteService } from './csource-temporal.js';
import { csourceRoutes } from './csource-routes.js';
import { EntityMapService } from './entity-map-service.js';
import { entityMapRoutes } from './entity-map-routes.js';
import type { ContextResolver } from './jsonld-context.js';
import type { JsonldContextService } from './jsonld-context-service.js';
import type { TenantService } from './tenant-service.js';
import type { AccessRuleService } from './access-service.js';
import type { ContextConfig } from './config.js';

/** Context sources and distributed operations (`hub.services.context.csources`). */
export interface CsourceServices {
  registry: CsourceRegistry;
  subscriptions: CsourceSubscriptionService;
  forwarder: CsourceForwarder;
  remote: RemoteSubscriptions;
  /** Entity maps (§5.14): a query's ids here and at the sources, kept for paging. */
  entityMaps: EntityMapService;
  /** /csourceRegistrations, /csourceSubscriptions, the sources' notification endpoint and /entityMaps. */
  routes: RoutePlugin;
  /**
   * The NGSI-LD plugin's `onRequest` hook: keeps the request's `Via` (and its warnings) for the forwarder.
   */
  track(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void;
  /** The NGSI-LD plugin's `onSend` hook: the failed sources as `NGSILD-Warning` (§6.3.17). */
  warnings(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown>;
}

export interface CsourceDeps {
  db: Db;
  clock: Clock;
  config: ContextConfig;
  contexts: ContextResolver;
  tenants: TenantService;
  access: AccessRuleService;
  outbound: OutboundPolicy;
  log: Logger;
  /** The module's entity services, made as their federated kinds; forwarding is switched on here. */
  queries: FederatedQueryService;
  entities: FederatedEntityService;
  attributes: FederatedAttributeService;
  batches: FederatedBatchService;
  temporal: FederatedTemporalService;
  temporalWrites: FederatedTemporalWriteService;
  subscriptions: FederatedSubscriptionService;
  /** Hosts the ImplicitlyCreated @contexts of registrations (§5.13). */
  jsonld?: JsonldContextService;
}

/**
 * Wires the context-source registry, the forwarder and the federated entity services (index.ts calls this once).
 *
 * @example const csources = createCsources({ db, clock, config, contexts, tenants, access, outbound, log, queries, entities, attributes, batches, temporal, temporalWrites, subscriptions });
 */
export function createCsources(d: CsourceDeps): CsourceServices {
  const registry = new CsourceRegistry(d.db, d.clock, d.tenants, d.access, d.config, d.outbound, d.log, d.contexts);
  const subscriptions = new CsourceSubscriptionService(d.db, d.clock, d.contexts, d.tenants, d.config, d.outbound);
  registry.setListener(subscriptions);
  const forwarder = new CsourceForwarder(d.config.csources, d.outbound, d.log, d.contexts);
  const federation = new Federation(registry, forwarder, d.access, async (tenant, id) => (await d.queries.findStored(tenant, [id]))[0]?.types);
  const remote = new RemoteSubscriptions(d.db, d.clock, federation, d.contexts, d.config.csources.selfUrl, d.log);
  d.queries.federate(federation, d.config);
  d.entities.federate(federation);
  d.attributes.federate(federation);
  d.batches.federate(federation);
  d.temporal.federate(federation, d.config.defaultLimit);
  d.temporalWrites.federate(federation);
  d.subscriptions.federate(remote);
  const entityMaps = new EntityMapService(d.db, d.clock, d.tenants, d.queries, d.config, d.temporal);
  entityMaps.federate(federation);
  registry.onCreated((scope, reg) => remote.subscribeExisting(scope, reg));
  return {
    registry, subscriptions, forwarder, remote, entityMaps,
    async routes(app) {
      await app.register(csourceRoutes({ registry, csourceSubscriptions: subscriptions, remote, contexts: d.contexts, jsonld: d.jsonld }));
      await app.register(entityMapRoutes(entityMaps, d.contexts));
    },
    track(request, _reply, done) {
      const via = request.headers.via;
      forwardingState.run({ via: typeof via === 'string' ? via : undefined, warnings: [] }, done);
    },
    async warnings(_request, reply, payload) {
      // §6.3.17: each failed source as a warning (its code, this broker as the agent).
      const warnings = forwardingState.getStore()?.warnings ?? [];
      if (warnings.length > 0) reply.header('NGSILD-Warning', warnings.map((w) => `${w.code} ${forwarder.brokerId} "${w.text}"`).join(', '));
      return payload;
    },
  };
}
