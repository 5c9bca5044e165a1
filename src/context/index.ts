import type { FastifyInstance } from 'fastify';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { moduleConfig, type Config } from '../platform/config/config.js';
import { ContextConfigSchema, type ContextConfig } from './config.js';
import { ContextResolver } from './jsonld-context.js';
import { EntityService } from './entity-service.js';
import { TemporalService } from './temporal-service.js';
import { SubscriptionService } from './subscription-service.js';
import { NotificationDispatcher } from './notification-dispatcher.js';
import { MqttIngest } from './mqtt-ingest.js';
import { purgeHistoryBefore, rollUpHistory } from './history-store.js';
import { purgeDelivered } from './subscription-store.js';
import { DemoSimulator } from './demo-simulator.js';
import { entityRoutes } from './routes.js';
import { temporalRoutes } from './temporal-routes.js';
import { subscriptionRoutes } from './subscription-routes.js';
import { accessRoutes, AccessRuleService } from './access-rules.js';

export { contextMigrations } from './migrations.js';
export type { ContextConfig } from './config.js';
export { EntityService } from './entity-service.js';
export { seedContextDemo } from './demo-seed.js';

/** The context layer's services, wired once (see `Services.context`). */
export interface ContextService {
  config: ContextConfig;
  contexts: ContextResolver;
  entities: EntityService;
  temporal: TemporalService;
  subscriptions: SubscriptionService;
  accessRules: AccessRuleService;
  dispatcher: NotificationDispatcher;
  ingest: MqttIngest;
  simulator: DemoSimulator;
  /** Background work: notification delivery, MQTT ingestion, retention, the demo simulator. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ContextServiceOptions {
  log?: (message: string) => void;
  /** Records access-rule grants and revocations. */
  ledger?: Ledger;
}

export function createContextService(db: Db, config: Config, clock: Clock, options: ContextServiceOptions = {}): ContextService {
  const cfg = moduleConfig(config, 'context', ContextConfigSchema);
  const log = options.log ?? ((m: string) => console.log(`[context] ${m}`));
  const contexts = new ContextResolver({ extra: cfg.contexts, fetchRemote: cfg.fetchRemoteContexts, fetchTimeoutMs: cfg.remoteContextTimeoutMs });
  const entities = new EntityService(db, cfg, clock);
  const subscriptions = new SubscriptionService(db, clock, contexts, entities);
  entities.setListener(subscriptions);
  const temporal = new TemporalService(db, cfg, entities);
  const dispatcher = new NotificationDispatcher(db, cfg.notifications, clock, log);
  const ingest = new MqttIngest(cfg.mqtt, entities, contexts, log);
  const simulator = new DemoSimulator(entities, contexts, cfg.simulator, clock, log);
  const accessRules = new AccessRuleService(db, entities, contexts, options.ledger);
  let retention: NodeJS.Timeout | undefined;
  let rollup: NodeJS.Timeout | undefined;
  let rolling: Promise<void> | undefined;
  return {
    config: cfg, contexts, entities, temporal, subscriptions, accessRules, dispatcher, ingest, simulator,
    async start() {
      dispatcher.start();
      try {
        await ingest.start();
      } catch (err) {
        log(`MQTT ingestion not started: ${(err as Error).message}`);
      }
      simulator.start();
      const purge = async () => {
        const now = clock();
        if (cfg.temporal.retentionDays > 0) await purgeHistoryBefore(db, new Date(now.getTime() - cfg.temporal.retentionDays * 86_400_000));
        await purgeDelivered(db, new Date(now.getTime() - 86_400_000));
      };
      retention = setInterval(() => void purge().catch((err) => log(`retention failed: ${(err as Error).message}`)), cfg.temporal.retentionIntervalSeconds * 1000);
      retention.unref();
      // History is written without touching the hourly rollup (cheaper writes); this folds it in behind.
      const rollUp = async () => {
        while (rollup && (await rollUpHistory(db)) > 0);
      };
      const tickRollup = () => {
        rollup = setTimeout(() => {
          rolling = rollUp().catch((err) => log(`history rollup failed: ${(err as Error).message}`)).finally(() => {
            if (rollup) tickRollup();
          });
        }, cfg.temporal.rollupIntervalSeconds * 1000);
        rollup.unref();
      };
      tickRollup();
    },
    async stop() {
      if (retention) clearInterval(retention);
      if (rollup) clearTimeout(rollup);
      rollup = undefined;
      await rolling;
      simulator.stop();
      await ingest.stop();
      await dispatcher.stop();
    },
  };
}

/** Every NGSI-LD route, registered under /ngsi-ld/v1. */
export async function contextRoutes(app: FastifyInstance, opts: { context: ContextService }): Promise<void> {
  const { context } = opts;
  await app.register(entityRoutes, { entities: context.entities, contexts: context.contexts });
  await app.register(temporalRoutes, { temporal: context.temporal, contexts: context.contexts });
  await app.register(subscriptionRoutes, { subscriptions: context.subscriptions, contexts: context.contexts });
  await app.register(accessRoutes, { rules: context.accessRules, contexts: context.contexts });
}
