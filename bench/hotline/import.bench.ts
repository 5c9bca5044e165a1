/**
 * Import rate of `cityhub import tickets` against a raw multi-row INSERT of the same rows, on PostgreSQL.
 *
 *   node --import tsx bench/hotline/import.bench.ts [--rows 1000000] [--runs 3] [--batch 1000] [--database-url postgres://…]
 *
 * 1. Generates a CSV of N tickets (ids, Chinese titles and bodies, times over 2025, 3×4 categories, coordinates,
 *    statuses, channels) in a temporary folder, and a mapping for it.
 * 2. In a PostgreSQL schema of its own with the auth + ledger + hotline + KPI migrations (the KPI's covering
 *    indexes and roll-up triggers included, as in production), per run:
 *    - baseline: the same N rows, already built in memory (the same ticket numbers too), sent as multi-row
 *      `INSERT … VALUES` of `--batch` rows (28 parameters a row: the columns the importer writes) into
 *      hotline_ticket, one transaction per batch;
 *    - importer: TicketImporter over the CSV file — streaming parse, mapping, category lookup, idempotency
 *      check, ticket numbers from the shared counter, progress rows — into the same, emptied table.
 *    The order alternates per run, so neither always gets the warmer cache.
 * 3. Prints both rates, their medians and the ratio importer ÷ raw (goal ≥ 0.5), and checks the row counts.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { once } from 'node:events';
import pg from 'pg';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { authMigrations } from '../../src/platform/auth/migrations.js';
import { createLedger, ledgerMigrations } from '../../src/platform/ledger/index.js';
import { hotlineMigrations } from '../../src/hotline/migrations.js';
import { kpiMigrations } from '../../src/hotline/kpi/migrations.js';
import { setUpRollup } from '../../src/hotline/kpi/kpi-rollup-store.js';
import { formatTicketNumber } from '../../src/hotline/ticket-number.js';
import { HotlineReferenceService } from '../../src/hotline/reference-service.js';
import { TicketImporter, parseMapping } from '../../src/hotline/import/index.js';
import type { Actor } from '../../src/platform/auth/roles.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1000' },
    /** rows per importer transaction (default: --batch); the raw baseline keeps --batch (≤ 2,340 rows of 28 parameters) */
    'import-batch': { type: 'string' },
    'database-url': { type: 'string', default: process.env.CITYHUB_BENCH_DATABASE_URL ?? process.env.CITYHUB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const N = Number(args.rows);
const RUNS = Number(args.runs);
const BATCH = Number(args.batch);
const IMPORT_BATCH = Number(args['import-batch'] ?? args.batch);
const URL = args['database-url']!;
const admin: Actor = { kind: 'user', id: 'system:bench', username: 'bench', roles: ['admin'] };

const level1 = ['城乡建设', '环境保护', '交通运输'];
const level2 = ['市政设施', '噪声污染', '道路维修', '物业管理'];
const words = ['小区', '路灯', '噪音', '井盖', '施工', '垃圾', '停车', '物业', '绿化', '积水', '公交', '占道'];
const statuses = ['closed', 'closed', 'closed', 'received', 'answered'];
const channels = ['phone', 'web', 'app', 'wechat'];
const YEAR0 = Date.UTC(2025, 0, 1);
const YEAR_MS = 365 * 86_400_000;

/** Row i, deterministic: the CSV and the raw baseline carry the same values. */
const row = (i: number) => {
  const w1 = words[i % words.length];
  const w2 = words[(i * 7 + 3) % words.length];
  const t = new Date(YEAR0 + Math.floor(((i * 2654435761) % 1_000_003) / 1_000_003 * YEAR_MS));
  return {
    id: `G${i}`,
    title: `${w1}${w2}问题反映 ${i}`,
    content: `市民反映：${w1}附近${w2}情况严重，已持续多日，影响周边居民正常生活，请相关部门尽快核实处理。编号${i}。`,
    time: t.toISOString(),
    created: t,
    level1: level1[i % 3],
    level2: level2[(i >> 2) % 4],
    lat: 30 + (i % 1000) / 10_000,
    lon: 114 + (i % 997) / 10_000,
    status: statuses[i % statuses.length],
    channel: channels[i % channels.length],
  };
};

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

async function writeCsv(file: string): Promise<void> {
  const out = createWriteStream(file);
  out.write('id,title,content,time,level1,level2,lat,lon,status,channel\n');
  for (let i = 0; i < N; i++) {
    const r = row(i);
    const line = [r.id, r.title, r.content, r.time, r.level1, r.level2, String(r.lat), String(r.lon), r.status, r.channel].map(csvCell).join(',');
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const mapping = parseMapping({
  source: 'bench',
  fields: {
    external_id: 'id',
    title: 'title',
    content: 'content',
    created_at: { column: 'time', date: 'iso' },
    category_level1: 'level1',
    category_level2: 'level2',
    lat: 'lat',
    lon: 'lon',
    status: 'status',
    channel: 'channel',
  },
});

const COLUMNS = [
  'number', 'channel', 'citizen_name', 'citizen_phone', 'title', 'content', 'address', 'lon', 'lat', 'category_id', 'urgency',
  'tags', 'status', 'reply_text', 'result', 'satisfaction', 'likes', 'source', 'external_id', 'overdue',
  'created_at', 'updated_at', 'dispatched_at', 'accepted_at', 'due_at', 'answered_at', 'visited_at', 'closed_at',
];

/** The baseline: rows built in memory, multi-row INSERT … VALUES, one transaction per batch. */
async function rawInsert(pool: pg.Pool, categoryIds: Map<string, string>, dayOf: (d: Date) => string): Promise<number> {
  // The same numbers the importer gives (day of creation + sequence of the day), so both paths write the same
  // keys into the `number` index: sequential numbers would make the baseline's index inserts unfairly cheap.
  const perDay = new Map<string, number>();
  const numbers: string[] = new Array(N);
  for (let i = 0; i < N; i++) {
    const day = dayOf(row(i).created);
    const seq = (perDay.get(day) ?? 0) + 1;
    perDay.set(day, seq);
    numbers[i] = formatTicketNumber(day, seq);
  }
  const client = await pool.connect();
  const started = performance.now();
  try {
    for (let start = 0; start < N; start += BATCH) {
      const n = Math.min(BATCH, N - start);
      const params: unknown[] = [];
      const tuples: string[] = [];
      for (let k = 0; k < n; k++) {
        const i = start + k;
        const r = row(i);
        const base = params.length;
        const iso = r.created.toISOString();
        params.push(
          numbers[i], r.channel, null, null, r.title, r.content, null, r.lon, r.lat,
          categoryIds.get(`${r.level1}/${r.level2}`), 'normal', '{}', r.status, null, null, null, 0, 'raw', r.id, false,
          iso, iso, null, null, null, null, null, r.status === 'closed' ? iso : null,
        );
        tuples.push(`(${COLUMNS.map((_, c) => `$${base + c + 1}`).join(',')})`);
      }
      await client.query('begin');
      await client.query(`insert into hotline_ticket (${COLUMNS.join(',')}) values ${tuples.join(',')} on conflict (source, external_id) do nothing`, params);
      await client.query('commit');
    }
  } finally {
    client.release();
  }
  return (N * 1000) / (performance.now() - started);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(x);

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'import-bench-'));
  const file = path.join(dir, 'tickets.csv');
  const schema = `bench_import_${randomBytes(4).toString('hex')}`;
  const admin0 = new pg.Client({ connectionString: URL });
  await admin0.connect();
  await admin0.query(`create schema ${schema}`);
  let database: DatabaseHandle | undefined;
  try {
    let t = performance.now();
    await writeCsv(file);
    console.log(`generated ${fmt(N)} rows into ${file} in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    database = await openDatabase({ databaseUrl: URL, searchPath: schema, poolMax: 4 });
    const db = database.db;
    // The table as production has it: the KPI's covering indexes and its roll-up triggers (set up, so they work).
    await migrateToLatest(db, { ...authMigrations, ...ledgerMigrations, ...hotlineMigrations, ...kpiMigrations });
    await setUpRollup(db, 'Asia/Shanghai');
    const ledger = await createLedger(db, { clock: () => new Date(), checkpointIntervalSeconds: 3600 });
    const reference = new HotlineReferenceService(db, ledger);
    await reference.importTaxonomy(admin, level1.flatMap((a) => level2.map((b) => ({ level1: a, level2: b }))));
    const categoryIds = new Map((await reference.listCategories(admin)).filter((c) => c.level2).map((c) => [`${c.level1}/${c.level2}`, c.id]));
    const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });
    const importer = new TicketImporter({ db, ledger, clock: () => new Date(), categories: reference, dayOf: (at) => dayFormat.format(at).replaceAll('-', '') });

    const empty = async () => {
      await sql`truncate hotline_ticket cascade`.execute(db);
      await sql`truncate hotline_import_run, hotline_ticket_counter`.execute(db);
      await sql`vacuum analyze hotline_ticket`.execute(db).catch(() => undefined);
    };
    const count = async () => Number((await sql<{ n: string }>`select count(*) as n from hotline_ticket`.execute(db)).rows[0].n);

    const raw: number[] = [];
    const imp: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const order = run % 2 === 0 ? ['raw', 'importer'] : ['importer', 'raw'];
      for (const which of order) {
        await empty();
        t = performance.now();
        if (which === 'raw') {
          const rate = await rawInsert(database.pool as unknown as pg.Pool, categoryIds, (at) => dayFormat.format(at).replaceAll('-', ''));
          raw.push(rate);
        } else {
          const s = await importer.run(admin, { file, mapping, batchSize: IMPORT_BATCH });
          if (s.imported !== N || s.bad !== 0) throw new Error(`importer took ${s.imported} rows, ${s.bad} bad`);
          imp.push((N * 1000) / (performance.now() - t));
        }
        const n = await count();
        if (n !== N) throw new Error(`${which}: ${n} rows in the table, expected ${N}`);
        console.log(`run ${run + 1} ${which.padEnd(8)} ${fmt(which === 'raw' ? raw.at(-1)! : imp.at(-1)!)} rows/s`);
      }
    }
    const ratio = median(imp) / median(raw);
    console.log('');
    console.log(`rows ${fmt(N)}, batch ${BATCH} (importer ${IMPORT_BATCH}), runs ${RUNS}, PostgreSQL`);
    console.log(`raw multi-row INSERT   median ${fmt(median(raw))} rows/s  (${raw.map(fmt).join(', ')})`);
    console.log(`cityhub import         median ${fmt(median(imp))} rows/s  (${imp.map(fmt).join(', ')})`);
    console.log(`ratio importer/raw     ${ratio.toFixed(2)}  (goal ≥ 0.50: ${ratio >= 0.5 ? 'met' : 'NOT met'})`);
  } finally {
    await database?.close();
    await admin0.query(`drop schema if exists ${schema} cascade`);
    await admin0.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
