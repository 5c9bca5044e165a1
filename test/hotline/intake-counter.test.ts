import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect } from 'kysely';
import type { PoolLike } from '../../src/platform/db/database.js';
import type { Database } from '../../src/platform/db/schema.js';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { TicketIntakeService } from '../../src/hotline/ticket-intake-service.js';
import { takeTicketNumbers } from '../../src/hotline/ticket-store.js';

/**
 * The day's ticket counter under concurrent intake (issue 20, docs/deploy/cluster.md): creates on several
 * connections get unique, consecutive numbers; a create rolled back after it took a number gives it back (no gap);
 * creates that arrive together are filed in one transaction; and the intake holds the counter row for one
 * statement and the commit (the tickets, their events and ledger entries), taking it with the ledger's head,
 * the Idempotency-Key and the photos being written before it.
 */

/** A Db on the hub's pool that records every statement it runs, in order ('begin' and 'commit' included). */
const loggedDb = (pool: PoolLike) => {
  const run: string[] = [];
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as never }), log: (event) => void run.push(event.query.sql) });
  return { db, run, counter: (sql: string) => sql.includes('hotline_ticket_counter') };
};

describe.each(testEngines)('hotline: the intake and the day counter [%s]', (engine) => {
  let hub: TestHub;
  const now = new Date('2026-12-08T02:00:00Z');
  const day = '20261208';
  const agent = systemActor('counter-test', ['agent']);

  beforeAll(async () => {
    hub = await createTestHub(engine, { clock: () => now, config: { modules: { context: { mqtt: { ingest: false } } } } });
  }, 120_000);
  afterAll(async () => hub?.close());

  const numbersOfDay = async () =>
    (await hub.database.db.selectFrom('hotline_ticket').select('number').where('number', 'like', `${day}-%`).execute())
      .map((r) => Number(r.number.slice(9))).sort((a, b) => a - b);

  it('gives a number taken by a rolled-back create to the next create, which waited for it on another connection', async () => {
    const { db } = hub.database;
    const intake = hub.services.hotline.intake;
    let waiting: Promise<{ number: string }> | undefined;
    let taken = '';
    await expect(db.transaction().execute(async (trx) => {
      [taken] = await takeTicketNumbers(trx, [day]);
      // another filing starts while this one holds the day's counter row, then this one rolls back
      waiting = intake.create(agent, { title: '路灯不亮 waits', content: '东门' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    expect(taken).toBe(`${day}-000001`);
    expect((await waiting!).number).toBe(`${day}-000001`);
  });

  it('numbers concurrent creates uniquely and consecutively, failed ones (after their number) leaving no gap', async () => {
    const intake = hub.services.hotline.intake;
    const token = 'counter-test-token';
    await intake.create(agent, { title: '有令牌', content: 'x', open311Token: token });
    const results = await Promise.allSettled(Array.from({ length: 24 }, (_, i) =>
      // every fourth repeats the Open311 token: its ticket insert fails after the counter was taken, and rolls back
      intake.create(agent, { title: `并发 ${i}`, content: 'y', ...(i % 4 === 3 ? { open311Token: token } : {}) })));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(6);
    const numbers = await numbersOfDay();
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
    expect(numbers).toHaveLength(1 + 1 + 18);
    const events = await hub.database.db.selectFrom('hotline_ticket_event as e').innerJoin('hotline_ticket as t', 't.id', 'e.ticket_id')
      .select(['t.number', 'e.details']).where('e.action', '=', 'create').where('t.number', 'like', `${day}-%`).execute();
    expect(events).toHaveLength(20);
    for (const e of events) expect((typeof e.details === 'string' ? JSON.parse(e.details) : e.details).number).toBe(e.number);
    expect((await hub.services.ledger.verify()).ok).toBe(true);
  });

  it('holds the counter row, taken with the ledger head, for one statement (tickets, events, entries) and the commit', async () => {
    const log = loggedDb(hub.database.pool);
    const { ledger, clock, events } = hub.services;
    const intake = new TicketIntakeService({ db: log.db, ledger, clock, events, timeZone: 'Asia/Shanghai' });
    const user = { ...systemActor('counter-keys', ['agent']), kind: 'api_key' as const, id: '00000000-0000-4000-8000-000000000001' };
    const { ticket } = await intake.createOnce(user, { title: '计数', content: 'z' }, 'count-key');
    expect(ticket.number).toMatch(/^20261208-\d{6}$/);
    const at = log.run.findIndex(log.counter);
    // before it: the key's replay look-up, begin, the expired keys' delete and the key's insert
    expect(at).toBeGreaterThan(2);
    expect(log.run[at]).toContain('ledger_head');
    expect(log.run.slice(at + 1)).toHaveLength(2);
    expect(log.run[at + 1]).toMatch(/insert into ledger_entry[\s\S]*insert into "hotline_ticket"/);
    expect(log.run[at + 2]).toBe('commit');
  });

  it('files creates that arrive together in one transaction: the counter row is taken once per batch', async () => {
    const log = loggedDb(hub.database.pool);
    const { ledger, clock, events } = hub.services;
    const intake = new TicketIntakeService({ db: log.db, ledger, clock, events, timeZone: 'Asia/Shanghai', maxBatch: 8 });
    const filed = await Promise.all(Array.from({ length: 17 }, (_, i) => intake.create(agent, { title: `一起 ${i}`, content: 'w' })));
    expect(new Set(filed.map((t) => t.number)).size).toBe(17);
    // the first alone (nothing was waiting), then the 16 that queued behind it in batches of at most 8
    expect(log.run.filter(log.counter)).toHaveLength(3);
    expect(log.run.filter((q) => q === 'commit')).toHaveLength(3);
    const numbers = await numbersOfDay();
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
    expect((await hub.services.ledger.verify()).ok).toBe(true);
  });
  it('fails only the bad filing of a batch (an unknown photo), and one key sent twice in a batch files one ticket', async () => {
    const intake = hub.services.hotline.intake;
    const user = { ...systemActor('counter-batch', ['agent']), kind: 'api_key' as const, id: '00000000-0000-4000-8000-000000000002' };
    const before = (await numbersOfDay()).length;
    const results = await Promise.allSettled([
      intake.create(agent, { title: '先到', content: 'a' }),
      intake.create(agent, { title: '同批 1', content: 'b' }),
      intake.create(user, { title: '坏照片', content: 'c', photoIds: ['00000000-0000-4000-8000-00000000dead'] }),
      intake.createOnce(user, { title: '同一键', content: 'd' }, 'twice-in-a-batch'),
      intake.createOnce(user, { title: '同一键', content: 'd' }, 'twice-in-a-batch'),
      intake.create(agent, { title: '同批 2', content: 'e' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'HOTLINE_PHOTO_NOT_FOUND' });
    const [once, again] = [results[3], results[4]].map((r) => (r as PromiseFulfilledResult<{ ticket: { id: string }; replayed: boolean }>).value);
    expect(again.ticket.id).toBe(once.ticket.id);
    expect([once.replayed, again.replayed].sort()).toEqual([false, true]);
    const numbers = await numbersOfDay();
    expect(numbers).toHaveLength(before + 4);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
    expect((await hub.services.ledger.verify()).ok).toBe(true);
  });
});
