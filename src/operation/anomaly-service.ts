import type { Db } from '../platform/db/database.js';
import type { Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import type { OperationConfig } from './config.js';
import type { PartyService } from './party-service.js';
import type { Anomaly } from './schemas.js';
import { callsPerAccessMonth } from './meter-store.js';
import * as registry from './registry-store.js';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Anomalies for the supervisor (监管): months in which one market user's calls to one product jumped to
 * `spikeFactor` × the median of its other months of the year — a key shared or leaked, scraping, a quota set too
 * high — biggest jump first. Thresholds are configuration (`modules.operation.anomalies`).
 */
export class AnomalyService {
  constructor(private readonly db: Db, private readonly config: OperationConfig, private readonly parties: PartyService) {}

  async list(actor: Actor, year: number): Promise<Anomaly[]> {
    assertCan(actor, 'operation.anomaly.read');
    const { spikeFactor, minCalls } = this.config.anomalies;
    const rows = await callsPerAccessMonth(this.db, year);
    const series = new Map<string, typeof rows>();
    for (const r of rows) {
      const key = `${r.access_id}|${r.product_id}`;
      series.set(key, [...(series.get(key) ?? []), r]);
    }
    const [names, products] = await Promise.all([this.parties.orgs.all(), registry.listProducts(this.db)]);
    const found: Anomaly[] = [];
    for (const months of series.values()) {
      if (months.length < 3) continue;
      for (const m of months) {
        const usual = median(months.filter((x) => x !== m).map((x) => Number(x.calls)));
        const calls = Number(m.calls);
        if (calls < minCalls || calls < spikeFactor * Math.max(usual, 1)) continue;
        const party = await this.parties.require(m.market_user_party_id);
        found.push({
          kind: 'call_spike', month: m.month, accessId: m.access_id, marketUser: this.parties.ref(party, names), productId: m.product_id,
          productName: products.find((p) => p.id === m.product_id)?.name ?? m.product_id, calls, usualCalls: usual, ratio: Math.round((calls / Math.max(usual, 1)) * 10) / 10,
        });
      }
    }
    return found.sort((a, b) => b.ratio - a.ratio);
  }
}
