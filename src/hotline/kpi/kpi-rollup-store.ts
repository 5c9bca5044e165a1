import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { branchCounts, countColumns, eventBranches } from './kpi-store.js';
import { localDayStart } from '../../platform/clock/local-time.js';
import { kpiEvents } from './counted-columns.js';
import './tables.js';

/**
 * The daily KPI roll-up: `hotline_kpi_daily` holds, per local day × unit × district × category, the fifteen
 * counts of kpi-store.ts for days nothing has changed since, and `hotline_kpi_daily_unit` the same per day × unit. Correctness never depends on the refresh running:
 * triggers on hotline_ticket (migrations.ts) mark every day a write touches as dirty, in the writer's own
 * transaction, and the KPI query counts dirty days from the tickets. The refresh only makes clean days out of
 * dirty ones, so queries get cheaper.
 *
 * Concurrency: setup and refresh take `SHARE ROW EXCLUSIVE` on hotline_ticket, which waits for every writer in
 * flight and holds new writers back for the moment it runs (readers are never blocked). So the tickets a refresh
 * counts and the dirty marks it clears belong to the same committed state: a write that lands after the refresh
 * marks its day dirty again. It also makes two nodes' refreshes take turns.
 */

/** The zone the roll-up's days are in, or undefined when it is not set up. */
export const findRollupZone = async (db: Db): Promise<string | undefined> =>
  (await db.selectFrom('hotline_kpi_rollup_state').select('time_zone').where('id', '=', 1).executeTakeFirst())?.time_zone;

/**
 * Sets the roll-up up for `timeZone` unless it already is: empties it, records the zone and marks every local day
 * holding an event of any ticket dirty (so until the refresh runs, the KPI counts exactly as before). Run once per
 * process; a changed `city.timeZone` starts over. Returns whether it (re)started the roll-up.
 */
export async function setUpRollup(db: Db, timeZone: string): Promise<boolean> {
  if ((await findRollupZone(db)) === timeZone) return false;
  return db.transaction().execute(async (trx) => {
    // Raw SQL: Kysely has no LOCK TABLE. See the module comment for why this mode.
    await sql`lock table hotline_ticket in share row exclusive mode`.execute(trx);
    if ((await findRollupZone(trx)) === timeZone) return false;
    await trx.deleteFrom('hotline_kpi_daily').execute();
    await trx.deleteFrom('hotline_kpi_daily_unit').execute();
    await trx.deleteFrom('hotline_kpi_dirty_day').execute();
    await trx
      .insertInto('hotline_kpi_rollup_state')
      .values({ id: 1, time_zone: timeZone })
      .onConflict((oc) => oc.column('id').doUpdateSet({ time_zone: timeZone }))
      .execute();
    // Raw SQL: the lateral VALUES that turns a ticket's four event times into rows has no Kysely builder.
    const times = sql.join(kpiEvents.map((e) => sql`(${sql.ref(`t.${e}`)})`));
    await sql`insert into hotline_kpi_dirty_day (day)
      select distinct (e.ts at time zone ${timeZone})::date
      from hotline_ticket t cross join lateral (values ${times}) as e(ts)
      where e.ts is not null and t.main_ticket_id is null
      on conflict (day) do nothing`.execute(trx);
    return true;
  });
}

/**
 * Rolls up dirty days before `beforeDay` (a local date, `2026-11-26`: today is left dirty, it still changes),
 * oldest first, `chunkDays` days per transaction so writers are held back only briefly. Returns the days rolled.
 * Does nothing when the roll-up is set up for another zone (another node with other settings started it).
 *
 * @example await refreshRollup(db, 'Asia/Shanghai', '2026-11-26') // → 1 (yesterday)
 */
export async function refreshRollup(db: Db, timeZone: string, beforeDay: string, chunkDays = 7): Promise<number> {
  let total = 0;
  for (;;) {
    const rolled = await db.transaction().execute(async (trx) => {
      await sql`lock table hotline_ticket in share row exclusive mode`.execute(trx);
      if ((await findRollupZone(trx)) !== timeZone) return 0;
      const taken = await sql<{ day: string }>`
        delete from hotline_kpi_dirty_day
        where day in (select day from hotline_kpi_dirty_day where day < ${beforeDay}::date order by day limit ${chunkDays})
        returning day::text as day`.execute(trx);
      const days = taken.rows.map((r) => r.day);
      if (days.length === 0) return 0;
      await sql`delete from hotline_kpi_daily where day = any(${days}::date[])`.execute(trx);
      await sql`delete from hotline_kpi_daily_unit where day = any(${days}::date[])`.execute(trx);
      await rollUpDays(trx, timeZone, days);
      return days.length;
    });
    if (rolled === 0) return total;
    total += rolled;
  }
}

/**
 * Counts the days from the tickets into roll-up rows: per branch and run of consecutive days, one index range
 * (the run's first local midnight to the one after its last day) grouped by local day and the three keys; then
 * the branches summed. The bounds are constants so the planner sees the range (a join against a list of days
 * planned a scan of the whole table per branch). Raw SQL for the same reasons as kpi-store.ts (FILTER
 * aggregates, time zone arithmetic).
 */
async function rollUpDays(trx: Db, timeZone: string, days: string[]): Promise<void> {
  const parts = dayRuns(days).flatMap(([first, last]) => {
    const lo = localDayStart(first, timeZone);
    const hi = localDayStart(last, timeZone, 1);
    return eventBranches.map((b) => {
      const at = sql.ref(`t.${b.column}`);
      return sql`select (${at} at time zone ${timeZone})::date as day, t.unit_id, t.district_id, t.category_id, ${branchCounts(b)}
        from hotline_ticket t
        where t.main_ticket_id is null and ${at} >= ${lo} and ${at} < ${hi}
        group by 1, 2, 3, 4`;
    });
  });
  const columns = countColumns.map((c) => sql.ref(c));
  const sums = countColumns.map((c) => sql`sum(x.${sql.ref(c)})`);
  await sql`insert into hotline_kpi_daily (day, unit_id, district_id, category_id, ${sql.join(columns)})
    select x.day, x.unit_id, x.district_id, x.category_id, ${sql.join(sums)}
    from (${sql.join(parts, sql` union all `)}) as x
    group by 1, 2, 3, 4`.execute(trx);
  // The per-unit roll-up of the same days, summed from the rows just written.
  await sql`insert into hotline_kpi_daily_unit (day, unit_id, ${sql.join(columns)})
    select x.day, x.unit_id, ${sql.join(sums)}
    from hotline_kpi_daily x where x.day = any(${days}::date[])
    group by 1, 2`.execute(trx);
}

/** Sorted days as runs of consecutive days: ['06-01', '06-02', '06-05'] → [['06-01', '06-02'], ['06-05', '06-05']]. */
const dayRuns = (days: string[]): [string, string][] => {
  const runs: [string, string][] = [];
  const next = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  for (const day of [...days].sort()) {
    const run = runs.at(-1);
    if (run && next(run[1]) === day) run[1] = day;
    else runs.push([day, day]);
  }
  return runs;
};
