import { Type, type Static } from 'typebox';
import { CsourceConfigSchema } from './csource-config.js';

/** `modules.context` in the configuration (docs/context.md lists every key). */
export const ContextConfigSchema = Type.Object({
  /** Most entities one /entityOperations/* call may carry; more answer 413 naming this limit. */
  batchMax: Type.Integer({ minimum: 1, default: 1000 }),
  /** Default and largest page size of entity queries (larger `limit` answers 403 TooManyResults). */
  defaultLimit: Type.Integer({ minimum: 1, default: 20 }),
  maxLimit: Type.Integer({ minimum: 1, default: 1000 }),
  /** Deepest `joinLevel` of linked entity retrieval (`join=inline|flat`); each level fetches at most maxLimit entities. */
  joinMaxLevel: Type.Integer({ minimum: 1, maximum: 10, default: 3 }),
  /** How often entities and attribute instances whose v1.9 `expiresAt` has come are deleted (0: never). */
  expiryIntervalSeconds: Type.Integer({ minimum: 0, default: 60 }),
  /** Most candidates a geo-query checks exactly after the bounding-box pre-filter. */
  geoCandidateMax: Type.Integer({ minimum: 1, default: 200_000 }),
  /**
   * Longest regular expression in `q` (`~=`, `!~=`) and `idPattern`. Patterns are RE2 syntax and matched in
   * linear time; this bounds the compiled program too.
   */
  patternMaxLength: Type.Integer({ minimum: 1, maximum: 4096, default: 256 }),
  /** Extra JSON-LD contexts known locally: URL → { term: IRI }. */
  contexts: Type.Record(Type.String(), Type.Record(Type.String(), Type.String()), { default: {} }),
  /** Fetch unknown remote @context URLs (with the timeout); off by default: no network at request time. */
  fetchRemoteContexts: Type.Boolean({ default: false }),
  remoteContextTimeoutMs: Type.Integer({ minimum: 100, default: 2000 }),
  /** How many JSON-LD @contexts CityHub hosts at most (POST /jsonldContexts). */
  maxHostedContexts: Type.Integer({ minimum: 0, default: 1000 }),
  /** FIWARE compatibility: the `Fiware-Service` header names the tenant when `NGSILD-Tenant` is absent. */
  fiwareServiceAsTenant: Type.Boolean({ default: false }),
  temporal: Type.Object(
    {
      /** History older than this many days is deleted by the retention job; 0 keeps everything. */
      retentionDays: Type.Number({ minimum: 0, default: 0 }),
      retentionIntervalSeconds: Type.Integer({ minimum: 1, default: 3600 }),
      /**
       * PostgreSQL: the history is partitioned by month of write time; the retention job also makes the
       * partitions of the coming months, this many ahead (PGlite keeps one plain table).
       */
      partitionMonthsAhead: Type.Integer({ minimum: 1, default: 3 }),
      /** How often history written since is folded into the hourly rollup (queries are exact either way). */
      rollupIntervalSeconds: Type.Number({ minimum: 0.05, default: 5 }),
      /** Largest lastN and most instances returned per attribute. */
      maxInstances: Type.Integer({ minimum: 1, default: 10_000 }),
    },
    { default: {} },
  ),
  subscriptions: Type.Object(
    {
      /**
       * Most subscriptions one owner (a user or an API key) holds over all tenants; one more answers 403
       * naming this limit. Every change is matched against every active subscription of its tenant.
       */
      maxPerOwner: Type.Integer({ minimum: 1, default: 100 }),
    },
    { default: {} },
  ),
  /** Snapshots (v1.9 §5.16): frozen copies of what queries select, each bounded. */
  snapshots: Type.Object(
    {
      /** Most live snapshots one tenant keeps; one more answers 403 naming this limit. */
      maxPerTenant: Type.Integer({ minimum: 1, default: 20 }),
      /** Most entities one snapshot copies; a create or clone selecting more answers 403 TooManyResults. */
      maxEntities: Type.Integer({ minimum: 1, default: 10_000 }),
      /** Lifetime of a snapshot that suggests none (snapshotLifetime), seconds. */
      defaultLifetimeSeconds: Type.Integer({ minimum: 1, default: 86_400 }),
      /** Longest lifetime granted whatever snapshotLifetime suggests (§5.16.1.4: "the configured limit"), seconds. */
      maxLifetimeSeconds: Type.Integer({ minimum: 1, default: 604_800 }),
    },
    { default: {} },
  ),
  notifications: Type.Object(
    {
      /**
       * The outbox is polled every `pollMs` while it has work; idle, the wait doubles up to `maxPollMs`. A change
       * that queues a notification wakes every node's dispatcher over the event bus at once, so the longer idle
       * wait costs no latency; polling stays the fallback (a lost event, a retry coming due).
       */
      pollMs: Type.Integer({ minimum: 10, default: 500 }),
      maxPollMs: Type.Integer({ minimum: 10, default: 2000 }),
      /** A claimed notification is retried by any node after this lease if its sender died. */
      leaseSeconds: Type.Number({ minimum: 0.1, default: 30 }),
      timeoutMs: Type.Integer({ minimum: 100, default: 5000 }),
      /** Deliveries in flight at once, over all endpoints. */
      concurrency: Type.Integer({ minimum: 1, default: 16 }),
      maxAttempts: Type.Integer({ minimum: 1, default: 8 }),
      /** Wait before retry n (seconds); the last value repeats. */
      backoffSeconds: Type.Array(Type.Number({ minimum: 0 }), { default: [1, 5, 30, 120, 600] }),
    },
    { default: {} },
  ),
  mqtt: Type.Object(
    {
      /** Listen to devices over MQTT. */
      ingest: Type.Boolean({ default: true }),
      /** Broker to subscribe to (production: mqtt://127.0.0.1:1883, Mosquitto); unset: the embedded broker. */
      url: Type.Optional(Type.String({ pattern: '^mqtts?://' })),
      /**
       * With `url`: the nodes subscribe as members of this MQTT 5 shared subscription (`$share/<group>/<topic>`), so
       * the broker hands each device message to one node only; '' subscribes plainly (every node ingests every
       * message: one node only, or a broker without MQTT 5). The embedded broker ignores it.
       */
      sharedGroup: Type.String({ pattern: '^[A-Za-z0-9_-]*$', maxLength: 100, default: 'cityhub' }),
      /**
       * With `url` and a stable `--node-id` (CITYHUB_NODE_ID): each node keeps an MQTT 5 persistent session
       * (client id `cityhub-ingest-<group>-<node id>`) that the broker keeps this long after the node is gone, so
       * the messages it had handed a node killed before storing them (and those shared out to it while it was
       * down) are delivered when the node comes back under the same id. 0: a clean session that ends with the
       * connection (a node's unstored messages are lost with it). Set it longer than a node takes to restart.
       */
      sessionExpirySeconds: Type.Integer({ minimum: 0, maximum: 4_294_967_295, default: 0 }),
      /**
       * How long a message is tried again while the database fails (it is acknowledged to the broker only once
       * stored); past it the message is counted failed, logged and acknowledged, so one message never blocks
       * ingestion for ever.
       */
      storeRetrySeconds: Type.Number({ minimum: 0, maximum: 3600, default: 60 }),
      /** Port of the embedded (aedes) broker; 1884 so it does not clash with Mosquitto on 1883. */
      embeddedPort: Type.Integer({ minimum: 0, maximum: 65535, default: 1884 }),
      embeddedHost: Type.String({ default: '127.0.0.1' }),
      /**
       * The embedded broker lets devices publish without an API key (written as the system actor
       * `mqtt-ingest`). Off by default: a device connects with an API key as its MQTT password and its messages
       * are written as that key (its roles, organisation and access rules). An external broker (`url`)
       * authenticates devices itself.
       */
      allowAnonymous: Type.Boolean({ default: false }),
      /**
       * Topic → attribute mappings. `topic` is an MQTT filter; `{1}`, `{2}`… in entityId/entityType/attribute are
       * the topic levels matched by the 1st, 2nd… wildcard. A payload is a JSON value, a number or a string; with
       * no `attribute` it must be a JSON object of attribute → value.
       */
      mappings: Type.Array(
        Type.Object({
          topic: Type.String(),
          entityId: Type.String(),
          entityType: Type.String(),
          attribute: Type.Optional(Type.String()),
          unitCode: Type.Optional(Type.String()),
          tenant: Type.Optional(Type.String()),
          /** The JSON-LD context the names are in; the CityHub (Smart Data Models) context by default. */
          context: Type.Optional(Type.String()),
        }),
        {
          default: [
            { topic: 'cityhub/+/+/attrs', entityId: 'urn:ngsi-ld:{1}:{2}', entityType: '{1}' },
            { topic: 'cityhub/+/+/attrs/+', entityId: 'urn:ngsi-ld:{1}:{2}', entityType: '{1}', attribute: '{3}' },
          ],
        },
      ),
    },
    { default: {} },
  ),
  /** Context-source registrations and distributed operations (csource-config.ts). */
  csources: CsourceConfigSchema,
  simulator: Type.Object(
    {
      /** Keep the demo entities changing (only entities the demo seeded are touched). */
      enabled: Type.Boolean({ default: true }),
      intervalSeconds: Type.Number({ minimum: 0.05, default: 10 }),
      perTick: Type.Integer({ minimum: 1, default: 200 }),
    },
    { default: {} },
  ),
});

export type ContextConfig = Static<typeof ContextConfigSchema>;
