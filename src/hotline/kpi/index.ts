import { defineModule } from '../../platform/module/module.js';
import { KpiConfigSchema } from './config.js';
import { kpiMigrations } from './migrations.js';
import { kpiPermissions } from './permissions.js';
import { KpiService } from './kpi-service.js';
import { districtCountRoutes, kpiRoutes } from './kpi-routes.js';

export { KpiService, type OrgDirectory } from './kpi-service.js';
export { KpiConfigSchema, type KpiConfig } from './config.js';
export { computeRates, rankByComposite } from './three-rates.js';
export type { DistrictCounts, KpiCounts, KpiFormula, KpiRates, KpiRow, KpiTable, KpiTableQuery, KpiTrend, KpiTrendQuery, TicketPoints } from './schemas.js';

declare module '../../platform/module/module.js' {
  interface ModuleServices {
    /** The three rates (三率) per unit, district, category and period, rankings, exports; the cockpit's district counts. */
    kpi: KpiService;
  }
}

/**
 * The three rates of the hotline's handling units (docs/kpi.md): read from the hotline's tickets (the hotline
 * family's tables), counted in the city's time zone, with a daily roll-up kept exact by triggers and folded by
 * the `kpi-rollup` job.
 */
export const kpiModule = defineModule({
  name: 'kpi',
  config: KpiConfigSchema,
  migrations: kpiMigrations,
  problems: {},
  permissions: kpiPermissions,
  requires: [],
  create(platform, config) {
    const kpi = new KpiService(platform.db, config, platform.city.timeZone, platform.clock, platform.auth, platform.database.reader);
    return {
      services: kpi,
      routes: [
        { prefix: '/api/hotline/kpi', plugin: kpiRoutes(kpi) },
        { prefix: '/api/hotline', plugin: districtCountRoutes(kpi) },
      ],
      jobs: [{ name: 'kpi-rollup', intervalSeconds: config.rollupJobIntervalSeconds, run: () => kpi.refreshRollup() }],
    };
  },
});
