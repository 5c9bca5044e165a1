import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import type { Actor } from '../../src/platform/auth/roles.js';

const HOUR = 3_600_000;

/**
 * The portal's public lookup by number + phone (what it shows, what it never shows, the same 404 for an unknown
 * number and a wrong phone, 429 after too many misses), the satisfaction filter of the ticket list and the
 * per-district counts of the cockpit map.
 */
describe.each(testEngines)('hotline: public track, satisfaction filter, district counts [%s]', (engine) => {
  let hub: TestHub;
  let now = new Date('2026-11-26T01:00:00Z');
  const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000000', roles: ['admin'] };
  const cookies: Record<string, string> = {};
  const areas: Record<string, string> = {};
  let unit: string;
  let filed: { id: string; number: string };
  let phoneTicket: { id: string; number: string };

  const api = (who: string | null, method: 'GET' | 'POST', url: string, payload?: object, ip = '203.0.113.7') =>
    hub.http.inject({ method, url: `/api/hotline${url}`, remoteAddress: ip, headers: who ? { cookie: cookies[who]! } : {}, ...(payload ? { payload } : {}) });
  // The lookup is a POST: number and phone in the body, never in the URL (issue 15, finding 9).
  const track = (number: string, phone: string, who: string | null = null, ip?: string) => api(who, 'POST', '/track', { number, phone }, ip);
  const act = async (who: string, id: string, action: string, payload: object = {}) => {
    const res = await api(who, 'POST', `/tickets/${id}/${action}`, payload);
    expect(res.statusCode, res.body).toBe(200);
  };

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      clock: () => now,
      config: {
        auth: { sessionTtlHours: 24 * 30, sessionIdleMinutes: 60 * 24 * 30, loginMaxAttempts: 100, loginWindowSeconds: 300, secureCookies: false },
        modules: { hotline: { track: { maxFailures: 3, windowSeconds: 600 } }, kpi: { mapPointLimit: 2 } },
      },
    });
    const { auth, hotline: { reference: ref } } = hub.services;
    const gov = (await auth.insertOrg(admin, { name: '市政府', kind: 'government' })).id;
    const centre = (await auth.insertOrg(admin, { name: '热线中心', kind: 'department', parentId: gov })).id;
    unit = (await auth.insertOrg(admin, { name: '市城市管理局', kind: 'department', parentId: gov })).id;
    areas.a = (await ref.createArea(admin, { name: '临江区' })).id;
    areas.b = (await ref.createArea(admin, { name: '青山区' })).id;
    areas.c = (await ref.createArea(admin, { name: '白塔区' })).id;
    for (const [key, roles, org] of [['agent', ['agent'], centre], ['supervisor', ['supervisor'], centre], ['handler', ['handler'], unit],
      ['leader', ['leader'], gov], ['citizen', ['citizen'], null], ['other', ['citizen'], null]] as const) {
      cookies[key] = (await hub.loginAs([...roles], org)).cookie;
    }
    const res = await api('citizen', 'POST', '/tickets', {
      title: '路灯不亮', content: '幸福小区东门路灯不亮，我住3栋201', citizenName: '李四', citizenPhone: '13900001111', address: '临江区幸福路8号', areaId: areas.a,
    });
    expect(res.statusCode, res.body).toBe(201);
    filed = res.json();
    const byPhone = await api('agent', 'POST', '/tickets', { title: '噪声扰民', content: '夜间施工', citizenName: '王五', citizenPhone: '13700002222', areaId: areas.b });
    phoneTicket = byPhone.json();
  }, 180_000);
  afterAll(async () => hub?.close());

  it('shows status, timeline and reply to anyone with the number and phone, and nothing personal', async () => {
    await act('agent', filed.id, 'dispatch', { unitId: unit });
    await act('handler', filed.id, 'return', { reason: '非本单位职责，内部备注' });
    await act('agent', filed.id, 'dispatch', { unitId: unit });
    await act('handler', filed.id, 'accept');
    await act('handler', filed.id, 'start');
    await act('handler', filed.id, 'answer', { replyText: '已更换灯泡，恢复照明。', result: 'solved' });
    const res = await track(filed.number, '139-0000-1111');
    expect(res.statusCode, res.body).toBe(200);
    const { ticket, timeline } = res.json();
    expect(ticket).toMatchObject({ number: filed.number, title: '路灯不亮', status: 'answered', replyText: '已更换灯泡，恢复照明。', result: 'solved', allowed: [] });
    expect(timeline.map((e: { action: string }) => e.action)).toEqual(['create', 'dispatch', 'return', 'dispatch', 'accept', 'start', 'answer']);
    for (const hidden of ['李四', '13900001111', '3栋201', '幸福路8号', '内部备注', unit, 'user:']) expect(res.body).not.toContain(hidden);
    expect(Object.keys(timeline[0]).sort()).toEqual(['action', 'at', 'fromStatus', 'id', 'toStatus']);
    // +86 and spaces are the same phone
    expect((await track(filed.number, '+86 139 0000 1111')).statusCode).toBe(200);
  });

  it('finding 9: the lookup by GET with the phone in the URL answers 405 pointing to POST and looks nothing up', async () => {
    const res = await api(null, 'GET', `/track?number=${encodeURIComponent(filed.number)}&phone=13900001111`, undefined, '198.51.100.77');
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 405, code: 'HOTLINE_TRACK_USE_POST' });
    expect(res.json().detail).toContain('POST /api/hotline/track');
    // nothing of the ticket comes back, and the answer does not echo the phone
    expect(res.body).not.toContain('13900001111');
    expect(res.body).not.toContain('路灯不亮');
    // the body is checked like any other: extra fields and a missing phone are 400 naming the field
    const extra = await api(null, 'POST', '/track', { number: filed.number, phone: '13900001111', x: 1 }, '198.51.100.78');
    expect(extra.statusCode).toBe(400);
    const noPhone = await api(null, 'POST', '/track', { number: filed.number }, '198.51.100.78');
    expect(noPhone.statusCode).toBe(400);
    expect(noPhone.json().errors[0].field).toBe('/body/phone');
  });

  it('finding 9: the lookup masks personal data the citizen or the unit typed into the title and the reply', async () => {
    const res = await api('agent', 'POST', '/tickets', {
      title: '我叫王小明 电话138 1234 5678', content: '住3栋2单元501室', citizenPhone: '13600003333',
    });
    const t = res.json();
    await act('agent', t.id, 'dispatch', { unitId: unit });
    await act('handler', t.id, 'accept');
    await act('handler', t.id, 'start');
    await act('handler', t.id, 'answer', { replyText: '已与王先生（138-1234-5678）电话沟通，3栋2单元501室已修复', result: 'solved' });
    const tracked = await track(t.number, '13600003333', null, '198.51.100.79');
    expect(tracked.statusCode, tracked.body).toBe(200);
    // ids are random hex and may hold '501' or '1234' by chance; the texts are what is checked
    const shown = tracked.body.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>');
    for (const hidden of ['王小明', '王先生', '1234', '5678', '501']) expect(shown).not.toContain(hidden);
    expect(tracked.json().ticket.title).toBe('我叫【姓名已隐藏】 电话【电话已隐藏】');
  });

  it('lets the citizen who filed it rate it from the lookup, and nobody else', async () => {
    expect((await track(filed.number, '13900001111', 'other')).json().ticket.allowed).toEqual([]);
    expect((await track(filed.number, '13900001111', 'citizen')).json().ticket.allowed).toEqual(['visit']);
    expect((await api('other', 'POST', `/tickets/${filed.id}/visit`, { contacted: true, solved: true, satisfaction: 'satisfied' })).statusCode).toBe(404);
    await act('citizen', filed.id, 'visit', { contacted: true, solved: false, satisfaction: 'unsatisfied' });
    const after = (await track(filed.number, '13900001111')).json().ticket;
    // issue 17: 未解决/不满意 from the citizen sends the case back to its unit for redo (modules.hotline.citizen.redoOnUnsatisfied)
    expect(after).toMatchObject({ status: 'dispatched', satisfaction: 'unsatisfied', visitSolved: false, reopenCount: 1, allowed: [] });
  });

  it('answers a wrong phone exactly as an unknown number, and 429 after too many misses', async () => {
    const wrong = await track(filed.number, '13900009999', null, '198.51.100.1');
    const unknown = await track('20991231-999999', '13900001111', null, '198.51.100.1');
    expect(wrong.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined, requestId: undefined });
    expect(strip(wrong.json())).toEqual(strip(unknown.json()));
    expect((await track(phoneTicket.number, '13700002222', null, '198.51.100.1')).statusCode).toBe(200); // a hit does not count
    expect((await track(filed.number, '13900000000', null, '198.51.100.1')).statusCode).toBe(404); // third miss
    const limited = await track(phoneTicket.number, '13700002222', null, '198.51.100.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('HOTLINE_TRACK_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // a number guessed at too often is held for every address; other numbers from other addresses still work
    expect((await track(filed.number, '13900000001', null, '192.0.2.99')).statusCode).toBe(404); // third miss on it
    expect((await track(filed.number, '13900001111', null, '192.0.2.55')).statusCode).toBe(429);
    expect((await track(phoneTicket.number, '13700002222', null, '192.0.2.55')).statusCode).toBe(200);
    now = new Date(now.getTime() + 11 * 60_000);
    expect((await track(filed.number, '13900001111', null, '198.51.100.1')).statusCode).toBe(200);
  });

  it('filters the staff list by the citizen\'s rating', async () => {
    const unsatisfied = (await api('supervisor', 'GET', '/tickets?satisfaction=unsatisfied')).json();
    expect(unsatisfied.items.map((t: { id: string }) => t.id)).toEqual([filed.id]);
    expect(unsatisfied.total).toBe(1);
    expect((await api('supervisor', 'GET', '/tickets?satisfaction=satisfied&satisfaction=basically_satisfied')).json().total).toBe(0);
    expect((await api('supervisor', 'GET', '/tickets?satisfaction=angry')).statusCode).toBe(400);
  });

  it('counts tickets, open and overdue tickets per district for the cockpit map', async () => {
    await act('agent', phoneTicket.id, 'dispatch', { unitId: unit });
    await act('handler', phoneTicket.id, 'accept');
    now = new Date(now.getTime() + 20 * 24 * HOUR);
    await hub.services.hotline.deadlines.refreshDeadlines();
    const res = await api('leader', 'GET', '/district-counts');
    expect(res.statusCode, res.body).toBe(200);
    const byName = (x: { name: string }, y: { name: string }) => (x.name < y.name ? -1 : 1);
    expect([...res.json().districts].sort(byName)).toEqual([
      // sent back for redo by the citizen's 不满意 above, unsigned for 20 days: sign-overdue
      { areaId: areas.a, name: '临江区', tickets: 1, open: 1, overdue: 0, signOverdue: 1 },
      { areaId: areas.c, name: '白塔区', tickets: 0, open: 0, overdue: 0, signOverdue: 0 },
      { areaId: areas.b, name: '青山区', tickets: 1, open: 1, overdue: 1, signOverdue: 0 },
    ].sort(byName));
    const none = await api('leader', 'GET', `/district-counts?from=${encodeURIComponent(now.toISOString())}&to=${encodeURIComponent(new Date(now.getTime() + HOUR).toISOString())}`);
    expect(none.json().districts.every((d: { tickets: number }) => d.tickets === 0)).toBe(true);
    expect((await api('handler', 'GET', '/district-counts')).statusCode).toBe(403);
    expect((await api('citizen', 'GET', '/district-counts')).statusCode).toBe(403);
  });

  it('gives the leader the places of tickets for the heat and overdue layers: rounded, newest first, at most the limit', async () => {
    for (const [lon, lat] of [[112.95123, 28.20456], [112.96049, 28.21051], [112.97777, 28.22222]]) {
      now = new Date(now.getTime() + 60_000);
      const res = await api('agent', 'POST', '/tickets', { title: '井盖缺失', content: '路口井盖缺失', channel: 'phone', areaId: areas.a, lon, lat });
      expect(res.statusCode, res.body).toBe(201);
    }
    const res = await api('leader', 'GET', '/ticket-points');
    expect(res.statusCode, res.body).toBe(200);
    // modules.kpi.mapPointLimit 2: the two newest of three, each rounded to about 100 m
    expect(res.json()).toMatchObject({
      truncated: true,
      points: [{ lon: 112.978, lat: 28.222, open: true, overdue: false }, { lon: 112.96, lat: 28.211, open: true, overdue: false }],
    });
    expect((await api('leader', 'GET', '/ticket-points?from=2026-13-01T00:00:00Z')).statusCode).toBe(400);
    expect((await api('handler', 'GET', '/ticket-points')).statusCode).toBe(403);
    expect((await api('citizen', 'GET', '/ticket-points')).statusCode).toBe(403);
    expect((await api(null, 'GET', '/ticket-points')).statusCode).toBe(401);
  });
});
