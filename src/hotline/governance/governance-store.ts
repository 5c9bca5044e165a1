import { sql, type Insertable } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { HotlineGovernanceTaskTable, HotlineInspectionResultTable } from './tables.js';

// ── quality inspection ────────────────────────────────────────────────────────────────────────────────────

/** Replies answered in [from, to) (main tickets with a reply), by id after `afterId`: a bulk run's next batch. */
export const findRepliesToInspect = (db: Db, from: Date, to: Date, afterId: string | null, limit: number) =>
  db.selectFrom('hotline_ticket')
    .select(['id', 'content', 'reply_text', 'unit_id', 'answered_at'])
    .where('answered_at', '>=', from).where('answered_at', '<', to)
    .where('reply_text', 'is not', null).where('main_ticket_id', 'is', null)
    .$if(afterId !== null, (q) => q.where('id', '>', afterId!))
    .orderBy('id').limit(limit).execute();

export const countRepliesToInspect = async (db: Db, from: Date, to: Date): Promise<number> => {
  const r = await db.selectFrom('hotline_ticket').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('answered_at', '>=', from).where('answered_at', '<', to)
    .where('reply_text', 'is not', null).where('main_ticket_id', 'is', null).executeTakeFirstOrThrow();
  return Number(r.n);
};

export const insertRun = (db: Db, row: { month: string; total: number; started_by: string; started_at: Date }) =>
  db.insertInto('hotline_inspection_run').values({ ...row, status: 'running', done: 0 }).returningAll().executeTakeFirstOrThrow();

export const findRun = (db: Db, id: string) => db.selectFrom('hotline_inspection_run').selectAll().where('id', '=', id).executeTakeFirst();

export const updateRun = (db: Db, id: string, change: { done?: number; status?: string; finished_at?: Date; error?: string | null }) =>
  db.updateTable('hotline_inspection_run').set(change).where('id', '=', id).execute();

/** The batch's results, each replacing the ticket's earlier one. */
export const upsertResults = (db: Db, rows: Insertable<HotlineInspectionResultTable>[]) =>
  rows.length === 0 ? Promise.resolve() : db.insertInto('hotline_inspection_result').values(rows)
    .onConflict((oc) => oc.column('ticket_id').doUpdateSet((eb) => ({
      run_id: eb.ref('excluded.run_id'), unit_id: eb.ref('excluded.unit_id'), answered_at: eb.ref('excluded.answered_at'),
      score: eb.ref('excluded.score'), passed: eb.ref('excluded.passed'), checks: eb.ref('excluded.checks'),
      findings: eb.ref('excluded.findings'), method: eb.ref('excluded.method'), inspected_at: eb.ref('excluded.inspected_at'),
    })))
    .execute().then(() => undefined);

/** Per unit over replies answered in [from, to): replies, mean score, failures and the mean of each check. */
export const findUnitScores = (db: Db, from: Date, to: Date, unitId: string | null) =>
  db.selectFrom('hotline_inspection_result')
    .select((eb) => [
      'unit_id',
      eb.fn.countAll<string>().as('replies'),
      eb.fn.avg<string>('score').as('score'),
      // sum of a boolean's failures: count(*) filter is PostgreSQL 9.4+ and PGlite alike
      sql<string>`count(*) filter (where not passed)`.as('failed'),
      ...(['completeness', 'stance', 'politeness', 'policy', 'promises', 'privacy'] as const).map((c) =>
        sql<string>`avg((checks->>${sql.lit(c)})::float8)`.as(c)),
    ])
    .where('answered_at', '>=', from).where('answered_at', '<', to)
    .$if(unitId !== null, (q) => q.where('unit_id', '=', unitId))
    .groupBy('unit_id').execute();

/** The lowest-scored replies of [from, to), with the ticket's number: the notable cases. */
export const findLowestResults = (db: Db, from: Date, to: Date, unitId: string | null, limit: number) =>
  db.selectFrom('hotline_inspection_result as r').innerJoin('hotline_ticket as t', 't.id', 'r.ticket_id')
    .select(['r.ticket_id', 't.number', 'r.unit_id', 'r.score', 'r.findings'])
    .where('r.answered_at', '>=', from).where('r.answered_at', '<', to)
    .$if(unitId !== null, (q) => q.where('r.unit_id', '=', unitId))
    .orderBy('r.score').orderBy('t.number').limit(limit).execute();

// ── 每月一题 ────────────────────────────────────────────────────────────────────────────────────────────────

/** Tickets filed in [from, to) per category × district × local month (`2026-11`). */
export const countByMatterAndMonth = (db: Db, from: Date, to: Date, timeZone: string) =>
  db.selectFrom('hotline_ticket')
    .select((eb) => [
      'category_id', 'district_id',
      sql<string>`to_char(created_at at time zone ${timeZone}, 'YYYY-MM')`.as('month'),
      eb.fn.countAll<string>().as('n'),
    ])
    .where('created_at', '>=', from).where('created_at', '<', to).where('category_id', 'is not', null)
    .groupBy(['category_id', 'district_id', sql`3`]).execute();

/** One matter's tickets per local month in [from, to). */
export const countMatterByMonth = (db: Db, matter: { categoryId: string; districtId: string | null }, from: Date, to: Date, timeZone: string) =>
  db.selectFrom('hotline_ticket')
    .select((eb) => [sql<string>`to_char(created_at at time zone ${timeZone}, 'YYYY-MM')`.as('month'), eb.fn.countAll<string>().as('n')])
    .where('created_at', '>=', from).where('created_at', '<', to).where('category_id', '=', matter.categoryId)
    .$if(matter.districtId !== null, (q) => q.where('district_id', '=', matter.districtId))
    .groupBy(sql`1`).execute();

export const findCategoryNames = (db: Db, ids: string[]) =>
  ids.length === 0 ? Promise.resolve([]) : db.selectFrom('hotline_category').select(['id', 'level1', 'level2', 'level3']).where('id', 'in', ids).execute();

export const findAreaNames = (db: Db, ids: string[]) =>
  ids.length === 0 ? Promise.resolve([]) : db.selectFrom('hotline_area').select(['id', 'name']).where('id', 'in', ids).execute();

export const insertTopic = (db: Db, row: { month: string; title: string; category_id: string; district_id: string | null; description: string | null; created_by: string; created_at: Date }) =>
  db.insertInto('hotline_governance_topic').values(row).returningAll().executeTakeFirstOrThrow();

export const insertTasks = (db: Db, rows: Insertable<HotlineGovernanceTaskTable>[]) =>
  db.insertInto('hotline_governance_task').values(rows).returningAll().execute();

/** Topics of a month (all when null), newest first. */
export const findTopics = (db: Db, month: string | null) =>
  db.selectFrom('hotline_governance_topic').selectAll()
    .$if(month !== null, (q) => q.where('month', '=', month!))
    .orderBy('created_at', 'desc').execute();

export const findTopic = (db: Db, id: string) => db.selectFrom('hotline_governance_topic').selectAll().where('id', '=', id).executeTakeFirst();

export const findTasksOf = (db: Db, topicIds: string[]) =>
  topicIds.length === 0 ? Promise.resolve([]) : db.selectFrom('hotline_governance_task').selectAll().where('topic_id', 'in', topicIds).orderBy('due_at').orderBy('id').execute();

export const findTask = (db: Db, id: string) => db.selectFrom('hotline_governance_task').selectAll().where('id', '=', id).executeTakeFirst();

export const updateTask = (db: Db, id: string, change: { progress: number; note: string | null; updated_at: Date }) =>
  db.updateTable('hotline_governance_task').set(change).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
