import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static, TSchema } from 'typebox';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Db, DatabaseHandle } from '../db/database.js';
import type { Migrations } from '../db/migrate.js';
import type { Clock } from '../clock/clock.js';
import type { LedgerService } from '../ledger/ledger-service.js';
import type { EventBus } from '../events/event-bus.js';
import type { AuthService } from '../auth/auth-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { ProblemEntry } from '../errors/problem-codes.js';
import type { PermissionTable } from '../auth/permissions.js';
import type { OutboundPolicy } from '../net/outbound.js';
import type { LlmGateway } from '../llm/llm-gateway.js';
import type { GaugeSource } from '../http/node-status.js';
import type { FieldProtection } from '../crypto/field-protection.js';

/**
 * The services of every module by name. Each module adds its own entry by declaration merging in its
 * `index.ts`, so another module that `requires` it receives them typed:
 *
 * @example declare module '../platform/module/module.js' { interface ModuleServices { hotline: HotlineServices } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ModuleServices {}

export type ModuleName = keyof ModuleServices;

/** What the platform hands every module: storage, time, the ledger, the bus, identity, the city, a logger. */
export interface Platform {
  db: Db;
  database: DatabaseHandle;
  clock: Clock;
  ledger: LedgerService;
  events: EventBus;
  /** Identity: organisations, users, API keys (a module reads organisations through it). */
  auth: AuthService;
  /** The audit trail: a module records reads of personal data or sensitive datasets through it. */
  audit: AuditService;
  /** The city's settings every module shares (one time zone). */
  city: Config['city'];
  /** The guard for URLs called on someone's behalf (src/platform/net/outbound.ts). */
  outbound: OutboundPolicy;
  /** The one way out to a language model: placeholders for personal data, accounting, the record (src/platform/llm/). */
  llm: LlmGateway;
  /** Sealing of sensitive personal fields at rest (SM4), and their lookup hashes (src/platform/crypto/field-protection.ts). */
  fields: FieldProtection;
  /** The data folder (embedded database, key files). */
  dataDir: string;
  /** This module's logger (`module` is set on every line). */
  log: Logger;
  /** The configured `--node-id` (CITYHUB_NODE_ID), stable across this node's restarts; undefined when defaulted. */
  nodeId?: string;
}

/** Routes mounted under a prefix; the plugin closes over the services it serves. */
export interface RouteMount {
  prefix: string;
  plugin: FastifyPluginAsyncTypebox;
}

/**
 * Background work run at start and then every `intervalSeconds` (0 turns it off). Each period is run by one node of
 * the cluster (the first to claim it, src/platform/jobs/job-claims.ts), again by another if that node dies mid-run,
 * so it must be idempotent. A failure is logged with the job's name and the period is handed back.
 */
export interface JobSpec {
  name: string;
  intervalSeconds: number;
  /**
   * Run on every node, unclaimed: work on the node's own memory (a search index), or work that claims its own
   * rows (FOR UPDATE SKIP LOCKED) and so is shared out finer than one node per period.
   */
  everyNode?: boolean;
  run(): Promise<unknown>;
}

/** What `create` returns: the services others may use, the routes, the jobs and any other background work. */
export interface ModuleInstance<S> {
  services: S;
  routes?: RouteMount[];
  jobs?: JobSpec[];
  /** Background work beyond periodic jobs (MQTT ingestion, notification delivery…); after every module is created. */
  start?(): Promise<void> | void;
  /** Stops what `start` started; modules stop in reverse order. */
  stop?(): Promise<void> | void;
  /** The module's queue depths and lags, read when /metrics is scraped (operators watch them per node). */
  gauges?: GaugeSource;
}

/**
 * One capability, declared once: its name (also its config section `modules.<name>` and the key of its
 * services), its config schema, migrations, problem codes and permissions, the modules whose services it
 * needs, and how to create it. The composition root (src/server/modules.ts) lists the definitions in order.
 */
export interface ModuleDefinition<N extends ModuleName, C extends TSchema, R extends ModuleName> {
  name: N;
  /** `modules.<name>`: validated strictly at boot with every other module's section. */
  config: C;
  /** Named `YYYYMMDD-NN-<name>-what`; a name used by two modules fails boot. */
  migrations: Migrations;
  problems: Record<string, ProblemEntry>;
  permissions: PermissionTable;
  /** Modules created before this one whose services `create` receives. */
  requires: readonly R[];
  create(platform: Platform, config: Static<C>, deps: Pick<ModuleServices, R>): Promise<ModuleInstance<ModuleServices[N]>> | ModuleInstance<ModuleServices[N]>;
}

/** Any module definition, as the composition root holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = ModuleDefinition<ModuleName, TSchema, any>;

/**
 * Declares a module; only checks and infers its types.
 *
 * @example export const kpiModule = defineModule({ name: 'kpi', config: KpiConfigSchema, requires: ['hotline'], … });
 */
export const defineModule = <N extends ModuleName, C extends TSchema, R extends ModuleName = never>(
  definition: ModuleDefinition<N, C, R>,
): ModuleDefinition<N, C, R> => definition;
