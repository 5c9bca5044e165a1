import type { Logger } from 'pino';
import { systemActor } from '../platform/auth/roles.js';
import type { Clock } from '../platform/clock/clock.js';
import type { ContextConfig } from './config.js';
import { CITYHUB_CONTEXT_URL, type ContextResolver } from './jsonld-context.js';
import type { EntityBatchService } from './entity-batch-service.js';
import type { EntityQueryService } from './entity-query-service.js';
import { demoId, demoKinds, demoReadings } from './demo-data.js';
import { mulberry32 as seeded } from '../platform/random/seeded-random.js';

/** The simulator writes as a data owner (the narrowest role that writes entities), of no organisation. */
const simActor = systemActor('demo-simulator', ['dept_data_owner']);

/**
 * Keeps the demo city's entities changing: every interval a random sample gets new readings (through the normal
 * update path, so history and subscriptions see them). Touches only the demo's own ids, and does nothing when
 * the demo was not seeded.
 */
export class DemoSimulator {
  private timer?: NodeJS.Timeout;
  private readonly rnd = seeded(Date.now() & 0xffffffff);
  private seeded?: boolean;
  private ticks = 0;
  updates = 0;

  constructor(
    private readonly queries: EntityQueryService,
    private readonly batches: EntityBatchService,
    private readonly contexts: ContextResolver,
    private readonly config: ContextConfig['simulator'],
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (!this.config.enabled || this.timer) return;
    this.timer = setInterval(() => void this.tick().catch((err: unknown) => this.log.warn({ err }, 'demo simulator tick failed')), this.config.intervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round of updates; returns how many entities changed. */
  async tick(): Promise<number> {
    // Re-check every 30 ticks whether the demo exists (it may be seeded after start).
    if (this.seeded === undefined || (!this.seeded && this.ticks % 30 === 0)) {
      this.seeded = (await this.queries.findStored('', [demoId('Streetlight', 0)])).length > 0;
    }
    this.ticks++;
    if (!this.seeded) return 0;
    const total = demoKinds.reduce((n, k) => n + k.count, 0);
    const picks = new Set<number>();
    while (picks.size < Math.min(this.config.perTick, total)) picks.add(Math.floor(this.rnd() * total));
    const observedAt = this.clock().toISOString();
    const batch = [...picks].map((n) => {
      let i = n;
      for (const k of demoKinds) {
        if (i < k.count) return { id: demoId(k.type, i), type: k.type, ...demoReadings(k.type, this.rnd, observedAt) };
        i -= k.count;
      }
      throw new Error('unreachable');
    });
    const ctx = await this.contexts.resolve(CITYHUB_CONTEXT_URL);
    const r = await this.batches.batchWrite({ actor: simActor, tenant: '', ctx }, 'update', batch, {});
    this.updates += r.success.length;
    return r.success.length;
  }
}
