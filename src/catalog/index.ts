import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { moduleConfig, type Config } from '../platform/config/config.js';
import { CatalogConfigSchema, type CatalogConfig } from './config.js';
import { CatalogService } from './catalog-service.js';
import { DataService } from './data-service.js';
import { SharingService } from './sharing-service.js';
import { GatewayService } from './gateway-service.js';
import { UsageService } from './usage-service.js';
import { OrgDirectory, type OrgSource } from './org-directory.js';
import { CatalogSecrets } from './secrets.js';
import { PeriodicJob } from '../platform/jobs/periodic-job.js';

export { catalogMigrations } from './migrations.js';
export { catalogRoutes, shareRoutes } from './routes.js';
export { seedCatalogDemo } from './demo-seed.js';
export type { CatalogService, DatasetInput, DatasetView, FieldInput } from './catalog-service.js';
export type { DataService } from './data-service.js';
export type { SharingService } from './sharing-service.js';
export type { GatewayService } from './gateway-service.js';
export type { UsageService } from './usage-service.js';
export type { CatalogConfig } from './config.js';

/** The catalog module's services, as wired into `Services.catalog`. */
export interface CatalogModule {
  config: CatalogConfig;
  catalog: CatalogService;
  data: DataService;
  sharing: SharingService;
  gateway: GatewayService;
  usage: UsageService;
  /** Starts the background job that flags overdue sharing requests (every `overdueJobIntervalSeconds`). */
  start(): void;
  stop(): void;
}

/**
 * Wires the catalog module.
 *
 * @example const catalog = createCatalog(db, { config, ledger, clock, orgs: auth });
 */
export function createCatalog(db: Db, deps: { config: Config; ledger: Ledger; clock: Clock; orgs: OrgSource }): CatalogModule {
  const config = moduleConfig(deps.config, 'catalog', CatalogConfigSchema);
  const orgs = new OrgDirectory(deps.orgs);
  const secrets = new CatalogSecrets(db);
  const catalog = new CatalogService(db, deps.ledger, config, deps.clock, orgs, secrets);
  const sharing = new SharingService(db, deps.ledger, config, deps.clock, catalog, orgs);
  const overdueJob = new PeriodicJob(() => sharing.flagOverdue(), config.overdueJobIntervalSeconds,
    (err) => console.error('catalog: flagging overdue sharing requests failed:', err));
  return {
    config,
    catalog,
    data: new DataService(db, deps.ledger, config, deps.clock, catalog),
    sharing,
    gateway: new GatewayService(db, deps.ledger, config, deps.clock, catalog),
    usage: new UsageService(db, deps.ledger, deps.clock, orgs, secrets),
    start: () => overdueJob.start(),
    stop: () => overdueJob.stop(),
  };
}
