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
import { TicketChangeAnnouncer } from './ticket-changes.js';
import { ticketRoutes } from './ticket-routes.js';
import { referenceRoutes } from './reference-routes.js';
import { LocateService } from './locate-service.js';
import { NearbyService } from './nearby-service.js';
import { NoticeService } from './notice-service.js';
import { PhotoService } from './photo-service.js';
import { citizenRoutes } from './citizen-routes.js';
import { TicketPersonalFields } from './ticket-personal-fields.js';

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
  /** Where a pin is on the area tree (district, street, address). */
  locate: LocateService;
  /** Open appeals near a pin and "+1 / 关注"; `useTextSimilarity` is the intel module's port. */
  nearby: NearbyService;
  /** Citizens' photos (checked by magic bytes, in the database). */
  photos: PhotoService;
  /** Notices to citizens; `useChannel` installs an SMS / WeChat adapter. */
  notices: NoticeService;
  /** Seals and opens the citizen's name, phone and address (field encryption), for the sub-modules and the importer. */
  personal: TicketPersonalFields;
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
  async create(platform, config) {
    const { db, ledger, clock, events } = platform;
    // the citizen's name, phone and address sealed at rest when field encryption is on; a wrong key stops the boot
    const personal = new TicketPersonalFields(platform.fields);
    await personal.checkKeys(db);
    const routing = new RoutingService(db);
    const deadlines = new DeadlineService(db, config.deadlines, clock);
    const photos = new PhotoService(db, clock, config.citizen);
    const notices = new NoticeService(db, clock, config.citizen.noticeLeaseSeconds, personal);
    const changes = new TicketChangeAnnouncer(events, config.ticketsChangedEventMs);
    const services: HotlineServices = {
      intake: new TicketIntakeService({ db, ledger, clock, events, changes, timeZone: platform.city.timeZone, photos, personal, idempotencyKeyHours: config.intake.idempotencyKeyHours, maxBatch: config.intake.maxBatch }),
      tickets: new TicketQueryService(db, config.list.countLimit, platform.audit, personal),
      workflow: new TicketWorkflowService({ db, ledger, clock, events, changes, routing, deadlines, redoOnUnsatisfied: config.citizen.redoOnUnsatisfied, personal }),
      tracking: new TicketTrackingService(db, clock, config.track, (id) => platform.auth.orgName(id), personal),
      personal,
      routing,
      deadlines,
      reference: new HotlineReferenceService(db, ledger),
      locate: new LocateService(db),
      nearby: new NearbyService(db, clock, events, config.citizen),
      photos,
      notices,
    };
    services.workflow.onChange(notices.onTicketChange);
    return {
      services,
      routes: [
        { prefix: '/api/hotline', plugin: ticketRoutes(services) },
        { prefix: '/api/hotline', plugin: referenceRoutes(services.reference) },
        { prefix: '/api/hotline', plugin: citizenRoutes({ ...services, citizen: config.citizen, map: config.map }) },
      ],
      jobs: [
        { name: 'refreshDeadlines', intervalSeconds: config.deadlineJobIntervalSeconds, run: () => deadlines.refreshDeadlines() },
        // expired Idempotency-Keys of callers who never file with a key again; once per period across the nodes
        { name: 'purgeIntakeKeys', intervalSeconds: config.intake.keyPurgeIntervalSeconds, run: () => services.intake.purgeExpiredKeys() },
        // the outbox of the SMS / WeChat adapters; nothing to do until a city installs one. Every node runs it: each
        // notice is claimed on its own row with a lease, so two nodes never send one notice twice.
        { name: 'deliverNotices', intervalSeconds: 30, everyNode: true, run: () => notices.deliver().then(() => undefined) },
      ],
      stop: () => changes.flush(),
    };
  },
});

export { TICKETS_CHANGED, type TicketChange, type TicketChangeHook } from './ticket-changes.js';
export type { AutoCategorizer, AutoCategory } from './ticket-intake-service.js';
export type { HotlineConfig } from './config.js';
export type { NoticeChannel, OutgoingNotice } from './notice-service.js';
export { bigramSimilarity, type TextSimilarity } from './nearby-service.js';
export type { NewTicket, TicketView, UnitSuggestion } from './schemas.js';
