import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import type { Actor } from '../../src/platform/auth/roles.js';

/**
 * Issue 17, the workbench's queues on the server: a handler's 待签收 holds only their unit's tickets, the action
 * queues (超期 included) never hold a closed ticket, the list sorts by deadline and filters by date, 督办 carries a
 * level and a deadline and cannot be repeated, and a refused action reads plainly (never "cannot be superviseed").
 * The assist never proposes the ticket it is asked about as its own duplicate or similar case.
 */
describe.each(testEngines)('hotline: workbench queues, 督办 and assist [%s]', (engine) => {
  let hub: TestHub;
  let now = new Date('2026-11-26T01:00:00Z');
  const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000000', roles: ['admin'] };
  const cookies: Record<string, string> = {};
  const units: Record<string, string> = {};
  const t: Record<string, { id: string; number: string }> = {};

  type Res = { statusCode: number; body: string; json(): any };
  const api = (who: string, method: 'GET' | 'POST', url: string, payload?: object): Promise<Res> =>
    hub.http.inject({ method, url: `/api/hotline${url}`, headers: { cookie: cookies[who]! }, ...(payload ? { payload } : {}) });
  const ok = async (res: Promise<Res>) => {
    const r = await res;
    expect(r.statusCode, r.body).toBeLessThan(300);
    return r.json();
  };
  const file = (title: string) => {
    now = new Date(now.getTime() + 60_000); // one minute apart, so "oldest first" has one answer
    return ok(api('agent', 'POST', '/tickets', { title, content: `${title}，请尽快处理。`, urgency: 'normal' }));
  };

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      clock: () => now,
      // the clock moves 40 days: sessions must outlive it (absolute and idle)
      config: { auth: { sessionTtlHours: 24 * 60, sessionIdleMinutes: 60 * 24 * 60, loginMaxAttempts: 100, loginWindowSeconds: 300, secureCookies: false } },
    });
    const { auth } = hub.services;
    const gov = (await auth.insertOrg(admin, { name: '市政府', kind: 'government' })).id;
    units.A = (await auth.insertOrg(admin, { name: '市城市管理局', kind: 'department', parentId: gov })).id;
    units.B = (await auth.insertOrg(admin, { name: '市生态环境局', kind: 'department', parentId: gov })).id;
    for (const [key, roles, org] of [
      ['agent', ['agent'], gov], ['supervisor', ['supervisor'], gov], ['handlerA', ['handler'], units.A], ['handlerB', ['handler'], units.B],
    ] as const) cookies[key] = (await hub.loginAs([...roles], org)).cookie;

    t.a1 = await file('幸福路路灯不亮');
    t.b1 = await file('河道有异味');
    t.closed = await file('人行道井盖破损');
    for (const [key, unit] of [['a1', 'A'], ['b1', 'B'], ['closed', 'A']] as const) {
      await ok(api('agent', 'POST', `/tickets/${t[key].id}/dispatch`, { unitId: units[unit] }));
    }
    // The third ticket is answered late (overdue) and then closed: it must leave every action queue.
    await ok(api('handlerA', 'POST', `/tickets/${t.closed.id}/accept`, {}));
    await ok(api('handlerA', 'POST', `/tickets/${t.closed.id}/start`, {}));
    now = new Date(now.getTime() + 40 * 86_400_000);
    await ok(api('handlerA', 'POST', `/tickets/${t.closed.id}/answer`, { replyText: '已更换井盖。', result: 'solved' }));
    await ok(api('agent', 'POST', `/tickets/${t.closed.id}/visit`, { contacted: true, solved: true, satisfaction: 'satisfied' }));
    await ok(api('agent', 'POST', `/tickets/${t.closed.id}/close`, {}));
    now = new Date(now.getTime() + 3_600_000);
  }, 180_000);
  afterAll(async () => hub?.close());

  it("a handler's 待签收 lists only their unit's tickets", async () => {
    const page = await ok(api('handlerA', 'GET', '/tickets?status=dispatched&open=true'));
    expect(page.items.map((x: { id: string }) => x.id)).toEqual([t.a1.id]);
    const pageB = await ok(api('handlerB', 'GET', '/tickets?status=dispatched&open=true'));
    expect(pageB.items.map((x: { id: string }) => x.id)).toEqual([t.b1.id]);
  });

  it('the 超期 action queue never holds a closed ticket; the unfiltered list still does', async () => {
    const closed = await ok(api('supervisor', 'GET', `/tickets/${t.closed.id}`));
    expect(closed).toMatchObject({ status: 'closed', overdue: true });
    expect(closed.allowed).not.toContain('supervise');
    const all = await ok(api('supervisor', 'GET', '/tickets?overdue=true'));
    expect(all.items.map((x: { id: string }) => x.id)).toContain(t.closed.id);
    const queue = await ok(api('supervisor', 'GET', '/tickets?overdue=true&open=true'));
    expect(queue.items.map((x: { id: string }) => x.id)).not.toContain(t.closed.id);
  });

  it('sorts by deadline and filters by filing date', async () => {
    const byDue = await ok(api('supervisor', 'GET', '/tickets?sort=due'));
    // the only ticket with an answer deadline comes first; the rest (not signed) follow
    expect(byDue.items[0].id).toBe(t.closed.id);
    const oldest = await ok(api('supervisor', 'GET', '/tickets?sort=oldest'));
    expect(oldest.items.map((x: { id: string }) => x.id)).toEqual([t.a1.id, t.b1.id, t.closed.id]);
    const none = await ok(api('supervisor', 'GET', `/tickets?createdFrom=${encodeURIComponent('2026-12-01T00:00:00Z')}`));
    expect(none.total).toBe(0);
    const bad = await api('supervisor', 'GET', '/tickets?sort=random');
    expect(bad.statusCode).toBe(400);
  });

  it('督办 takes a level and a deadline, once; a closed ticket answers a plain bilingual refusal', async () => {
    const past = await api('supervisor', 'POST', `/tickets/${t.a1.id}/supervise`, { supervisionLevel: 'key', supervisionDueAt: '2026-01-01T00:00:00Z' });
    expect(past.statusCode, past.body).toBe(400);
    expect(past.json().errors[0].field).toBe('/body/supervisionDueAt');

    const due = new Date(now.getTime() + 2 * 86_400_000).toISOString();
    const done = await ok(api('supervisor', 'POST', `/tickets/${t.a1.id}/supervise`, { supervisionLevel: 'key', supervisionDueAt: due, note: '三日内反馈' }));
    expect(done).toMatchObject({ supervised: true, supervisionLevel: 'key', supervisionDueAt: due });
    expect((await ok(api('supervisor', 'GET', `/tickets/${t.a1.id}`))).allowed).not.toContain('supervise');

    const again = await api('supervisor', 'POST', `/tickets/${t.a1.id}/supervise`, { supervisionLevel: 'listed' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'HOTLINE_TRANSITION_NOT_ALLOWED', title_zh: expect.any(String) });
    expect(again.json().detail).toMatch(/already under supervision.*已在督办中/);
    expect((await ok(api('supervisor', 'GET', `/tickets/${t.a1.id}`))).supervisionLevel).toBe('key');

    const closed = await api('supervisor', 'POST', `/tickets/${t.closed.id}/supervise`, {});
    expect(closed.statusCode).toBe(409);
    expect(closed.json().detail).toBe('督办 (supervise) is not possible: the ticket is already closed (已办结)');
    expect(closed.body).not.toMatch(/superviseed/);

    const bad = await api('supervisor', 'POST', `/tickets/${t.b1.id}/supervise`, { supervisionLevel: 'urgent' });
    expect(bad.statusCode).toBe(400);
  });

  it('assist about a filed ticket never proposes the ticket itself', async () => {
    await hub.services.intel.index.refresh();
    const body = { title: '幸福路路灯不亮', content: '幸福路路灯不亮，请尽快处理。' };
    const plain = await ok(api('agent', 'POST', '/assist', body));
    const ids = (r: { duplicates: { ticketId: string }[]; similar: { ticketId: string }[] }) =>
      [...r.duplicates.map((d) => d.ticketId), ...r.similar.map((s) => s.ticketId)];
    expect(ids(plain)).toContain(t.a1.id); // without the ticket's id the text finds itself…
    const self = await ok(api('agent', 'POST', '/assist', { ...body, ticketId: t.a1.id }));
    expect(ids(self)).not.toContain(t.a1.id); // …with it, never
    for (const c of self.categories ?? []) expect(c.confidence).toBeGreaterThanOrEqual(0.1);
  });
});
