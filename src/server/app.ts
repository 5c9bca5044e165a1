import type { FastifyInstance } from 'fastify';
import type { Config } from '../platform/config/config.js';
import { openDatabase, type DatabaseHandle } from '../platform/db/database.js';
import { migrateToLatest, type Migrations } from '../platform/db/migrate.js';
import { systemClock, type Clock } from '../platform/clock/clock.js';
import { createHttpServer } from '../platform/http/server.js';
import { HttpMetrics } from '../platform/http/metrics.js';
import { healthRoutes } from '../platform/http/health-routes.js';
import { AuthService } from '../platform/auth/service.js';
import { authMigrations } from '../platform/auth/migrations.js';
import { throttleMigrations } from '../platform/throttle/migrations.js';
import { authRoutes } from '../platform/auth/routes.js';
import { createLedger, ledgerMigrations, ledgerRoutes, type LedgerService } from '../platform/ledger/index.js';
import { hotlineMigrations } from '../hotline/migrations.js';
import { TicketService } from '../hotline/ticket-service.js';
import { hotlineConfig } from '../hotline/hotline-config.js';
import { HotlineReferenceService } from '../hotline/reference-service.js';
import { hotlineRoutes } from '../hotline/routes.js';
import { KpiService, kpiMigrations, kpiRoutes, readKpiConfig } from '../hotline/kpi/index.js';
import { Open311Service, open311Config, open311Routes } from '../hotline/open311/index.js';
import { IntelService } from '../hotline/intel/intel-service.js';
import { intelConfig } from '../hotline/intel/intel-config.js';
import { intelRoutes } from '../hotline/intel/intel-routes.js';
import { createCatalog, catalogMigrations, catalogRoutes, shareRoutes, type CatalogModule } from '../catalog/index.js';
import { contextMigrations, contextRoutes, createContextService, type ContextService } from '../context/index.js';
import { PeriodicJob } from '../platform/jobs/periodic-job.js';
import { createEventBus, type EventBus, type EventErrorSink } from '../platform/events/index.js';
import { serveWebApp } from './web-app.js';

/** Every migration of every module, applied in name order. */
export const allMigrations: Migrations = {
  ...authMigrations,
  ...throttleMigrations,
  ...ledgerMigrations,
  ...hotlineMigrations,
  ...contextMigrations,
  ...catalogMigrations,
  ...kpiMigrations,
};

/** The services of every module, wired once at start; modules reach each other only through these. */
export interface Services {
  clock: Clock;
  ledger: LedgerService;
  /** Change events between modules and nodes (NATS JetStream when configured, else in process). */
  events: EventBus;
  auth: AuthService;
  /** Context layer (NGSI-LD): entities, queries, temporal history, subscriptions, MQTT ingestion. */
  context: ContextService;
  /** Catalog and sharing: datasets, grading, data loads, sharing requests, the masking gateway, who used my data. */
  catalog: CatalogModule;
  /** Hotline tickets: create, read (masked), workflow, timeline, routing, deadlines. */
  hotline: TicketService;
  /** Hotline reference data: areas, categories (Open311 services), routing rules. */
  hotlineReference: HotlineReferenceService;
  /** The three rates (三率) per unit, district, category and period; rankings and exports. */
  kpi: KpiService;
  /** Hotline intelligence: intake assist, similar cases, duplicates, hot issues and alerts, reply drafts and scores. */
  intel: IntelService;
}

export interface CityHub {
  config: Config;
  database: DatabaseHandle;
  services: Services;
  http: FastifyInstance;
  /** Starts background work (checkpoints, deadline jobs). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface CreateCityHubOptions {
  config: Config;
  /** An open database (tests); otherwise one is opened from the config. */
  database?: DatabaseHandle;
  clock?: Clock;
  logger?: boolean;
}

/** Opens the database, brings its schema up to date and wires every module. */
export async function createCityHub(options: CreateCityHubOptions): Promise<CityHub> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const database = options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  // Until the HTTP server's logger exists, the bus's errors go to stderr.
  let warn: EventErrorSink = (message, err) => void process.stderr.write(`${message}: ${(err as Error)?.message ?? String(err)}\n`);
  let events: EventBus | undefined;
  try {
    events = await createEventBus(config.events, (message, err) => warn(message, err));
    await migrateToLatest(database.db, allMigrations);
    const ledger = await createLedger(database.db, {
      dataDir: options.database ? undefined : config.dataDir,
      signingKeyPem: config.ledger.signingKeyPem,
      checkpointIntervalSeconds: config.ledger.checkpointIntervalSeconds,
      clock,
    });
    const auth = new AuthService(database.db, ledger, config.auth, clock);
    const hotlineSettings = hotlineConfig(config);
    const hotline = new TicketService(database.db, ledger, hotlineSettings, clock);
    const hotlineReference = new HotlineReferenceService(database.db, ledger);
    const deadlineJob = new PeriodicJob(() => hotline.refreshDeadlines(clock()), hotlineSettings.deadlineJobIntervalSeconds);
    const kpiSettings = readKpiConfig(config);
    const kpi = new KpiService(database.db, kpiSettings, clock, auth);
    const kpiRollupJob = new PeriodicJob(() => kpi.refreshRollup(), kpiSettings.rollupJobIntervalSeconds);
    const catalog = createCatalog(database.db, { config, ledger, clock, orgs: auth });
    const context = createContextService(database.db, config, clock, { ledger });
    const intel = new IntelService(database.db, hotline, intelConfig(config), clock, ledger, auth);
    // An agent's 改类 is a training label, stored in the workflow action's own transaction.
    hotline.onChange(intel.models.labelRecategorized);
    // A ticket filed without a category gets the classifier's when it is confident; otherwise a person decides.
    hotline.useAutoCategorizer((title, content) => intel.autoCategory(title, content));
    // Tickets filed on any node reach every node's index at once (duplicates within seconds of each other).
    hotline.useEvents(events);
    intel.useEvents(events);
    const services: Services = { clock, ledger, events, auth, hotline, hotlineReference, kpi, catalog, context, intel };

    const metrics = new HttpMetrics();
    const http = await createHttpServer({ config, resolver: auth, metrics, logger: options.logger });
    warn = (message, err) => void http.log.warn({ err }, message);
    await http.register(healthRoutes, { database, metrics });
    await http.register(authRoutes, { prefix: '/api', auth, secureCookies: config.auth.secureCookies });
    await http.register(ledgerRoutes, { prefix: '/api/ledger', ledger });
    await http.register(catalogRoutes, { prefix: '/api/catalog', catalog });
    await http.register(shareRoutes, { prefix: '/api/share', catalog });
    await http.register(hotlineRoutes, { prefix: '/api/hotline', hotline, reference: hotlineReference });
    await http.register(kpiRoutes, { prefix: '/api/hotline/kpi', kpi });
    await http.register(intelRoutes, { prefix: '/api/hotline', intel });
    const open311 = new Open311Service({
      db: database.db,
      clock,
      config: open311Config(config),
      tickets: {
        fileOpen311Ticket: (actor, t) =>
          hotline.create(actor, {
            channel: 'open311',
            title: t.title,
            content: t.content,
            categoryId: t.categoryId,
            address: t.address,
            lat: t.lat,
            lon: t.lon,
            citizenName: t.citizenName,
            citizenPhone: t.citizenPhone,
            attachments: t.mediaUrl ? [{ name: 'media_url', type: 'url', size: 0, url: t.mediaUrl }] : [],
            open311Token: t.token,
          }),
      },
      actorForApiKey: (key) => auth.actorForApiKey(key),
      // Unit names are public (agency_responsible); read as the facade itself with the narrowest reading role.
      unitNames: async () =>
        new Map((await auth.listOrgs({ kind: 'api_key', id: 'open311-facade', username: 'open311', roles: ['agent'] })).map((o) => [o.id, o.name])),
    });
    await http.register(open311Routes, { prefix: '/open311/v2', open311 });
    await http.register(contextRoutes, { prefix: '/ngsi-ld/v1', context });
    await serveWebApp(http);

    const bus = events;
    return {
      config,
      database,
      services,
      http,
      async start() {
        await context.start();
        ledger.start();
        deadlineJob.start();
        kpiRollupJob.start();
        catalog.start();
        await intel.start();
      },
      async close() {
        await context.stop();
        ledger.stop();
        deadlineJob.stop();
        kpiRollupJob.stop();
        catalog.stop();
        intel.stop();
        await http.close();
        await bus.close();
        if (!options.database) await database.close();
      },
    };
  } catch (err) {
    await events?.close();
    if (!options.database) await database.close();
    throw err;
  }
}
