export { KpiService, type KpiRequest, type KpiTable, type KpiTrend, type KpiRow, type OrgDirectory } from './kpi-service.js';
export { kpiRoutes } from './kpi-routes.js';
export { kpiMigrations } from './kpi-migrations.js';
export { readKpiConfig, KpiConfigSchema, type KpiConfig } from './kpi-config.js';
export { computeRates, rankByComposite, type KpiCounts, type KpiRates, type KpiFormula } from './three-rates.js';
