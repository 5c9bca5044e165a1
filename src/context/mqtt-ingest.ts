import { createServer, type Server } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
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
 * `system:mqtt-ingest`.
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

  constructor(
    private readonly config: MqttConfig,
    private readonly batches: EntityBatchService,
    private readonly contexts: ContextResolver,
    private readonly auth: ApiKeyLookup,
    private readonly log: Logger,
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
    this.client = await mqtt.connectAsync(this.url, {
      clientId: `cityhub-ingest-${process.pid}-${Math.random().toString(16).slice(2, 8)}`, reconnectPeriod: 2000, connectTimeout: 5000,
      // Shared subscriptions are MQTT 5 (3.1.1 brokers know them only as an extension).
      ...(group ? { protocolVersion: 5 as const } : {}),
    });
    // The message's own topic arrives, not the `$share/…` filter, so the mappings match it as they are.
    this.client.on('message', (topic, payload) => void this.handle(topic, payload));
    await this.client.subscribeAsync(this.config.mappings.map((m) => (group ? `$share/${group}/${m.topic}` : m.topic)), { qos: 1 });
    this.log.info({ url: this.url, mappings: this.config.mappings.length, sharedGroup: group || null }, 'MQTT ingestion listening');
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
      if (actor) void this.handle(packet.topic, Buffer.from(packet.payload), actor);
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

  /** Applies one message as the actor (the publishing key's, or the system actor for an external broker). */
  async handle(topic: string, payload: Buffer, actor: Actor = ingestActor): Promise<void> {
    this.stats.received++;
    for (const mapping of this.config.mappings) {
      const levels = matchTopic(mapping.topic, topic);
      if (!levels) continue;
      try {
        const entity = messageToEntity(mapping, levels, payload);
        const ctx = await this.contexts.resolve(mapping.context ?? CITYHUB_CONTEXT_URL);
        const result = await this.batches.batchWrite({ actor, tenant: mapping.tenant ?? '', ctx }, 'upsert', [entity], { replace: false });
        if (result.errors.length) throw new Error(result.errors[0].error.detail ?? result.errors[0].error.title);
        this.stats.applied++;
      } catch (err) {
        this.stats.failed++;
        this.stats.lastError = `${topic}: ${isProblem(err) ? err.detail ?? err.title : (err as Error).message}`;
        this.log.warn({ topic, error: this.stats.lastError }, 'MQTT message not applied');
      }
      return;
    }
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true).catch((err: unknown) => this.log.warn({ err }, 'MQTT ingestion client did not close cleanly'));
    this.client = undefined;
    // The broker first: it disconnects its clients, which the server's close waits for.
    if (this.broker) await new Promise<void>((r) => this.broker!.close(() => r()));
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = undefined;
    this.broker = undefined;
  }
}
