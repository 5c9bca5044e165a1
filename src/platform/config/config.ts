import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { isRole, roles } from '../auth/roles.js';
import { defaultIdentityCache } from '../auth/identity-cache.js';
import { LlmConfigSchema } from '../llm/llm-config.js';

/**
 * Every setting CityHub reads, with its default. Environment variables (and the matching CLI flags) set the
 * deployment basics; a JSON file named by CITYHUB_CONFIG_FILE can set any key, including the module sections
 * (deadlines, weights, thresholds). docs/configuration.md is the reference.
 */
export const ConfigSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  /**
   * Listen address. Unset: every interface (0.0.0.0), except with the demo city (`serve --demo`), which binds to
   * loopback (127.0.0.1) so its known passwords are never reachable from the network unless a host is given.
   */
  host: Type.Optional(Type.String({ minLength: 1 })),
  dataDir: Type.String({ default: './data' }),
  databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  database: Type.Object(
    {
      /**
       * A streaming replica of DATABASE_URL (DATABASE_READ_URL) for reads that may lag a moment: the cockpit, KPI,
       * catalog search and temporal queries. Everything else, and every write, stays on the primary.
       */
      readUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
      /**
       * Connections this node opens to PostgreSQL (DATABASE_POOL_MAX; the replica's pool as many). The nodes
       * together should stay within the server's max_connections (docs/deploy/README.md, How it grows).
       */
      poolMax: Type.Integer({ minimum: 1, maximum: 500, default: 10 }),
    },
    { default: {} },
  ),
  logLevel: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  /**
   * This node's name in every log line and in the /metrics labels (`--node-id`, CITYHUB_NODE_ID); unset: the host
   * name and process id (`web-3-4711`), different on every node and every restart.
   */
  nodeId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,100}$' })),
  /**
   * The access log, one line per request: `all`, `sampled` (a share `sampleRate` of the successful ones; errors and
   * slow ones always), `errors-and-slow` (status 500 and up, or 400 and up, or slower than `slowMs`) or `off`. The
   * audit trail does not depend on it: denials and changes go to the ledger whatever is chosen.
   */
  log: Type.Object(
    {
      access: Type.Enum(['all', 'sampled', 'errors-and-slow', 'off'], { default: 'errors-and-slow' }),
      sampleRate: Type.Number({ minimum: 0, maximum: 1, default: 0.01 }),
      slowMs: Type.Number({ minimum: 0, default: 1000 }),
    },
    { default: {} },
  ),
  /** Largest accepted request body in bytes. */
  bodyLimit: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  /** The city itself: one time zone for ticket numbers, deadlines' local days, the three rates' periods and quotas. */
  city: Type.Object(
    {
      /** An IANA time zone; periods, bare dates and daily quotas turn at this zone's midnight. */
      timeZone: Type.String({ default: 'Asia/Shanghai', minLength: 1 }),
    },
    { default: {} },
  ),
  /**
   * Seed the generated demo city (known passwords, docs/demo.md) when the database is empty at `serve`; the same
   * as `serve --demo`. Off by default: a production database never gets demo users unless asked.
   */
  demoOnEmpty: Type.Boolean({ default: false }),
  auth: Type.Object(
    {
      sessionTtlHours: Type.Number({ minimum: 0.01, default: 12 }),
      /** Failed logins allowed per (username, client address) and per client address within the window. */
      loginMaxAttempts: Type.Integer({ minimum: 1, default: 10 }),
      /**
       * Failed logins allowed per username from all addresses together: much higher than `loginMaxAttempts`, so
       * one attacker cannot lock a user out, while guessing one password from many addresses is still bounded.
       */
      loginMaxAttemptsPerUsername: Type.Optional(Type.Integer({ minimum: 1, default: 100 })),
      loginWindowSeconds: Type.Integer({ minimum: 1, default: 300 }),
      /** `Secure` on the session cookie: 'auto' when the request came over HTTPS (directly or via a trusted proxy). */
      secureCookies: Type.Union([Type.Literal('auto'), Type.Boolean()], { default: 'auto' }),
      /** A session unused this long ends (idle timeout); `sessionTtlHours` is its absolute lifetime. */
      sessionIdleMinutes: Type.Optional(Type.Number({ minimum: 1, default: 30 })),
      /** A session's last-seen time is written at most this often (a busy user costs no write per request). */
      sessionTouchSeconds: Type.Optional(Type.Number({ minimum: 1, maximum: 60, default: 30 })),
      /**
       * Each node's copies of sessions and API keys. A change (revocation, logout, roles, a disabled user) is
       * forgotten on every node over the event bus; a node that misses the event trusts its copy at most
       * `ttlSeconds` longer (0: no copies, every request asks the database).
       */
      identityCache: Type.Optional(Type.Object(
        {
          ttlSeconds: Type.Number({ minimum: 0, maximum: 300, default: defaultIdentityCache.ttlSeconds }),
          maxEntries: Type.Integer({ minimum: 1, default: defaultIdentityCache.maxEntries }),
        },
        { default: {} },
      )),
      /** The password policy (GB/T 22239-2019 8.1.4.1 a: 口令复杂度 and periodic change). */
      password: Type.Optional(Type.Object(
        {
          minLength: Type.Integer({ minimum: 8, maximum: 128, default: 8 }),
          /** How many of lower case, upper case, digits and other characters a password must mix. */
          minClasses: Type.Integer({ minimum: 1, maximum: 4, default: 3 }),
          /** Refuse a password that contains the username (case ignored). */
          forbidUsername: Type.Boolean({ default: true }),
          /** Refuse passwords from the built-in list of common ones (keyboard walks, runs, decorated common words). */
          forbidCommon: Type.Boolean({ default: true }),
          /** A new password may not be any of this many previous ones (0: no history). */
          history: Type.Integer({ minimum: 0, maximum: 24, default: 5 }),
          /** Days after which a password must be changed at the next login (0: never). */
          maxAgeDays: Type.Integer({ minimum: 0, default: 0 }),
          /** An account created by someone else must change its password at its first login. */
          changeOnFirstLogin: Type.Boolean({ default: true }),
        },
        { default: {} },
      )),
      /** The second factor (RFC 6238 TOTP). */
      totp: Type.Optional(Type.Object(
        {
          /** Roles that must sign in with a one-time code; their first session may only enrol one. */
          requiredForRoles: Type.Array(Type.String(), { default: ['admin', 'security_admin', 'audit_admin'] }),
          /** The issuer authenticator apps show. */
          issuer: Type.String({ minLength: 1, default: 'CityHub' }),
          /** Steps of 30 s accepted either side of now (clock drift). */
          window: Type.Integer({ minimum: 0, maximum: 4, default: 1 }),
        },
        { default: {} },
      )),
    },
    { default: {} },
  ),
  /** The audit trail's keeping and watching (GB/T 22239-2019 8.1.4.3). */
  audit: Type.Object(
    {
      /**
       * The shortest time audit records are kept, in days (at least 180: 6 months, 网络安全法 art. 21). The ledger
       * is append-only and never pruned, so this is the minimum an operator must keep in backups and exports.
       */
      retentionDays: Type.Integer({ minimum: 180, default: 180 }),
      /** Denied requests written per actor and address per minute; beyond it one burst entry is written. */
      deniedPerMinute: Type.Integer({ minimum: 1, default: 30 }),
      /** How often a node recomputes the alerts while a security administrator's screen waits for them (long poll). */
      alertCheckSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 5 }),
      /**
       * A folder (outside the data folder, on archive storage) the trail is exported to day by day, before anything
       * is pruned; unset: no archive (export by hand with GET /api/audit/export).
       */
      archiveDir: Type.Optional(Type.String({ minLength: 1 })),
      /** How often the keeping job runs (archive the whole days not yet archived, then prune the denial counts); 0: never. */
      keepIntervalSeconds: Type.Integer({ minimum: 0, default: 3600 }),
      alerts: Type.Object(
        {
          /** The window alerts look back over. */
          windowMinutes: Type.Integer({ minimum: 1, default: 15 }),
          /** Denied requests and failed logins by one actor or address within the window that raise an alert. */
          deniedThreshold: Type.Integer({ minimum: 1, default: 10 }),
          /** Reads of personal data or sensitive datasets by one actor within the window that raise an alert. */
          readThreshold: Type.Integer({ minimum: 1, default: 200 }),
        },
        { default: {} },
      ),
    },
    { default: {} },
  ),
  ledger: Type.Object(
    {
      /** PEM of an Ed25519 private key (SM2 in 国密 mode); when unset `signingKeyFile`, else the data folder's key file. */
      signingKeyPem: Type.Optional(Type.String()),
      /** A key file outside the data folder (created with mode 0600 when missing); docs/ledger.md, "The signing key". */
      signingKeyFile: Type.Optional(Type.String({ minLength: 1 })),
      checkpointIntervalSeconds: Type.Integer({ minimum: 1, default: 60 }),
      /** `gm` (国密): SM3 hashes and SM2 signatures; chosen before the ledger's first entry, refused after. */
      mode: Type.Union([Type.Literal('standard'), Type.Literal('gm')], { default: 'standard' }),
      /** The SM2 user id (ZA, GB/T 32918.2 §5.5) checkpoints are signed with in 国密 mode; GB/T 35276's default. */
      sm2UserId: Type.String({ minLength: 1, maxLength: 1000, default: '1234567812345678' }),
      /** A file outside the data folder that receives every checkpoint (the witness); unset: no witness. */
      witnessFile: Type.Optional(Type.String({ minLength: 1 })),
      /** Seconds after an append when a checkpoint is signed and witnessed (0: only every checkpointIntervalSeconds). */
      witnessDelaySeconds: Type.Number({ minimum: 0, maximum: 3600, default: 2 }),
      witness: Type.Object(
        {
          /** Other CityHub nodes that witness this ledger: each receives every checkpoint (docs/ledger.md). */
          peers: Type.Array(
            Type.Object({
              url: Type.String({ pattern: '^https?://', description: 'the peer node\'s base URL' }),
              /** A key of the peer holding the role `ledger_peer` (a secret: from the orchestrator). */
              apiKey: Type.String({ minLength: 1 }),
            }),
            { default: [] },
          ),
        },
        { default: {} },
      ),
    },
    { default: {} },
  ),
  /** Confidentiality at rest (GB/T 39786-2021 8.4 d): sensitive personal fields encrypted with SM4 (docs/security.md). */
  security: Type.Object(
    {
      /** `auto`: on in 国密 mode (`ledger.mode: gm`), off otherwise; `on` / `off` force it. */
      fieldEncryption: Type.Union([Type.Literal('auto'), Type.Literal('on'), Type.Literal('off')], { default: 'auto' }),
      /** The field key ring, newest first: `k2:<base64 of 32 bytes>,k1:<…>`; a secret from the orchestrator. */
      fieldKeys: Type.Optional(Type.String({ minLength: 1 })),
      /** A file holding the key ring, outside the data folder (created with one key, mode 0600, when missing). */
      fieldKeysFile: Type.Optional(Type.String({ minLength: 1 })),
    },
    { default: {} },
  ),
  /**
   * Change events between nodes: NATS JetStream when `natsUrl` is set (several nodes on one PostgreSQL), else in
   * process. Events only hasten what polling would find (docs/architecture.md).
   */
  events: Type.Object(
    {
      natsUrl: Type.Optional(Type.String({ pattern: '^(nats|tls)://' })),
      stream: Type.String({ pattern: '^[A-Za-z0-9_-]+$', default: 'CITYHUB_EVENTS' }),
      subjectPrefix: Type.String({ pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$', default: 'cityhub' }),
      maxAgeSeconds: Type.Integer({ minimum: 1, default: 3600 }),
      connectTimeoutSeconds: Type.Number({ minimum: 0.1, default: 5 }),
    },
    { default: {} },
  ),
  /** Several nodes on one PostgreSQL (docs/deploy/cluster.md): claimed work and shutdown. */
  cluster: Type.Object(
    {
      /** How long a periodic job's claim outlives a node that stopped renewing it (killed): then another node runs it. */
      jobLeaseSeconds: Type.Integer({ minimum: 3, maximum: 3600, default: 30 }),
      /** On SIGTERM: how long in-flight requests and running jobs may take to finish before the process exits. */
      shutdownSeconds: Type.Number({ minimum: 0, maximum: 600, default: 20 }),
    },
    { default: {} },
  ),
  /**
   * Calls CityHub makes on someone's behalf (notifications, remote contexts) never reach loopback, private,
   * link-local or metadata addresses unless listed here: exact host names or networks (`10.20.0.0/16`).
   */
  outbound: Type.Object(
    {
      allow: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    },
    { default: {} },
  ),
  /** Language models behind the OpenAI-compatible API, and the switch (docs/hotline-llm.md). */
  llm: LlmConfigSchema,
  http: Type.Object(
    {
      /**
       * The reverse proxies whose X-Forwarded-For/-Proto/-Host are believed: false (none, the default), or their
       * addresses or networks (`10.0.0.5`, `10.20.0.0/16`, `::1`). Only then is a request's address the client's
       * own rather than the proxy's, so throttles key on the real client; a spoofed header from anyone else is ignored.
       */
      trustProxy: Type.Union([Type.Literal(false), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], { default: false }),
    },
    { default: {} },
  ),
  /** Module sections (hotline, context, catalog…), each checked at boot against its module's schema (`readModuleSections`). */
  modules: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
});

export type Config = Static<typeof ConfigSchema>;

/** Environment variable → config key (dotted paths for nested keys). */
const envKeys: Record<string, string> = {
  PORT: 'port',
  HOST: 'host',
  CITYHUB_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  DATABASE_READ_URL: 'database.readUrl',
  DATABASE_POOL_MAX: 'database.poolMax',
  LOG_LEVEL: 'logLevel',
  CITYHUB_NODE_ID: 'nodeId',
  CITYHUB_ACCESS_LOG: 'log.access',
  CITYHUB_BODY_LIMIT: 'bodyLimit',
  CITYHUB_DEMO: 'demoOnEmpty',
  CITYHUB_SESSION_TTL_HOURS: 'auth.sessionTtlHours',
  CITYHUB_SESSION_IDLE_MINUTES: 'auth.sessionIdleMinutes',
  CITYHUB_SECURE_COOKIES: 'auth.secureCookies',
  CITYHUB_TRUST_PROXY: 'http.trustProxy',
  CITYHUB_LEDGER_KEY: 'ledger.signingKeyPem',
  CITYHUB_LEDGER_KEY_FILE: 'ledger.signingKeyFile',
  CITYHUB_LEDGER_MODE: 'ledger.mode',
  CITYHUB_LEDGER_WITNESS: 'ledger.witnessFile',
  CITYHUB_AUDIT_ARCHIVE: 'audit.archiveDir',
  CITYHUB_FIELD_ENCRYPTION: 'security.fieldEncryption',
  CITYHUB_FIELD_KEYS: 'security.fieldKeys',
  CITYHUB_FIELD_KEYS_FILE: 'security.fieldKeysFile',
  CITYHUB_NATS_URL: 'events.natsUrl',
  CITYHUB_TIME_ZONE: 'city.timeZone',
  CITYHUB_LLM_ENABLED: 'llm.enabled',
};

/** Keys given in the environment as a comma-separated list (`false` for none). */
const envLists = new Set(['http.trustProxy']);

const envValue = (key: string, value: string): unknown =>
  envLists.has(key) ? (value.trim() === 'false' ? false : value.split(',').map((v) => v.trim()).filter(Boolean)) : value;

/** An IP address or a network in CIDR notation (`10.20.0.0/16`, `fd00::/8`). */
const isAddressOrNetwork = (text: string): boolean => {
  const [address, bits, ...rest] = text.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const setPath = (target: Record<string, unknown>, dotted: string, value: unknown): void => {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] = (node[key] as Record<string, unknown> | undefined) ?? {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
};

const getPath = (source: unknown, dotted: string): unknown =>
  dotted.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), source);

/**
 * Numbers given in the environment that the conversion changed (TypeBox turns "2.5" into the integer 2): a
 * mistyped pool size or port must stop the boot, not run with another value.
 */
const changedNumbers = (given: Array<[string, string]>, converted: unknown): string[] =>
  given.flatMap(([key, text]) => {
    const value = getPath(converted, key);
    return typeof value === 'number' && Number(text) !== value ? [`${key}: "${text}" is not a whole number`] : [];
  });

const readConfigFile = (file: string): Record<string, unknown> => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError([`CITYHUB_CONFIG_FILE ${file}: ${(err as Error).message}`]);
  }
};

/** One line per bad key (TypeBox may report a key more than once). */
const describeErrors = (schema: TSchema, value: unknown, prefix: string): string[] => {
  const lines = [...Value.Errors(schema, value)].map(
    (e) => `${prefix}${e.instancePath.slice(1).replaceAll('/', '.') || '(root)'}: ${e.message}`,
  );
  return [...new Set(lines)];
};

/**
 * Reads the configuration once: defaults ← config file ← environment ← CLI flags. Fails listing every bad key.
 *
 * @example const config = loadConfig(process.env, { PORT: '9000' });
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Record<string, string | undefined> = {},
): Config {
  const merged = { ...env, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
  const raw: Record<string, unknown> = merged.CITYHUB_CONFIG_FILE ? readConfigFile(merged.CITYHUB_CONFIG_FILE) : {};
  const given: Array<[string, string]> = [];
  for (const [name, key] of Object.entries(envKeys)) {
    const value = merged[name];
    if (value === undefined || value === '') continue;
    setPath(raw, key, envValue(key, value));
    given.push([key, value]);
  }
  const converted = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, raw));
  const problems = [...describeErrors(ConfigSchema, converted, ''), ...unknownKeys(ConfigSchema, raw, ''), ...changedNumbers(given, converted)];
  const timeZone = (converted as Config).city?.timeZone;
  if (typeof timeZone === 'string' && !isTimeZone(timeZone)) problems.push(`city.timeZone: "${timeZone}" is not an IANA time zone (e.g. Asia/Shanghai)`);
  const trustProxy = (converted as Config).http?.trustProxy;
  if (Array.isArray(trustProxy)) {
    for (const entry of trustProxy) {
      if (typeof entry === 'string' && !isAddressOrNetwork(entry)) problems.push(`http.trustProxy: "${entry}" is not an IP address or a CIDR network (e.g. 10.0.0.5, 10.20.0.0/16)`);
    }
  }
  for (const role of (converted as Config).auth?.totp?.requiredForRoles ?? []) {
    // a misspelt role would silently drop the second factor for the administrators it meant
    if (typeof role === 'string' && !isRole(role)) problems.push(`auth.totp.requiredForRoles: "${role}" is not a role (${roles.join(', ')})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = converted as Config;
  return { ...config, dataDir: path.resolve(config.dataDir) };
}

/**
 * Reads every module's section (`modules.<name>`) against its schema at once, filling defaults. Boot fails
 * listing every bad or unknown key of every module, each with its path and the nearest valid key, and every
 * section that names no module.
 *
 * @example const sections = readModuleSections(config, { hotline: HotlineConfigSchema, kpi: KpiConfigSchema });
 */
export function readModuleSections(config: Config, schemas: Record<string, TSchema>): Record<string, unknown> {
  const problems: string[] = [];
  const sections: Record<string, unknown> = {};
  for (const name of Object.keys(config.modules)) {
    if (!(name in schemas)) problems.push(`modules.${name}: no such module${suggestion(name, Object.keys(schemas))}`);
  }
  for (const [name, schema] of Object.entries(schemas)) {
    const given = structuredClone(config.modules[name] ?? {});
    const value = Value.Convert(schema, Value.Default(schema, structuredClone(given)));
    problems.push(...describeErrors(schema, value, `modules.${name}.`), ...unknownKeys(schema, given, `modules.${name}.`));
    sections[name] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return sections;
}

/** The keys of `value` that its object schema does not declare, recursively, each with the nearest valid key. */
function unknownKeys(schema: TSchema, value: unknown, prefix: string): string[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (!properties || value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const known = Object.keys(properties);
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) =>
    key in properties
      ? unknownKeys(properties[key], child, `${prefix}${key}.`)
      : [`${prefix}${key}: unknown key${suggestion(key, known)}`],
  );
}

const suggestion = (key: string, known: string[]): string => {
  const ranked = known.map((k) => ({ k, d: editDistance(key.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d);
  const best = ranked[0];
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${best.k}"?)` : ` (valid: ${known.join(', ')})`;
};

/** Levenshtein distance: how many one-letter edits turn `a` into `b`. */
const editDistance = (a: string, b: string): number => {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
};

const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};
