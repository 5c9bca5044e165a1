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

// Fixed SQL for each grouping, chosen from a closed set (never from input).
const groupKey: Record<KpiGroupBy, { key: string; name: string }> = {
  unit: { key: 't.unit_id::text', name: 'null::text' },
  district: { key: 't.district_id::text', name: 'min(d.name)' },
  category: { key: 'c.level1', name: 'c.level1' },
  city: { key: 'null::text', name: 'null::text' },
};

const inRange = (column: string, from: Date, to: Date): RawBuilder<unknown> =>
  sql`(${sql.ref(column)} >= ${from} and ${sql.ref(column)} < ${to})`;

/**
 * The counts behind every rate, for each group (and period), in one grouped query.
 *
 * Raw SQL because Kysely has no builder for `FILTER`, `LATERAL (VALUES …)` or the three-argument
 * `date_trunc(unit, timestamptz, zone)` (PostgreSQL 12+, so PostgreSQL 15 and PGlite both run it).
 * Each ticket is fanned out into its four events (visit, answer, signing, dispatch) so each count lands in the
 * period of its own event: a ticket dispatched in October and visited in November adds to October's 退单率
 * denominator and November's 三率. The OR over the four ranges lets the planner combine the four timestamp
 * indexes (kpi-migrations.ts) instead of scanning the table. Merged duplicates are skipped: their main ticket
 * counts once.
 *
 * @example
 * await kpiCounts(db, { groupBy: 'unit', from, to, timeZone: 'Asia/Shanghai' })
 * // → [{ key: '<unit id>', visited: 120, contacted: 118, solved: 97, … }]
 */
export async function kpiCounts(db: Db, q: KpiCountsQuery): Promise<KpiCountRow[]> {
  const g = groupKey[q.groupBy];
  const bucket = q.period ? sql`date_trunc(${q.period}, e.at, ${q.timeZone})` : sql`null::timestamptz`;
  const joinDistrict = q.groupBy === 'district' ? sql`left join hotline_area d on d.id = t.district_id` : sql``;
  const joinCategory =
    q.groupBy === 'category' || q.level1 !== undefined ? sql`left join hotline_category c on c.id = t.category_id` : sql``;
  const filters: RawBuilder<unknown>[] = [];
  if (q.unitId !== undefined) filters.push(sql`and t.unit_id = ${q.unitId}`);
  if (q.districtId !== undefined) filters.push(sql`and t.district_id = ${q.districtId}`);
  if (q.level1 !== undefined) filters.push(sql`and c.level1 = ${q.level1}`);
  const { from, to } = q;
  const result = await sql<Record<string, unknown>>`
    select ${sql.raw(g.key)} as key, ${sql.raw(g.name)} as name, ${bucket} as period_start,
      count(*) filter (where e.kind = 1) as visited,
      count(*) filter (where e.kind = 1 and t.visit_contacted) as contacted,
      count(*) filter (where e.kind = 1 and t.visit_solved) as solved,
      count(*) filter (where e.kind = 1 and t.satisfaction = 'satisfied') as satisfied,
      count(*) filter (where e.kind = 1 and t.satisfaction = 'basically_satisfied') as basically_satisfied,
      count(*) filter (where e.kind = 1 and t.satisfaction = 'unsatisfied') as unsatisfied,
      count(*) filter (where e.kind = 1 and t.reopen_count > 0) as reopened,
      count(*) filter (where e.kind = 2) as answered,
      count(*) filter (where e.kind = 2 and (t.due_at is null or t.answered_at <= t.due_at)) as answered_on_time,
      count(*) filter (where e.kind = 2 and t.accepted_at is not null) as answer_timed,
      coalesce(sum(extract(epoch from t.answered_at - t.accepted_at)) filter (where e.kind = 2), 0) as answer_seconds,
      count(*) filter (where e.kind = 3 and t.dispatched_at is not null) as signed,
      coalesce(sum(extract(epoch from t.accepted_at - t.dispatched_at)) filter (where e.kind = 3), 0) as sign_seconds,
      count(*) filter (where e.kind = 4) as dispatched,
      count(*) filter (where e.kind = 4 and t.return_count > 0) as returned
    from hotline_ticket t
    cross join lateral (values (1, t.visited_at), (2, t.answered_at), (3, t.accepted_at), (4, t.dispatched_at)) as e(kind, at)
    ${joinDistrict}
    ${joinCategory}
    where t.main_ticket_id is null
      and (${inRange('t.visited_at', from, to)} or ${inRange('t.answered_at', from, to)}
        or ${inRange('t.accepted_at', from, to)} or ${inRange('t.dispatched_at', from, to)})
      and e.at >= ${from} and e.at < ${to}
      ${filters.length > 0 ? sql.join(filters, sql` `) : sql``}
    group by 1, 3
    order by 3, 1`.execute(db);
  return result.rows.map((r) => ({
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
  }));
}
