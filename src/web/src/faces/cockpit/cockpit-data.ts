import { contextApi, type NgsiEntity } from '../../context-api.js';
import type { KpiTable, KpiTrend, OrgView } from '../../hotline-api.js';

/** A type of live city entity: its short name, how many there are, and a few live values averaged over a sample. */
export interface LiveType {
  type: string;
  /** the type's short name (`AirQualityObserved`), the key of its label */
  name: string;
  count: number;
  values: { attr: string; value: number; kind: 'mean' | 'share' }[];
  entities: NgsiEntity[];
}

const SAMPLE = 100;

/** `https://…/AirQualityObserved` or `ngsi:AirQualityObserved` → `AirQualityObserved`. */
export const shortType = (type: string): string => type.split(/[/#:]/).slice(-1)[0];

/** The value of an NGSI-LD property (normalized or concise). */
const valueOf = (v: unknown): unknown => (v && typeof v === 'object' && 'value' in (v as object) ? (v as { value: unknown }).value : v);

/**
 * Averages the sample's numeric properties (PM2.5, flow, fill) and gives the share of on/occupied/true for the
 * two-state ones (lit, occupied, congested): the live values a wall shows per type.
 */
export function liveValues(entities: NgsiEntity[]): LiveType['values'] {
  const sums = new Map<string, { sum: number; n: number; kind: 'mean' | 'share' }>();
  for (const e of entities) {
    for (const [attr, raw] of Object.entries(e)) {
      if (['id', 'type', '@context', 'location'].includes(attr)) continue;
      const v = valueOf(raw);
      const point = typeof v === 'number' ? { x: v, kind: 'mean' as const }
        : typeof v === 'boolean' ? { x: v ? 1 : 0, kind: 'share' as const }
          : v === 'on' || v === 'occupied' ? { x: 1, kind: 'share' as const }
            : v === 'off' || v === 'free' ? { x: 0, kind: 'share' as const } : null;
      if (!point) continue;
      // an attribute of a context the app does not send comes back expanded (`https://…/pm25`): its short name
      const name = shortType(attr);
      const s = sums.get(name) ?? { sum: 0, n: 0, kind: point.kind };
      s.sum += point.x;
      s.n++;
      sums.set(name, s);
    }
  }
  return [...sums.entries()].map(([attr, s]) => ({ attr, value: s.sum / s.n, kind: s.kind }));
}

/** Live city: each entity type with its true count (NGSILD-Results-Count) and live values from a sample. */
export async function loadLiveCity(): Promise<LiveType[]> {
  const types = await contextApi.types();
  return Promise.all(types.slice(0, 8).map(async (type) => {
    const page = await contextApi.entityPage(type, SAMPLE);
    return { type, name: shortType(type), count: page.count, values: liveValues(page.entities), entities: page.entities };
  }));
}

/**
 * The unit ranking split the way leaders read it: bureaus (departments) apart from district governments and
 * street offices, and only the ranked rows (a unit below the configured minimum of visits has no rank).
 */
export function splitRanking(table: KpiTable, orgs: OrgView[]): { departments: KpiTable['rows']; districts: KpiTable['rows'] } {
  const kind = (key: string | null) => orgs.find((o) => o.id === key)?.kind ?? 'department';
  const ranked = table.rows.filter((r) => r.rank !== null);
  return {
    departments: ranked.filter((r) => kind(r.key) === 'department'),
    districts: ranked.filter((r) => kind(r.key) !== 'department'),
  };
}

/** The trend over the periods that hold data: from the first period with a valid visit to the last. */
export function trendWithData(series: KpiTrend['series']): KpiTrend['series'] {
  const has = (s: KpiTrend['series'][number]) => s.counts.visited > 0;
  const first = series.findIndex(has);
  if (first < 0) return [];
  const last = series.length - 1 - [...series].reverse().findIndex(has);
  return series.slice(first, last + 1);
}

/** A live value as the wall prints it: a share in %, a mean rounded to what the number needs. */
export const formatLive = (v: LiveType['values'][number]): string =>
  v.kind === 'share' ? `${Math.round(v.value * 100)}%` : v.value >= 100 ? String(Math.round(v.value)) : v.value < 1 ? `${Math.round(v.value * 100)}%` : v.value.toFixed(1);
