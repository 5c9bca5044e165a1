import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { TicketIntakeService } from '../../src/hotline/ticket-intake-service.js';
import { nextTicketSequence } from '../../src/hotline/ticket-store.js';

/**
 * The day's ticket counter under concurrent intake (issue 20, docs/deploy/cluster.md): creates on several
 * connections get unique, consecutive numbers; a create rolled back after it took a number gives it back (no gap);
 * and the intake holds the counter row for few statements (the ticket with its event, the ledger head, the
 * ledger entry), the Idempotency-Key and the photos being written before it.
 */

/** Records every statement a Db runs, in order, marking the counter's upsert. */
class StatementLog implements KyselyPlugin {
  readonly run: string[] = [];
  private readonly kinds = new WeakMap<object, string>();
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node as { kind: string; into?: { table?: { identifier?: { name?: string } } } };
    this.kinds.set(args.queryId, node.into?.table?.identifier?.name === 'hotline_ticket_counter' ? 'counter' : node.kind);
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.run.push(this.kinds.get(args.queryId) ?? 'raw');
    return args.result;
  }
}

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
    let taken = 0;
    await expect(db.transaction().execute(async (trx) => {
      taken = await nextTicketSequence(trx, day);
      // another filing starts while this one holds the day's counter row, then this one rolls back
      waiting = intake.create(agent, { title: '路灯不亮 waits', content: '东门' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    expect(taken).toBe(1);
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

  it('holds the counter row for three statements: the ticket with its event, the ledger head, the ledger entry', async () => {
    const log = new StatementLog();
    const { ledger, clock, events } = hub.services;
    const intake = new TicketIntakeService({ db: hub.database.db.withPlugin(log), ledger, clock, events, timeZone: 'Asia/Shanghai' });
    const user = { ...systemActor('counter-keys', ['agent']), kind: 'api_key' as const, id: '00000000-0000-4000-8000-000000000001' };
    const { ticket } = await intake.createOnce(user, { title: '计数', content: 'z' }, 'count-key');
    expect(ticket.number).toMatch(/^20261208-\d{6}$/);
    const at = log.run.indexOf('counter');
    expect(at).toBeGreaterThan(0);
    // before it: the key's replay look-up, the expired keys' delete and the key's insert
    expect(log.run.slice(at + 1)).toHaveLength(3);
  });
});
