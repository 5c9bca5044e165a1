import type { Clock } from '../../platform/clock/clock.js';
import { assertCan } from '../../platform/auth/permissions.js';
import type { Actor } from '../../platform/auth/roles.js';
import type { IntelConfig } from './config.js';
import type { TicketIndex } from './ticket-index.js';
import type { SimilarIndex } from './similar-index.js';
import { clusterItems, emergingAlerts, rankHotIssues, type HotItem } from './hot-issues.js';
import type { AlertList, EmergingAlert, HotIssue, HotIssueList } from './schemas.js';

const DAY = 86_400_000;

/** One computation, reused for `hot.cacheSeconds` while the index it was computed on is the current one. */
interface Computed {
  at: number;
  topN: number;
  index: SimilarIndex;
  issues: HotIssue[];
  alerts: EmergingAlert[];
}

/**
 * Hot issues (热点) and emerging alerts (未诉先办) over the last days' tickets of the index: clusters by text,
 * place and time (hot-issues.ts), ranked by the heat index or flagged as bursts against their own baseline.
 * Owns the cached computation.
 */
export class HotIssueService {
  private cached: Computed | undefined;

  constructor(
    private readonly config: Pick<IntelConfig, 'hot' | 'alerts'>,
    private readonly clock: Clock,
    private readonly index: TicketIndex,
  ) {}

  /** Hot issues (top-N) and emerging alerts over the last `hot.windowDays` days, cached `hot.cacheSeconds`. */
  async hotIssues(actor: Actor, topN?: number): Promise<HotIssueList> {
    assertCan(actor, 'hotline.intel.hot.read');
    const r = await this.compute(topN);
    return { issues: r.issues, computedAt: new Date(r.at).toISOString(), tickets: r.tickets };
  }

  async alerts(actor: Actor): Promise<AlertList> {
    assertCan(actor, 'hotline.intel.hot.read');
    const r = await this.compute();
    return { alerts: r.alerts, computedAt: new Date(r.at).toISOString() };
  }

  /** `tickets`: how many were clustered, -1 when the cached computation answers. */
  private async compute(topN = this.config.hot.topN): Promise<Computed & { tickets: number }> {
    await this.index.ready();
    await this.index.refresh();
    const now = this.clock().getTime();
    const index = this.index.current;
    const cached = this.cached;
    // A rebuilt index (the user dictionary changed) splits texts differently: compute again.
    if (cached && cached.topN === topN && cached.index === index && now - cached.at < this.config.hot.cacheSeconds * 1000) {
      return { ...cached, tickets: -1 };
    }
    const { hot, alerts } = this.config;
    const windowMs = Math.max(hot.windowDays, alerts.baselineDays + 1) * DAY;
    const items: HotItem[] = [];
    const all = index.all();
    for (let d = 0; d < all.length; d++) {
      const t = all[d];
      if (now - t.createdAt > windowMs || t.createdAt > now) continue;
      items.push({ ...t, vector: index.docVector(d), likes: t.likes });
    }
    const clusters = clusterItems(items, hot);
    const inHotWindow = clusters.filter((c) => c.members.some((m) => now - m.createdAt <= hot.windowDays * DAY));
    this.cached = { at: now, topN, index, issues: rankHotIssues(inHotWindow, now, { ...hot, topN }), alerts: emergingAlerts(clusters, now, alerts) };
    return { ...this.cached, tickets: items.length };
  }
}
