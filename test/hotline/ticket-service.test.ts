import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import type { Actor } from '../../src/platform/auth/roles.js';
import type { NewOrg } from '../../src/platform/auth/schemas.js';

const HOUR = 3_600_000;

describe.each(testEngines)('hotline tickets: workflow, routing, masking, deadlines [%s]', (engine) => {
  let hub: TestHub;
  let now = new Date('2026-11-26T01:00:00Z');
  const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000000', roles: ['admin'] };
  const ids = {} as Record<'gov' | 'centre' | 'district' | 'street' | 'unitA' | 'unitB' | 'district2', string>;
  const areas = {} as Record<'district' | 'street' | 'district2', string>;
  const cats = {} as Record<'roads' | 'noise', string>;
  const cookies = {} as Record<'agent' | 'supervisor' | 'handlerA' | 'handlerB' | 'leader' | 'citizen' | 'citizen2', string>;
  const users = {} as Record<string, string>;

  const api = async (who: keyof typeof cookies, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    hub.http.inject({ method, url: `/api/hotline${url}`, headers: { cookie: cookies[who] }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const act = async (who: keyof typeof cookies, id: string, action: string, payload: unknown = {}) => api(who, 'POST', `/tickets/${id}/${action}`, payload);
  const newTicket = async (extra: Record<string, unknown> = {}, who: keyof typeof cookies = 'agent') => {
    const res = await api(who, 'POST', '/tickets', {
      title: '道路坑洼', content: '滨江路与望湖路交叉口路面塌陷', citizenName: '张三', citizenPhone: '13812341234',
      areaId: areas.street, categoryId: cats.roads, urgency: 'urgent', ...extra,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; number: string; status: string };
  };

  beforeAll(async () => {
    // sessions must outlive the fake clock's jumps of a day or two
    hub = await createTestHub(engine, {
      clock: () => now,
      config: { auth: { sessionTtlHours: 24 * 30, sessionIdleMinutes: 60 * 24 * 30, loginMaxAttempts: 100, loginWindowSeconds: 300, secureCookies: false } },
    });
    const { auth, hotline: { reference: ref } } = hub.services;
    const org = async (name: string, kind: NewOrg['kind'], parentId: string | null = null) => (await auth.insertOrg(admin, { name, kind, parentId })).id;
    ids.gov = await org('市政府', 'government');
    ids.centre = await org('12345热线中心', 'department', ids.gov);
    ids.unitA = await org('市城市管理局', 'department', ids.gov);
    ids.unitB = await org('市生态环境局', 'department', ids.gov);
    ids.district = await org('临江区', 'district', ids.gov);
    ids.district2 = await org('青山区', 'district', ids.gov);
    ids.street = await org('临江区滨江街道', 'street', ids.district);
    areas.district = (await ref.createArea(admin, { name: '临江区', orgId: ids.district })).id;
    areas.district2 = (await ref.createArea(admin, { name: '青山区', orgId: ids.district2 })).id;
    areas.street = (await ref.createArea(admin, { name: '滨江街道', parentId: areas.district, orgId: ids.street })).id;
    cats.roads = (await ref.createCategory(admin, { level1: '城乡建设', level2: '市政设施', level3: '道路维修' })).id;
    cats.noise = (await ref.createCategory(admin, { level1: '环境保护', level2: '噪声污染', level3: '施工噪声' })).id;
    // roads in 临江区 → 城管; roads anywhere else → nobody (falls back to the district)
    await ref.createRule(admin, { categoryId: cats.roads, areaId: areas.district, unitId: ids.unitA });
    const login = async (key: keyof typeof cookies, roles: Parameters<TestHub['loginAs']>[0], orgId: string | null) => {
      const s = await hub.loginAs(roles, orgId);
      cookies[key] = s.cookie;
      users[key] = s.userId;
    };
    await login('agent', ['agent'], ids.centre);
    await login('supervisor', ['supervisor'], ids.centre);
    await login('handlerA', ['handler'], ids.unitA);
    await login('handlerB', ['handler'], ids.unitB);
    await login('leader', ['leader'], ids.gov);
    await login('citizen', ['citizen'], null);
    await login('citizen2', ['citizen'], null);
  }, 180_000); // seven logins hash seven passwords: slow on a busy CI machine
  afterAll(async () => hub?.close());

  it('runs the whole workflow with timeline and ledger entries, routing to the matching rule', async () => {
    const t = await newTicket();
    expect(t.number).toMatch(/^20261126-\d{6}$/);
    const suggest = await api('agent', 'GET', `/routing/suggest?categoryId=${cats.roads}&areaId=${areas.street}`);
    expect(suggest.json()).toMatchObject({ unitId: ids.unitA, source: 'rule' });

    const dispatched = await act('agent', t.id, 'dispatch');
    expect(dispatched.statusCode, dispatched.body).toBe(200);
    expect(dispatched.json()).toMatchObject({ status: 'dispatched', unitId: ids.unitA });
    expect(new Date(dispatched.json().signDueAt).getTime() - now.getTime()).toBe(2 * HOUR);
    expect((await act('handlerA', t.id, 'accept')).json()).toMatchObject({ status: 'accepted' });
    const accepted = (await api('handlerA', 'GET', `/tickets/${t.id}`)).json();
    expect(new Date(accepted.dueAt).getTime() - new Date(accepted.acceptedAt).getTime()).toBe(24 * HOUR); // urgent
    expect(accepted.allowed).toEqual(['start']);
    expect((await act('handlerA', t.id, 'start')).json().status).toBe('in_progress');
    const answered = await act('handlerA', t.id, 'answer', { replyText: '已安排修复路面', result: 'solved' });
    expect(answered.json()).toMatchObject({ status: 'answered', result: 'solved', replyText: '已安排修复路面' });
    const visited = await act('agent', t.id, 'visit', { contacted: true, solved: true, satisfaction: 'satisfied' });
    expect(visited.json()).toMatchObject({ status: 'visited', satisfaction: 'satisfied', visitContacted: true });
    expect((await act('agent', t.id, 'close')).json().status).toBe('closed');

    const timeline = (await api('leader', 'GET', `/tickets/${t.id}/timeline`)).json() as { action: string; fromStatus: string; toStatus: string; details: Record<string, unknown> }[];
    expect(timeline.map((e) => e.action)).toEqual(['create', 'dispatch', 'accept', 'start', 'answer', 'visit', 'close']);
    expect(timeline[1]).toMatchObject({ fromStatus: 'received', toStatus: 'dispatched', details: { unit: ids.unitA, override: false, routing: 'rule' } });
    const ledger = await sql<{ kind: string; body: string }>`select kind, body from ledger_entry where subject = ${`ticket:${t.id}`} order by idx`.execute(hub.database.db);
    // the workflow's steps, and (等保 audit, issue 21) the handler's read of the citizen's data in clear
    expect(ledger.rows.map((r) => r.kind)).toEqual([
      'hotline.ticket.create', 'hotline.ticket.dispatch', 'hotline.ticket.accept', 'audit.personal_data.read', 'hotline.ticket.start',
      'hotline.ticket.answer', 'hotline.ticket.visit', 'hotline.ticket.close',
    ]);
    const facts = JSON.parse(ledger.rows[2].body).facts;
    expect(facts).toMatchObject({ from: 'dispatched', to: 'accepted', unit: ids.unitA });
    // no personal data or free text in the ledger
    for (const r of ledger.rows) expect(r.body).not.toMatch(/张三|13812341234|已安排/);
  });

  it('refuses a handler of another unit (404: not theirs to see), a step out of order (409 listing what is allowed) and a leader (403)', async () => {
    const t = await newTicket();
    await act('agent', t.id, 'dispatch');
    const other = await act('handlerB', t.id, 'accept');
    expect(other.statusCode).toBe(404);
    expect(other.headers['content-type']).toContain('application/problem+json');
    expect(other.json()).toMatchObject({ status: 404, code: 'HOTLINE_TICKET_NOT_FOUND' });
    const wrongStep = await act('handlerA', t.id, 'answer', { replyText: 'x', result: 'solved' });
    expect(wrongStep.statusCode).toBe(409);
    expect(wrongStep.json()).toMatchObject({ status: 409, code: 'HOTLINE_TRANSITION_NOT_ALLOWED', action: 'answer', ticketStatus: 'dispatched' });
    expect(wrongStep.json().allowed.sort()).toEqual(['accept', 'return']);
    expect((await act('leader', t.id, 'accept')).statusCode).toBe(403);
    expect((await act('agent', t.id, 'fly')).statusCode).toBe(400);
    // a refused action leaves no trace
    const timeline = (await api('agent', 'GET', `/tickets/${t.id}/timeline`)).json();
    expect(timeline.map((e: { action: string }) => e.action)).toEqual(['create', 'dispatch']);
  });

  it('returns with a reason, back to the dispatcher, who re-dispatches with an override that is recorded', async () => {
    const t = await newTicket();
    await act('agent', t.id, 'dispatch');
    const noReason = await act('handlerA', t.id, 'return', {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().errors[0].field).toBe('/body/reason');
    const returned = await act('handlerA', t.id, 'return', { reason: '不属于本单位职责' });
    expect(returned.json()).toMatchObject({ status: 'returned', returnCount: 1, returnReason: '不属于本单位职责' });
    const redispatched = await act('agent', t.id, 'dispatch', { unitId: ids.unitB, note: '改派生态环境局' });
    expect(redispatched.json()).toMatchObject({ status: 'dispatched', unitId: ids.unitB });
    const timeline = (await api('agent', 'GET', `/tickets/${t.id}/timeline`)).json();
    expect(timeline.at(-1).details).toMatchObject({ unit: ids.unitB, suggestedUnit: ids.unitA, override: true, note: '改派生态环境局' });
    expect((await act('handlerB', t.id, 'accept')).statusCode).toBe(200);
    const bogus = await act('agent', (await newTicket()).id, 'dispatch', { unitId: '00000000-0000-4000-8000-00000000abcd' });
    expect(bogus.statusCode).toBe(404);
    expect(bogus.json().code).toBe('HOTLINE_UNIT_NOT_FOUND');
  });

  it('falls back to the district government (首接负责) when no rule matches', async () => {
    const inDistrict = await hub.services.hotline.routing.suggestUnit(cats.noise, areas.street);
    expect(inDistrict).toEqual({ unitId: ids.district, source: 'district', ruleId: null });
    const roadsElsewhere = await hub.services.hotline.routing.suggestUnit(cats.roads, areas.district2);
    expect(roadsElsewhere).toMatchObject({ unitId: ids.district2, source: 'district' });
    expect(await hub.services.hotline.routing.suggestUnit(cats.noise, null)).toMatchObject({ unitId: null, source: 'none' });
    const t = await newTicket({ areaId: null, categoryId: cats.noise });
    const res = await act('agent', t.id, 'dispatch');
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('HOTLINE_NO_UNIT');
    // the most specific rule wins: a street rule beats the district rule
    const streetRule = await hub.services.hotline.reference.createRule(admin, { categoryId: cats.roads, areaId: areas.street, unitId: ids.street });
    expect(await hub.services.hotline.routing.suggestUnit(cats.roads, areas.street)).toMatchObject({ unitId: ids.street, ruleId: streetRule.id });
    await hub.services.hotline.reference.deleteRule(admin, streetRule.id);
  });

  it('masks name and phone for anyone who does not handle the ticket, and hides it from other units', async () => {
    const t = await newTicket();
    await act('agent', t.id, 'dispatch');
    const seen = async (who: keyof typeof cookies) => (await api(who, 'GET', `/tickets/${t.id}`)).json();
    expect(await seen('agent')).toMatchObject({ citizenName: '张三', citizenPhone: '13812341234', masked: false });
    expect(await seen('handlerA')).toMatchObject({ citizenName: '张三', masked: false });
    expect((await api('handlerB', 'GET', `/tickets/${t.id}`)).statusCode).toBe(404);
    expect(await seen('leader')).toMatchObject({ citizenName: null, citizenPhone: null, masked: true });
    const list = (await api('leader', 'GET', `/tickets?text=${encodeURIComponent(t.number)}`)).json();
    expect(list.total).toBe(1);
    expect(list.items[0]).toMatchObject({ citizenName: null, citizenPhone: null, masked: true });
    const unitList = (await api('handlerA', 'GET', `/tickets?unitId=${ids.unitA}&status=dispatched`)).json();
    expect(unitList.items.every((i: { citizenName: string }) => !i.citizenName.includes('*'))).toBe(true);
    // a citizen never sees someone else's ticket, not even that it exists
    expect((await api('citizen', 'GET', `/tickets/${t.id}`)).statusCode).toBe(404);
  });

  it('lets the citizen rate their own online ticket, and not someone else’s', async () => {
    const mine = await newTicket({ citizenName: '李四', citizenPhone: '13900001111' }, 'citizen');
    const full = (await api('citizen', 'GET', `/tickets/${mine.id}`)).json();
    expect(full).toMatchObject({ channel: 'web', citizenName: '李四', masked: false });
    expect((await api('citizen', 'POST', '/tickets', { title: 'x', content: 'y', channel: 'phone' })).statusCode).toBe(400);
    await act('agent', mine.id, 'dispatch');
    await act('handlerA', mine.id, 'accept');
    await act('handlerA', mine.id, 'start');
    await act('handlerA', mine.id, 'answer', { replyText: '已处理', result: 'solved' });
    expect((await act('citizen2', mine.id, 'visit', { contacted: true, solved: true, satisfaction: 'satisfied' })).statusCode).toBe(404);
    const rated = await act('citizen', mine.id, 'visit', { contacted: true, solved: false, satisfaction: 'unsatisfied' });
    expect(rated.statusCode, rated.body).toBe(200);
    const listed = (await api('citizen', 'GET', '/tickets')).json();
    expect(listed.items.map((i: { id: string }) => i.id)).toEqual([mine.id]);
  });

  it('re-opens an unsatisfied ticket to the same unit (supervisor only) and supervises open tickets', async () => {
    const t = await newTicket();
    await act('agent', t.id, 'dispatch');
    await act('handlerA', t.id, 'accept');
    await act('handlerA', t.id, 'start');
    await act('handlerA', t.id, 'answer', { replyText: '已解释政策', result: 'explained' });
    await act('agent', t.id, 'visit', { contacted: true, solved: false, satisfaction: 'unsatisfied' });
    const byAgent = await act('agent', t.id, 'reopen');
    expect(byAgent.statusCode).toBe(409);
    expect(byAgent.json().allowed.sort()).toEqual(['close', 'merge', 'recategorize']);
    const reopened = await act('supervisor', t.id, 'reopen', { note: '市民不满意，重办' });
    expect(reopened.json()).toMatchObject({ status: 'dispatched', unitId: ids.unitA, reopenCount: 1, acceptedAt: null, dueAt: null });
    const supervised = await act('supervisor', t.id, 'supervise', { note: '请加快办理' });
    expect(supervised.json()).toMatchObject({ status: 'dispatched', supervised: true });
    const list = (await api('supervisor', 'GET', `/tickets?supervised=true&text=${t.number}`)).json();
    expect(list.total).toBe(1);
    await act('handlerA', t.id, 'accept');
    expect((await api('agent', 'GET', `/tickets/${t.id}/timeline`)).json().map((e: { action: string }) => e.action))
      .toEqual(['create', 'dispatch', 'accept', 'start', 'answer', 'visit', 'reopen', 'supervise', 'accept']);
  });

  it('re-categorises an open ticket (改类) for the centre only, with the change in the timeline', async () => {
    const t = await newTicket();
    await act('agent', t.id, 'dispatch');
    expect((await act('handlerA', t.id, 'recategorize', { categoryId: cats.noise })).statusCode).toBe(409);
    const missing = await act('agent', t.id, 'recategorize', {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0].field).toBe('/body/categoryId');
    const same = await act('agent', t.id, 'recategorize', { categoryId: cats.roads });
    expect(same.statusCode).toBe(400);
    const unknown = await act('agent', t.id, 'recategorize', { categoryId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('HOTLINE_CATEGORY_NOT_FOUND');
    const moved = await act('agent', t.id, 'recategorize', { categoryId: cats.noise, note: '噪声投诉，非道路' });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ status: 'dispatched', categoryId: cats.noise, unitId: ids.unitA });
    const last = (await api('agent', 'GET', `/tickets/${t.id}/timeline`)).json().at(-1);
    expect(last).toMatchObject({ action: 'recategorize', fromStatus: 'dispatched', toStatus: 'dispatched' });
    expect(last.details).toMatchObject({ fromCategory: cats.roads, category: cats.noise, note: '噪声投诉，非道路' });
  });

  it('merges duplicates under a main ticket; they close when it closes', async () => {
    const main = await newTicket();
    const dup1 = await newTicket({ title: '路面塌陷（重复）' });
    const dup2 = await newTicket({ title: '路面塌陷（重复2）' });
    expect((await act('agent', dup1.id, 'merge', { mainTicketId: main.id })).json()).toMatchObject({ status: 'merged', mainTicketId: main.id });
    // dup2 first collects a duplicate of its own, then is merged: its child moves under the main ticket
    const dup3 = await newTicket({ title: '重复3' });
    await act('agent', dup3.id, 'merge', { mainTicketId: dup2.id });
    await act('agent', dup2.id, 'merge', { mainTicketId: main.id });
    expect((await api('agent', 'GET', `/tickets/${dup3.id}`)).json().mainTicketId).toBe(main.id);
    expect((await act('agent', dup1.id, 'dispatch')).statusCode).toBe(409);
    expect((await act('agent', main.id, 'merge', { mainTicketId: main.id })).json().code).toBe('HOTLINE_MERGE_INVALID');
    const children = (await api('agent', 'GET', `/tickets?mainTicketId=${main.id}`)).json();
    expect(children.total).toBe(3);

    await act('agent', main.id, 'dispatch');
    await act('handlerA', main.id, 'accept');
    await act('handlerA', main.id, 'start');
    await act('handlerA', main.id, 'answer', { replyText: '路面已修复', result: 'solved' });
    await act('agent', main.id, 'visit', { contacted: true, solved: true, satisfaction: 'basically_satisfied' });
    await act('agent', main.id, 'close');
    for (const id of [dup1.id, dup2.id, dup3.id]) {
      const child = (await api('agent', 'GET', `/tickets/${id}`)).json();
      expect(child).toMatchObject({ status: 'closed', replyText: '路面已修复', result: 'solved' });
    }
    const childTimeline = (await api('agent', 'GET', `/tickets/${dup1.id}/timeline`)).json();
    expect(childTimeline.at(-1)).toMatchObject({ action: 'close', fromStatus: 'merged', toStatus: 'closed', details: { viaMainTicketId: main.id } });
    const closedMain = await newTicket();
    for (const [who, action, payload] of [
      ['agent', 'dispatch', {}], ['handlerA', 'accept', {}], ['handlerA', 'start', {}], ['handlerA', 'answer', { replyText: 'ok', result: 'solved' }],
      ['agent', 'visit', { contacted: true, solved: true, satisfaction: 'satisfied' }], ['agent', 'close', {}],
    ] as const) await act(who, closedMain.id, action, payload);
    const intoClosed = await act('agent', (await newTicket()).id, 'merge', { mainTicketId: closedMain.id });
    expect(intoClosed.statusCode).toBe(409);
    expect(intoClosed.json().code).toBe('HOTLINE_MERGE_INVALID');
  });

  it('computes sign-for, warning and overdue flags with a fake clock, idempotently', async () => {
    const start = new Date('2026-11-27T00:00:00Z');
    now = start;
    const { hotline } = hub.services;
    const t = await newTicket({ urgency: 'urgent' });
    const late = await newTicket({ urgency: 'normal' });
    await act('agent', t.id, 'dispatch');
    await act('agent', late.id, 'dispatch');
    now = new Date(start.getTime() + 1 * HOUR);
    await act('handlerA', t.id, 'accept'); // signed in time: answer due 24 h later
    now = new Date(start.getTime() + 2 * HOUR + 1000);
    const first = await hotline.deadlines.refreshDeadlines(now);
    expect(first.signOverdue).toBeGreaterThanOrEqual(1);
    expect((await hotline.tickets.get(admin, late.id)).signOverdue).toBe(true);
    expect((await hotline.tickets.get(admin, t.id)).signOverdue).toBe(false);
    expect(await hotline.deadlines.refreshDeadlines(now)).toEqual({ signOverdue: 0, overdue: 0, warning: 0 });

    // 80 % of 24 h after signing at +1 h → warning from +20.2 h
    now = new Date(start.getTime() + 20 * HOUR);
    await hotline.deadlines.refreshDeadlines(now);
    expect((await hotline.tickets.get(admin, t.id)).deadlineWarning).toBe(false);
    now = new Date(start.getTime() + 21 * HOUR);
    await hotline.deadlines.refreshDeadlines(now);
    expect((await hotline.tickets.get(admin, t.id))).toMatchObject({ deadlineWarning: true, overdue: false });
    now = new Date(start.getTime() + 25 * HOUR + 1000);
    await hotline.deadlines.refreshDeadlines(now);
    expect((await hotline.tickets.get(admin, t.id))).toMatchObject({ deadlineWarning: false, overdue: true });
    expect(await hotline.deadlines.refreshDeadlines(now)).toEqual({ signOverdue: 0, overdue: 0, warning: 0 });
    const overdueList = (await api('supervisor', 'GET', `/tickets?overdue=true&text=${t.number}`)).json();
    expect(overdueList.total).toBe(1);

    // signing late marks sign_overdue even if the job never ran; answering late marks overdue
    const direct = await newTicket({ urgency: 'emergency' });
    await act('agent', direct.id, 'dispatch');
    now = new Date(now.getTime() + 3 * HOUR);
    await act('handlerA', direct.id, 'accept');
    await act('handlerA', direct.id, 'start');
    now = new Date(now.getTime() + 2 * HOUR + 1000);
    const answered = (await act('handlerA', direct.id, 'answer', { replyText: '已处理', result: 'solved' })).json();
    expect(answered).toMatchObject({ signOverdue: true, overdue: true });
  });
});
