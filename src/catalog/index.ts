import { defineModule } from '../platform/module/module.js';
import { CatalogConfigSchema } from './config.js';
import { catalogMigrations } from './migrations.js';
import { catalogProblems } from './problems.js';
import { catalogPermissions } from './permissions.js';
import { CatalogService } from './catalog-service.js';
import { DataService } from './data-service.js';
import { SharingService } from './sharing-service.js';
import { GatewayService } from './gateway-service.js';
import { UsageService } from './usage-service.js';
import { OrgDirectory } from './org-directory.js';
import { CatalogSecrets } from './secrets.js';
import { catalogRoutes } from './catalog-routes.js';
import { shareRoutes } from './share-routes.js';
import { TableReaderPool } from '../platform/csv/table-reader-pool.js';
import { DisclosureControl } from './disclosure-control.js';

export { catalogMigrations } from './migrations.js';
export { demoPeople, seedCatalogDemo, type CatalogDemoCity } from './demo-seed.js';
export type { CatalogService } from './catalog-service.js';
export type * from './schemas.js';
export type { DataService } from './data-service.js';
export type { SharingService } from './sharing-service.js';
export type { GatewayService, LookupAnswer, LookupRequest } from './gateway-service.js';
export type { UsageService } from './usage-service.js';
export type { DisclosureControl, PrivacyBudget, Release, ReleaseRow, ReleaseSpec } from './disclosure-control.js';
export type { CatalogConfig } from './config.js';

/** The catalog module's services (`hub.services.catalog`). */
export interface CatalogServices {
  catalog: CatalogService;
  data: DataService;
  sharing: SharingService;
  gateway: GatewayService;
  usage: UsageService;
  /** Disclosure control for aggregates (privacy budgets), for every product that publishes aggregates. */
  disclosure: DisclosureControl;
}

declare module '../platform/module/module.js' {
  interface ModuleServices {
    catalog: CatalogServices;
  }
}

/**
 * The catalogue and data sharing: datasets with their graded field schema and rows (`/api/catalog`), sharing
 * requests, grants and the gateway (`/api/share`), and a job flagging requests past their decision deadline.
 */
export const catalogModule = defineModule({
  name: 'catalog',
  config: CatalogConfigSchema,
  migrations: catalogMigrations,
  problems: catalogProblems,
  permissions: catalogPermissions,
  requires: [],
  create(platform, config) {
    const { db, ledger, clock } = platform;
    const orgs = new OrgDirectory(platform.auth);
    const secrets = new CatalogSecrets(db);
    const catalog = new CatalogService(db, ledger, config, clock, orgs, secrets, platform.database.reader);
    const disclosure = new DisclosureControl(db, clock, { maxRowsPerUnit: config.disclosure.maxRowsPerSubject });
    const sharing = new SharingService(db, ledger, config, clock, catalog, orgs, platform.city.timeZone, disclosure);
    // Uploads are parsed in worker threads, so a hostile workbook never stalls the event loop.
    const tables = new TableReaderPool({
      workers: config.uploadWorkers, memoryMb: config.uploadWorkerMemoryMb, batchTimeoutMs: config.uploadBatchTimeoutSeconds * 1000,
    });
    const services: CatalogServices = {
      catalog,
      data: new DataService(db, ledger, config, clock, catalog, tables),
      sharing,
      gateway: new GatewayService(db, ledger, config, clock, catalog, platform.city.timeZone, disclosure),
      disclosure,
      usage: new UsageService(db, ledger, clock, orgs, secrets),
    };
    return {
      services,
      routes: [
        { prefix: '/api/catalog', plugin: catalogRoutes({ ...services, config }) },
        { prefix: '/api/share', plugin: shareRoutes(services) },
      ],
      jobs: [{ name: 'flag-overdue-requests', intervalSeconds: config.overdueJobIntervalSeconds, run: () => sharing.flagOverdue() }],
      stop: () => tables.close(),
    };
  },
});
