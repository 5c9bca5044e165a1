import type { HistoryRow } from './history-store.js';

/** What a page of the temporal pagination is cut by. */
export interface PageBounds {
  /** The page holds the newest instances (lastN), else the oldest. */
  newest: boolean;
  /** The size the client asked for (lastN), reported in Content-Range; '*' without. */
  lastN?: number;
  /** The window's bounds, when the query gave them (a range starts there). */
  from?: string;
  until?: string;
}

/** Instances of one page and, when the temporal limit cut a series, the page's Content-Range (§6.3.10). */
export interface InstancePage {
  rows: HistoryRow[];
  range?: string;
}

const seriesKey = (r: HistoryRow) => `${r.entity_id}\u0000${r.attr}\u0000${r.dataset_id}`;
const ms = (r: HistoryRow) => new Date(r.observed_at).getTime();
const iso = (t: number) => new Date(t).toISOString();

/**
 * One page of the temporal pagination (§6.3.10). `rows` (in series order, each series oldest first) hold up to
 * `limit + 1` instances per series (entity, attribute, datasetId); a series with more was cut by the server's
 * temporal limit. Then every series is cut at the same instant, so the page holds all instances between the
 * range's ends and the next page starts where it ends: oldest first, up to the earliest last instance of the cut
 * series (range `from`-that instant); with lastN, newest first, down to the latest first instance of the cut
 * series (range `until`-that instant, descending). Content-Range is `date-time <start>-<end>/<lastN or *>`;
 * without a bound of the window the range starts at the page's first instance.
 */
export function pageInstances(rows: HistoryRow[], limit: number, b: PageBounds): InstancePage {
  const series = new Map<string, HistoryRow[]>();
  for (const r of rows) {
    const k = seriesKey(r);
    const list = series.get(k);
    if (list) list.push(r);
    else series.set(k, [r]);
  }
  let cut: number | undefined;
  for (const list of series.values()) {
    if (list.length <= limit) continue;
    const edge = b.newest ? ms(list[list.length - limit]) : ms(list[limit - 1]);
    cut = cut === undefined ? edge : b.newest ? Math.max(cut, edge) : Math.min(cut, edge);
  }
  if (cut === undefined) return { rows };
  const kept: HistoryRow[] = [];
  for (const list of series.values()) {
    const page = b.newest ? list.slice(-limit) : list.slice(0, limit);
    for (const r of page) if (b.newest ? ms(r) >= cut : ms(r) <= cut) kept.push(r);
  }
  const first = kept.reduce((t, r) => (b.newest ? Math.max(t, ms(r)) : Math.min(t, ms(r))), cut);
  const start = (b.newest ? b.until : b.from) ?? iso(first);
  return { rows: kept, range: `date-time ${start}-${iso(cut)}/${b.lastN ?? '*'}` };
}
