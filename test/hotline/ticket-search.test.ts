import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openTestDatabase, testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { systemActor, type Actor } from '../../src/platform/auth/roles.js';
import type { DatabaseHandle } from '../../src/platform/db/database.js';
import { listTickets } from '../../src/hotline/ticket-store.js';

/**
 * The ticket list's search box over millions of tickets (issue 20): `ilike '%…%'` uses no b-tree, so the search
 * first narrows by a GIN index of each ticket's characters (migration 20261207-95), then checks with the `ilike`. The
 * answers must be exactly those of the `ilike` alone (case, LIKE's own characters, one character, a number's part,
 * nothing across the title's end), and the list's own query must be one the index can serve.
 */
describe.each(testEngines)('hotline: the ticket search box [%s]', (engine) => {
  let database: DatabaseHandle;
  let hub: TestHub;
  let cookie: string;
  const agent = systemActor('ticket-search-test', ['agent']);
  const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000000', roles: ['admin'] };
  const numbers: Record<string, string> = {};

  const search = async (text: string) => {
    const res = await hub.http.inject({ method: 'GET', url: `/api/hotline/tickets?pageSize=100&text=${encodeURIComponent(text)}`, headers: { cookie } });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { items: { title: string }[] }).items.map((t) => t.title).sort();
  };

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    hub = await createTestHub(engine, { database, config: { modules: { context: { mqtt: { ingest: false } } } } as never });
    const gov = (await hub.services.auth.insertOrg(admin, { name: '市政府', kind: 'government' })).id;
    cookie = (await hub.loginAs(['supervisor'], gov)).cookie;
    const filings = [
      { title: '井盖丢失', content: '人民路口的井盖不见了，夜里很危险' },
      { title: '空气质量', content: '工厂排放导致PM2.5超标' },
      { title: '道路破损', content: '50%的路段坑洼不平' },
      { title: '距离问题', content: '离学校50米有工地' },
      { title: '路灯不亮', content: '请修' },
      { title: '灯光扰民', content: '广告牌太亮' },
    ];
    for (const f of filings) numbers[f.title] = (await hub.services.hotline.intake.create(agent, f)).number;
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    await database?.close();
  });

  it('finds a two-character Chinese word in the content, and nothing else', async () => {
    expect(await search('井盖')).toEqual(['井盖丢失']);
    expect(await search('坑洼')).toEqual(['道路破损']);
    expect(await search('没有的词')).toEqual([]);
  });

  it('ignores case as ilike does', async () => {
    expect(await search('pm2.5')).toEqual(['空气质量']);
    expect(await search('Pm2.5超标')).toEqual(['空气质量']);
  });

  it("takes % and _ as themselves, one character as a search, and a part of a ticket's number", async () => {
    expect(await search('50%')).toEqual(['道路破损']);
    expect(await search('50')).toEqual(['距离问题', '道路破损']);
    expect(await search('_')).toEqual([]);
    expect(await search('灯')).toEqual(['灯光扰民', '路灯不亮']);
    const number = numbers['灯光扰民'];
    expect(await search(number.slice(-7))).toEqual(['灯光扰民']);
  });

  it("does not match across a title's end and its content's start", async () => {
    // the index holds number, title and content as one set of characters: its candidates are checked field by field
    expect(await search('不亮请')).toEqual([]);
    expect(await search('不亮')).toEqual(['路灯不亮']);
  });

  it("the list's search is one the character index serves (the same expression as the index's)", async () => {
    const scans = await database.db.transaction().execute(async (trx) => {
      // with every other way disabled, the planner takes the GIN index only if the list's condition matches it
      await sql`set local enable_seqscan = off`.execute(trx);
      await sql`set local enable_indexscan = off`.execute(trx);
      await sql`set local enable_indexonlyscan = off`.execute(trx);
      const { rows } = await listTickets(trx, { text: '井盖' }, { offset: 0, limit: 10, countLimit: 100 });
      expect(rows.map((r) => r.title)).toEqual(['井盖丢失']);
      const stat = await sql<{ n: string }>`select pg_stat_get_xact_numscans('hotline_ticket_text_characters'::regclass) as n`.execute(trx);
      return Number(stat.rows[0].n);
    });
    expect(scans).toBeGreaterThanOrEqual(2); // the page and its count
  });
});
