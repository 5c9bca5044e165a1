import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { KpiCounts } from './three-rates.js';
import type { Period } from './kpi-periods.js';

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
interface EventBranch {
  column: 'visited_at' | 'answered_at' | 'accepted_at' | 'dispatched_at';
  counts: Partial<Record<CountColumn, string>>;
}

type CountColumn =
  | 'visited' | 'contacted' | 'solved' | 'satisfied' | 'basically_satisfied' | 'unsatisfied' | 'reopened'
  | 'answered' | 'answered_on_time' | 'answer_timed' | 'answer_seconds' | 'signed' | 'sign_seconds'
  | 'dispatched' | 'returned';

const countColumns: CountColumn[] = [
  'visited', 'contacted', 'solved', 'satisfied', 'basically_satisfied', 'unsatisfied', 'reopened',
  'answered', 'answered_on_time', 'answer_timed', 'answer_seconds', 'signed', 'sign_seconds', 'dispatched', 'returned',
];

// Fixed SQL, never built from input. Each branch reads only the columns its covering index holds
// (kpi-migrations.ts), so PostgreSQL answers it with an index-only scan.
const branches: EventBranch[] = [
  {
    column: 'visited_at',
    counts: {
      visited: 'count(*)',
      contacted: 'count(*) filter (where t.visit_contacted)',
      solved: 'count(*) filter (where t.visit_solved)',
      satisfied: "count(*) filter (where t.satisfaction = 'satisfied')",
      basically_satisfied: "count(*) filter (where t.satisfaction = 'basically_satisfied')",
      unsatisfied: "count(*) filter (where t.satisfaction = 'unsatisfied')",
      reopened: 'count(*) filter (where t.reopen_count > 0)',
    },
  },
  {
    column: 'answered_at',
    counts: {
      answered: 'count(*)',
      // no deadline (an old imported ticket) counts as on time: nothing was missed
      answered_on_time: 'count(*) filter (where t.due_at is null or t.answered_at <= t.due_at)',
      answer_timed: 'count(*) filter (where t.accepted_at is not null)',
      answer_seconds: "coalesce(sum(date_part('epoch', t.answered_at - t.accepted_at)), 0)",
    },
  },
  {
    column: 'accepted_at',
    counts: {
      signed: 'count(*) filter (where t.dispatched_at is not null)',
      sign_seconds: "coalesce(sum(date_part('epoch', t.accepted_at - t.dispatched_at)), 0)",
    },
  },
  {
    column: 'dispatched_at',
    counts: {
      dispatched: 'count(*)',
      returned: 'count(*) filter (where t.return_count > 0)',
    },
  },
];

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

/**
 * The counts behind every rate, for each group (and period), in one grouped query.
 *
 * One branch per kind of event (visit, answer, signing, dispatch) counts the tickets whose own event falls in
 * [from, to), grouped by the raw key (and the period of that event); UNION ALL and an outer sum put the four
 * together. So a ticket dispatched in October and visited in November adds to October's 退单率 denominator
 * and November's 三率. Each branch is a range scan of one covering index with a few aggregates, which keeps a
 * city-wide month over a million tickets well under the 200 ms goal (bench/hotline/kpi.bench.ts); fanning every
 * ticket out into four events and filtering fifteen aggregates per row was several times slower.
 * Merged duplicates are skipped: their main ticket counts once.
 *
 * Raw SQL because Kysely has no builder for `FILTER` or the three-argument `date_trunc(unit, timestamptz, zone)`
 * (PostgreSQL 12+, so PostgreSQL 15 and PGlite both run it).
 *
 * @example
 * await kpiCounts(db, { groupBy: 'unit', from, to, timeZone: 'Asia/Shanghai' })
 * // → [{ key: '<unit id>', visited: 120, contacted: 118, solved: 97, … }]
 */
export async function kpiCounts(db: Db, q: KpiCountsQuery): Promise<KpiCountRow[]> {
  const result = await kpiCountsSql(q).execute(db);
  return result.rows.map(toCountRow);
}

/** The statement kpiCounts runs (exported so the benchmark can EXPLAIN it). */
export function kpiCountsSql(q: KpiCountsQuery): RawBuilder<Record<string, unknown>> {
  const filters: RawBuilder<unknown>[] = [];
  if (q.unitId !== undefined) filters.push(sql`and t.unit_id = ${q.unitId}`);
  if (q.districtId !== undefined) filters.push(sql`and t.district_id = ${q.districtId}`);
  if (q.level1 !== undefined) filters.push(sql`and t.category_id in (select id from hotline_category where level1 = ${q.level1})`);
  const filter = filters.length > 0 ? sql.join(filters, sql` `) : sql``;
  const parts = branches.map((b) => {
    const at = sql.ref(`t.${b.column}`);
    const bucket = q.period ? sql`date_trunc(${q.period}, ${at}, ${q.timeZone})` : sql`null::timestamptz`;
    const counts = countColumns.map((c) => sql`${sql.raw(b.counts[c] ?? '0')} as ${sql.ref(c)}`);
    return sql`select ${sql.raw(rawKey[q.groupBy])} as k, ${bucket} as p, ${sql.join(counts)}
      from hotline_ticket t
      where t.main_ticket_id is null and ${at} >= ${q.from} and ${at} < ${q.to} ${filter}
      group by 1, 2`;
  });
  const o = outer[q.groupBy];
  const sums = countColumns.map((c) => sql`sum(x.${sql.ref(c)}) as ${sql.ref(c)}`);
  return sql<Record<string, unknown>>`
    select ${sql.raw(o.key)} as key, ${sql.raw(o.name)} as name, x.p as period_start, ${sql.join(sums)}
    from (${sql.join(parts, sql` union all `)}) as x
    ${sql.raw(o.join)}
    group by 1, 3
    order by 3, 1`;
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
