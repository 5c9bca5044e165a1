import { defineModule, type JobSpec } from '../platform/module/module.js';
import type { RoutePlugin } from '../platform/http/server.js';
import { ContextConfigSchema, type ContextConfig } from './config.js';
import { contextMigrations } from './migrations.js';
import { contextProblems } from './problems.js';
import { contextPermissions } from './permissions.js';
import { ContextResolver } from './jsonld-context.js';
import { TenantService } from './tenant-service.js';
import { AccessRuleService } from './access-service.js';
import { EntityWriter } from './entity-writer.js';
import { EntityService } from './entity-service.js';
import { AttributeService } from './attribute-service.js';
import { EntityQueryService } from './entity-query-service.js';
import { EntityBatchService } from './entity-batch-service.js';
import { TemporalService } from './temporal-service.js';
import { TemporalWriteService } from './temporal-write-service.js';
import { SubscriptionService } from './subscription-service.js';
import { NotificationDispatcher } from './notification-dispatcher.js';
import { MqttIngest } from './mqtt-ingest.js';
import { DemoSimulator } from './demo-simulator.js';
import { ensureHistoryPartitions, purgeHistoryBefore, rollUpBacklog } from './history-store.js';
import { outboxLagSeconds, pendingCount, purgeDelivered } from './subscription-store.js';
import { registerMethodNotAllowed, registerNgsiConventions, registerNgsiErrors, registerNgsiParsers } from './http-support.js';
import { entityRoutes } from './entity-routes.js';
import { temporalRoutes } from './temporal-routes.js';
import { subscriptionRoutes } from './subscription-routes.js';
import { accessRoutes } from './access-routes.js';
import { infoRoutes } from './info-routes.js';
import { JsonldContextService } from './jsonld-context-service.js';
import { jsonldContextRoutes } from './jsonld-context-routes.js';
import { csourceMigrations } from './csource-migrations.js';
import { csourceProblems } from './csource-problems.js';
import { csourcePermissions } from './csource-permissions.js';
import { FederatedAttributeService, FederatedEntityService, FederatedQueryService } from './csource-federation.js';
import { FederatedSubscriptionService } from './csource-remote-subscriptions.js';
import { FederatedBatchService } from './csource-batch.js';
import { FederatedTemporalService, FederatedTemporalWriteService } from './csource-temporal.js';
import { createCsources, type CsourceServices } from './csources.js';
import { snapshotMigrations } from './snapshot-migrations.js';
import { SnapshotService } from './snapshot-service.js';
import { registerSnapshotScope, snapshotRoutes } from './snapshot-routes.js';

export type { ContextConfig } from './config.js';
export { seedContextDemo } from './demo-seed.js';

/** The context layer's services (`hub.services.context`), wired once by `contextModule`. */
export interface ContextServices {
  config: ContextConfig;
  /** JSON-LD @context resolution (known contexts, optionally remote ones). */
  contexts: ContextResolver;
  /** The @context API: hosted and cached contexts. */
  jsonldContexts: JsonldContextService;
  tenants: TenantService;
  /** Whole entities: create, replace, merge, delete. */
  entities: EntityService;
  /** The attributes of one entity. */
  attributes: AttributeService;
  /** Reading entities: one, queries, types and attributes. */
  queries: EntityQueryService;
  /** /entityOperations/*: batch create, upsert, update, delete. */
  batches: EntityBatchService;
  temporal: TemporalService;
  /** Temporal writes: attribute instances added to, changed in and removed from the history. */
  temporalWrites: TemporalWriteService;
  subscriptions: SubscriptionService;
  /** Per-organisation access rules and the policy they give. */
  accessRules: AccessRuleService;
  /** Context-source registrations, their subscriptions and distributed operations. */
  csources: CsourceServices;
  /** Snapshots (v1.9 §5.16): frozen copies of what queries select. */
  snapshots: SnapshotService;
  /** Delivers the notifications subscriptions queue (running between start and stop). */
  dispatcher: NotificationDispatcher;
  /** MQTT ingestion (running between start and stop). */
  ingest: MqttIngest;
  /** Keeps the demo city's entities changing (running between start and stop when enabled). */
  simulator: DemoSimulator;
}

declare module '../platform/module/module.js' {
  interface ModuleServices {
    context: ContextServices;
  }
}

/**
 * The context layer (NGSI-LD, docs/context.md) under /ngsi-ld/v1: entities, temporal history, subscriptions
 * with their notifications, MQTT ingestion and per-organisation access rules.
 */
export const contextModule = defineModule({
  name: 'context',
  config: ContextConfigSchema,
  migrations: { ...contextMigrations, ...csourceMigrations, ...snapshotMigrations },
  problems: { ...contextProblems, ...csourceProblems },
  permissions: { ...contextPermissions, ...csourcePermissions },
  requires: [],
  create(platform, config) {
    const { db, clock, ledger, log, outbound } = platform;
    const contexts = new ContextResolver({ extra: config.contexts, fetchRemote: config.fetchRemoteContexts, fetchTimeoutMs: config.remoteContextTimeoutMs, outbound });
    const jsonldContexts = new JsonldContextService(db, contexts, config.maxHostedContexts);
    const tenants = new TenantService(db);
    const accessRules = new AccessRuleService(db, tenants, ledger);
    const writer = new EntityWriter(db, clock, tenants, accessRules);
    const entities = new FederatedEntityService(db, clock, tenants, accessRules, writer);
    const attributes = new FederatedAttributeService(clock, writer);
    const queries = new FederatedQueryService(db, config, tenants, accessRules);
    const batches = new FederatedBatchService(db, config, clock, tenants, accessRules, writer);
    const subscriptions = new FederatedSubscriptionService(db, clock, contexts, tenants, accessRules, config, outbound, log, ledger);
    writer.setListener(subscriptions);
    const temporal = new FederatedTemporalService(db, config, tenants, accessRules, queries, platform.database.reader);
    const temporalWrites = new FederatedTemporalWriteService(db, clock, tenants, accessRules, writer);
    const csources = createCsources({ db, clock, config, contexts, tenants, access: accessRules, outbound, log, queries, entities, attributes, batches, temporal, temporalWrites, subscriptions, jsonld: jsonldContexts });
    const snapshots = new SnapshotService(db, clock, tenants, queries, accessRules, config);
    const dispatcher = new NotificationDispatcher(db, config.notifications, clock, log, outbound, platform.events);
    subscriptions.whenQueued(() => dispatcher.signalQueued());
    const ingest = new MqttIngest(config.mqtt, batches, contexts, platform.auth, log, platform.nodeId);
    const simulator = new DemoSimulator(queries, batches, contexts, config.simulator, clock, log);

    // History is written without touching the hourly rollup (cheaper writes); this folds it in behind.
    let stopped = false;
    let rolling: Promise<void> | undefined;
    const rollUp = async () => {
      await rollUpBacklog(db, () => stopped);
    };
    const jobs: JobSpec[] = [
      {
        name: 'retention',
        intervalSeconds: config.temporal.retentionIntervalSeconds,
        async run() {
          const now = clock();
          const made = await ensureHistoryPartitions(db, now, config.temporal.partitionMonthsAhead);
          if (made.length > 0) log.info({ partitions: made }, 'context history: partitions created ahead');
          if (config.temporal.retentionDays > 0) {
            const purged = await purgeHistoryBefore(db, new Date(now.getTime() - config.temporal.retentionDays * 86_400_000));
            // Dropping a month is not undoable: say which and how many rows, every time.
            if (purged.dropped.length > 0) log.warn({ dropped: purged.dropped, retentionDays: config.temporal.retentionDays }, 'context history: months past retention dropped');
          }
          await purgeDelivered(db, new Date(now.getTime() - 86_400_000));
        },
      },
      { name: 'history-rollup', intervalSeconds: config.temporal.rollupIntervalSeconds, run: () => (rolling = rollUp()) },
      // v1.9 expiresAt: what has expired is deleted by one node a period, a page of maxLimit entities at a time.
      { name: 'entity-expiry', intervalSeconds: config.expiryIntervalSeconds, run: async () => {
        while (!stopped && (await entities.expire(config.maxLimit)) === config.maxLimit);
      } },
      // Periodic (timeInterval) subscriptions: their notifications are due on time, not on change. Every node
      // runs it: each subscription's period is claimed on its own row (claimPeriod), finer than one node a tick.
      { name: 'subscription-intervals', intervalSeconds: config.notifications.pollMs / 1000, everyNode: true, run: async () => {
        await subscriptions.notifyPeriodic(clock());
        await csources.subscriptions.notifyPeriodic(clock());
      } },
    ];

    // One plugin for the whole API: NGSI-LD's body types and problem types apply to every route under it.
    const ngsiRoutes: RoutePlugin = async (app) => {
      registerNgsiParsers(app);
      registerNgsiErrors(app);
      registerMethodNotAllowed(app);
      app.addHook('onRequest', csources.track);
      app.addHook('onSend', csources.warnings);
      registerNgsiConventions(app, { fiwareService: config.fiwareServiceAsTenant });
      registerSnapshotScope(app);
      await app.register(entityRoutes({ entities, attributes, queries, batches, contexts, entityMaps: csources.entityMaps, snapshots }));
      await app.register(temporalRoutes(temporal, temporalWrites, contexts, csources.entityMaps));
      await app.register(subscriptionRoutes(subscriptions, contexts, jsonldContexts));
      await app.register(accessRoutes(accessRules, contexts));
      await app.register(jsonldContextRoutes(jsonldContexts));
      await app.register(infoRoutes(contexts, clock, 'CityHub'));
      await app.register(csources.routes);
      await app.register(snapshotRoutes(snapshots, contexts));
    };

    return {
      services: { config, contexts, jsonldContexts, tenants, entities, attributes, queries, batches, temporal, temporalWrites, subscriptions, accessRules, csources, snapshots, dispatcher, ingest, simulator },
      routes: [{ prefix: '/ngsi-ld/v1', plugin: ngsiRoutes }],
      jobs,
      gauges: async () => [
        { name: 'cityhub_context_outbox_pending', help: 'NGSI-LD notifications queued and not yet delivered (all nodes).', value: await pendingCount(db) },
        { name: 'cityhub_context_outbox_lag_seconds', help: 'How long the oldest notification due has waited.', value: await outboxLagSeconds(db, clock()) },
        { name: 'cityhub_context_notifications_in_flight', help: 'Notifications this node is sending now.', value: dispatcher.inFlightCount },
        { name: 'cityhub_context_mqtt_applied', help: 'Device messages this node has ingested since it started.', value: ingest.stats.applied },
      ],
      async start() {
        stopped = false;
        dispatcher.start();
        try {
          await ingest.start();
        } catch (err) {
          log.warn({ err }, 'MQTT ingestion not started');
        }
        simulator.start();
      },
      async stop() {
        stopped = true;
        // A rollup still running ends after its current step; its failure was reported by the job runner.
        await rolling?.catch(() => undefined);
        simulator.stop();
        await ingest.stop();
        await dispatcher.stop();
      },
    };
  },
});

export { contextMigrations };
