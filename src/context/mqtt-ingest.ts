import { createServer, type Server } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
// aedes is CommonJS: Node's ESM loader cannot see its named exports, so take them from the default export.
import aedes from 'aedes';

const { createBroker } = aedes;
import type { Logger } from 'pino';
import { systemActor } from '../platform/auth/roles.js';
import { isProblem } from '../platform/errors/problem.js';
import type { ContextConfig } from './config.js';
import { CITYHUB_CONTEXT_URL, type ContextResolver } from './jsonld-context.js';
import type { EntityBatchService } from './entity-batch-service.js';

type MqttConfig = ContextConfig['mqtt'];
type Mapping = MqttConfig['mappings'][number];

/**
 * The actor MQTT ingestion writes as: devices are authenticated by the broker, not by CityHub. A data owner's
 * role is the narrowest that writes entities; of no organisation, so no organisation's access rules narrow it.
 */
const ingestActor = systemActor('mqtt-ingest', ['dept_data_owner']);

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
 * MQTT ingestion: subscribes to the configured broker (or starts the embedded one) and turns each message into
 * an attribute upsert through the configurable topic → entity mapping.
 */
export class MqttIngest {
  private client?: MqttClient;
  private broker?: ReturnType<typeof createBroker>;
  private server?: Server;
  readonly stats = { received: 0, applied: 0, failed: 0, lastError: '' };
  /** The broker URL in use (after start). */
  url?: string;

  constructor(
    private readonly config: MqttConfig,
    private readonly batches: EntityBatchService,
    private readonly contexts: ContextResolver,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (!this.config.ingest) return;
    let url = this.config.url;
    if (!url) {
      const started = await this.startEmbedded();
      if (!started) return;
      url = started;
    }
    this.url = url;
    this.client = await mqtt.connectAsync(url, { clientId: `cityhub-ingest-${process.pid}-${Math.random().toString(16).slice(2, 8)}`, reconnectPeriod: 2000, connectTimeout: 5000 });
    this.client.on('message', (topic, payload) => void this.handle(topic, payload));
    await this.client.subscribeAsync(this.config.mappings.map((m) => m.topic), { qos: 1 });
    this.log.info({ url, mappings: this.config.mappings.length }, 'MQTT ingestion listening');
  }

  private async startEmbedded(): Promise<string | undefined> {
    const broker = createBroker();
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

  /** Applies one message; exported behaviour for tests through `handle`. */
  async handle(topic: string, payload: Buffer): Promise<void> {
    this.stats.received++;
    for (const mapping of this.config.mappings) {
      const levels = matchTopic(mapping.topic, topic);
      if (!levels) continue;
      try {
        const entity = messageToEntity(mapping, levels, payload);
        const ctx = await this.contexts.resolve(mapping.context ?? CITYHUB_CONTEXT_URL);
        const result = await this.batches.batchWrite({ actor: ingestActor, tenant: mapping.tenant ?? '', ctx }, 'upsert', [entity], { replace: false });
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
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
    if (this.broker) await new Promise<void>((r) => this.broker!.close(() => r()));
    this.server = undefined;
    this.broker = undefined;
  }
}
