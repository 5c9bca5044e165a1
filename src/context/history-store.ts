import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../platform/db/database.js';
import { dropMonthlyPartitionsBefore, ensureMonthlyPartitions } from '../platform/db/partitions.js';
import { JsonPart } from './raw-json.js';
import './tables.js';

/** What one entity change adds to the history: the instances it wrote per attribute, the attributes it deleted. */
export interface HistoryWrite {
  entity_id: string;
  /** Attribute IRI → the instances written (createdAt/modifiedAt are dropped: recorded_at holds them). */
  attrs: Record<string, Record<string, unknown>[]>;
  deleted: string[];
}

/** observedAt of an instance, else the write time: the time the history orders and windows by. */
const observedOf = (inst: Record<string, unknown>, recordedAt: string) => (typeof inst.observedAt === 'string' ? inst.observedAt : recordedAt);

/** A history row's attributes as stored (createdAt/modifiedAt dropped) and the range of its observation times. */
export interface HistoryRecord {
  a: Record<string, Record<string, unknown>[]>;
  lo?: string;
  hi?: string;
}

/**
 * Shapes the instances one change wrote for its history row: write times dropped (recorded_at holds them),
 * obs_min/obs_max the earliest and latest observation (observedAt, else the write time; a deletion counts as
 * observed at the write time).
 */
export function historyRecord(written: Record<string, Record<string, unknown>[]>, recordedAt: string, deletes = false): HistoryRecord {
  const a: HistoryRecord['a'] = {};
  let lo = deletes ? recordedAt : undefined;
  let hi = lo;
  for (const attr in written) {
    a[attr] = written[attr].map((stored) => {
      // A copy without the write times (a loop: an object rest pattern is several times slower in V8).
      const instance: Record<string, unknown> = {};
      for (const k in stored) if (k !== 'createdAt' && k !== 'modifiedAt') instance[k] = stored[k];
      const at = observedOf(instance, recordedAt);
      if (lo === undefined || at < lo) lo = at;
      if (hi === undefined || at > hi) hi = at;
      return instance;
    });
  }
  return { a, lo, hi };
}

/**
 * Appends one history row per entity change (all attributes it wrote as one jsonb, the deleted ones as a list)
 * in one statement: a 100-entity batch of 10 attributes is 100 rows, not 1,000. The rows travel as one jsonb
 * parameter; obs_min/obs_max bound the observation times inside the row so windows can skip it. The hourly
 * rollup is not kept here but by rollUpHistory (off the write path); queries add the rows not yet rolled up.
 */
export async function appendHistory(db: Db, tenant: string, recordedAt: string, rows: HistoryWrite[]): Promise<void> {
  const kept = rows.filter((r) => r.deleted.length > 0 || Object.keys(r.attrs).length > 0);
  if (kept.length === 0) return;
  const payload = JSON.stringify(kept.map((r) => ({ e: r.entity_id, d: r.deleted, ...historyRecord(r.attrs, recordedAt, r.deleted.length > 0) })));
  await sql`
    insert into context_history (tenant, entity_id, recorded_at, obs_min, obs_max, attrs, deleted)
    select ${tenant}, x.e, ${recordedAt}::timestamptz, x.lo, x.hi, x.a, x.d
    from jsonb_to_recordset(${payload}::jsonb) as x(e text, a jsonb, d text[], lo timestamptz, hi timestamptz)`.execute(db);
}

/**
 * The instanceId of an instance of history row `h` at position `i.n` (1-based) of its attribute's list: the one
 * it carries (written by the temporal API, or named before its row was edited), else its place
 * (temporal-write-store.ts edits instances by it).
 */
export const INSTANCE_PREFIX = 'urn:ngsi-ld:Instance:';
export const instanceIdSql = sql`coalesce(i.value->>'instanceId', ${INSTANCE_PREFIX}::text || h.id::text || '.' || i.n::text)`;

/** Which write time a window is over (`timeproperty`, §5.2.21); undefined: observedAt. */
export type WriteTime = 'createdAt' | 'modifiedAt' | 'deletedAt';

/**
 * The time an instance is placed at: its observedAt (else the write time); with `timeproperty=createdAt` the
 * write time of its row (with `deletedAt`, where only deletions count, the time of the deletion), with
 * `modifiedAt` the time it was last changed (PATCH …/{instanceId} records it in the instance), else that
 * write time.
 */
const timeOf = (writeTime?: WriteTime) => (writeTime === 'createdAt' || writeTime === 'deletedAt' ? sql`h.recorded_at`
  : writeTime === 'modifiedAt' ? sql`coalesce((i.value->>'modifiedAt')::timestamptz, h.recorded_at)`
  : sql`coalesce((i.value->>'observedAt')::timestamptz, h.recorded_at)`);

/**
 * The history rows as one row per attribute instance (the shape queries work on). `rows` selects the stored
 * rows (a WHERE over context_history h); observed_at is the instance's observedAt, else the write time; num the
 * value when it is a JSON number. Deleted attributes appear as markers (deleted = true).
 */
const instancesOf = (rows: RawBuilder<unknown>, attrs?: string[], withIds = false, writeTime?: WriteTime) => sql`
  select h.id, h.entity_id, a.key as attr, coalesce(i.value->>'datasetId', '') as dataset_id,
    ${timeOf(writeTime)} as observed_at, i.value as instance, false as deleted,
    case when jsonb_typeof(i.value->'value') = 'number' then (i.value->>'value')::float8 end as num, h.rolled
    ${withIds ? sql`, ${instanceIdSql} as instance_id, h.recorded_at` : sql``}
  from context_history h cross join lateral jsonb_each(h.attrs) a
    cross join lateral jsonb_array_elements(a.value) ${withIds ? sql`with ordinality as i(value, n)` : sql`i`}
  where ${rows} ${attrs ? sql`and a.key = any(${attrs}::text[])` : sql``}
  union all
  select h.id, h.entity_id, d.attr, '', h.recorded_at, '{}'::jsonb, true, null::float8, h.rolled ${withIds ? sql`, '', h.recorded_at` : sql``}
  from context_history h cross join lateral unnest(h.deleted) as d(attr)
  where ${rows} ${attrs ? sql`and d.attr = any(${attrs}::text[])` : sql``}`;

/** History rows the rollup folds per statement. */
const ROLLUP_PAGE = 5000;

/**
 * Folds up to `limit` history rows not yet in the hourly rollup into it and marks them, in one statement
 * (several nodes may run it: SKIP LOCKED). Returns how many rows it took; 0 when all are rolled up.
 */
export async function rollUpHistory(db: Db, limit = ROLLUP_PAGE): Promise<number> {
  const r = await sql<{ n: number }>`
    with taken as (
      update context_history h set rolled = true
      where h.id in (select id from context_history where not rolled limit ${limit} for update skip locked)
      returning h.id, h.tenant, h.entity_id, h.recorded_at, h.attrs
    ), vals as (
      select t.tenant, t.entity_id, a.key as attr, coalesce(i.value->>'datasetId', '') as dataset_id,
        date_trunc('hour', coalesce((i.value->>'observedAt')::timestamptz, t.recorded_at), 'UTC') as hour, (i.value->>'value')::float8 as num
      from taken t cross join lateral jsonb_each(t.attrs) a cross join lateral jsonb_array_elements(a.value) i
      where jsonb_typeof(i.value->'value') = 'number'
    ), folded as (
      insert into context_history_hourly as r (tenant, entity_id, attr, dataset_id, hour, n, total, lo, hi, sumsq)
      select tenant, entity_id, attr, dataset_id, hour, count(*), sum(num), min(num), max(num), sum(num * num)
      from vals group by 1, 2, 3, 4, 5
      on conflict (tenant, entity_id, attr, dataset_id, hour) do update set
        n = r.n + excluded.n, total = r.total + excluded.total, lo = least(r.lo, excluded.lo),
        hi = greatest(r.hi, excluded.hi), sumsq = r.sumsq + excluded.sumsq
      returning 1
    )
    select (select count(*) from taken)::int as n, (select count(*) from folded)::int as f`.execute(db);
  return r.rows[0]?.n ?? 0;
}

/**
 * The history-rollup job's run: folds page after page while full pages come (a backlog), and stops after a partial
 * one, or when `stopped()` says so. Not until no row is left: under steady writes there always is one, and the job
 * would go on statement after statement on a few new rows instead of waiting for its next period. Returns how
 * many rows it folded.
 */
export async function rollUpBacklog(db: Db, stopped: () => boolean, page = ROLLUP_PAGE): Promise<number> {
  let total = 0;
  while (!stopped()) {
    const n = await rollUpHistory(db, page);
    total += n;
    if (n < page) break;
  }
  return total;
}

/**
 * Rebuilds the hourly rollup of a tenant from the raw history (after bulk loads or repairs), marking every row
 * rolled up; one statement, so the rollup and the marks come from one snapshot. Do not run it beside
 * rollUpHistory on the same tenant.
 */
export async function rebuildHourly(db: Db, tenant: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('context_history_hourly').where('tenant', '=', tenant).execute();
    await sql`
      with marked as (update context_history set rolled = true where tenant = ${tenant} and not rolled returning 1)
      insert into context_history_hourly (tenant, entity_id, attr, dataset_id, hour, n, total, lo, hi, sumsq)
      select ${tenant}, entity_id, attr, dataset_id, date_trunc('hour', observed_at, 'UTC'), count(*), sum(num), min(num), max(num), sum(num * num)
      from (${instancesOf(sql`h.tenant = ${tenant}`)}) x where not deleted and num is not null
      group by 1, 2, 3, 4, 5
      -- In the key's order: the index is filled page after page (inserted in the grouping's order its pages were
      -- split half-full and scattered, and the temporal megacity bench's month read 1.6× slower from it).
      order by 2, 3, 5, 4`.execute(trx);
  });
}

export interface HistoryFilter {
  tenant: string;
  entityIds: string[];
  /** Expanded attribute IRIs; undefined: all. */
  attrs?: string[];
  from?: string;
  /** Exclusive upper bound. */
  until?: string;
  /** Newest N per attribute instance series. */
  lastN?: number;
  /** Upper bound on rows per attribute series (config maxInstances). */
  cap: number;
  /**
   * `timeproperty=createdAt|modifiedAt|deletedAt`: the window (and the order) is over when each instance was
   * written, or last changed, or the deletions of attributes (timeOf). Default: observedAt.
   */
  writeTime?: WriteTime;
  /** v1.8 `datasetId`: only the series of these datasetIds ('' the default instance). */
  datasetIds?: string[];
}

export interface HistoryRow {
  /** The instance's name for the temporal writes (temporal-write-store.ts). */
  instance_id: string;
  entity_id: string;
  attr: string;
  dataset_id: string;
  observed_at: Date;
  instance: Record<string, unknown>;
  deleted: boolean;
  /** When the row holding the instance was written (the instance's createdAt and modifiedAt). */
  recorded_at: Date;
}

/** A time window over the history: [from, until) of observedAt, or of a write time. */
export type HistoryWindow = Pick<HistoryFilter, 'from' | 'until' | 'writeTime'>;

/**
 * The conditions on a history row `h` that may hold instances of the window (obs_min/obs_max bound each row;
 * an instance is changed after its row was written, never before).
 */
const rowWindow = (w: HistoryWindow) => w.writeTime
  ? sql`${w.from && w.writeTime !== 'modifiedAt' ? sql`and h.recorded_at >= ${w.from}::timestamptz` : sql``}
  ${w.until ? sql`and h.recorded_at < ${w.until}::timestamptz` : sql``}`
  : sql`${w.from ? sql`and h.obs_max >= ${w.from}::timestamptz` : sql``}
  ${w.until ? sql`and h.obs_min < ${w.until}::timestamptz` : sql``}`;

/** The stored rows that may hold instances of the filter's window. */
const rowsOf = (f: HistoryFilter) => sql`
  h.tenant = ${f.tenant} and h.entity_id = any(${f.entityIds}::text[]) ${rowWindow(f)}`;

/** The instances of the filter's window and datasetIds (the rows of rowsOf may also hold others); deletions only for deletedAt. */
const windowOf = (f: HistoryFilter) => sql`${f.writeTime === 'deletedAt' ? sql`deleted` : sql`true`}
  ${f.from ? sql`and observed_at >= ${f.from}::timestamptz` : sql``}
  ${f.until ? sql`and observed_at < ${f.until}::timestamptz` : sql``}
  ${f.datasetIds ? sql`and dataset_id = any(${f.datasetIds}::text[])` : sql``}`;

/**
 * The history of the entity of the enclosing `context_entity` row in a window, as attributes are stored
 * (attribute IRI → instances): what `q` reads on temporal queries (§5.7.4.4: the query is on the attribute
 * instances of the window, not on the current state). `sysAttrs`: each instance gets its createdAt/modifiedAt
 * (the write time), for q terms on them. A correlated subquery: it runs only for candidate entities.
 */
export const historyAttrsSql = (w: HistoryWindow, sysAttrs = false) => sql`(select coalesce(jsonb_object_agg(x.attr, x.instances), '{}'::jsonb) from (
    select a.key as attr, jsonb_agg(${sysAttrs ? sql`jsonb_build_object('createdAt', ${isoText(sql`h.recorded_at`)}, 'modifiedAt', ${isoText(sql`h.recorded_at`)}) || i.value` : sql`i.value`}) as instances
    from context_history h cross join lateral jsonb_each(h.attrs) a cross join lateral jsonb_array_elements(a.value) i
    where h.tenant = context_entity.tenant and h.entity_id = context_entity.id ${rowWindow(w)}
      ${w.from ? sql`and ${timeOf(w.writeTime)} >= ${w.from}::timestamptz` : sql``}
      ${w.until ? sql`and ${timeOf(w.writeTime)} < ${w.until}::timestamptz` : sql``}
    group by a.key) x)`;

/** A timestamptz as the API writes times (ISO 8601, milliseconds, Z). */
const isoText = (t: RawBuilder<unknown>) => sql`to_char(${t} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The instances of the entities' attributes in the window, oldest first: at most `n` of each (entity, attribute,
 * datasetId) series, the newest ones with lastN, else the oldest (a page of the temporal pagination, §6.3.10,
 * goes on from the last time it holds). Asking for one more than the page shows whether a series was cut.
 * Raw SQL for the lateral expansion and the window function.
 */
export async function queryHistory(db: Db, f: HistoryFilter, n = Math.min(f.lastN ?? f.cap, f.cap)): Promise<HistoryRow[]> {
  if (f.entityIds.length === 0) return [];
  const dir = sql.raw(f.lastN !== undefined ? 'desc' : 'asc');
  const r = await sql<HistoryRow>`
    select entity_id, attr, dataset_id, observed_at, instance, deleted, instance_id, recorded_at from (
      select entity_id, attr, dataset_id, observed_at, instance, deleted, id, instance_id, recorded_at,
        row_number() over (partition by entity_id, attr, dataset_id order by observed_at ${dir}, id ${dir}) as rn
      from (${instancesOf(rowsOf(f), f.attrs, true, f.writeTime)}) x where ${windowOf(f)}
    ) h where rn <= ${n}
    order by entity_id, attr, dataset_id, observed_at, id`.execute(db);
  return r.rows;
}

export type AggrMethod = 'totalCount' | 'distinctCount' | 'sum' | 'avg' | 'min' | 'max' | 'stddev' | 'sumsq';

/** One series per entity, attribute and datasetId: per method the list of [value, start, end] as JSON (TripleSeries, a JsonPart). */
export interface AggregateRow {
  entity_id: string;
  attr: string;
  dataset_id: string;
  [method: string]: unknown;
}

/**
 * The outer query: one row per series with the bucket starts (epoch seconds) and each method's values as JSON
 * arrays of numbers in bucket order, far cheaper to build and parse than [value, start, end] triples with
 * formatted times (a month of hours over 100 entities is 72,000 of them); seriesRows makes the triples. The
 * arrays come as text (::text): seriesRows reuses PostgreSQL's number text instead of parsing and formatting
 * each number again.
 */
const seriesOf = (methods: AggrMethod[]) => sql`select entity_id, attr, dataset_id,
  json_agg(extract(epoch from bucket)::float8 order by bucket)::text as buckets,
  ${sql.join(methods.map((m) => sql`json_agg(${sql.ref(m)} order by bucket)::text as ${sql.ref(m)}`))}`;

/**
 * A series as the queries return it: JSON arrays as text, per method the values and `buckets` their starts
 * (epoch seconds); or, when the buckets are the `n` consecutive periods from `first` (epoch seconds),
 * `buckets` null.
 */
export interface SeriesRow {
  entity_id: string;
  attr: string;
  dataset_id: string;
  buckets: string | null;
  first?: number | null;
  n?: number | null;
  [method: string]: unknown;
}

/**
 * The elements of a json_agg array as text. json_agg separates them with ", " and writes numbers as valid JSON
 * numbers, null, or — for NaN and ±Infinity, which JSON has no numbers for — quoted strings; those become null,
 * as JSON.stringify writes them.
 */
function jsonAggItems(text: string): string[] {
  if (text.length <= 2) return [];
  const items = text.slice(1, -1).split(', ');
  if (text.includes('"')) for (let i = 0; i < items.length; i++) if (items[i].charCodeAt(0) === 34) items[i] = 'null';
  return items;
}

/** Writes the characters `from`..`to` of an ASCII string (JSON numbers) into `out` at `o`; returns the new end. */
function writeAscii(out: Buffer, o: number, s: string, from: number, to: number): number {
  for (let p = from; p < to; p++) out[o++] = s.charCodeAt(p);
  return o;
}

/**
 * One series' [value, start, end] triples as JSON, written into the answer's buffer: `values` is the json_agg
 * text of the values in the buckets' order, `tails[k]` the bytes `,"start","end"]` of the k-th bucket of the
 * answer and `order[k]` (when the buckets did not come ascending) the index of its value. In order the values
 * are copied straight from the text, one pass and no string per value; json_agg writes NaN and ±Infinity as
 * strings, they become null as JSON.stringify writes them.
 */
class TripleSeries extends JsonPart {
  readonly maxBytes: number;

  constructor(private readonly values: string, private readonly tails: Buffer[], private readonly order: number[] | undefined, tailBytes: number) {
    super();
    // The text's ", " separators become "," and each triple adds "[" and ","; null is shorter than "NaN".
    this.maxBytes = values.length + 2 * tails.length + 2 + tailBytes;
  }

  writeTo(out: Buffer, at: number): number {
    const { values, tails, order } = this;
    let o = at;
    out[o++] = 0x5b; // [
    const items = order ? jsonAggItems(values) : undefined;
    let i = 1; // after json_agg's "["
    for (let k = 0; k < tails.length; k++) {
      if (k) out[o++] = 0x2c; // ,
      out[o++] = 0x5b;
      if (items) {
        const item = items[order![k]];
        o = writeAscii(out, o, item, 0, item.length);
      } else {
        let j = values.indexOf(', ', i);
        if (j < 0) j = values.length - 1;
        o = values.charCodeAt(i) === 34 ? o + out.write('null', o, 'latin1') : writeAscii(out, o, values, i, j);
        i = j + 2;
      }
      out.set(tails[k], o);
      o += tails[k].length;
    }
    out[o++] = 0x5d; // ]
    return o;
  }
}

/**
 * The series as the API gives them: per method its [value, start, end] triples (TripleSeries, written into
 * the response's bytes by serializeJson), ascending by start. The tail `,"start","end"]` of each triple is
 * built once per distinct bucket and shared; series with the same buckets as the one before (every entity of
 * a month of hours) share the list of tails too, so the buckets are parsed once. A series whose buckets come
 * out of order (the queries order them; this only guards the answer) is put in order here.
 */
export function seriesRows(rows: SeriesRow[], methods: AggrMethod[], periodSeconds: number): AggregateRow[] {
  const tails = new Map<number, Buffer>();
  const tail = (s: number) => {
    let t = tails.get(s);
    if (t === undefined) tails.set(s, (t = Buffer.from(`,"${new Date(s * 1000).toISOString()}","${new Date((s + periodSeconds) * 1000).toISOString()}"]`, 'latin1')));
    return t;
  };
  let buckets: string | undefined;
  let listed: Buffer[] = [];
  let listedBytes = 0;
  let order: number[] | undefined;
  return rows.map((r) => {
    const key = r.buckets ?? `${r.first}+${r.n}`;
    if (key !== buckets) {
      buckets = key;
      const starts = r.buckets !== null ? jsonAggItems(r.buckets).map(Number) : Array.from({ length: r.n! }, (_, k) => r.first! + k * periodSeconds);
      order = undefined;
      for (let i = 1; i < starts.length; i++) {
        if (starts[i] < starts[i - 1]) {
          order = starts.map((_, k) => k).sort((x, y) => starts[x] - starts[y]);
          break;
        }
      }
      listed = order ? order.map((i) => tail(starts[i])) : starts.map(tail);
      listedBytes = listed.reduce((n, t) => n + t.length, 0);
    }
    const out: AggregateRow = { entity_id: r.entity_id, attr: r.attr, dataset_id: r.dataset_id };
    for (const m of methods) out[m] = new TripleSeries(r[m] as string, listed, order, listedBytes);
    return out;
  });
}

/**
 * Runs an aggregation with enough sort memory for month-long answers over many series (the default 4 MB makes
 * PostgreSQL spill the grouping and the sort to disk) and without JIT: the planner prices the per-entity scans
 * of a month over 100 entities above jit_above_cost and PostgreSQL spent ~12 ms compiling each of them (the
 * query runs in less than 100 ms). set_config(…, true) ends with the transaction; one round trip for both.
 */
async function withAggregateSettings<T>(db: Db, run: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('work_mem', '64MB', true), set_config('jit', 'off', true)`.execute(trx);
    return run(trx);
  });
}

const aggrSql: Record<AggrMethod, RawBuilder<unknown>> = {
  totalCount: sql`count(*)::float8`,
  distinctCount: sql`count(distinct instance->'value')::float8`,
  sum: sql`sum(num)`,
  avg: sql`avg(num)`,
  min: sql`min(num)`,
  max: sql`max(num)`,
  stddev: sql`stddev_samp(num)`,
  sumsq: sql`sum(num * num)`,
};

/** Methods the hourly rollup can answer (totalCount and distinctCount also count non-numeric values). */
const rollupSql: Partial<Record<AggrMethod, RawBuilder<unknown>>> = {
  sum: sql`sum(total)`,
  avg: sql`sum(total) / nullif(sum(n), 0)`,
  min: sql`min(lo)`,
  max: sql`max(hi)`,
  sumsq: sql`sum(sumsq)`,
};

/** The same methods over one rollup row (one hour). */
const hourSql: Partial<Record<AggrMethod, RawBuilder<unknown>>> = {
  sum: sql`total`,
  avg: sql`total / nullif(n, 0)`,
  min: sql`lo`,
  max: sql`hi`,
  sumsq: sql`sumsq`,
};

/** Whether the rollup can answer: rollup methods only, whole-hour periods, window bounds on the hour. */
export const rollupAnswers = (methods: AggrMethod[], periodSeconds: number, f: HistoryFilter, origin: string): boolean =>
  methods.every((m) => m in rollupSql) && periodSeconds % 3600 === 0 &&
  [f.from, f.until, origin].every((t) => !t || Date.parse(t) % 3_600_000 === 0) && f.lastN === undefined && !f.writeTime && !f.datasetIds;

/**
 * Aggregates per period from the hourly rollup plus the history rows not yet rolled up (folded into hours the
 * same way in the query), so the answer is exact whether or not rollUpHistory has run. Buckets of `period`
 * start at `origin` (date_bin, PostgreSQL 14+).
 */
export async function aggregateHourly(db: Db, f: HistoryFilter, methods: AggrMethod[], periodSeconds: number, origin: string): Promise<AggregateRow[]> {
  if (f.entityIds.length === 0) return [];
  const period = `${periodSeconds} seconds`;
  const unrolled = sql`${rowsOf(f)} and not h.rolled`;
  const hourly = sql`tenant = ${f.tenant} and entity_id = any(${f.entityIds}::text[])
    ${f.attrs ? sql`and attr = any(${f.attrs}::text[])` : sql``}
    ${f.from ? sql`and hour >= ${f.from}::timestamptz` : sql``}
    ${f.until ? sql`and hour < ${f.until}::timestamptz` : sql``}`;
  const cols = sql.join(methods.map((m) => sql`${rollupSql[m]!} as ${sql.ref(m)}`));
  const pending = instancesOf(unrolled, f.attrs);
  return withAggregateSettings(db, async (trx) => {
    if (periodSeconds === 3600) {
      const { rows } = await sql<{ pending: boolean }>`select exists (select 1 from context_history h where ${unrolled}) as pending`.execute(trx);
      if (!rows[0].pending) {
        // Hourly periods with everything rolled up: the buckets are the rollup's rows, read per entity along the
        // primary key (tenant, entity_id, attr, hour, dataset_id; the values included: an index-only scan), one
        // attribute at a time when the query names them, so the window's hours bound the scan (with `attr = any(…)`
        // PostgreSQL 15 filters instead and reads every hour the entity has), and grouped per series (the ORDER BY
        // of the aggregates sorts rows that come in order). A series whose hours have no gap (count = span) needs no list of bucket starts: its first hour and
        // count say them, and formatting 720 starts per series cost as much as the values. The hours are
        // gathered as integers in the same pass and formatted only for a series with gaps (reading its hours
        // again in a subquery cost a third of the query when every series had gaps).
        const perHour = sql.join(methods.map((m) => sql`json_agg(${hourSql[m]!} order by hour)::text as ${sql.ref(m)}`));
        const inWindow = sql`${f.from ? sql`and hour >= ${f.from}::timestamptz` : sql``} ${f.until ? sql`and hour < ${f.until}::timestamptz` : sql``}`;
        const r = await sql<SeriesRow>`
          select e.id as entity_id, s.attr, s.dataset_id, s.n, s.first,
            case when s.n = (s.last - s.first) / 3600 + 1 then null else '[' || array_to_string(s.hours, ', ') || ']' end as buckets,
            ${sql.join(methods.map((m) => sql.ref(`s.${m}`)))}
          from unnest(${f.entityIds}::text[]) e(id) cross join lateral (
            select attr, dataset_id, count(*)::int as n, date_part('epoch', min(hour))::int8 as first,
              date_part('epoch', max(hour))::int8 as last, array_agg(date_part('epoch', hour)::int8 order by hour) as hours, ${perHour}
            from ${f.attrs ? sql`(select distinct unnest(${f.attrs}::text[])) a(name) cross join lateral (
              select attr, dataset_id, hour, n, total, lo, hi, sumsq from context_history_hourly
              where tenant = ${f.tenant} and entity_id = e.id and attr = a.name ${inWindow}) h` : sql`context_history_hourly
              where tenant = ${f.tenant} and entity_id = e.id ${inWindow}`}
            group by attr, dataset_id order by attr, dataset_id) s`.execute(trx);
        return seriesRows(r.rows, methods, periodSeconds);
      }
    }
    const r = await sql<SeriesRow>`
      ${seriesOf(methods)} from (
      select entity_id, attr, dataset_id, date_bin(${period}::interval, hour, ${origin}::timestamptz) as bucket, ${cols}
      from (
        select entity_id, attr, dataset_id, hour, n, total, lo, hi, sumsq from context_history_hourly where ${hourly}
        union all
        select entity_id, attr, dataset_id, date_trunc('hour', observed_at, 'UTC'), count(*)::int, sum(num), min(num), max(num), sum(num * num)
        from (${pending}) p where not deleted and num is not null and ${windowOf(f)}
        group by 1, 2, 3, 4
      ) hours
      group by entity_id, attr, dataset_id, bucket) b
      group by entity_id, attr, dataset_id order by entity_id, attr, dataset_id`.execute(trx);
    return seriesRows(r.rows, methods, periodSeconds);
  });
}

/** Aggregates per period from the raw history (§4.5.19); deleted markers are not counted. */
export async function aggregateHistory(db: Db, f: HistoryFilter, methods: AggrMethod[], periodSeconds: number, origin: string): Promise<AggregateRow[]> {
  if (f.entityIds.length === 0) return [];
  const period = `${periodSeconds} seconds`;
  const cols = sql.join(methods.map((m) => sql`${aggrSql[m]} as ${sql.ref(m)}`));
  const r = await withAggregateSettings(db, (trx) => sql<SeriesRow>`
    ${seriesOf(methods)} from (
    select entity_id, attr, dataset_id, date_bin(${period}::interval, observed_at, ${origin}::timestamptz) as bucket, ${cols}
    from (${instancesOf(rowsOf(f), f.attrs, false, f.writeTime)}) x where ${windowOf(f)} and not deleted
    group by entity_id, attr, dataset_id, bucket) b
    group by entity_id, attr, dataset_id order by entity_id, attr, dataset_id`.execute(trx));
  return seriesRows(r.rows, methods, periodSeconds);
}

/**
 * Deletes an entity's history, or one attribute's: removed from every row (rows left empty go) and from the
 * rollup. Returns how many rows held it.
 */
export async function deleteHistory(db: Db, tenant: string, entityId: string, attr?: string): Promise<number> {
  let h = db.deleteFrom('context_history_hourly').where('tenant', '=', tenant).where('entity_id', '=', entityId);
  if (attr) h = h.where('attr', '=', attr);
  await h.execute();
  if (!attr) {
    const r = await db.deleteFrom('context_history').where('tenant', '=', tenant).where('entity_id', '=', entityId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
  const held = sql<boolean>`(attrs ? ${attr} or ${attr} = any(deleted))`;
  const r = await db.updateTable('context_history')
    .set({ attrs: sql`attrs - ${attr}::text`, deleted: sql`array_remove(deleted, ${attr}::text)` })
    .where('tenant', '=', tenant).where('entity_id', '=', entityId).where(held)
    .executeTakeFirst();
  await db.deleteFrom('context_history').where('tenant', '=', tenant).where('entity_id', '=', entityId)
    .where(sql<boolean>`attrs = '{}'::jsonb and cardinality(deleted) = 0`).execute();
  return Number(r.numUpdatedRows);
}

/**
 * Retention: removes history recorded before the cut-off. On PostgreSQL the months wholly before it go as
 * partitions (no row-by-row delete, no bloat); the rest of the cut-off's month row by row. Returns the dropped
 * partitions (with their row counts, for the log) and the rows deleted.
 */
export async function purgeHistoryBefore(db: Db, cutoff: Date): Promise<{ dropped: { name: string; rows: number }[]; deleted: number }> {
  await db.deleteFrom('context_history_hourly').where('hour', '<', new Date(Math.floor(cutoff.getTime() / 3_600_000) * 3_600_000)).execute();
  const dropped = await dropMonthlyPartitionsBefore(db, 'context_history', cutoff);
  const r = await db.deleteFrom('context_history').where('recorded_at', '<', cutoff).executeTakeFirst();
  return { dropped, deleted: Number(r.numDeletedRows) };
}

/** The history's monthly partitions (PostgreSQL) from this month to `monthsAhead` ahead; returns those created. */
export const ensureHistoryPartitions = (db: Db, now: Date, monthsAhead: number): Promise<string[]> =>
  ensureMonthlyPartitions(db, 'context_history', 'recorded_at', now, now, monthsAhead);
