import { randomUUID } from 'node:crypto';
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { InProcessEventBus, type EventBus, type EventData, type EventErrorSink, type EventHandler } from './event-bus.js';

export interface NatsEventBusOptions {
  /** e.g. `nats://127.0.0.1:4222` */
  url: string;
  /** JetStream stream that keeps the events (created when missing). */
  stream: string;
  /** Subjects are `<prefix>.<subject>`; nodes of one city share the prefix. */
  subjectPrefix: string;
  /** How long the stream keeps an event. */
  maxAgeSeconds: number;
  connectTimeoutSeconds: number;
  onError?: EventErrorSink;
}

interface Envelope {
  origin: string;
  data: EventData;
}

/** Errors of a lasting outage are reported once a minute, not once an event. */
const ERROR_REPORT_MS = 60_000;
/** A broadcast waits this long for the first node's answer, and ends when no other answers for `BROADCAST_STALL_MS`. */
const BROADCAST_WAIT_MS = 2000;
const BROADCAST_STALL_MS = 50;

/** Broadcasts go over core NATS request-reply, outside the stream's `<prefix>.>` (JetStream would answer too). */
const broadcastSubject = (prefix: string): string => `_broadcast.${prefix}`;

/**
 * The bus between nodes: events go to a JetStream stream, and every node reads the new ones through an ordered
 * consumer of its own. A node's own events reach its subscribers directly (not through the server), so one node
 * behaves as with the in-process bus, and the copies that come back from the stream are skipped.
 */
export class NatsEventBus implements EventBus {
  readonly kind: EventBus['kind'] = 'nats';
  private readonly origin = randomUUID();
  private lastErrorAt = 0;
  private closing = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly messages: ConsumerMessages,
    private readonly broadcasts: Subscription,
    private readonly local: InProcessEventBus,
    private readonly prefix: string,
    private readonly onError: EventErrorSink,
  ) {}

  /** Connects, makes sure the stream exists and starts reading; fails with the server's address when it cannot. */
  static async connect(options: NatsEventBusOptions): Promise<NatsEventBus> {
    const onError = options.onError ?? (() => {});
    let nc: NatsConnection;
    try {
      nc = await connect({ servers: options.url, name: 'cityhub', timeout: options.connectTimeoutSeconds * 1000, maxReconnectAttempts: -1 });
    } catch (err) {
      throw new Error(`cannot reach NATS at ${options.url}: ${(err as Error).message}`);
    }
    try {
      await ensureStream(nc, options);
      const js = jetstream(nc);
      const consumer = await js.consumers.get(options.stream, { deliver_policy: DeliverPolicy.New });
      const messages = await consumer.consume();
      const local = new InProcessEventBus(onError);
      // Every node (this one too) runs a broadcast's handlers, then answers, so the sender knows they have run.
      const broadcasts = nc.subscribe(broadcastSubject(options.subjectPrefix), {
        callback: (err, m) => {
          if (err) return onError('broadcasts from other nodes no longer arrive', err);
          let message: { subject: string; data: EventData };
          try {
            message = m.json();
          } catch (e) {
            return onError(`broadcast ${m.subject}: not JSON`, e);
          }
          void local.deliver(message.subject, message.data ?? {}).then(() => m.respond());
        },
      });
      await nc.flush();
      const bus = new NatsEventBus(nc, js, messages, broadcasts, local, options.subjectPrefix, onError);
      void bus.read().catch((err: unknown) => onError('events from other nodes no longer arrive (polling only)', err));
      return bus;
    } catch (err) {
      // The connection is abandoned either way; the error worth reporting is the one thrown below.
      await nc.close().catch(() => {});
      throw new Error(`NATS JetStream at ${options.url} (stream ${options.stream}): ${(err as Error).message}`);
    }
  }

  publish(subject: string, data: EventData = {}): void {
    this.local.publish(subject, data);
    const envelope: Envelope = { origin: this.origin, data };
    this.js.publish(`${this.prefix}.${subject}`, JSON.stringify(envelope)).catch((err: unknown) => this.report(`event ${subject} not sent to NATS`, err));
  }

  async broadcast(subject: string, data: EventData = {}): Promise<number> {
    let answers = 0;
    try {
      const replies = await this.nc.requestMany(broadcastSubject(this.prefix), JSON.stringify({ subject, data }), { strategy: 'stall', maxWait: BROADCAST_WAIT_MS, stall: BROADCAST_STALL_MS });
      for await (const _ of replies) answers += 1;
    } catch (err) {
      this.report(`broadcast ${subject} not sent to NATS`, err);
    }
    // This node at least, even when NATS is away.
    if (answers === 0) await this.local.deliver(subject, data);
    return Math.max(answers, 1);
  }

  subscribe(subject: string, handler: EventHandler): () => void {
    return this.local.subscribe(subject, handler);
  }

  async close(): Promise<void> {
    this.closing = true;
    // Shutting down: a connection already lost has nothing left to close or drain.
    await this.messages.close().catch(() => {});
    this.broadcasts.unsubscribe();
    await this.nc.drain().catch(() => {});
    await this.local.close();
  }

  private async read(): Promise<void> {
    const start = this.prefix.length + 1;
    for await (const m of this.messages) {
      let envelope: Envelope;
      try {
        envelope = m.json<Envelope>();
      } catch (err) {
        this.report(`event ${m.subject}: not JSON`, err);
        continue;
      }
      if (envelope.origin !== this.origin) void this.local.deliver(m.subject.slice(start), envelope.data ?? {});
    }
    // The client re-creates an ordered consumer across server restarts; if it ever gives up, say so.
    if (!this.closing) this.onError('events from other nodes no longer arrive (polling only)', new Error('the NATS consumer stopped'));
  }

  private report(message: string, err: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorAt < ERROR_REPORT_MS) return;
    this.lastErrorAt = now;
    this.onError(message, err);
  }
}

/** Creates the stream unless it exists (another node may create it at the same moment). */
async function ensureStream(nc: NatsConnection, options: NatsEventBusOptions): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const exists = () => jsm.streams.info(options.stream).then(() => true, () => false);
  if (await exists()) return;
  try {
    await jsm.streams.add({ name: options.stream, subjects: [`${options.subjectPrefix}.>`], max_age: options.maxAgeSeconds * 1e9 });
  } catch (err) {
    if (!(await exists())) throw err;
  }
}
