import type { FastifyInstance } from 'fastify';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { moduleConfig, type Config } from '../platform/config/config.js';
import { ContextConfigSchema, type ContextConfig } from './config.js';
import { ContextResolver } from './jsonld-context.js';
import { EntityService } from './entity-service.js';
import { entityRoutes } from './routes.js';

export { contextMigrations } from './migrations.js';
export type { ContextConfig } from './config.js';
export { EntityService } from './entity-service.js';

/** The context layer's services, wired once (see `Services.context`). */
export interface ContextService {
  config: ContextConfig;
  contexts: ContextResolver;
  entities: EntityService;
  /** Background work: notification delivery, MQTT ingestion, retention, the demo simulator. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createContextService(db: Db, config: Config, clock: Clock): ContextService {
  const cfg = moduleConfig(config, 'context', ContextConfigSchema);
  const contexts = new ContextResolver({ extra: cfg.contexts, fetchRemote: cfg.fetchRemoteContexts, fetchTimeoutMs: cfg.remoteContextTimeoutMs });
  const entities = new EntityService(db, cfg, clock);
  return {
    config: cfg,
    contexts,
    entities,
    async start() {},
    async stop() {},
  };
}

/** Every NGSI-LD route, registered under /ngsi-ld/v1. */
export async function contextRoutes(app: FastifyInstance, opts: { context: ContextService }): Promise<void> {
  await app.register(entityRoutes, { entities: opts.context.entities, contexts: opts.context.contexts });
}
