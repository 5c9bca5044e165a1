import { defineModule } from '../platform/module/module.js';
import { OperationConfigSchema } from './config.js';
import { operationMigrations } from './migrations.js';
import { operationProblems } from './problems.js';
import { operationPermissions } from './permissions.js';
import { OrgNames } from './org-names.js';
import { CatalogPort } from './catalog-port.js';
import { PartyService } from './party-service.js';
import { RegistryService } from './registry-service.js';
import { LicenceService } from './licence-service.js';
import { AccessService } from './access-service.js';
import { DeliveryService } from './delivery-service.js';
import { ReviewService } from './review-service.js';
import { AccountingService } from './accounting-service.js';
import { DisclosureService } from './disclosure-service.js';
import { MarketService } from './market-service.js';
import { AnomalyService } from './anomaly-service.js';
import { registryRoutes } from './registry-routes.js';
import { licenceRoutes } from './licence-routes.js';
import { deliveryRoutes } from './delivery-routes.js';
import { accountingRoutes } from './accounting-routes.js';
import { marketRoutes } from './market-routes.js';

export { operationMigrations } from './migrations.js';
export { seedOperationDemo, type OperationDemoCity } from './demo-seed.js';
export type * from './schemas.js';
export type { OperationConfig } from './config.js';
export type { PartyService } from './party-service.js';
export type { RegistryService } from './registry-service.js';
export type { LicenceService } from './licence-service.js';
export type { AccessService } from './access-service.js';
export type { DeliveryService } from './delivery-service.js';
export type { ReviewService } from './review-service.js';
export type { AccountingService } from './accounting-service.js';
export type { DisclosureService } from './disclosure-service.js';
export type { MarketService } from './market-service.js';
export type { AnomalyService } from './anomaly-service.js';

/** Authorized operation's services (`hub.services.operation`). */
export interface OperationServices {
  parties: PartyService;
  registry: RegistryService;
  licences: LicenceService;
  accesses: AccessService;
  delivery: DeliveryService;
  reviews: ReviewService;
  accounting: AccountingService;
  disclosures: DisclosureService;
  market: MarketService;
  anomalies: AnomalyService;
}

declare module '../platform/module/module.js' {
  interface ModuleServices {
    operation: OperationServices;
  }
}

/**
 * Authorized operation of public data (公共数据授权运营, docs/operation.md): parties, registration of resources and
 * products, licences, market users' keys, in-domain delivery of products through the catalog's gateway, metering,
 * fees, statements, income, distribution to the providing departments and the annual disclosure.
 */
export const operationModule = defineModule({
  name: 'operation',
  config: OperationConfigSchema,
  migrations: operationMigrations,
  problems: operationProblems,
  permissions: operationPermissions,
  requires: ['catalog'],
  create(platform, config, deps) {
    const { db, ledger, clock, auth } = platform;
    const timeZone = platform.city.timeZone;
    const orgs = new OrgNames(auth);
    const port = new CatalogPort(deps.catalog, auth, db, ledger, clock, config);
    const parties = new PartyService(db, ledger, clock, orgs);
    const registry = new RegistryService(db, ledger, clock, config, parties, port, timeZone);
    const accesses = new AccessService(db, ledger, clock, parties, auth);
    const licences = new LicenceService(db, ledger, clock, config, parties, registry, accesses, port, timeZone);
    const delivery = new DeliveryService(db, ledger, clock, config, port, timeZone);
    const reviews = new ReviewService(db, ledger, clock, parties);
    const accounting = new AccountingService(db, clock, config, parties, timeZone);
    const disclosures = new DisclosureService(db, ledger, clock, config, parties, accounting, timeZone);
    const market = new MarketService(db, ledger, clock, parties, accesses);
    const anomalies = new AnomalyService(db, config, parties);
    const services: OperationServices = { parties, registry, licences, accesses, delivery, reviews, accounting, disclosures, market, anomalies };
    return {
      services,
      routes: [
        { prefix: '/api/operation', plugin: registryRoutes(services) },
        { prefix: '/api/operation', plugin: licenceRoutes(services) },
        { prefix: '/api/operation', plugin: deliveryRoutes(services) },
        { prefix: '/api/operation', plugin: accountingRoutes(services) },
        { prefix: '/api/operation', plugin: marketRoutes(services) },
      ],
    };
  },
});
