import { pino, type Logger } from 'pino';
import type { Static, TSchema } from 'typebox';
import { readModuleSections, type Config } from '../platform/config/config.js';
import { openDatabase, type DatabaseHandle } from '../platform/db/database.js';
import { gatherMigrations, migrateToLatest, type Migrations } from '../platform/db/migrate.js';
import { systemClock, type Clock } from '../platform/clock/clock.js';
import { createHttpServer, type App } from '../platform/http/server.js';
import { HttpMetrics } from '../platform/http/metrics.js';
import { healthRoutes } from '../platform/http/health-routes.js';
import { NodeStatus } from '../platform/http/node-status.js';
import { AuthService } from '../platform/auth/auth-service.js';
import { IdentityCache, defaultIdentityCache } from '../platform/auth/identity-cache.js';
import { authMigrations } from '../platform/auth/migrations.js';
import { throttleMigrations } from '../platform/throttle/migrations.js';
import { authRoutes } from '../platform/auth/auth-routes.js';
import { createLedger, ledgerMigrations, ledgerRoutes, WitnessDesk, type LedgerService } from '../platform/ledger/index.js';
import { loadFieldProtection } from '../platform/crypto/field-protection.js';
import { PeriodicJob } from '../platform/jobs/periodic-job.js';
import { JobClaims, defaultNodeId } from '../platform/jobs/job-claims.js';
import { jobMigrations } from '../platform/jobs/migrations.js';
import { AuditService } from '../platform/audit/audit-service.js';
import { auditRoutes } from '../platform/audit/audit-routes.js';
import { alertFeedRoutes } from '../platform/audit/alert-feed-routes.js';
import { BackupSocket } from '../platform/backup/backup-socket.js';
import { auditActivityRoutes } from '../platform/audit/audit-activity-routes.js';
import { AuditActivity } from '../platform/audit/audit-activity.js';
import { auditMigrations } from '../platform/audit/migrations.js';
import { policyMigrations } from '../platform/policy/migrations.js';
import { SecurityPolicyService } from '../platform/policy/policy-service.js';
import { policyRoutes } from '../platform/policy/policy-routes.js';
import { LlmGateway, llmMigrations } from '../platform/llm/index.js';
import { createEventBus, type EventBus } from '../platform/events/index.js';
import type { AnyModule, ModuleInstance, ModuleServices, Platform } from '../platform/module/module.js';
import { modules as defaultModules } from './modules.js';
import { compressResponses, serveWebApp } from './web-app.js';

/** The platform's own migrations, each under its owner's name. */
const platformMigrations = [
  { owner: 'auth', migrations: authMigrations },
  { owner: 'throttle', migrations: throttleMigrations },
  { owner: 'ledger', migrations: ledgerMigrations },
  { owner: 'audit', migrations: auditMigrations },
  { owner: 'policy', migrations: policyMigrations },
  { owner: 'llm', migrations: llmMigrations },
  { owner: 'jobs', migrations: jobMigrations },
];

/**
 * Every migration of the platform and the modules, applied in name order; a name declared twice fails.
 *
 * @example const migrations = allMigrations(modules);
 */
export const allMigrations = (modules: readonly AnyModule[] = defaultModules): Migrations =>
  gatherMigrations([...platformMigrations, ...modules.map((m) => ({ owner: m.name, migrations: m.migrations }))]);

/** The platform's services and every module's, by module name; modules reach each other only through these. */
export type Services = { clock: Clock; ledger: LedgerService; events: EventBus; auth: AuthService; audit: AuditService; llm: LlmGateway } & ModuleServices;

export interface CityHub {
  config: Config;
  database: DatabaseHandle;
  services: Services;
  http: App;
  /** This node's claims on the cluster's periodic jobs (metrics, tests). */
  jobClaims: JobClaims;
  /** Readiness (`draining` withdraws it) and the gauges of shared work on /metrics. */
  status: NodeStatus;
  /** Starts background work (checkpoints, jobs, ingestion). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface CreateCityHubOptions {
  config: Config;
  /** An open database (tests); otherwise one is opened from the config. */
  database?: DatabaseHandle;
  clock?: Clock;
  /** false: log nothing (tests). */
  logger?: boolean;
  /** The capabilities to wire (default: all of src/server/modules.ts). */
  modules?: readonly AnyModule[];
}

/**
 * What the access log keeps of a request: method, path, host and client, never the query string (a caller may put
 * a phone number or a key there) and never the body.
 */
const requestLine = (req: { method?: string; url?: string; hostname?: string; ip?: string }) => ({
  method: req.method, url: String(req.url ?? '').split('?')[0], host: req.hostname, remoteAddress: req.ip,
});

/** Each module's section of the configuration, checked all at once before anything is opened. */
const moduleSections = (config: Config, modules: readonly AnyModule[]): Record<string, unknown> =>
  readModuleSections(config, Object.fromEntries(modules.map((m) => [m.name, m.config as TSchema])));

/** Opens the database, brings its schema up to date and wires the platform and every module. */
export async function createCityHub(options: CreateCityHubOptions): Promise<CityHub> {
  const { config } = options;
  const modules = options.modules ?? defaultModules;
  const sections = moduleSections(config, modules);
  const migrations = allMigrations(modules);
  const clock = options.clock ?? systemClock;
  const nodeId = config.nodeId ?? defaultNodeId();
  // `node` on every line instead of pino's pid and hostname: the nodes' logs are read together.
  const log: Logger = pino({ level: options.logger === false ? 'silent' : config.logLevel, base: { node: nodeId }, serializers: { req: requestLine } });
  const database = options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, readUrl: config.database.readUrl, poolMax: config.database.poolMax }));
  let events: EventBus | undefined;
  const created: { name: string; instance: ModuleInstance<unknown> }[] = [];
  try {
    events = await createEventBus(config.events, (message, err) => log.warn({ err }, message));
    await migrateToLatest(database.db, migrations);
    const ledger = await createLedger(database.db, {
      dataDir: options.database ? undefined : config.dataDir,
      signingKeyPem: config.ledger.signingKeyPem,
      signingKeyFile: config.ledger.signingKeyFile,
      mode: config.ledger.mode,
      sm2UserId: config.ledger.sm2UserId,
      witnessFile: config.ledger.witnessFile,
      witnessPeers: config.ledger.witness.peers,
      witnessDelaySeconds: config.ledger.witnessDelaySeconds,
      checkpointIntervalSeconds: config.ledger.checkpointIntervalSeconds,
      clock,
      onError: (err) => log.error({ err }, 'ledger checkpoint failed'),
    });
    const fields = loadFieldProtection(config.security, config.ledger.mode, config.dataDir);
    const policies = new SecurityPolicyService(database.db, ledger, clock, config, (err) => log.error({ err }, 'reading the security policy failed'));
    await policies.refresh();
    const auth = new AuthService(database.db, ledger, policies.auth, clock, new IdentityCache(config.auth.identityCache ?? defaultIdentityCache, events), fields,
      (userId, err) => log.error({ err, userId }, 'a sealed second-factor secret does not open: altered, or the wrong field keys'));
    const audit = new AuditService(database.db, ledger, clock, policies.audit, (err) => log.error({ err }, 'audit record failed'));
    await audit.recordConfiguration(config);
    const llm = new LlmGateway({ db: database.db, ledger, clock, outbound: config.outbound, onError: (err) => log.error({ err }, 'recording an LLM call failed') }, config.llm);
    const services: Record<string, unknown> = { clock, ledger, events, auth, audit, llm };
    const platformFor = (name: string): Platform => ({
      db: database.db, database, clock, ledger, events: events!, auth, audit, llm, city: config.city, outbound: config.outbound, fields, dataDir: config.dataDir, log: log.child({ module: name }), nodeId: config.nodeId,
    });
    for (const definition of modules) {
      const missing = definition.requires.filter((r: string) => !(r in services));
      if (missing.length > 0) throw new Error(`module ${definition.name} requires ${missing.join(', ')}, which must be listed before it`);
      const deps = Object.fromEntries(definition.requires.map((r: string) => [r, services[r]]));
      const instance = await definition.create(platformFor(definition.name), sections[definition.name] as Static<TSchema>, deps as never);
      services[definition.name] = instance.services;
      created.push({ name: definition.name, instance });
    }

    const jobClaims = new JobClaims({
      db: database.db, clock, nodeId, leaseSeconds: config.cluster.jobLeaseSeconds,
      onError: (err) => log.warn({ err }, 'renewing a job claim failed'),
    });
    const status = new NodeStatus(nodeId, [
      async () => [{ name: 'cityhub_job_claims_held', help: 'Periodic jobs this node is running for the cluster now.', value: jobClaims.heldCount }],
      ...created.flatMap(({ instance }) => (instance.gauges ? [instance.gauges] : [])),
    ]);
    const metrics = new HttpMetrics(nodeId);
    const http = await createHttpServer({ config, resolver: auth, metrics, logger: options.logger === false ? undefined : log, onDenied: (denied) => audit.recordDenied(denied) });
    await compressResponses(http);
    await http.register(healthRoutes, { database, metrics, status });
    await http.register(authRoutes, { prefix: '/api', auth, secureCookies: config.auth.secureCookies });
    await http.register(ledgerRoutes, { prefix: '/api/ledger', ledger, mayRead: (actor, entry) => audit.mayReadEntry(actor, entry), desk: new WitnessDesk(database.db, clock) });
    await http.register(auditRoutes, { prefix: '/api/audit', audit });
    await http.register(alertFeedRoutes, { prefix: '/api/audit', audit });
    await http.register(auditActivityRoutes, { prefix: '/api/audit', activity: new AuditActivity(database.db, clock, config.city.timeZone) });
    await http.register(policyRoutes, { prefix: '/api/security', policies });
    for (const { instance } of created) {
      for (const route of instance.routes ?? []) await http.register(route.plugin, { prefix: route.prefix });
    }
    await serveWebApp(http, { modules: created.map((c) => c.name) });

    const jobs = created.flatMap(({ name, instance }) =>
      (instance.jobs ?? []).map((job) => {
        const key = `${name}.${job.name}`;
        const run = job.everyNode ? job.run : () => jobClaims.runOnce(key, job.intervalSeconds, job.run);
        return new PeriodicJob(run, job.intervalSeconds, (err) => log.error({ err, module: name, job: job.name }, `job ${key} failed`));
      }),
    );
    // the audit trail's archive and pruning, once per period across the nodes
    jobs.push(new PeriodicJob(() => jobClaims.runOnce('audit.keepTrail', config.audit.keepIntervalSeconds, () => audit.keepTrail()), config.audit.keepIntervalSeconds,
      (err) => log.error({ err }, 'job audit.keepTrail failed')));
    const bus = events;
    // `cityhub backup` beside this server on its embedded database asks it for the copy (backup-socket.ts)
    const backups = database.engine === 'pglite' && !options.database ? new BackupSocket({ dataDir: config.dataDir, db: database.db, engine: database.engine, clock, log }) : undefined;
    return {
      config,
      database,
      services: services as unknown as Services,
      http,
      jobClaims,
      status,
      async start() {
        ledger.start();
        policies.start();
        for (const { instance } of created) await instance.start?.();
        for (const job of jobs) job.start();
        await backups?.start().catch((err: unknown) => log.warn({ err }, 'the backup socket did not open: cityhub backup needs this server stopped'));
      },
      async close() {
        // No new requests (readiness withdrawn, the listener closed), the ones in flight answered; then the runs
        // going on finish and what is still claimed is handed back, so another node takes it at once.
        status.draining = true;
        await http.close();
        await backups?.close();
        await Promise.all(jobs.map((job) => job.stop()));
        await jobClaims.releaseAll().catch((err: unknown) => log.warn({ err }, 'handing back job claims failed'));
        for (const { instance } of [...created].reverse()) await instance.stop?.();
        ledger.stop();
        policies.stop();
        await audit.flush();
        await bus.close();
        if (!options.database) await database.close();
      },
    };
  } catch (err) {
    for (const { instance } of [...created].reverse()) await Promise.resolve(instance.stop?.()).catch((e: unknown) => log.error({ err: e }, 'stopping a module after a failed start failed'));
    await events?.close();
    if (!options.database) await database.close();
    throw err;
  }
}
