import { defineModule } from '../../platform/module/module.js';
import type { Actor } from '../../platform/auth/roles.js';
import { GovernanceConfigSchema } from './config.js';
import { governanceMigrations } from './migrations.js';
import { governancePermissions } from './permissions.js';
import { governanceProblems } from './problems.js';
import { governanceRoutes } from './governance-routes.js';
import { InspectionService } from './inspection-service.js';
import { ReportService } from './report-service.js';
import { TopicService } from './topic-service.js';
import './tables.js';

export { GovernanceConfigSchema, type GovernanceConfig } from './config.js';

/** Quality inspection, 每月一题 and the monthly report (`hub.services.governance`). */
export interface GovernanceServices {
  inspection: InspectionService;
  topics: TopicService;
  report: ReportService;
}

declare module '../../platform/module/module.js' {
  interface ModuleServices {
    governance: GovernanceServices;
  }
}

/**
 * Hotline governance (docs/hotline-governance.md): 智能质检 of replies (on the form and in monthly runs), 每月一题
 * with units' tasks and the effect on complaints, and the monthly report (月度通报) as a page and DOCX. Reads the
 * hotline family's ticket tables; the rates come from the KPI service; the model, when on, through the gateway.
 */
export const governanceModule = defineModule({
  name: 'governance',
  config: GovernanceConfigSchema,
  migrations: governanceMigrations,
  problems: governanceProblems,
  permissions: governancePermissions,
  requires: ['hotline', 'kpi'],
  create(platform, config, { kpi }) {
    const { db, clock, ledger, llm, auth, log } = platform;
    const timeZone = platform.city.timeZone;
    const unitNames = async (actor: Actor) => new Map((await auth.listOrgs(actor)).map((o) => [o.id, o.name]));
    const inspection = new InspectionService({ db, clock, ledger, llm, timeZone, log, unitNames }, config.inspection);
    const topics = new TopicService({ db, clock, ledger, timeZone, unitNames }, config.topics);
    const report = new ReportService({ db, clock, llm, timeZone, kpi, inspection, topics }, config.report);
    const services: GovernanceServices = { inspection, topics, report };
    return { services, routes: [{ prefix: '/api/hotline', plugin: governanceRoutes(services, config.report.notableCases) }] };
  },
});
