/**
 * The KPI at a megacity's volume on PostgreSQL (issue 20): 三率 for one month by unit over 10 million tickets, on
 * the ticket table as it is (`plain`) against the same rows in a table partitioned by month of filing (`part`:
 * monthly range partitions on created_at, the KPI's covering indexes and roll-up triggers on the parent), in one
 * run and one database.
 *
 *   node --import tsx bench/hotline/kpi-megacity.bench.ts [--scale 1] [--runs 20] [--database-url postgres://…/postgres]
 *
 * `--scale 0.1` is a quicker run (1 million tickets). The bench makes its own database `cityhub_bench_megacity_kpi`
 * (dropped at the end, also on Ctrl-C), generates the tickets in `plain` (ticket-volume.ts, progress shown), copies
 * them into `part`, sets up and refreshes the daily roll-up in both, then times per schema the product's query
 * (kpiCounts: roll-up for clean days, live for the rest; by unit it reads the per-unit roll-up), the live query
 * (kpiLiveCounts: the covering-index ranges) and the product's query by district (the full roll-up), June 2026
 * in Beijing time, and prints p50/p95 and the ratios part/plain. The answers must be equal.
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import type { Db } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { authMigrations } from '../../src/platform/auth/migrations.js';
import { hotlineMigrations } from '../../src/hotline/migrations.js';
import { kpiMigrations } from '../../src/hotline/kpi/migrations.js';
import { kpiCounts, kpiLiveCounts } from '../../src/hotline/kpi/kpi-store.js';
import { refreshRollup, setUpRollup } from '../../src/hotline/kpi/kpi-rollup-store.js';
import { ensureMonthlyPartitions, listMonthlyPartitions } from '../../src/platform/db/partitions.js';
import { localToInstant } from '../../src/platform/clock/local-time.js';
import { generate } from './ticket-volume.js';
import { median, percentile } from '../stats.js';
import { benchDatabase } from '../bench-database.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    runs: { type: 'string', default: '20' },
    'database-url': { type: 'string', default: process.env.CITYHUB_BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const TICKETS = Math.round(10_000_000 * Number(args.scale));
const runs = Number(args.runs);
const DATABASE = 'cityhub_bench_megacity_kpi';
const timeZone = 'Asia/Shanghai';
const from = localToInstant({ year: 2026, month: 6, day: 1 }, timeZone);
const to = localToInstant({ year: 2026, month: 7, day: 1 }, timeZone);
const adminUrl = args['database-url']!;
const fmt = (x: number) => x.toFixed(1);

const { admin, dropAll, open } = benchDatabase(adminUrl, DATABASE);

/**
 * `part`: the tickets partitioned by month of filing. The ticket table's shape (not its keys: a partitioned
 * table's unique keys must hold created_at, and the product's foreign keys to hotline_ticket(id) could not
 * stay) with the partitions of 2026 and a default, then the KPI migrations (covering indexes, roll-up, triggers).
 */
async function partitionedCopy(part: Db): Promise<void> {
  await sql`create table part.hotline_ticket (like plain.hotline_ticket including defaults) partition by range (created_at)`.execute(part);
  await sql`create table part.hotline_ticket_pdefault partition of part.hotline_ticket default`.execute(part);
  await ensureMonthlyPartitions(part, 'hotline_ticket', 'created_at', new Date('2025-12-01T00:00:00Z'), new Date('2025-12-01T00:00:00Z'), 13);
  await migrateToLatest(part, kpiMigrations);
  // The names the KPI joins to (districts) are plain's.
  await sql`create view part.hotline_area as select * from plain.hotline_area`.execute(part);
  const t0 = performance.now();
  await sql`insert into part.hotline_ticket select * from plain.hotline_ticket`.execute(part);
  await sql`vacuum analyze part.hotline_ticket`.execute(part);
  console.log(`  part: ${(await listMonthlyPartitions(part, 'hotline_ticket')).length} monthly partitions, copied and analyzed in ${fmt((performance.now() - t0) / 1000)} s`);
}

/** Rows by key, numbers to 9 digits: the seconds are summed in another order over partitions. */
const canonical = (rows: { key: string | null }[]) =>
  JSON.stringify([...rows].sort((a, b) => String(a.key).localeCompare(String(b.key))), (_, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v));

async function timed(fn: () => Promise<unknown>): Promise<{ p50: number; p95: number; answer: string }> {
  for (let i = 0; i < 2; i++) await fn();
  const ms: number[] = [];
  let answer = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await fn();
    ms.push(performance.now() - t0);
    answer = canonical(r as { key: string | null }[]);
  }
  return { p50: median(ms), p95: percentile(ms, 95), answer };
}

try {
  console.log(`KPI megacity bench: ${TICKETS.toLocaleString('en-US')} tickets over 2026, June by unit (scale ${args.scale})`);
  await dropAll();
  await admin(`create database ${DATABASE}`);
  const plain = await open('plain');
  const part = await open('part');
  await migrateToLatest(plain, { ...authMigrations, ...hotlineMigrations, ...kpiMigrations });
  await generate(plain, TICKETS);
  await partitionedCopy(part);
  for (const [name, db] of [['plain', plain], ['part', part]] as const) {
    const t0 = performance.now();
    await setUpRollup(db, timeZone);
    const days = await refreshRollup(db, timeZone, '2027-06-01');
    for (const t of ['hotline_kpi_daily', 'hotline_kpi_daily_unit']) await sql`vacuum analyze ${sql.table(t)}`.execute(db);
    const { rows: [june] } = await sql<{ full: number; unit: number }>`
      select (select count(*) from hotline_kpi_daily where day >= '2026-06-01' and day < '2026-07-01')::int as full,
        (select count(*) from hotline_kpi_daily_unit where day >= '2026-06-01' and day < '2026-07-01')::int as unit`.execute(db);
    console.log(`  ${name}: roll-up of ${days} days in ${fmt((performance.now() - t0) / 1000)} s; June: ${june.full} rows, ${june.unit} per unit`);
  }
  const queries = {
    'KPI, June by unit (roll-up + live)': (db: Db) => kpiCounts(db, { groupBy: 'unit', from, to, timeZone }),
    'KPI live (covering-index ranges)': (db: Db) => kpiLiveCounts(db, { groupBy: 'unit', from, to, timeZone }),
    // By district the per-unit roll-up cannot answer: the full one (every unit × district × category of a day).
    'KPI, June by district (full roll-up)': (db: Db) => kpiCounts(db, { groupBy: 'district', from, to, timeZone }),
  };
  const results: { name: string; part: { p95: number; p50: number }; plain: { p95: number; p50: number } }[] = [];
  for (const [name, q] of Object.entries(queries)) {
    const p = await timed(() => q(part));
    const n = await timed(() => q(plain));
    if (p.answer !== n.answer) throw new Error(`${name}: partitioned and plain answers differ`);
    results.push({ name, part: p, plain: n });
    console.log(`  ${name}: partitioned p50 ${fmt(p.p50)} ms p95 ${fmt(p.p95)} ms; plain p50 ${fmt(n.p50)} ms p95 ${fmt(n.p95)} ms; ratio p95 ${(p.p95 / n.p95).toFixed(2)}×`);
  }
  console.log('\nsummary (answers identical partitioned/plain)');
  for (const r of results) console.log(`  ${r.name.padEnd(40)} part p95 ${fmt(r.part.p95).padStart(7)} ms  plain p95 ${fmt(r.plain.p95).padStart(7)} ms  ratio ${(r.part.p95 / r.plain.p95).toFixed(2)}×`);
  console.log(`  goal: KPI month-by-unit p95 < 100 ms: plain ${results[0].plain.p95 < 100 ? 'met' : 'NOT met'}, partitioned ${results[0].part.p95 < 100 ? 'met' : 'NOT met'}`);
} finally {
  await dropAll();
}
