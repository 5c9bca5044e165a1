import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import type { Actor } from '../../src/platform/auth/roles.js';

/**
 * Issue 15, finding 10: handlers and leaders listed every ticket in the city with its content and address. Now a
 * handler reads only the tickets dispatched to their unit (the others do not exist for them: 404), and a leader
 * reads the whole city masked (no name or phone, personal data in the text hidden, the place rounded).
 */
describe.each(testEngines)('hotline: who reads which tickets [%s]', (engine) => {
  let hub: TestHub;
  const now = new Date('2026-11-26T01:00:00Z');
  const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000000', roles: ['admin'] };
  const cookies: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const ticketsOf: Record<'A' | 'B' | 'none', { id: string; number: string }[]> = { A: [], B: [], none: [] };

  const PHONE = '13812341234';
  const ID_NUMBER = '330106199001011234';
  const personal = {
    title: '我叫张三 路灯不亮',
    content: `我叫张三，电话 138 1234 1234，身份证 ${ID_NUMBER}，住幸福小区3栋2单元501室，QQ:87654321`,
    citizenName: '张三',
    citizenPhone: PHONE,
    address: '临江区幸福路8号幸福小区3栋2单元501室',
    lon: 112.912345,
    lat: 28.212345,
  };

  const api = (who: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    hub.http.inject({ method, url: `/api/hotline${url}`, headers: { cookie: cookies[who]! }, ...(payload ? { payload } : {}) });
  const ok = async (res: Promise<{ statusCode: number; body: string; json(): unknown }>) => {
    const r = await res;
    expect(r.statusCode, r.body).toBeLessThan(300);
    return r.json() as { id: string; number: string };
  };

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      clock: () => now,
      config: { auth: { sessionTtlHours: 24, loginMaxAttempts: 100, loginWindowSeconds: 300, secureCookies: false } },
    });
    const { auth } = hub.services;
    ids.gov = (await auth.insertOrg(admin, { name: '市政府', kind: 'government' })).id;
    ids.centre = (await auth.insertOrg(admin, { name: '热线中心', kind: 'department', parentId: ids.gov })).id;
    ids.A = (await auth.insertOrg(admin, { name: '市城市管理局', kind: 'department', parentId: ids.gov })).id;
    ids.B = (await auth.insertOrg(admin, { name: '市生态环境局', kind: 'department', parentId: ids.gov })).id;
    for (const [key, roles, org] of [
      ['agent', ['agent'], ids.centre], ['handlerA', ['handler'], ids.A], ['handlerB', ['handler'], ids.B],
      ['handlerNoOrg', ['handler'], null], ['leader', ['leader'], ids.gov],
    ] as const) {
      cookies[key] = (await hub.loginAs([...roles], org)).cookie;
    }
    for (const [unit, n] of [['A', 3], ['B', 2], ['none', 1]] as const) {
      for (let i = 0; i < n; i++) {
        const t = await ok(api('agent', 'POST', '/tickets', personal));
        if (unit !== 'none') await ok(api('agent', 'POST', `/tickets/${t.id}/dispatch`, { unitId: ids[unit] }));
        ticketsOf[unit].push(t);
      }
    }
    // A return with the citizen's phone in the reason, then back to the same unit: the reason is in the timeline.
    const first = ticketsOf.A[0];
    await ok(api('handlerA', 'POST', `/tickets/${first.id}/return`, { reason: `已电话联系 ${PHONE}，市民张三说地址有误` }));
    await ok(api('agent', 'POST', `/tickets/${first.id}/dispatch`, { unitId: ids.A }));
  }, 180_000);
  afterAll(async () => hub?.close());

  it("finding 10: a handler of unit A listing tickets sees none of unit B's", async () => {
    const listA = await api('handlerA', 'GET', '/tickets?pageSize=200');
    expect(listA.statusCode, listA.body).toBe(200);
    const pageA = listA.json() as { total: number; items: { id: string; unitId: string; masked: boolean }[] };
    expect(pageA.total).toBe(3);
    expect(pageA.items.map((t) => t.id).sort()).toEqual(ticketsOf.A.map((t) => t.id).sort());
    expect(pageA.items.every((t) => t.unitId === ids.A && !t.masked)).toBe(true);
    for (const b of ticketsOf.B) expect(listA.body).not.toContain(b.number);

    // Asking for B's tickets by unit, by number or by id gives nothing: they do not exist for this handler.
    expect((await api('handlerA', 'GET', `/tickets?unitId=${ids.B}`)).json().total).toBe(0);
    expect((await api('handlerA', 'GET', `/tickets?text=${encodeURIComponent(ticketsOf.B[0].number)}`)).json().total).toBe(0);
    expect((await api('handlerA', 'GET', `/tickets?text=${encodeURIComponent(ticketsOf.none[0].number)}`)).json().total).toBe(0);
    for (const path of [`/tickets/${ticketsOf.B[0].id}`, `/tickets/${ticketsOf.B[0].id}/timeline`, `/tickets/${ticketsOf.none[0].id}`]) {
      const res = await api('handlerA', 'GET', path);
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('HOTLINE_TICKET_NOT_FOUND');
      expect(res.body).not.toContain(PHONE);
    }
    expect((await api('handlerA', 'POST', `/tickets/${ticketsOf.B[0].id}/accept`, {})).statusCode).toBe(404);

    // And the other way round; a handler without an organisation reads nothing.
    const pageB = (await api('handlerB', 'GET', '/tickets?pageSize=200')).json() as { total: number; items: { unitId: string }[] };
    expect(pageB.total).toBe(2);
    expect(pageB.items.every((t) => t.unitId === ids.B)).toBe(true);
    expect((await api('handlerNoOrg', 'GET', '/tickets')).json().total).toBe(0);
    // The centre still reads the whole city in clear.
    const centre = (await api('agent', 'GET', '/tickets?pageSize=200')).json() as { total: number; items: { citizenPhone: string }[] };
    expect(centre.total).toBe(6);
    expect(centre.items.every((t) => t.citizenPhone === PHONE)).toBe(true);
  });

  it("finding 10: a leader's city-wide list is the masked view: no name, phone, ID, QQ or flat in any field", async () => {
    const res = await api('leader', 'GET', '/tickets?pageSize=200');
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { total: number; items: Record<string, unknown>[] };
    expect(page.total).toBe(6); // city-wide
    for (const t of page.items) {
      expect(t).toMatchObject({ masked: true, citizenName: null, citizenPhone: null, lon: 112.912, lat: 28.212 });
      expect(t.content).toBe('我叫【姓名已隐藏】，电话 【电话已隐藏】，身份证 【证件号已隐藏】，住幸福小区【门牌已隐藏】，QQ:【账号已隐藏】');
      expect(t.address).toBe('临江区幸福路8号幸福小区【门牌已隐藏】');
      expect(t.title).toBe('我叫【姓名已隐藏】 路灯不亮');
    }
    const detail = await api('leader', 'GET', `/tickets/${ticketsOf.A[0].id}`);
    const timeline = await api('leader', 'GET', `/tickets/${ticketsOf.A[0].id}/timeline`);
    expect(timeline.json().find((e: { action: string }) => e.action === 'return').details.reason).toBe('已电话联系 【电话已隐藏】，市民【姓名已隐藏】地址有误');
    // ids are random UUIDs, which may hold a short secret such as '501' by chance: they are left out of the search
    const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
    for (const body of [res.body, detail.body, timeline.body].map((b) => b.replace(uuid, '<id>'))) {
      for (const secret of [PHONE, '张三', '1234 1234', ID_NUMBER, '87654321', '3栋2单元501室', '501', '112.912345']) expect(body).not.toContain(secret);
    }
    // The handler of the ticket still reads it in clear (the name and phone are theirs to call back).
    const clear = (await api('handlerA', 'GET', `/tickets/${ticketsOf.A[0].id}`)).json();
    expect(clear).toMatchObject({ masked: false, citizenName: '张三', citizenPhone: PHONE, content: personal.content, address: personal.address });
  });
});
