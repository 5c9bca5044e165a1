import { createHash } from 'node:crypto';
import type { AuditAlert } from './audit-service.js';

/** The alerts at one moment and a short fingerprint of them: a client passes it back to wait for a change. */
export interface AlertSnapshot {
  version: string;
  alerts: AuditAlert[];
}

interface Waiter {
  since: string;
  timer: NodeJS.Timeout;
  resolve: (snapshot: AlertSnapshot) => void;
}

const versionOf = (alerts: AuditAlert[]): string => createHash('sha256').update(JSON.stringify(alerts)).digest('hex').slice(0, 16);

/**
 * Pushes the security administrator's alerts by long polling (GB/T 22239-2019 8.1.3.5: 对安全事件及时告警): a
 * client asks with the version it holds and the answer comes as soon as the alerts differ. While anyone waits,
 * the alerts are computed every `checkSeconds` — once per node, however many wait — from the trail, so every
 * node pushes the same alerts. Long polling rather than SSE: an answer ends, so proxies, the access gate and
 * shutdown treat it as any request.
 *
 * @example const feed = new AlertFeed(() => computeAlerts(), 5, log.error); const { version, alerts } = await feed.next(undefined, 0);
 */
export class AlertFeed {
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<AlertSnapshot> | undefined;
  private latest: AlertSnapshot | undefined;
  private stopped = false;

  constructor(
    private readonly compute: () => Promise<AuditAlert[]>,
    private readonly checkSeconds: () => number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** The alerts now when their version differs from `since`; else the first change within `waitSeconds`; else the same. */
  async next(since: string | undefined, waitSeconds: number): Promise<AlertSnapshot> {
    const now = await this.check();
    if (since === undefined || now.version !== since || waitSeconds <= 0 || this.stopped) return now;
    return new Promise((resolve) => {
      const waiter: Waiter = {
        since,
        timer: setTimeout(() => this.settle(waiter, this.latest ?? now), waitSeconds * 1000),
        resolve,
      };
      this.waiters.add(waiter);
      this.schedule();
    });
  }

  /** Answers every waiter with what it has (shutdown: the server must not wait out a long poll). */
  stop(): void {
    this.stopped = true;
    for (const waiter of [...this.waiters]) this.settle(waiter, this.latest!);
  }

  /** One computation at a time; callers arriving meanwhile share it. */
  private check(): Promise<AlertSnapshot> {
    this.checking ??= this.compute()
      .then((alerts) => (this.latest = { version: versionOf(alerts), alerts }))
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => void this.tick(), this.checkSeconds() * 1000);
    // a waiting client must never keep a finished process alive
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    try {
      const snapshot = await this.check();
      for (const waiter of [...this.waiters]) if (waiter.since !== snapshot.version) this.settle(waiter, snapshot);
    } catch (err) {
      this.onError(err);
    }
    if (this.waiters.size > 0 && !this.stopped) this.schedule();
  }

  private settle(waiter: Waiter, snapshot: AlertSnapshot): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
    waiter.resolve(snapshot);
  }
}
