import { createHash } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { EventBus } from '../platform/events/index.js';
import { outboundRequest, OutboundUrlError, type OutboundPolicy } from '../platform/net/outbound.js';
import { linkHeader, CORE_CONTEXT_URL } from './jsonld-context.js';
import { mqttOptions, resolveBroker, sendableHeaders } from './notification-endpoint.js';
import type { ContextConfig } from './config.js';
import * as store from './subscription-store.js';

type NotificationConfig = ContextConfig['notifications'];

/** Published when notifications were queued: every node's dispatcher polls at once. */
export const OUTBOX_QUEUED = 'context.outbox.queued';

/**
 * Delivers the outbox: claims due notifications with a lease, sends each on its own (so a dead endpoint holds
 * one slot for at most the timeout, never the queue), and records the outcome. A crash between claim and
 * delivery only delays a notification until its lease ends: at least once, none lost. Woken over the event bus
 * when any node queues notifications; polls meanwhile, less often while there is nothing to do.
 */
export class NotificationDispatcher {
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<number>();
  private readonly brokers = new Map<string, Promise<MqttClient>>();
  /** Brokers that refused MQTT 5.0 (spoken to in 3.1.1 when a subscription names no MQTT-Version). */
  private readonly mqtt311Only = new Set<string>();
  private polling = false;
  private stopped = true;
  private ticking = false;
  private wokenWhileTicking = false;
  private idleMs: number;
  private lastSignal = 0;
  private signalTimer?: NodeJS.Timeout;
  private unsubscribe?: () => void;

  constructor(
    private readonly db: Db,
    private readonly config: NotificationConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly outbound: OutboundPolicy,
    private readonly events: EventBus,
  ) {
    this.idleMs = config.pollMs;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.events.subscribe(OUTBOX_QUEUED, () => this.wake());
    this.schedule(0);
  }

  /**
   * Tells every node's dispatcher (this one included) that notifications were queued. At most one event per
   * `pollMs`: a burst of changes (MQTT ingestion) makes one wake-up, not one per change.
   */
  signalQueued(): void {
    if (this.signalTimer) return;
    const wait = Math.max(0, this.lastSignal + this.config.pollMs - Date.now());
    this.signalTimer = setTimeout(() => {
      this.signalTimer = undefined;
      this.lastSignal = Date.now();
      void this.events.publish(OUTBOX_QUEUED);
    }, wait);
    this.signalTimer.unref();
  }

  /** Polls now and goes back to the short interval (the event may come before its transaction commits). */
  private wake(): void {
    if (this.stopped) return;
    this.idleMs = this.config.pollMs;
    if (this.ticking) this.wokenWhileTicking = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    this.ticking = true;
    let started = 0;
    try {
      started = (await this.poll()).length;
    } catch (err) {
      this.log.error({ err }, 'notification poll failed');
    }
    this.ticking = false;
    if (this.stopped) return;
    this.idleMs = started > 0 ? this.config.pollMs : Math.min(this.idleMs * 2, Math.max(this.config.maxPollMs, this.config.pollMs));
    const woken = this.wokenWhileTicking;
    this.wokenWhileTicking = false;
    this.schedule(woken ? 0 : this.idleMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.signalTimer) clearTimeout(this.signalTimer);
    this.signalTimer = undefined;
    const deadline = Date.now() + this.config.timeoutMs + 500;
    while (this.inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const client of this.brokers.values()) {
      try {
        (await client).end(true);
      } catch {
        // never connected
      }
    }
    this.brokers.clear();
  }

  /** Notifications this node is sending now (metrics). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Claims what is due and starts delivering it; returns the promises (tests await them). */
  async poll(): Promise<Promise<void>[]> {
    if (this.polling) return [];
    this.polling = true;
    try {
      const free = this.config.concurrency - this.inFlight.size;
      if (free <= 0) return [];
      const now = this.clock();
      const lease = new Date(now.getTime() + this.config.leaseSeconds * 1000);
      const rows = await store.claimDue(this.db, now, lease, free, [...this.inFlight]);
      return rows.map((row) => {
        this.inFlight.add(row.id);
        return this.deliver(row).finally(() => this.inFlight.delete(row.id));
      });
    } finally {
      this.polling = false;
    }
  }

  /** Delivers everything due now and waits (for tests and the CLI). */
  async drain(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const started = await this.poll();
      if (started.length === 0) return;
      await Promise.all(started);
    }
  }

  private async deliver(row: store.OutboxRow): Promise<void> {
    let error: string | undefined;
    let refused = false;
    try {
      if (row.endpoint.startsWith('mqtt')) await this.publish(row);
      else await this.post(row);
    } catch (err) {
      error = (err as Error).message || String(err);
      // The outbound guard refused the address: trying again would be refused again.
      refused = err instanceof OutboundUrlError;
    }
    const now = this.clock();
    // A subscription to registrations (§5.11) keeps its delivery members in its own table.
    const table = row.payload.type === 'ContextSourceNotification' ? 'context_csource_subscription' : 'context_subscription';
    if (!error) {
      await store.markDelivered(this.db, row.id, now);
      await store.recordDelivery(this.db, row.tenant, row.subscription_id, true, now, table);
      return;
    }
    const backoff = this.config.backoffSeconds;
    const wait = backoff.length ? backoff[Math.min(row.attempts - 1, backoff.length - 1)] : 1;
    const retryAt = refused || row.attempts >= this.config.maxAttempts ? null : new Date(now.getTime() + wait * 1000);
    await store.markFailed(this.db, row.id, error, retryAt, now);
    await store.recordDelivery(this.db, row.tenant, row.subscription_id, false, now, table);
    this.log.warn({ notification: row.id, endpoint: row.endpoint, attempt: row.attempts, error }, 'notification delivery failed');
  }

  /**
   * HTTP notifications through the platform's outbound guard: the address is checked after DNS, the answer is
   * size-limited, and redirects are not followed (a notification is posted to its endpoint, nowhere else).
   */
  private async post(row: store.OutboxRow): Promise<void> {
    const ctx = row.payload['@context'];
    // `Link` is the one header the subscription service adds itself (the subscription's @context).
    const { Link: link, ...receiverInfo } = row.headers;
    const headers: Record<string, string> = { ...sendableHeaders(receiverInfo), 'content-type': row.accept };
    if (row.tenant) headers['NGSILD-Tenant'] = row.tenant;
    if (row.accept === 'application/json') headers.Link = link ?? linkHeader(typeof ctx === 'string' ? ctx : CORE_CONTEXT_URL);
    const res = await outboundRequest(row.endpoint, this.outbound, {
      method: 'POST',
      headers,
      body: JSON.stringify(row.payload),
      timeoutMs: this.config.timeoutMs,
      maxRedirects: 0,
      // The status alone decides; a receiver's answer is not kept.
      maxBytes: 65_536,
    });
    if (res.status >= 300) throw new Error(`HTTP ${res.status}`);
  }

  /**
   * One connection per broker. The broker's name is resolved and checked by the outbound guard and the socket
   * opened to that address (TLS still checks the certificate against the name), so a name that resolves to a
   * private address is refused.
   */
  private broker(url: URL, protocolVersion: 4 | 5): Promise<MqttClient> {
    // One connection per broker, login and protocol version: a subscription must never publish with another
    // one's credentials, and MQTT-Version (notifierInfo) picks the protocol the connection speaks.
    const login = url.username || url.password ? `${url.username}:${createHash('sha256').update(url.password).digest('hex')}@` : '';
    const key = `${url.protocol}//${login}${url.host}#${protocolVersion}`;
    let client = this.brokers.get(key);
    if (!client) {
      const name = url.hostname.replace(/^\[|\]$/g, '');
      client = resolveBroker(url, this.outbound).then((address) => mqtt.connectAsync({
        protocol: url.protocol.replace(':', '') as 'mqtt' | 'mqtts',
        hostname: address,
        host: address,
        port: url.port ? Number(url.port) : url.protocol === 'mqtts:' ? 8883 : 1883,
        ...(address !== name ? { servername: name } : {}),
        connectTimeout: Math.min(this.config.timeoutMs, 5000),
        reconnectPeriod: 1000,
        protocolVersion,
        username: url.username ? decodeURIComponent(url.username) : undefined,
        password: url.password ? decodeURIComponent(url.password) : undefined,
        clientId: `cityhub-notify-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      }));
      // A failed connection is forgotten so the next notification tries again; the failure itself is reported by
      // the delivery that awaits this promise (recorded on the notification and logged).
      client.catch(() => this.brokers.delete(key));
      this.brokers.set(key, client);
    }
    return client;
  }

  /**
   * A connection speaking the version asked for. MQTT 5.0 is only the default: a broker that refuses it (one that
   * speaks 3.1.1 only, as CityHub's embedded aedes) is then spoken to in 3.1.1 — remembered per broker — unless
   * the subscription's MQTT-Version asked for 5.0.
   */
  private async mqttClient(url: URL, version: 4 | 5, versionGiven: boolean): Promise<MqttClient> {
    const host = `${url.protocol}//${url.host}`;
    if (version === 5 && !versionGiven && this.mqtt311Only.has(host)) return this.broker(url, 4);
    try {
      return await this.broker(url, version);
    } catch (err) {
      // CONNACK 1 (3.1.1) or reason 132 (5.0): unacceptable / unsupported protocol version.
      const code = (err as { code?: unknown }).code;
      if (version !== 5 || versionGiven || !(code === 1 || code === 132)) throw err;
      this.mqtt311Only.add(host);
      return this.broker(url, 4);
    }
  }

  /**
   * MQTT notifications (§7.3 binding): the notification as `body` with `metadata` headers, with the protocol
   * version and QoS the subscription's notifierInfo asks for now (MQTT 5.0 and QoS 0 by default).
   */
  private async publish(row: store.OutboxRow): Promise<void> {
    const url = new URL(row.endpoint);
    const topic = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (!topic) throw new Error('the MQTT endpoint has no topic');
    // Entity subscriptions' notifierInfo (subscriptions to registrations keep theirs elsewhere: defaults).
    const info = row.payload.type === 'Notification' ? await store.notifierInfoOf(this.db, row.tenant, row.subscription_id) : undefined;
    const { protocolVersion, qos, versionGiven } = mqttOptions(info);
    const client = await this.mqttClient(url, protocolVersion, versionGiven);
    const { Link: link, ...receiverInfo } = row.headers;
    const message = JSON.stringify({ metadata: { ...sendableHeaders(receiverInfo), ...(link ? { Link: link } : {}), 'Content-Type': row.accept, ...(row.tenant ? { 'NGSILD-Tenant': row.tenant } : {}) }, body: row.payload });
    await Promise.race([
      // MQTT 5 also names the payload's media type in the PUBLISH packet itself.
      client.publishAsync(topic, message, { qos, ...(protocolVersion === 5 ? { properties: { contentType: row.accept } } : {}) }),
      new Promise((_, reject) => setTimeout(() => reject(new Error('MQTT publish timed out')), this.config.timeoutMs).unref()),
    ]);
  }
}
