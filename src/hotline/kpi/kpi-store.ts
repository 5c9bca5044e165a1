import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { KpiCounts } from './three-rates.js';
import { localDayStart } from '../../platform/clock/local-time.js';
import { nextPeriodStart, periodLabel, periodStart, type Period } from './kpi-periods.js';
import { eventColumns, kpiEvents, type EventColumn, type KpiEvent } from './counted-columns.js';
import './tables.js';
import '../tables.js';

/** What a KPI row is grouped by; `city` puts every ticket in one group (trend lines, totals). */
export type KpiGroupBy = 'unit' | 'district' | 'category' | 'city';

export interface KpiCountsQuery {
  groupBy: KpiGroupBy;
  /** [from, to): each count is over tickets whose own event (visit, answer, signing, dispatch) is in it */
  from: Date;
  to: Date;
  /** when set, rows are split by period start in `timeZone` */
  period?: Period;
  timeZone: string;
  unitId?: string;
  districtId?: string;
  /** a first-level category (大类) */
  level1?: string;
}

export interface KpiCountRow extends KpiCounts {
  /** unit id, district id or level-1 category name; null for the city row or tickets without one */
  key: string | null;
  /** district name or category name (units are named by the auth module's directory) */
  name: string | null;
  periodStart: Date | null;
}

/** One kind of event: the column that dates it and the counts it feeds (SQL aggregates over its tickets). */
export interface EventBranch {
  column: KpiEvent;
  counts: Partial<Record<CountColumn, string>>;
}

export type CountColumn =
  | 'visited' | 'contacted' | 'solved' | 'satisfied' | 'basically_satisfied' | 'unsatisfied' | 'reopened'
  | 'answered' | 'answered_on_time' | 'answer_timed' | 'answer_seconds' | 'signed' | 'sign_seconds'
  | 'dispatched' | 'returned';

const countColumns: CountColumn[] = [
  'visited', 'contacted', 'solved', 'satisfied', 'basically_satisfied', 'unsatisfied', 'reopened',
  'answered', 'answered_on_time', 'answer_timed', 'answer_seconds', 'signed', 'sign_seconds', 'dispatched', 'returned',
];

/**
 * An event's branch: `counts` receives `t.<column>` for the columns counted-columns.ts lets the event read (its
 * time, the group columns, its declared columns) and no other, so a count reading an undeclared column — one the
 * covering index and the dirty-day trigger would not know — does not typecheck.
 */
const branch = <E extends KpiEvent>(event: E, counts: (t: Record<EventColumn<E>, string>) => EventBranch['counts']): EventBranch => {
  const t = Object.fromEntries(eventColumns(event).map((c) => [c, `t.${c}`])) as Record<EventColumn<E>, string>;
  return { column: event, counts: counts(t) };
};

// Fixed SQL, never built from input. Each branch reads only the columns its covering index holds
// (migrations.ts), so PostgreSQL answers it with an index-only scan.
const branchOf: { [E in KpiEvent]: EventBranch } = {
  visited_at: branch('visited_at', (t) => ({
    visited: 'count(*)',
    contacted: `count(*) filter (where ${t.visit_contacted})`,
    solved: `count(*) filter (where ${t.visit_solved})`,
    satisfied: `count(*) filter (where ${t.satisfaction} = 'satisfied')`,
    basically_satisfied: `count(*) filter (where ${t.satisfaction} = 'basically_satisfied')`,
    unsatisfied: `count(*) filter (where ${t.satisfaction} = 'unsatisfied')`,
    reopened: `count(*) filter (where ${t.reopen_count} > 0)`,
  })),
  answered_at: branch('answered_at', (t) => ({
    answered: 'count(*)',
    // no deadline (an old imported ticket) counts as on time: nothing was missed
    answered_on_time: `count(*) filter (where ${t.due_at} is null or ${t.answered_at} <= ${t.due_at})`,
    answer_timed: `count(*) filter (where ${t.accepted_at} is not null)`,
    answer_seconds: `coalesce(sum(date_part('epoch', ${t.answered_at} - ${t.accepted_at})), 0)`,
  })),
  accepted_at: branch('accepted_at', (t) => ({
    signed: `count(*) filter (where ${t.dispatched_at} is not null)`,
    sign_seconds: `coalesce(sum(date_part('epoch', ${t.accepted_at} - ${t.dispatched_at})), 0)`,
  })),
  dispatched_at: branch('dispatched_at', (t) => ({
    dispatched: 'count(*)',
    returned: `count(*) filter (where ${t.return_count} > 0)`,
  })),
};
const branches: EventBranch[] = kpiEvents.map((e) => branchOf[e]);

const rawKey: Record<KpiGroupBy, string> = {
  unit: 't.unit_id',
  district: 't.district_id',
  category: 't.category_id',
  city: 'null::uuid',
};

// The outer query names the groups: districts by hotline_area, categories folded into their first level.
const outer: Record<KpiGroupBy, { key: string; name: string; join: string }> = {
  unit: { key: 'x.k::text', name: 'null::text', join: '' },
  district: { key: 'x.k::text', name: 'min(d.name)', join: 'left join hotline_area d on d.id = x.k' },
  category: { key: 'c.level1', name: 'c.level1', join: 'left join hotline_category c on c.id = x.k' },
  city: { key: 'null::text', name: 'null::text', join: '' },
};

/** The fifteen count columns of one branch, in `countColumns` order (0 for the counts it does not feed). */
export const branchCounts = (b: EventBranch): RawBuilder<unknown> =>
  sql.join(countColumns.map((c) => sql`${sql.raw(b.counts[c] ?? '0')} as ${sql.ref(c)}`));

/** The branches, for the roll-up's refresh (kpi-rollup-store.ts), which counts them per local day. */
export const eventBranches: readonly EventBranch[] = branches;
export { countColumns };

/** The request's filters on alias `t` (a ticket, or a roll-up row: both have unit, district and category ids). */
const filtersOf = (q: KpiCountsQuery): RawBuilder<unknown> => {
  const filters: RawBuilder<unknown>[] = [];
  if (q.unitId !== undefined) filters.push(sql`and t.unit_id = ${q.unitId}`);
  if (q.districtId !== undefined) filters.push(sql`and t.district_id = ${q.districtId}`);
  if (q.level1 !== undefined) filters.push(sql`and t.category_id in (select id from hotline_category where level1 = ${q.level1})`);
  return filters.length > 0 ? sql.join(filters, sql` `) : sql``;
};

/** Sums the grouped branches, names the groups and orders the rows. */
const outerQuery = (q: KpiCountsQuery, parts: RawBuilder<unknown>[]) => {
  const o = outer[q.groupBy];
  const sums = countColumns.map((c) => sql`sum(x.${sql.ref(c)}) as ${sql.ref(c)}`);
  return sql<Record<string, unknown>>`
    select ${sql.raw(o.key)} as key, ${sql.raw(o.name)} as name, x.p as period_start, ${sql.join(sums)}
    from (${sql.join(parts, sql` union all `)}) as x
    ${sql.raw(o.join)}
    group by 1, 3
    order by 3, 1`;
};

/**
 * The counts behind every rate, for each group (and period), read from the daily roll-up for whole local days
 * it holds and counted from the tickets for the rest — the same numbers as `kpiLiveCounts`.
 *
 * - Whole local days of [from, to) that are not dirty: summed from `hotline_kpi_daily` (a month of a city is a
 *   few tens of thousands of small rows instead of four index ranges over every ticket of the month), or from
 *   `hotline_kpi_daily_unit` (one row per unit and day) when neither the grouping nor a filter needs more.
 * - Dirty days (today, and any day a write touched since its last roll-up; see migrations.ts) and the
 *   partial days at either end of a range that does not start or end at local midnight: counted from the
 *   tickets, as a few contiguous ranges, each an index range.
 * - When the roll-up is not set up in this zone, or the range is cut into too many pieces, all of it is live.
 *
 * Two statements in one REPEATABLE READ transaction, so one snapshot: the dirty days read first are exactly the
 * days the roll-up part leaves out, never both or neither. The ranges go into the second statement as constants
 * so the planner estimates them (a join against the dirty-day table misestimated rows, sorted on disk and paid
 * for JIT compilation: ten times slower).
 *
 * @example
 * await kpiCounts(db, { groupBy: 'unit', from, to, timeZone: 'Asia/Shanghai' })
 * // → [{ key: '<unit id>', visited: 120, contacted: 118, solved: 97, … }]
 */
export async function kpiCounts(db: Db, q: KpiCountsQuery): Promise<KpiCountRow[]> {
  return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (trx) => {
    const result = await (await kpiCountsSql(trx, q)).execute(trx);
    return result.rows.map(toCountRow);
  });
}

/** More live ranges than this and the query counts the whole range live (the roll-up is too cut up to pay). */
const MAX_LIVE_RANGES = 8;

/**
 * The whole local days of [from, to) the roll-up may answer (`firstDay` to `endDay`, exclusive) and the
 * partial-day edges around them that must be counted live. A range shorter than a day has no whole day.
 */
export function rollupSpan(from: Date, to: Date, timeZone: string): { firstDay: string; endDay: string; edges: [Date, Date][] } {
  let first = periodStart(from, 'day', timeZone);
  if (first < from) first = nextPeriodStart(first, 'day', timeZone);
  const end = periodStart(to, 'day', timeZone);
  const day = (d: Date) => periodLabel(d, 'day', timeZone);
  if (first >= end) return { firstDay: day(first), endDay: day(first), edges: [[from, to]] };
  const edges: [Date, Date][] = [];
  if (from < first) edges.push([from, first]);
  if (end < to) edges.push([end, to]);
  return { firstDay: day(first), endDay: day(end), edges };
}

/** Sorted, touching ranges joined: [a, b) + [b, c) → [a, c). */
const mergeRanges = (ranges: [Date, Date][]): [Date, Date][] => {
  const out: [Date, Date][] = [];
  for (const [lo, hi] of [...ranges].sort((a, b) => a[0].getTime() - b[0].getTime())) {
    const last = out.at(-1);
    if (last && lo.getTime() <= last[1].getTime()) last[1] = new Date(Math.max(last[1].getTime(), hi.getTime()));
    else out.push([lo, hi]);
  }
  return out;
};

/**
 * The statement kpiCounts runs, after reading (in the caller's transaction) whether the roll-up is set up in
 * this zone and which days of the range are dirty. Exported so the benchmark can EXPLAIN it.
 */
export async function kpiCountsSql(db: Db, q: KpiCountsQuery): Promise<RawBuilder<Record<string, unknown>>> {
  const tz = q.timeZone;
  const span = rollupSpan(q.from, q.to, tz);
  if (span.firstDay === span.endDay) return kpiLiveCountsSql(q);
  const state = await sql<{ zone: string | null; dirty: string[] }>`
    select (select time_zone from hotline_kpi_rollup_state where id = 1) as zone,
      array(select day::text from hotline_kpi_dirty_day where day >= ${span.firstDay}::date and day < ${span.endDay}::date order by day) as dirty`.execute(db);
  const { zone, dirty } = state.rows[0];
  if (zone !== tz) return kpiLiveCountsSql(q);
  const ranges = mergeRanges([...span.edges, ...dirty.map((d): [Date, Date] => [localDayStart(d, tz), localDayStart(d, tz, 1)])]);
  if (ranges.length > MAX_LIVE_RANGES) return kpiLiveCountsSql(q);
  if (ranges.length === 1 && ranges[0][0] <= q.from && ranges[0][1] >= q.to) return kpiLiveCountsSql(q);

  const filter = filtersOf(q);
  // A local day lies wholly inside one day, week or month of the same zone, so a roll-up row's bucket is its day's.
  const dayBucket = q.period ? sql`date_trunc(${q.period}, t.day::timestamp) at time zone ${tz}` : sql`null::timestamptz`;
  const sums = countColumns.map((c) => sql`sum(t.${sql.ref(c)}) as ${sql.ref(c)}`);
  const clean = dirty.length ? sql`and t.day <> all(${dirty}::date[])` : sql``;
  // By unit or for the city without a district or category filter, the per-unit roll-up holds the same sums.
  const byUnit = (q.groupBy === 'unit' || q.groupBy === 'city') && q.districtId === undefined && q.level1 === undefined;
  const rolled = sql`select ${sql.raw(rawKey[q.groupBy])} as k, ${dayBucket} as p, ${sql.join(sums)}
    from ${sql.table(byUnit ? 'hotline_kpi_daily_unit' : 'hotline_kpi_daily')} t
    where t.day >= ${span.firstDay}::date and t.day < ${span.endDay}::date ${clean} ${filter}
    group by 1, 2`;
  // One branch per kind of event and live range, so each stays a plain index range (an OR of ranges would not).
  const live = ranges.flatMap(([lo, hi]) => branches.map((b) => {
    const at = sql.ref(`t.${b.column}`);
    const bucket = q.period ? sql`date_trunc(${q.period}, ${at}, ${tz})` : sql`null::timestamptz`;
    return sql`select ${sql.raw(rawKey[q.groupBy])} as k, ${bucket} as p, ${branchCounts(b)}
      from hotline_ticket t
      where t.main_ticket_id is null and ${at} >= ${lo} and ${at} < ${hi} ${filter}
      group by 1, 2`;
  }));
  return outerQuery(q, [rolled, ...live]);
}

/**
 * The same counts straight from the tickets, ignoring the roll-up: one branch per kind of event (visit,
 * answer, signing, dispatch) counts the tickets whose own event falls in [from, to), grouped by the raw key (and
 * the period of that event); UNION ALL and an outer sum put the four together. So a ticket dispatched in
 * October and visited in November adds to October's 退单率 denominator and November's 三率. Each branch is a
 * range scan of one covering index with a few aggregates; fanning every ticket out into four events and
 * filtering fifteen aggregates per row was several times slower. Merged duplicates are skipped: their main
 * ticket counts once. The reference the roll-up is tested and benchmarked against.
 *
 * Raw SQL because Kysely has no builder for `FILTER` or the three-argument `date_trunc(unit, timestamptz, zone)`
 * (PostgreSQL 12+, so PostgreSQL 15 and PGlite both run it).
 */
export async function kpiLiveCounts(db: Db, q: KpiCountsQuery): Promise<KpiCountRow[]> {
  const result = await kpiLiveCountsSql(q).execute(db);
  return result.rows.map(toCountRow);
}

/** The statement kpiLiveCounts runs. */
export function kpiLiveCountsSql(q: KpiCountsQuery): RawBuilder<Record<string, unknown>> {
  const filter = filtersOf(q);
  const parts = branches.map((b) => {
    const at = sql.ref(`t.${b.column}`);
    const bucket = q.period ? sql`date_trunc(${q.period}, ${at}, ${q.timeZone})` : sql`null::timestamptz`;
    return sql`select ${sql.raw(rawKey[q.groupBy])} as k, ${bucket} as p, ${branchCounts(b)}
      from hotline_ticket t
      where t.main_ticket_id is null and ${at} >= ${q.from} and ${at} < ${q.to} ${filter}
      group by 1, 2`;
  });
  return outerQuery(q, parts);
}

const toCountRow = (r: Record<string, unknown>): KpiCountRow => ({
  key: (r.key as string | null) ?? null,
  name: (r.name as string | null) ?? null,
  periodStart: r.period_start === null ? null : new Date(r.period_start as string | Date),
  visited: Number(r.visited),
  contacted: Number(r.contacted),
  solved: Number(r.solved),
  satisfied: Number(r.satisfied),
  basicallySatisfied: Number(r.basically_satisfied),
  unsatisfied: Number(r.unsatisfied),
  reopened: Number(r.reopened),
  answered: Number(r.answered),
  answeredOnTime: Number(r.answered_on_time),
  answerTimed: Number(r.answer_timed),
  answerSeconds: Number(r.answer_seconds),
  signed: Number(r.signed),
  signSeconds: Number(r.sign_seconds),
  dispatched: Number(r.dispatched),
  returned: Number(r.returned),
});

/**
 * Per district (areas of level `district`): tickets filed in [from, to) and how many of them are still open, overdue
 * or overdue for signing; merged duplicates are left out. Districts without tickets come back with zeros.
 */
export const countTicketsByDistrict = (db: Db, from: Date, to: Date, openStatuses: readonly string[]) =>
  db.selectFrom('hotline_area')
    .leftJoin('hotline_ticket', (join) => join
      .onRef('hotline_ticket.district_id', '=', 'hotline_area.id')
      .on('hotline_ticket.status', '!=', 'merged')
      .on('hotline_ticket.created_at', '>=', from)
      .on('hotline_ticket.created_at', '<', to))
    .where('hotline_area.level', '=', 'district')
    .select((eb) => [
      'hotline_area.id', 'hotline_area.name',
      eb.fn.count<string>('hotline_ticket.id').as('tickets'),
      eb.fn.count<string>('hotline_ticket.id').filterWhere('hotline_ticket.status', 'in', [...openStatuses]).as('open'),
      eb.fn.count<string>('hotline_ticket.id').filterWhere('hotline_ticket.overdue', '=', true).as('overdue'),
      eb.fn.count<string>('hotline_ticket.id').filterWhere('hotline_ticket.sign_overdue', '=', true).as('sign_overdue'),
    ])
    .groupBy(['hotline_area.id', 'hotline_area.name'])
    .orderBy('hotline_area.name')
    .execute();

/** Places of tickets filed in [from, to) (merged duplicates left out), newest first, at most `limit`. */
export const ticketPlaces = (db: Db, from: Date, to: Date, limit: number) =>
  db.selectFrom('hotline_ticket')
    .where('status', '!=', 'merged')
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .where('lon', 'is not', null)
    .where('lat', 'is not', null)
    .select(['lon', 'lat', 'status', 'overdue'])
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
