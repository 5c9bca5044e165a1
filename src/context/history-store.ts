import { sql } from 'kysely';
import type { Db } from '../platform/db/database.js';
import './tables.js';

export interface HistoryWrite {
  entity_id: string;
  attr: string;
  dataset_id: string;
  observed_at: string;
  recorded_at: string;
  instance: Record<string, unknown>;
  num: number | null;
  deleted?: boolean;
}

/**
 * Appends attribute instances to the history in one statement: the rows travel as one jsonb parameter, the
 * write time (the same for the whole change) as another; createdAt/modifiedAt are left out of the stored
 * instance since recorded_at holds them.
 */
export async function appendHistory(db: Db, tenant: string, rows: HistoryWrite[]): Promise<void> {
  if (rows.length === 0) return;
  const recordedAt = rows[0].recorded_at;
  const payload = JSON.stringify(rows.map((r) => {
    const { createdAt: _c, modifiedAt: _m, ...instance } = r.instance;
    return { e: r.entity_id, a: r.attr, d: r.dataset_id, o: r.observed_at === recordedAt ? null : r.observed_at, i: instance, n: r.num, x: r.deleted ?? false };
  }));
  await sql`
    insert into context_history (tenant, entity_id, attr, dataset_id, observed_at, recorded_at, instance, num, deleted)
    select ${tenant}, x.e, x.a, x.d, coalesce(x.o, ${recordedAt}::timestamptz), ${recordedAt}::timestamptz, x.i, x.n, x.x
    from jsonb_to_recordset(${payload}::jsonb) as x(e text, a text, d text, o timestamptz, i jsonb, n float8, x boolean)`.execute(db);
  const numeric = rows.filter((r) => r.num !== null && !r.deleted);
  if (numeric.length === 0) return;
  const sums = JSON.stringify(numeric.map((r) => ({ e: r.entity_id, a: r.attr, d: r.dataset_id, o: r.observed_at, n: r.num })));
  await sql`
    insert into context_history_hourly as h (tenant, entity_id, attr, dataset_id, hour, n, total, lo, hi, sumsq)
    select ${tenant}, x.e, x.a, x.d, date_trunc('hour', x.o, 'UTC'), count(*), sum(x.n), min(x.n), max(x.n), sum(x.n * x.n)
    from jsonb_to_recordset(${sums}::jsonb) as x(e text, a text, d text, o timestamptz, n float8)
    group by 2, 3, 4, 5
    on conflict (tenant, entity_id, attr, dataset_id, hour) do update set
      n = h.n + excluded.n, total = h.total + excluded.total, lo = least(h.lo, excluded.lo),
      hi = greatest(h.hi, excluded.hi), sumsq = h.sumsq + excluded.sumsq`.execute(db);
}

/** Rebuilds the hourly rollup of a tenant from the raw history (after bulk loads that bypass appendHistory). */
export async function rebuildHourly(db: Db, tenant: string): Promise<void> {
  await db.deleteFrom('context_history_hourly').where('tenant', '=', tenant).execute();
  await sql`
    insert into context_history_hourly (tenant, entity_id, attr, dataset_id, hour, n, total, lo, hi, sumsq)
    select tenant, entity_id, attr, dataset_id, date_trunc('hour', observed_at, 'UTC'), count(*), sum(num), min(num), max(num), sum(num * num)
    from context_history where tenant = ${tenant} and num is not null and not deleted
    group by 1, 2, 3, 4, 5`.execute(db);
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
}

export interface HistoryRow {
  entity_id: string;
  attr: string;
  dataset_id: string;
  observed_at: Date;
  instance: Record<string, unknown>;
  deleted: boolean;
}

const window = (f: HistoryFilter) => sql`
  tenant = ${f.tenant} and entity_id = any(${f.entityIds}::text[])
  ${f.attrs ? sql`and attr = any(${f.attrs}::text[])` : sql``}
  ${f.from ? sql`and observed_at >= ${f.from}::timestamptz` : sql``}
  ${f.until ? sql`and observed_at < ${f.until}::timestamptz` : sql``}`;

/**
 * The instances of the entities' attributes in the window, oldest first; with lastN only the newest N of each
 * (entity, attribute, datasetId) series. Raw SQL for the window function.
 */
export async function queryHistory(db: Db, f: HistoryFilter): Promise<HistoryRow[]> {
  if (f.entityIds.length === 0) return [];
  const n = Math.min(f.lastN ?? f.cap, f.cap);
  const r = await sql<HistoryRow>`
    select entity_id, attr, dataset_id, observed_at, instance, deleted from (
      select entity_id, attr, dataset_id, observed_at, instance, deleted, id,
        row_number() over (partition by entity_id, attr, dataset_id order by observed_at desc, id desc) as rn
      from context_history where ${window(f)}
    ) h where rn <= ${n}
    order by entity_id, attr, dataset_id, observed_at, id`.execute(db);
  return r.rows;
}

export type AggrMethod = 'totalCount' | 'distinctCount' | 'sum' | 'avg' | 'min' | 'max' | 'stddev' | 'sumsq';

/** One series per entity, attribute and datasetId: per method the list of [value, start, end]. */
export interface AggregateRow {
  entity_id: string;
  attr: string;
  dataset_id: string;
  [method: string]: unknown;
}

const ISO = sql.raw(`'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`);
/**
 * The outer query building each series as JSON in the database: one row per series instead of one per bucket,
 * which matters for month-long answers over many entities.
 */
const seriesOf = (methods: AggrMethod[], period: string) => sql`select entity_id, attr, dataset_id, ${sql.join(methods.map((m) =>
  sql`json_agg(json_build_array(${sql.ref(m)}, to_char(bucket at time zone 'UTC', ${ISO}), to_char((bucket + ${period}::interval) at time zone 'UTC', ${ISO})) order by bucket) as ${sql.ref(m)}`))}`;

const aggrSql: Record<AggrMethod, ReturnType<typeof sql>> = {
  totalCount: sql`count(*)::float8`,
  distinctCount: sql`count(distinct instance->'value')::float8`,
  sum: sql`sum(num)`,
  avg: sql`avg(num)`,
  min: sql`min(num)`,
  max: sql`max(num)`,
  stddev: sql`stddev_samp(num)`,
  sumsq: sql`sum(num * num)`,
};

/**
 * Aggregates per period (§4.5.19): buckets of `period` starting at `origin` (date_bin, PostgreSQL 14+), the
 * numeric value of each instance in `num`. Deleted markers are not counted.
 */
/** Methods the hourly rollup can answer (totalCount and distinctCount also count non-numeric values). */
const rollupSql: Partial<Record<AggrMethod, ReturnType<typeof sql>>> = {
  sum: sql`sum(total)`,
  avg: sql`sum(total) / nullif(sum(n), 0)`,
  min: sql`min(lo)`,
  max: sql`max(hi)`,
  sumsq: sql`sum(sumsq)`,
};

/** Whether the rollup can answer: rollup methods only, whole-hour periods, window bounds on the hour. */
export const rollupAnswers = (methods: AggrMethod[], periodSeconds: number, f: HistoryFilter, origin: string): boolean =>
  methods.every((m) => m in rollupSql) && periodSeconds % 3600 === 0 &&
  [f.from, f.until, origin].every((t) => !t || Date.parse(t) % 3_600_000 === 0) && f.lastN === undefined;

export async function aggregateHourly(db: Db, f: HistoryFilter, methods: AggrMethod[], period: string, origin: string): Promise<AggregateRow[]> {
  if (f.entityIds.length === 0) return [];
  const cols = sql.join(methods.map((m) => sql`${rollupSql[m]!} as ${sql.ref(m)}`));
  const r = await sql<AggregateRow>`
    ${seriesOf(methods, period)} from (
    select entity_id, attr, dataset_id, date_bin(${period}::interval, hour, ${origin}::timestamptz) as bucket, ${cols}
    from context_history_hourly
    where tenant = ${f.tenant} and entity_id = any(${f.entityIds}::text[])
      ${f.attrs ? sql`and attr = any(${f.attrs}::text[])` : sql``}
      ${f.from ? sql`and hour >= ${f.from}::timestamptz` : sql``}
      ${f.until ? sql`and hour < ${f.until}::timestamptz` : sql``}
    group by entity_id, attr, dataset_id, bucket) b
    group by entity_id, attr, dataset_id order by entity_id, attr, dataset_id`.execute(db);
  return r.rows;
}

export async function aggregateHistory(db: Db, f: HistoryFilter, methods: AggrMethod[], period: string, origin: string): Promise<AggregateRow[]> {
  if (f.entityIds.length === 0) return [];
  const cols = sql.join(methods.map((m) => sql`${aggrSql[m]} as ${sql.ref(m)}`));
  const r = await sql<AggregateRow>`
    ${seriesOf(methods, period)} from (
    select entity_id, attr, dataset_id, date_bin(${period}::interval, observed_at, ${origin}::timestamptz) as bucket, ${cols}
    from context_history where ${window(f)} and not deleted
    group by entity_id, attr, dataset_id, bucket) b
    group by entity_id, attr, dataset_id order by entity_id, attr, dataset_id`.execute(db);
  return r.rows;
}

export async function deleteHistory(db: Db, tenant: string, entityId: string, attr?: string): Promise<number> {
  let h = db.deleteFrom('context_history_hourly').where('tenant', '=', tenant).where('entity_id', '=', entityId);
  if (attr) h = h.where('attr', '=', attr);
  await h.execute();
  let q = db.deleteFrom('context_history').where('tenant', '=', tenant).where('entity_id', '=', entityId);
  if (attr) q = q.where('attr', '=', attr);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Retention: removes history recorded before the cut-off. */
export async function purgeHistoryBefore(db: Db, cutoff: Date): Promise<number> {
  await db.deleteFrom('context_history_hourly').where('hour', '<', new Date(Math.floor(cutoff.getTime() / 3_600_000) * 3_600_000)).execute();
  const r = await db.deleteFrom('context_history').where('recorded_at', '<', cutoff).executeTakeFirst();
  return Number(r.numDeletedRows);
}
