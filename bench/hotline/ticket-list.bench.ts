/**
 * The workbench's ticket queues over a megacity's ticket table (issue 20), on PostgreSQL: every queue of the
 * workbench (queue-view.tsx) as the product lists it (TicketQueryService.list: page 1 of 20 and the total),
 * for a city-wide reader and for one unit's handler, with the count stopping at `modules.hotline.list.countLimit`
 * (1000, the default) against the same list counted exactly (the baseline, as the list was before), in one run.
 *
 *   node --import tsx bench/hotline/ticket-list.bench.ts [--tickets 2000000] [--runs 15] [--database-url postgres://…/postgres]
 *
 * The tickets are ticket-volume.ts's year of 2026 (85 % visited, the rest spread over the open states); the
 * deadline job's flags are then set as of 1 January 2027 (what `refreshDeadlines` does), and one ticket in a
 * thousand is supervised. Prints p50/p95 per queue and engine variant, and the ratio; both variants must list
 * the same page (checked). Then the search box (a common word, a rare one) with its character index against the
 * same search without it (dropped in a transaction that is rolled back): the same page and total, checked.
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { authMigrations } from '../../src/platform/auth/migrations.js';
import { hotlineMigrations } from '../../src/hotline/migrations.js';
import { kpiMigrations } from '../../src/hotline/kpi/migrations.js';
import { TicketQueryService } from '../../src/hotline/ticket-query-service.js';
import '../../src/hotline/permissions.js'; // registers hotline.ticket.read (a hub does it when it loads the module)
import { markOverdue, markSignOverdue } from '../../src/hotline/ticket-store.js';
import { HotlineConfigSchema } from '../../src/hotline/config.js';
import type { Actor } from '../../src/platform/auth/roles.js';
import type { TicketQuery } from '../../src/hotline/schemas.js';
import { Value } from 'typebox/value';
import { generate } from './ticket-volume.js';
import { median, percentile } from '../stats.js';
import { benchDatabase } from '../bench-database.js';
import type { Db } from '../../src/platform/db/database.js';

const { values: args } = parseArgs({
  options: {
    tickets: { type: 'string', default: '2000000' },
    runs: { type: 'string', default: '15' },
    'database-url': { type: 'string', default: process.env.CITYHUB_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const TICKETS = Number(args.tickets);
const runs = Number(args.runs);
const fmt = (x: number) => x.toFixed(1);
const { admin, dropAll, open } = benchDatabase(args['database-url']!, 'cityhub_bench_ticket_list');

const open_ = { open: true } as const;
/** The workbench's queues (queue-view.tsx `queuesFor`), page 1 of 20. */
const queues: Record<string, TicketQuery> = {
  'intake 待受理': { status: ['received'], ...open_ },
  'returned 退回': { status: ['returned'], ...open_ },
  'to visit 待回访': { status: ['answered'], ...open_ },
  'to sign 待签收': { status: ['dispatched'], ...open_ },
  'handling 办理中': { status: ['accepted', 'in_progress'], ...open_ },
  'supervised 督办': { supervised: true, ...open_ },
  'unsatisfied 不满意': { satisfaction: ['unsatisfied'], status: ['visited', 'closed'] },
  'overdue 超期': { overdue: true, ...open_ },
  'all 全部': {},
  'all by deadline': { sort: 'due', ...open_ },
  // the search box: a word every generated ticket holds, a word five tickets of January hold, one ticket's number
  'search a word': { text: '噪音' },
  'search a rare word': { text: '井盖' },
  'search a number': { text: '20260601-000001' },
};
/** The search box's queries, also timed without the character index (migration 20261207-95) as the baseline. */
const searches = ['search a word', 'search a rare word'];

/** `fn`'s result with the character index dropped in a transaction that is then rolled back (the index stays). */
async function withoutCharacterIndex<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  const rollback = new Error('rollback');
  let result: T | undefined;
  await db.transaction().execute(async (trx) => {
    await sql`drop index hotline_ticket_text_characters`.execute(trx);
    result = await fn(trx);
    throw rollback;
  }).catch((e) => {
    if (e !== rollback) throw e;
  });
  return result!;
}

async function timed(fn: () => Promise<{ items: { id: string }[]; total: number; totalExact: boolean }>) {
  await fn(); // two calls to warm up; the second's answer is the one checked if no timed run follows
  let last = await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await fn();
    ms.push(performance.now() - t0);
  }
  return { p50: median(ms), p95: percentile(ms, 95), page: last.items.map((t) => t.id).join(','), total: `${last.total}${last.totalExact ? '' : '+'}` };
}

try {
  console.log(`ticket list bench: ${TICKETS.toLocaleString('en-US')} tickets over 2026, the workbench's queues, page 1 of 20`);
  await dropAll();
  await admin('create database cityhub_bench_ticket_list');
  const db = await open('bench');
  await migrateToLatest(db, { ...authMigrations, ...hotlineMigrations, ...kpiMigrations });
  await generate(db, TICKETS);
  const asOf = new Date('2027-01-01T00:00:00Z');
  const flagged = (await markSignOverdue(db, asOf)) + (await markOverdue(db, asOf));
  await sql`update hotline_ticket set supervised = true where random() < 0.001`.execute(db);
  // the generator's numbers are not the product's format: one ticket gets a real one to be searched for
  await sql`update hotline_ticket set number = '20260601-000001' where number = 'B000123457'`.execute(db);
  await sql`update hotline_ticket set content = content || '井盖丢失' where number in ('B000000101', 'B000000202', 'B000000303', 'B000000404', 'B000000505')`.execute(db);
  await sql`vacuum analyze hotline_ticket`.execute(db);
  console.log(`  deadline flags set on ${flagged.toLocaleString('en-US')} tickets`);
  const unit = (await sql<{ unit_id: string }>`select unit_id from hotline_ticket where unit_id is not null limit 1`.execute(db)).rows[0].unit_id;
  const countLimit = Value.Default(HotlineConfigSchema, {}) as { list: { countLimit: number } };
  const capped = new TicketQueryService(db, countLimit.list.countLimit);
  const exact = new TicketQueryService(db, Number.MAX_SAFE_INTEGER - 1);
  const readers: Record<string, Actor> = {
    'city-wide (supervisor)': { kind: 'user', id: '00000000-0000-4000-8000-000000000001', roles: ['supervisor', 'agent'] },
    'one unit (handler)': { kind: 'user', id: '00000000-0000-4000-8000-000000000002', roles: ['handler'], orgId: unit },
  };
  for (const [who, actor] of Object.entries(readers)) {
    for (const [name, query] of Object.entries(queues)) {
      const q = { ...query, page: 1, pageSize: 20 };
      const c = await timed(() => capped.list(actor, q));
      const e = await timed(() => exact.list(actor, q));
      if (c.page !== e.page) throw new Error(`${who} ${name}: the capped and exact lists differ`);
      console.log(`${who.padEnd(24)} ${name.padEnd(18)} total ${c.total.padStart(7)} / ${e.total.padStart(9)}  capped p50 ${fmt(c.p50).padStart(7)} p95 ${fmt(c.p95).padStart(7)} ms  exact p50 ${fmt(e.p50).padStart(7)} p95 ${fmt(e.p95).padStart(7)} ms  ${(e.p95 / c.p95).toFixed(1).padStart(6)}×`);
    }
  }
  // The same searches without the character index: dropped in a transaction that is rolled back.
  for (const [who, actor] of Object.entries(readers)) {
    for (const name of searches) {
      const q = { ...queues[name], page: 1, pageSize: 20 };
      const indexed = await timed(() => capped.list(actor, q));
      const plain = await withoutCharacterIndex(db, (trx) => timed(() => new TicketQueryService(trx, countLimit.list.countLimit).list(actor, q)));
      if (indexed.page !== plain.page || indexed.total !== plain.total) throw new Error(`${who} ${name}: the search differs without the index`);
      console.log(`${who.padEnd(24)} ${name.padEnd(18)} total ${indexed.total.padStart(7)}  character index p50 ${fmt(indexed.p50).padStart(7)} p95 ${fmt(indexed.p95).padStart(7)} ms  without p50 ${fmt(plain.p50).padStart(7)} p95 ${fmt(plain.p95).padStart(7)} ms  ${(plain.p95 / indexed.p95).toFixed(1).padStart(6)}×`);
    }
  }
} finally {
  await dropAll();
}
