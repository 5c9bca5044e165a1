import { defineModule } from '../platform/module/module.js';
import { HotlineConfigSchema } from './config.js';
import { hotlineMigrations } from './migrations.js';
import { hotlineProblems } from './problems.js';
import { hotlinePermissions } from './permissions.js';
import { HotlineReferenceService } from './reference-service.js';
import { RoutingService } from './routing-service.js';
import { DeadlineService } from './deadline-service.js';
import { TicketIntakeService } from './ticket-intake-service.js';
import { TicketQueryService } from './ticket-query-service.js';
import { TicketTrackingService } from './ticket-tracking-service.js';
import { TicketWorkflowService } from './ticket-workflow-service.js';
import { ticketRoutes } from './ticket-routes.js';
import { referenceRoutes } from './reference-routes.js';

/** The hotline's services: the ticket services, one per job, and the reference data. */
export interface HotlineServices {
  /** Files tickets (受理); `useAutoCategorizer` is the intel module's port. */
  intake: TicketIntakeService;
  /** Reads tickets: one, a filtered page, a timeline (masked for readers who do not handle them). */
  tickets: TicketQueryService;
  /** The workflow's actions; `onChange` is the port for hooks run in each action's transaction. */
  workflow: TicketWorkflowService;
  /** The public lookup by number and phone (查询进度). */
  tracking: TicketTrackingService;
  /** Which unit a category in an area goes to (rules, else the district: 首接负责). */
  routing: RoutingService;
  /** Sign and answer deadlines and the flags the deadline job refreshes. */
  deadlines: DeadlineService;
  /** Areas, categories (Open311 services), routing rules. */
  reference: HotlineReferenceService;
}

declare module '../platform/module/module.js' {
  interface ModuleServices {
    hotline: HotlineServices;
  }
}

/**
 * The 12345 hotline: tickets and their workflow (接诉即办), routing, deadlines, the public lookup, and the
 * reference data (areas, taxonomy, routing rules). Its sub-modules (kpi, open311, intel) require it.
 */
export const hotlineModule = defineModule({
  name: 'hotline',
  config: HotlineConfigSchema,
  migrations: hotlineMigrations,
  problems: hotlineProblems,
  permissions: hotlinePermissions,
  requires: [],
  create(platform, config) {
    const { db, ledger, clock, events } = platform;
    const routing = new RoutingService(db);
    const deadlines = new DeadlineService(db, config.deadlines, clock);
    const services: HotlineServices = {
      intake: new TicketIntakeService({ db, ledger, clock, events, timeZone: platform.city.timeZone }),
      tickets: new TicketQueryService(db),
      workflow: new TicketWorkflowService({ db, ledger, clock, events, routing, deadlines }),
      tracking: new TicketTrackingService(db, clock, config.track),
      routing,
      deadlines,
      reference: new HotlineReferenceService(db, ledger),
    };
    return {
      services,
      routes: [
        { prefix: '/api/hotline', plugin: ticketRoutes(services) },
        { prefix: '/api/hotline', plugin: referenceRoutes(services.reference) },
      ],
      jobs: [{ name: 'refreshDeadlines', intervalSeconds: config.deadlineJobIntervalSeconds, run: () => deadlines.refreshDeadlines() }],
    };
  },
});

export { TICKETS_CHANGED, type TicketChange, type TicketChangeHook } from './ticket-changes.js';
export type { AutoCategorizer, AutoCategory } from './ticket-intake-service.js';
export type { HotlineConfig } from './config.js';
export type { NewTicket, TicketView, UnitSuggestion } from './schemas.js';
