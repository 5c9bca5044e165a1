import { createServer, type Server } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
// aedes is CommonJS: Node's ESM loader cannot see its named exports, so take them from the default export.
import aedes from 'aedes';

const { createBroker } = aedes;
import type { Logger } from 'pino';
import { systemActor, type Actor } from '../platform/auth/roles.js';
import { can } from '../platform/auth/permissions.js';
import { isProblem } from '../platform/errors/problem.js';
import type { ContextConfig } from './config.js';
import { CITYHUB_CONTEXT_URL, type ContextResolver } from './jsonld-context.js';
import type { EntityBatchService } from './entity-batch-service.js';

type MqttConfig = ContextConfig['mqtt'];
type Mapping = MqttConfig['mappings'][number];

/**
 * The actor MQTT ingestion writes as when the publisher is not known to CityHub: messages read from an external
 * broker (which authenticates devices itself) and, only with `mqtt.allowAnonymous`, anonymous publishes to the
 * embedded broker. A data owner's role is the narrowest that writes entities. A device that connects to the
 * embedded broker with an API key is written as that key instead.
 */
const ingestActor = systemActor('mqtt-ingest', ['dept_data_owner']);

/** Looks up the actor of an API key (the platform's AuthService). */
export interface ApiKeyLookup {
  actorForApiKey(key: string): Promise<Actor | undefined>;
}

/** A failure to store that may pass (the database, a context server): the message is tried again, not dropped. */
class TransientError extends Error {
  constructor(cause: unknown) {
    super('transient', { cause });
  }
}

/** At stop, how long the messages already handed over may take, and the quiet that shows none is left. */
const DRAIN_MS = 5000;
const QUIET_MS = 300;

/** MQTT CONNACK return codes (3.1.1) aedes sends for a refused login. */
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;
const authError = (message: string, returnCode: number) => Object.assign(new Error(message), { returnCode });

/** Whether two MQTT topic filters can match one same topic (`+` one level, `#` the rest). */
export function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === '#' || y[i] === '#') return true;
    if (x[i] === undefined || y[i] === undefined) return false;
    if (x[i] !== '+' && y[i] !== '+' && x[i] !== y[i]) return false;
  }
  return true;
}

/** Matches an MQTT topic against a filter (`+` one level, `#` the rest); returns the wildcard levels. */
export function matchTopic(filter: string, topic: string): string[] | undefined {
  const f = filter.split('/');
  const t = topic.split('/');
  const captured: string[] = [];
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') {
      captured.push(t.slice(i).join('/'));
      return captured;
    }
    if (i >= t.length) return undefined;
    if (f[i] === '+') captured.push(t[i]);
    else if (f[i] !== t[i]) return undefined;
  }
  return f.length === t.length ? captured : undefined;
}

const fill = (template: string, levels: string[]) => template.replace(/\{(\d+)\}/g, (_, n) => levels[Number(n) - 1] ?? '');

/** Turns one message into the entity fragment to upsert, or explains why it cannot. */
export function messageToEntity(mapping: Mapping, levels: string[], payload: Buffer): Record<string, unknown> {
  const text = payload.toString('utf8').trim();
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // a bare string
  }
  const entity: Record<string, unknown> = { id: fill(mapping.entityId, levels), type: fill(mapping.entityType, levels) };
  if (mapping.attribute) {
    const name = fill(mapping.attribute, levels);
    const attr = value && typeof value === 'object' && !Array.isArray(value) && ('value' in value || 'object' in value || 'type' in value)
      ? value
      : { type: 'Property', value };
    entity[name] = mapping.unitCode ? { unitCode: mapping.unitCode, ...(attr as object) } : attr;
  } else {
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('the payload must be a JSON object of attribute → value');
    for (const [k, v] of Object.entries(value)) if (k !== 'id' && k !== 'type') entity[k] = v;
  }
  return entity;
}

/**
 * MQTT ingestion: subscribes to the configured broker, or starts the embedded one, and turns each message into
 * an attribute upsert through the configurable topic → entity mapping.
 *
 * The embedded broker (aedes) authenticates: a device connects with an API key as its MQTT password (any user
 * name) and may publish to the ingestion topics only if the key may write entities; its messages are written as
 * that key, so its roles, organisation and access rules apply. Without a key it is refused, unless
 * `mqtt.allowAnonymous` (a demo on one machine) lets it in as `system:mqtt-ingest`. Subscribing to the ingestion
 * topics (which carry every device's readings, past any access rule) is for admin and data_admin keys only.
 * An external broker (`mqtt.url`, Mosquitto) authenticates devices itself; its messages are written as
 * `system:mqtt-ingest`. A message from it is acknowledged (QoS 1 PUBACK) only once its entity update is stored, one
 * at a time in arrival order: a node that dies holding a message has not acknowledged it, and with a persistent
 * session (`sessionExpirySeconds` and a stable node id) the broker delivers it again when the node is back.
 */
export class MqttIngest {
  private client?: MqttClient;
  private broker?: ReturnType<typeof createBroker>;
  private server?: Server;
  /** The actor each client of the embedded broker logged in as. */
  private readonly actors = new WeakMap<object, Actor>();
  readonly stats = { received: 0, applied: 0, failed: 0, refused: 0, lastError: '' };
  /** The broker URL in use (after start). */
  url?: string;
  private stopping = false;
  /** Whether a broker message is being stored now, and when the last one came (the drain at stop waits for both). */
  private busy = false;
  private lastMessageAt = 0;

  constructor(
    private readonly config: MqttConfig,
    private readonly batches: EntityBatchService,
    private readonly contexts: ContextResolver,
    private readonly auth: ApiKeyLookup,
    private readonly log: Logger,
    /** The configured `--node-id`, stable across restarts (undefined when defaulted): names the persistent session. */
    private readonly nodeId?: string,
  ) {}

  async start(): Promise<void> {
    if (!this.config.ingest) return;
    if (!this.config.url) {
      this.url = await this.startEmbedded();
      if (this.url) this.log.info({ url: this.url, mappings: this.config.mappings.length, allowAnonymous: this.config.allowAnonymous }, 'MQTT ingestion listening (embedded broker)');
      return;
    }
    this.url = this.config.url;
    const group = this.config.sharedGroup;
    const session = this.sessionOptions();
    const client = mqtt.connect(this.url, {
      reconnectPeriod: 2000, connectTimeout: 5000, ...session,
      // Shared subscriptions and session expiry are MQTT 5 (3.1.1 brokers know the first only as an extension).
      ...(group || !session.clean ? { protocolVersion: 5 as const } : {}),
    });
    // mqtt.js sends the PUBACK when this calls back and hands over the next message only then (its documented
    // backpressure hook): stored first, acknowledged after. Set before the connection is up: a resumed session's
    // messages come right after the CONNACK, and the default hook would acknowledge them unstored. The message's
    // own topic arrives, not the `$share/…` filter, so the mappings match it as they are.
    client.handleMessage = (packet, callback) => {
      this.busy = true;
      this.handle(packet.topic, Buffer.from(packet.payload)).then(() => callback(), (err: Error) => callback(err)).finally(() => {
        this.busy = false;
        this.lastMessageAt = Date.now();
      });
    };
    this.client = client;
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error) => {
        client.end(true);
        reject(err);
      };
      client.once('error', failed);
      client.once('connect', () => {
        client.off('error', failed);
        // later errors (a lost connection) are logged; mqtt.js reconnects and the session resumes
        client.on('error', (err) => this.log.warn({ err }, 'MQTT ingestion connection error'));
        resolve();
      });
    });
    await this.client.subscribeAsync(this.filters(), { qos: 1 });
    this.log.info({ url: this.url, mappings: this.config.mappings.length, sharedGroup: group || null, clientId: session.clientId, persistent: !session.clean }, 'MQTT ingestion listening');
  }

  private filters(): string[] {
    const group = this.config.sharedGroup;
    return this.config.mappings.map((m) => (group ? `$share/${group}/${m.topic}` : m.topic));
  }

  /** A persistent session named for the node when configured (see `sessionExpirySeconds`), else a clean one. */
  private sessionOptions(): IClientOptions & { clientId: string; clean: boolean } {
    const expiry = this.config.sessionExpirySeconds;
    if (expiry > 0 && this.nodeId) {
      return { clientId: `cityhub-ingest-${this.config.sharedGroup || 'plain'}-${this.nodeId}`, clean: false, properties: { sessionExpiryInterval: expiry } };
    }
    // A session named for a node id that changes on every start would never be resumed, and would keep taking
    // its share of the group's messages until it expired: without a stable id the session ends with the connection.
    if (expiry > 0) this.log.warn('mqtt.sessionExpirySeconds needs a stable --node-id (CITYHUB_NODE_ID); using a clean session');
    return { clientId: `cityhub-ingest-${process.pid}-${Math.random().toString(16).slice(2, 8)}`, clean: true };
  }

  private isIngestTopic(topic: string): boolean {
    return this.config.mappings.some((m) => matchTopic(m.topic, topic) !== undefined);
  }

  /** The embedded broker's login and topic rules (see the class comment). */
  private createBroker(): ReturnType<typeof createBroker> {
    const allowAnonymous = this.config.allowAnonymous;
    return createBroker({
      authenticate: (client, _username, password, done) => {
        if (!password || password.length === 0) {
          if (allowAnonymous) return done(null, true);
          return done(authError('an API key is needed as the MQTT password', NOT_AUTHORIZED) as never, false);
        }
        this.auth.actorForApiKey(password.toString('utf8')).then(
          (actor) => {
            if (!actor) return done(authError('unknown or revoked API key', BAD_USERNAME_OR_PASSWORD) as never, false);
            this.actors.set(client, actor);
            done(null, true);
          },
          (err: unknown) => {
            this.log.warn({ err }, 'MQTT login check failed');
            done(authError('login could not be checked', NOT_AUTHORIZED) as never, false);
          },
        );
      },
      authorizePublish: (client, packet, callback) => {
        if (!client || !this.isIngestTopic(packet.topic)) return callback(null);
        const actor = this.actors.get(client);
        if (actor ? can(actor, 'context.entity.write') : allowAnonymous) return callback(null);
        this.stats.refused++;
        callback(new Error(`publishing to ${packet.topic} needs an API key that may write context entities`));
      },
      authorizeSubscribe: (client, subscription, callback) => {
        const actor = this.actors.get(client);
        const unrestricted = actor ? actor.roles.includes('admin') || actor.roles.includes('data_admin') : allowAnonymous;
        if (!unrestricted && this.config.mappings.some((m) => filtersOverlap(m.topic, subscription.topic))) return callback(null, null);
        callback(null, subscription);
      },
    });
  }

  private async startEmbedded(): Promise<string | undefined> {
    const broker = this.createBroker();
    // Messages published to the embedded broker are ingested as the client that published them.
    broker.on('publish', (packet, client) => {
      if (!client || !this.isIngestTopic(packet.topic)) return;
      const actor = this.actors.get(client) ?? (this.config.allowAnonymous ? ingestActor : undefined);
      if (actor) this.handle(packet.topic, Buffer.from(packet.payload), actor).catch(() => undefined); // stopping: dropped
    });
    const server = createServer(broker.handle);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.config.embeddedPort, this.config.embeddedHost, () => resolve());
      });
    } catch (err) {
      broker.close();
      this.log.warn({ err, port: this.config.embeddedPort }, 'embedded MQTT broker not started');
      return undefined;
    }
    this.broker = broker;
    this.server = server;
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : this.config.embeddedPort;
    return `mqtt://${this.config.embeddedHost}:${port}`;
  }

  /**
   * Applies one message as the actor (the publishing key's, or the system actor for an external broker). A message
   * that cannot be applied (a bad payload, a refused write) is counted failed and settled; a failure of the
   * database is tried again for `storeRetrySeconds`. Rejects only when the node stops meanwhile: the message is
   * then not acknowledged.
   */
  async handle(topic: string, payload: Buffer, actor: Actor = ingestActor): Promise<void> {
    this.stats.received++;
    const giveUpAt = Date.now() + this.config.storeRetrySeconds * 1000;
    for (let wait = 100; ; wait = Math.min(wait * 2, 5000)) {
      try {
        await this.apply(topic, payload, actor);
        return;
      } catch (err) {
        const permanent = !(err instanceof TransientError);
        if (permanent || Date.now() + wait > giveUpAt) return this.fail(topic, permanent ? err : err.cause);
        this.log.warn({ topic, err: err.cause }, 'MQTT message not stored yet; trying again');
      }
      await new Promise((r) => setTimeout(r, wait));
      if (this.stopping) throw new Error('MQTT ingestion stopped before the message was stored');
    }
  }

  /** Writes the message's entity update; a failure that may pass (not a refusal of the message) is a TransientError. */
  private async apply(topic: string, payload: Buffer, actor: Actor): Promise<void> {
    for (const mapping of this.config.mappings) {
      const levels = matchTopic(mapping.topic, topic);
      if (!levels) continue;
      const entity = messageToEntity(mapping, levels, payload);
      let result: Awaited<ReturnType<EntityBatchService['batchWrite']>>;
      try {
        const ctx = await this.contexts.resolve(mapping.context ?? CITYHUB_CONTEXT_URL);
        result = await this.batches.batchWrite({ actor, tenant: mapping.tenant ?? '', ctx }, 'upsert', [entity], { replace: false });
      } catch (err) {
        throw isProblem(err) && err.status < 500 ? err : new TransientError(err);
      }
      if (result.errors.length) throw new Error(result.errors[0].error.detail ?? result.errors[0].error.title);
      this.stats.applied++;
      return;
    }
  }

  private fail(topic: string, err: unknown): void {
    this.stats.failed++;
    this.stats.lastError = `${topic}: ${isProblem(err) ? err.detail ?? err.title : (err as Error).message}`;
    this.log.warn({ topic, error: this.stats.lastError }, 'MQTT message not applied');
  }

  /**
   * Stops the broker routing messages here (unsubscribe), then lets those it had already handed over be stored and
   * acknowledged, for at most DRAIN_MS: the rest of the group takes the new ones meanwhile.
   */
  private async leaveGroup(): Promise<void> {
    const client = this.client;
    if (!client?.connected) return;
    await client.unsubscribeAsync(this.filters()).catch((err: unknown) => this.log.warn({ err }, 'MQTT ingestion could not unsubscribe'));
    const end = Date.now() + DRAIN_MS;
    while (Date.now() < end && (this.busy || Date.now() - this.lastMessageAt < QUIET_MS)) await new Promise((r) => setTimeout(r, 50));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.leaveGroup();
    // Not forced: the acknowledgement of the message being stored now still goes out.
    await this.client?.endAsync(false).catch((err: unknown) => this.log.warn({ err }, 'MQTT ingestion client did not close cleanly'));
    this.client = undefined;
    // The broker first: it disconnects its clients, which the server's close waits for.
    if (this.broker) await new Promise<void>((r) => this.broker!.close(() => r()));
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = undefined;
    this.broker = undefined;
  }
}
