/**
 * The KPI query (三率 for one month, by unit) over a large ticket table, on PostgreSQL and PGlite.
 *
 *   node --import tsx bench/hotline/kpi.bench.ts [--tickets 1000000] [--pglite-tickets 1000000] [--runs 20]
 *                                                [--engines postgres,pglite] [--database-url postgres://…]
 *
 * For each engine: a fresh database (on PostgreSQL a schema of its own, dropped at the end), the auth + hotline +
 * KPI migrations, N generated tickets over the twelve months of 2026 (server-side `INSERT … SELECT` from
 * generate_series in batches: the fastest way in, no rows cross the wire), ANALYZE, the daily roll-up set up and
 * refreshed (timed: what the job does once after an upgrade), then
 * - the KPI query as the product runs it (kpi-store.ts `kpiCounts`: roll-up for clean days, live for the rest;
 *   grouped by unit, June 2026 in Beijing time) + the formulas, `runs` times;
 * - the same after one ticket visited on 15 June changed (not yet rolled up again): its event days counted live;
 * - the live query (`kpiLiveCounts`, four covering-index ranges over the tickets, the design before the roll-up);
 * - the baseline in the same run: the naive way, fetching every ticket with an event in June and counting in
 *   JavaScript (what an ORM-style service would do), fewer runs;
 * - a floor: COUNT(*) of June's visits over one index range, the least any query of the month against the tickets
 *   can cost on this machine at this moment, so a busy machine shows as a busy machine;
 * and prints p50/p95 and the ratios. Every variant must give the baseline's counts (checked).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { CompiledQuery, Migrator, sql, type Migration } from 'kysely';
import { openDatabase, type DatabaseHandle, type Db, type Engine } from '../../src/platform/db/database.js';
import { authMigrations } from '../../src/platform/auth/migrations.js';
import { hotlineMigrations } from '../../src/hotline/migrations.js';
import { kpiMigrations } from '../../src/hotline/kpi/migrations.js';
import { kpiCounts, kpiCountsSql, kpiLiveCounts, type KpiCountRow } from '../../src/hotline/kpi/kpi-store.js';
import { refreshRollup, setUpRollup } from '../../src/hotline/kpi/kpi-rollup-store.js';
import { computeRates, zeroCounts, type KpiCounts } from '../../src/hotline/kpi/three-rates.js';
import { localToInstant } from '../../src/platform/clock/local-time.js';
import { generate } from './ticket-volume.js';

const { values: args } = parseArgs({
  options: {
    tickets: { type: 'string', default: '1000000' },
    'pglite-tickets': { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '20' },
    'baseline-runs': { type: 'string', default: '5' },
    engines: { type: 'string', default: 'postgres,pglite' },
    /** development: leave the PostgreSQL schema in place (printed) to EXPLAIN by hand; drop it yourself after */
    'keep-schema': { type: 'boolean', default: false },
    'database-url': { type: 'string', default: process.env.CITYHUB_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const runs = Number(args.runs);
const baselineRuns = Number(args['baseline-runs']);
const timeZone = 'Asia/Shanghai';
const formula = { weights: { response: 0.1, solution: 0.5, satisfaction: 0.4 }, satisfactionScores: { satisfied: 1, basicallySatisfied: 0.9, unsatisfied: 0 } };
const from = localToInstant({ year: 2026, month: 6, day: 1 }, timeZone);
const to = localToInstant({ year: 2026, month: 7, day: 1 }, timeZone);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p95: quantile(s, 0.95), min: s[0], max: s.at(-1)!, n: s.length };
};
const fmt = (x: number) => x.toFixed(1);

async function openEngine(engine: Engine): Promise<DatabaseHandle> {
  if (engine === 'pglite') return openDatabase({});
  const url = args['database-url']!;
  const schema = `kpi_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const handle = await openDatabase({ databaseUrl: url, searchPath: schema, poolMax: 2 });
  return {
    ...handle,
    async close() {
      await handle.close();
      if (args['keep-schema']) return void console.log(`  kept schema ${schema}`);
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      await cleanup.query(`drop schema ${schema} cascade`);
      await cleanup.end();
    },
  };
}

/**
 * Kysely's Migrator looks for its lock table in every schema it can see, so another process's test schema on the
 * same server makes it skip creating ours ("kysely_migration_lock does not exist"). Naming the schema avoids it.
 */
async function migrate(db: Db, migrations: Record<string, Migration>): Promise<void> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations }, migrationTableSchema: rows[0].schema, allowUnorderedMigrations: true });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
}

/** The KPI as the product computes it: one grouped query (roll-up + live, or live only), then the formulas per row. */
async function kpiQuery(db: Db, counts: typeof kpiCounts = kpiCounts) {
  const rows: KpiCountRow[] = await counts(db, { groupBy: 'unit', from, to, timeZone });
  return rows.map((r) => ({ key: r.key, counts: r as KpiCounts, rates: computeRates(r, formula) }));
}
type KpiResult = Awaited<ReturnType<typeof kpiQuery>>;

/** Warm-up twice, then `runs` timed runs; the last result. */
async function timeRuns(runs: number, fn: () => Promise<KpiResult>): Promise<[number[], KpiResult]> {
  for (let i = 0; i < 2; i++) await fn();
  const ms: number[] = [];
  let result: KpiResult = [];
  for (let i = 0; i < runs; i++) {
    const [t, r] = await time(fn);
    ms.push(t);
    result = r;
  }
  return [ms, result];
}

/** The same counts as the naive baseline (seconds are summed in different orders: compared to a millisecond). */
function checkSame(engine: string, what: string, kpi: KpiResult, naive: { key: string | null; counts: KpiCounts }[]): void {
  const naiveByKey = new Map(naive.map((u) => [u.key, u.counts]));
  for (const row of kpi) {
    const other = naiveByKey.get(row.key);
    for (const k of Object.keys(row.counts) as (keyof KpiCounts)[]) {
      if (!['key', 'name', 'periodStart'].includes(k) && Math.abs(row.counts[k] - (other?.[k] ?? 0)) > 1e-3 * (k.endsWith('Seconds') ? 1000 : 1)) {
        throw new Error(`${engine}: ${what} and baseline disagree on ${k} for unit ${row.key}: ${row.counts[k]} vs ${other?.[k]}`);
      }
    }
  }
  if (kpi.length !== naive.length) throw new Error(`${engine}: ${kpi.length} ${what} rows vs ${naive.length} baseline rows`);
}

/** The baseline: fetch every ticket with an event in the month and count in JavaScript. */
async function naiveQuery(db: Db) {
  const rows = await db.selectFrom('hotline_ticket')
    .select(['unit_id', 'visited_at', 'answered_at', 'accepted_at', 'dispatched_at', 'due_at', 'visit_contacted', 'visit_solved', 'satisfaction', 'return_count', 'reopen_count'])
    .where('main_ticket_id', 'is', null)
    .where((eb) => eb.or(['visited_at', 'answered_at', 'accepted_at', 'dispatched_at'].map((c) =>
      eb.and([eb(c as 'visited_at', '>=', from), eb(c as 'visited_at', '<', to)]))))
    .execute();
  const inMonth = (d: Date | null) => d !== null && d >= from && d < to;
  const byUnit = new Map<string | null, KpiCounts>();
  for (const t of rows) {
    let c = byUnit.get(t.unit_id);
    if (!c) byUnit.set(t.unit_id, (c = zeroCounts()));
    if (inMonth(t.visited_at)) {
      c.visited++;
      if (t.visit_contacted) c.contacted++;
      if (t.visit_solved) c.solved++;
      if (t.satisfaction === 'satisfied') c.satisfied++;
      if (t.satisfaction === 'basically_satisfied') c.basicallySatisfied++;
      if (t.satisfaction === 'unsatisfied') c.unsatisfied++;
      if (t.reopen_count > 0) c.reopened++;
    }
    if (inMonth(t.answered_at)) {
      c.answered++;
      if (t.due_at === null || t.answered_at! <= t.due_at) c.answeredOnTime++;
      if (t.accepted_at) {
        c.answerTimed++;
        c.answerSeconds += (t.answered_at!.getTime() - t.accepted_at.getTime()) / 1000;
      }
    }
    if (inMonth(t.accepted_at) && t.dispatched_at) {
      c.signed++;
      c.signSeconds += (t.accepted_at!.getTime() - t.dispatched_at.getTime()) / 1000;
    }
    if (inMonth(t.dispatched_at)) {
      c.dispatched++;
      if (t.return_count > 0) c.returned++;
    }
  }
  return { fetched: rows.length, units: [...byUnit].map(([key, counts]) => ({ key, counts, rates: computeRates(counts, formula) })) };
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const result = await fn();
  return [performance.now() - t0, result];
}

async function benchEngine(engine: Engine, n: number) {
  console.log(`\n${engine}: ${n.toLocaleString('en-US')} tickets`);
  const handle = await openEngine(engine);
  try {
    const db = handle.db;
    await migrate(db, { ...authMigrations, ...hotlineMigrations, ...kpiMigrations });
    await generate(db, n);
    const [month] = await Promise.all([
      sql<{ n: number }>`select count(*) as n from hotline_ticket where visited_at >= ${from} and visited_at < ${to}`.execute(db),
    ]);
    console.log(`  June 2026 (Beijing time): ${month.rows[0].n.toLocaleString('en-US')} valid return visits`);
    // The roll-up as after an upgrade: set up (every day with an event marked dirty), then the job's first refresh.
    let t0 = performance.now();
    await setUpRollup(db, timeZone);
    const setupMs = performance.now() - t0;
    t0 = performance.now();
    const days = await refreshRollup(db, timeZone, '2027-06-01');
    const refreshMs = performance.now() - t0;
    const rollupRows = (await sql<{ n: number }>`select count(*) as n from hotline_kpi_daily`.execute(db)).rows[0].n;
    await sql`vacuum analyze hotline_kpi_daily`.execute(db);
    console.log(`  roll-up: set up in ${fmt(setupMs / 1000)} s, ${days} days rolled up in ${fmt(refreshMs / 1000)} s (${rollupRows.toLocaleString('en-US')} rows, ${Math.round(rollupRows / days)} a day)`);
    const explainAccess = async (q: { compile(db: Db): { sql: string; parameters: readonly unknown[] } }) => {
      const compiled = q.compile(db);
      const plan = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${compiled.sql}`, [...compiled.parameters]));
      return [...new Set(plan.rows.map((r) => r['QUERY PLAN'].trim()).filter((l) => /Scan/.test(l)).map((l) => l.replace(/\s+\(cost.*$/, '').replace(/^->\s+/, '')))].join('; ');
    };
    console.log(`  access path: ${await explainAccess(await kpiCountsSql(db, { groupBy: 'unit', from, to, timeZone }))}`);

    const [kpiMs, kpi] = await timeRuns(runs, () => kpiQuery(db));
    const [liveMs, live] = await timeRuns(runs, () => kpiQuery(db, kpiLiveCounts));
    // The floor: the cheapest query touching the month's tickets at all, one COUNT(*) over one index range.
    const floorMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const [ms] = await time(() => sql`select count(*) from hotline_ticket where main_ticket_id is null and visited_at >= ${from} and visited_at < ${to}`.execute(db));
      floorMs.push(ms);
    }
    await naiveQuery(db);
    const naiveMs: number[] = [];
    let naive: Awaited<ReturnType<typeof naiveQuery>> = { fetched: 0, units: [] };
    for (let i = 0; i < baselineRuns; i++) {
      const [ms, result] = await time(() => naiveQuery(db));
      naiveMs.push(ms);
      naive = result;
    }
    checkSame(engine, 'KPI (roll-up)', kpi, naive.units);
    checkSame(engine, 'KPI (live)', live, naive.units);

    // One June day dirty: a ticket visited on 15 June gets another satisfaction (the trigger marks its days).
    t0 = performance.now();
    const changed = await sql`update hotline_ticket set satisfaction = 'unsatisfied', updated_at = now()
      where id = (select id from hotline_ticket where visited_at >= ${localToInstant({ year: 2026, month: 6, day: 15 }, timeZone)}
        and visited_at < ${localToInstant({ year: 2026, month: 6, day: 16 }, timeZone)} and satisfaction = 'satisfied' limit 1)`.execute(db);
    const updateMs = performance.now() - t0;
    if (Number(changed.numAffectedRows) !== 1) throw new Error('no ticket to change on 15 June');
    const dirty = (await sql<{ n: number }>`select count(*) as n from hotline_kpi_dirty_day where day >= '2026-06-01' and day < '2026-07-01'`.execute(db)).rows[0].n;
    const [dirtyMs, withDirty] = await timeRuns(runs, () => kpiQuery(db));
    const naiveAfter = await naiveQuery(db);
    checkSame(engine, 'KPI (roll-up, a dirty day)', withDirty, naiveAfter.units);
    t0 = performance.now();
    const rerolled = await refreshRollup(db, timeZone, '2027-06-01');
    const rerollMs = performance.now() - t0;
    checkSame(engine, 'KPI (roll-up, after the refresh)', await kpiQuery(db), naiveAfter.units);
    console.log(`  a changed ticket: UPDATE with its trigger ${fmt(updateMs)} ms, ${dirty} June days dirty; the refresh rolled ${rerolled} days again in ${fmt(rerollMs)} ms`);

    const k = stats(kpiMs);
    const d = stats(dirtyMs);
    const l = stats(liveMs);
    const b = stats(naiveMs);
    const f = stats(floorMs);
    console.log(`  KPI query (one month, by unit, ${kpi.length} units, roll-up): p50 ${fmt(k.p50)} ms, p95 ${fmt(k.p95)} ms, min ${fmt(k.min)}, max ${fmt(k.max)} (${k.n} runs)`);
    console.log(`  KPI query with one changed ticket's ${dirty} June days counted live: p50 ${fmt(d.p50)} ms, p95 ${fmt(d.p95)} ms (${d.n} runs)`);
    console.log(`  live query (no roll-up, four covering-index ranges): p50 ${fmt(l.p50)} ms, p95 ${fmt(l.p95)} ms (${l.n} runs)`);
    console.log(`  baseline (fetch ${naive.fetched.toLocaleString('en-US')} rows, count in JS): p50 ${fmt(b.p50)} ms, p95 ${fmt(b.p95)} ms (${b.n} runs)`);
    console.log(`  floor (COUNT(*) of the month's visits, one index range): p50 ${fmt(f.p50)} ms, p95 ${fmt(f.p95)} ms (${f.n} runs)`);
    console.log(`  ratios: baseline p50 / KPI p50 ${(b.p50 / k.p50).toFixed(1)}×; live p50 / KPI p50 ${(l.p50 / k.p50).toFixed(1)}×; KPI p50 / floor p50 ${(k.p50 / f.p50).toFixed(2)}×; counts identical`);
    if (engine === 'postgres') console.log(`  goal p95 < 200 ms on PostgreSQL: ${k.p95 < 200 && d.p95 < 200 ? 'met' : 'NOT met'}`);
    return { engine, n, kpi: k, dirty: d, live: l, baseline: b, floor: f };
  } finally {
    await handle.close();
  }
}

const results = [];
for (const engine of args.engines!.split(',') as Engine[]) {
  results.push(await benchEngine(engine, Number(engine === 'pglite' ? args['pglite-tickets'] : args.tickets)));
}
console.log('\nsummary');
for (const r of results) {
  console.log(`  ${r.engine.padEnd(8)} ${r.n.toLocaleString('en-US').padStart(9)} tickets  KPI p50 ${fmt(r.kpi.p50)} ms  p95 ${fmt(r.kpi.p95)} ms  (one ticket changed p95 ${fmt(r.dirty.p95)} ms)  live p50 ${fmt(r.live.p50)} ms  p95 ${fmt(r.live.p95)} ms  baseline p50 ${fmt(r.baseline.p50)} ms  floor p50 ${fmt(r.floor.p50)} ms`);
}
