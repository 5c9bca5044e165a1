/**
 * Temporal queries at a megacity's volume on PostgreSQL (issue 20): hourly averages over a month for 100
 * entities within a history of 20 million rows, on the partitioned history (one partition per month, as the
 * product makes it) against the same rows in a plain table, in the same run and the same database.
 *
 *   node --import tsx bench/context/temporal-megacity.bench.ts [--scale 1] [--entities 10000] [--runs 20] [--database-url postgres://…/postgres]
 *
 * `--scale 0.01` is a quick run (200,000 rows). What a query costs depends on how many rows each queried entity
 * has (~490 hours of November at full scale), not on the others': `--scale 0.25 --entities 2500` keeps the full
 * scale's rows per entity in a quarter of the table, when generating 20 million rows twice does not fit. The bench makes its own database `cityhub_bench_megacity` (dropped
 * at the end, also on Ctrl-C), two schemas in it migrated by the context migrations (`part`: partitioned;
 * `plain`: without the partitioning migration), 10,000 entities writing one pm25 reading each over four months
 * (September to December 2026, server-side INSERT … SELECT from generate_series in batches, progress shown),
 * rolls them up hourly (rebuildHourly), generates the same rows in the plain schema and copies the rollup there, then times per schema
 * - the product's hourly average (aggregateHourly: the rollup) over November for 100 entities;
 * - the same month from the raw rows (aggregateHistory: what a non-hour-aligned window or count asks);
 * - the raw instances of the month (queryHistory, lastN 100);
 * and prints p50/p95 and the ratios partitioned/plain; then the rollup query once more with the rollup's key as it
 * was before migration 20261207-31 (the datasetId before the hour) in `plain`. Every answer must be the same in both schemas (checked),
 * and the hourly rollup must give the raw rows' averages (checked).
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import type { Db } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { contextMigrations } from '../../src/context/migrations.js';
import { aggregateHistory, aggregateHourly, queryHistory, rebuildHourly, type HistoryFilter } from '../../src/context/history-store.js';
import { stringifyJson } from '../../src/context/raw-json.js';
import { ensureMonthlyPartitions, listMonthlyPartitions } from '../../src/platform/db/partitions.js';
import { median, percentile } from '../stats.js';
import { benchDatabase, withoutSecondaryIndexes } from '../bench-database.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    entities: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '20' },
    'database-url': { type: 'string', default: process.env.CITYHUB_BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const scale = Number(args.scale);
const runs = Number(args.runs);
const ROWS = Math.round(20_000_000 * scale);
const ENTITIES = Number(args.entities);
const QUERIED = Math.min(100, ENTITIES);
const BATCH = 1_000_000;
const DATABASE = 'cityhub_bench_megacity';
const TENANT = 'urn:ngsi-ld:tenant:default';
const PM25 = 'https://smartdatamodels.org/dataModel.Environment/pm25';
const START = '2026-09-01T00:00:00Z';
const SPAN_DAYS = 122; // September to December
const PARTITIONING = '20261206-10-context-history-partitions';

const adminUrl = args['database-url']!;
const fmt = (x: number) => x.toFixed(1);
const count = (n: number) => n.toLocaleString('en-US');

const { admin, dropAll, open } = benchDatabase(adminUrl, DATABASE);

/**
 * The rows: entity g % 10,000 writes at START + g/ROWS of the span, one pm25 reading observed then; the same rows
 * in each schema (generated again rather than copied: the copy took twice the generation).
 */
async function generate(db: Db, label: string): Promise<void> {
  const t0 = performance.now();
  const rebuilt = await withoutSecondaryIndexes(db, 'context_history', async () => {
    for (let a = 0; a < ROWS; a += BATCH) {
      const b = Math.min(ROWS, a + BATCH) - 1;
      await sql`
        insert into context_history (tenant, entity_id, recorded_at, obs_min, obs_max, attrs, deleted, rolled)
        select ${TENANT}, 'urn:ngsi-ld:AirQualityObserved:' || (g % ${ENTITIES}), t, t, t,
          jsonb_build_object(${PM25}::text, jsonb_build_array(jsonb_build_object('type', 'Property',
            'value', round((20 + 15 * sin(g / 997.0) + (g % 13))::numeric, 1), 'observedAt', to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))),
          '{}', true
        from (select g, ${START}::timestamptz + (g::float8 / ${ROWS}) * interval '${sql.raw(String(SPAN_DAYS))} days' as t
              from generate_series(${a}::int8, ${b}::int8) g) s`.execute(db);
      const s = (performance.now() - t0) / 1000;
      process.stdout.write(`\r  ${label}: ${count(b + 1)} / ${count(ROWS)} rows (${fmt(s)} s)   `);
    }
  });
  process.stdout.write(`\n  ${label}: indexes built in ${fmt(rebuilt)} s\n`);
}

interface Timed {
  p50: number;
  p95: number;
  answer: string;
}

async function timed(fn: () => Promise<unknown>): Promise<Timed> {
  for (let i = 0; i < 2; i++) await fn();
  const ms: number[] = [];
  let answer = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await fn();
    ms.push(performance.now() - t0);
    answer = stringifyJson(r);
  }
  return { p50: median(ms), p95: percentile(ms, 95), answer };
}

try {
  console.log(`temporal megacity bench: ${count(ROWS)} history rows, ${count(ENTITIES)} entities (${count(ROWS / ENTITIES)} rows each), ${QUERIED} queried over November 2026 (scale ${scale})`);
  await dropAll();
  await admin(`create database ${DATABASE}`);
  const part = await open('part');
  const plain = await open('plain');
  await migrateToLatest(part, contextMigrations);
  const { [PARTITIONING]: _, ...unpartitioned } = contextMigrations;
  await migrateToLatest(plain, unpartitioned);

  // What the retention job does ahead of time in the product: a partition for every month the rows fall in.
  await ensureMonthlyPartitions(part, 'context_history', 'recorded_at', new Date(START), new Date(START), 4);
  await generate(part, 'part');
  // The hourly rollup by the product's rebuildHourly (the rows are written marked rolled up, as it leaves them:
  // an UPDATE of every row doubled the load), checked below against the raw rows; the rollup is not partitioned,
  // so plain gets a copy of it.
  let t0 = performance.now();
  await rebuildHourly(part, TENANT);
  console.log(`  part: hourly rollup (rebuildHourly) in ${fmt((performance.now() - t0) / 1000)} s`);
  await generate(plain, 'plain');
  t0 = performance.now();
  await sql`insert into plain.context_history_hourly select * from part.context_history_hourly`.execute(plain);
  console.log(`  plain: rollup copied in ${fmt((performance.now() - t0) / 1000)} s`);
  for (const db of [part, plain]) for (const t of ['context_history', 'context_history_hourly']) await sql`vacuum analyze ${sql.id(t)}`.execute(db);
  const months = await listMonthlyPartitions(part, 'context_history');
  const size = async (db: Db) => (await sql<{ s: string }>`select pg_size_pretty(sum(pg_total_relation_size(c.oid))) as s from pg_class c
    where c.relnamespace = current_schema()::regnamespace and c.relname like 'context_history%' and c.relkind in ('r', 'p')`.execute(db)).rows[0].s;
  console.log(`  part: ${months.length} monthly partitions (${months[0]?.name} … ${months.at(-1)?.name}), ${await size(part)}; plain: ${await size(plain)}`);

  // 100 entities spread over the 10,000.
  const entityIds = Array.from({ length: QUERIED }, (_, i) => `urn:ngsi-ld:AirQualityObserved:${(Math.floor((i * ENTITIES) / QUERIED) + 7) % ENTITIES}`);
  const november: HistoryFilter = { tenant: TENANT, entityIds, attrs: [PM25], from: '2026-11-01T00:00:00Z', until: '2026-12-01T00:00:00Z', cap: 10_000 };
  const queries = {
    'hourly avg, a month, 100 entities (rollup)': (db: Db) => aggregateHourly(db, november, ['avg'], 3600, november.from!),
    'hourly avg, a month, 100 entities (raw rows)': (db: Db) => aggregateHistory(db, november, ['avg'], 3600, november.from!),
    'instances, a month, 100 entities, lastN 100': (db: Db) => queryHistory(db, { ...november, lastN: 100 }),
  };
  const results: { name: string; part: Timed; plain: Timed }[] = [];
  for (const [name, q] of Object.entries(queries)) {
    // Interleaved so a busy moment of the shared machine falls on both.
    const p = await timed(() => q(part));
    const n = await timed(() => q(plain));
    if (p.answer !== n.answer) throw new Error(`${name}: partitioned and plain answers differ`);
    results.push({ name, part: p, plain: n });
    console.log(`  ${name}: partitioned p50 ${fmt(p.p50)} ms p95 ${fmt(p.p95)} ms; plain p50 ${fmt(n.p50)} ms p95 ${fmt(n.p95)} ms; ratio p95 ${(p.p95 / n.p95).toFixed(2)}×`);
  }
  // The rollup's key before migration 20261207-31 (the datasetId before the hour: the window cannot bound the
  // scan, every hour of the entity is read), in plain, against the current key in part.
  await sql`alter table context_history_hourly drop constraint context_history_hourly_pk`.execute(plain);
  await sql`alter table context_history_hourly add constraint context_history_hourly_pk
    primary key (tenant, entity_id, attr, dataset_id, hour) include (n, total, lo, hi, sumsq)`.execute(plain);
  await sql`vacuum analyze context_history_hourly`.execute(plain);
  {
    const q = queries['hourly avg, a month, 100 entities (rollup)'];
    const p = await timed(() => q(part));
    const n = await timed(() => q(plain));
    if (p.answer !== n.answer) throw new Error('the rollup answers differ with the old key');
    results.push({ name: 'hourly avg (rollup): key hour-first vs old key', part: p, plain: n });
    console.log(`  rollup with the current key p50 ${fmt(p.p50)} ms p95 ${fmt(p.p95)} ms; old key p50 ${fmt(n.p50)} ms p95 ${fmt(n.p95)} ms; ratio p95 ${(p.p95 / n.p95).toFixed(2)}×`);
  }
  // The rollup's averages are the raw rows' averages (to the 9th digit: sums in another order); the rollup's fast
  // path lists the entities in the order asked, the raw one by id.
  const round = (_: string, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v);
  const canonical = (answer: string) => JSON.stringify((JSON.parse(answer, round) as { entity_id: string }[]).sort((x, y) => x.entity_id.localeCompare(y.entity_id)));
  if (canonical(results[0].part.answer) !== canonical(results[1].part.answer)) throw new Error('the hourly rollup and the raw rows disagree');
  console.log('\nsummary (answers identical partitioned/plain, rollup = raw)');
  for (const r of results) console.log(`  ${r.name.padEnd(48)} part p95 ${fmt(r.part.p95).padStart(7)} ms  plain p95 ${fmt(r.plain.p95).padStart(7)} ms  ratio ${(r.part.p95 / r.plain.p95).toFixed(2)}×`);
  console.log(`  goal: hourly averages p95 < 200 ms on the partitioned history: ${results[0].part.p95 < 200 ? 'met' : 'NOT met'} (${fmt(results[0].part.p95)} ms)`);
} finally {
  await dropAll();
}
