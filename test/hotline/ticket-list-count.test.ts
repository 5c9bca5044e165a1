import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { systemActor, type Actor } from '../../src/platform/auth/roles.js';

/**
 * The ticket list's total (issue 20, megacity volume): an exact count reads every matching row, the whole table for
 * a city-wide list of millions, on every page. The list counts up to `modules.hotline.list.countLimit` and answers
 * "at least that many" beyond (`totalExact: false`); the pages go on past it; the count keeps the reader's scope and
 * filters (a handler's count is their unit's, not the city's).
 */
describe.each(testEngines)('hotline: the ticket list counts up to its limit [%s]', (engine) => {
  let hub: TestHub;
  const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000000', roles: ['admin'] };
  const agent = systemActor('list-count-test', ['agent']);
  const cookies: Record<string, string> = {};
  const LIMIT = 100;
  const FILED = LIMIT + 5;

  const list = async (who: string, query: string) => {
    const res = await hub.http.inject({ method: 'GET', url: `/api/hotline/tickets?${query}`, headers: { cookie: cookies[who]! } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: { id: string; number: string; title: string }[]; total: number; totalExact: boolean; page: number };
  };

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { hotline: { list: { countLimit: LIMIT } }, context: { mqtt: { ingest: false } } } } });
    const { auth, hotline } = hub.services;
    const gov = (await auth.insertOrg(admin, { name: '市政府', kind: 'government' })).id;
    const unit = (await auth.insertOrg(admin, { name: '市城市管理局', kind: 'department', parentId: gov })).id;
    cookies.supervisor = (await hub.loginAs(['supervisor'], gov)).cookie;
    cookies.handler = (await hub.loginAs(['handler'], unit)).cookie;
    const filed = await Promise.all(Array.from({ length: FILED }, (_, i) => hotline.intake.create(agent, { title: `路灯不亮 第${i}号`, content: '请尽快修复' })));
    for (const t of filed.slice(0, 3)) await hotline.workflow.transition(agent, t.id, 'dispatch', { unitId: unit });
  }, 180_000);
  afterAll(async () => hub?.close());

  it('a city-wide list past the limit answers the limit, not exact, and its pages go on beyond it', async () => {
    const first = await list('supervisor', 'pageSize=10');
    expect(first).toMatchObject({ total: LIMIT, totalExact: false });
    expect(first.items).toHaveLength(10);
    // the tickets past the count are still listed: every page together holds every ticket once
    const seen = new Set<string>();
    for (let page = 1; page <= Math.ceil(FILED / 10); page++) for (const t of (await list('supervisor', `pageSize=10&page=${page}`)).items) seen.add(t.id);
    expect(seen.size).toBe(FILED);
  });

  it('a filtered list under the limit is counted exactly', async () => {
    expect(await list('supervisor', 'status=dispatched')).toMatchObject({ total: 3, totalExact: true });
    expect(await list('supervisor', `text=${encodeURIComponent('第10号')}`)).toMatchObject({ total: 1, totalExact: true });
  });

  it('a whole ticket number finds that ticket alone (by its index); a part of one still searches', async () => {
    const [one] = (await list('supervisor', 'pageSize=1')).items;
    // a later ticket that quotes the number in its text is not what the number asks for
    await hub.services.hotline.intake.create(agent, { title: '追问', content: `关于工单${one.number}的处理结果` });
    const found = await list('supervisor', `text=${one.number}`);
    expect(found).toMatchObject({ total: 1, totalExact: true });
    expect(found.items[0].id).toBe(one.id);
    expect((await list('supervisor', `text=${one.number.slice(0, 11)}`)).total).toBeGreaterThan(1);
  });

  it("access: a handler's count is their unit's three tickets, never the city's", async () => {
    const page = await list('handler', 'pageSize=1');
    expect(page).toMatchObject({ total: 3, totalExact: true });
    expect(page.items).toHaveLength(1);
  });

  it('a page past the last still says how many match; nothing matching counts 0', async () => {
    expect(await list('handler', 'pageSize=2&page=5')).toMatchObject({ items: [], total: 3, totalExact: true });
    expect(await list('supervisor', `text=${encodeURIComponent('不存在的词')}`)).toMatchObject({ items: [], total: 0, totalExact: true });
  });
});
