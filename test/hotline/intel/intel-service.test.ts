import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import type { Actor } from '../../../src/platform/auth/roles.js';

const admin: Actor = { kind: 'user', id: 'admin', roles: ['admin'] };

const roads = [
  ['路面坑洼', '路面出现大坑，车辆通行困难，请尽快修补'],
  ['路灯不亮', '路灯已经坏了两周，晚上出行很不安全'],
  ['井盖缺失', '人行道井盖缺失，存在安全隐患'],
  ['道路施工围挡', '道路施工围挡占用车道，造成拥堵'],
];
const noise = [
  ['夜间施工噪音', '工地夜间施工噪音扰民，影响休息'],
  ['广场舞噪音', '广场舞音响声音太大，严重扰民'],
  ['餐馆油烟', '楼下餐馆油烟直排，污染空气'],
  ['工厂排放废气', '附近工厂排放刺鼻废气，空气污染严重'],
];

describe.each(testEngines)('hotline intelligence [%s]', (engine) => {
  let hub: TestHub;
  let agent: string;
  let citizen: string;
  let leader: string;
  const ids: Record<string, string> = {};
  const api = (cookie: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    hub.http.inject({ method, url: `/api/hotline${url}`, headers: { cookie }, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { intel: { classifier: { minTrainingTickets: 20 } } } } });
    const { auth, hotline: { reference: ref, intake: hotline } } = hub.services;
    const gov = (await auth.insertOrg(admin, { name: '市政府', kind: 'government', parentId: null })).id;
    ids.unit = (await auth.insertOrg(admin, { name: '市城市管理局', kind: 'department', parentId: gov })).id;
    ids.districtOrg = (await auth.insertOrg(admin, { name: '临江区', kind: 'district', parentId: gov })).id;
    ids.district = (await ref.createArea(admin, { name: '临江区', orgId: ids.districtOrg, centerLon: 112.98, centerLat: 28.2 })).id;
    ids.street = (await ref.createArea(admin, { name: '滨江街道', parentId: ids.district, orgId: ids.districtOrg, centerLon: 112.98, centerLat: 28.2 })).id;
    ids.roads = (await ref.createCategory(admin, { level1: '城乡建设' })).id;
    ids.env = (await ref.createCategory(admin, { level1: '环境保护' })).id;
    await ref.createRule(admin, { categoryId: ids.roads, areaId: ids.district, unitId: ids.unit });
    let i = 0;
    for (const [cat, list] of [[ids.roads, roads], [ids.env, noise]] as const) {
      for (let round = 0; round < 4; round++) {
        for (const [title, content] of list) {
          i++;
          await hotline.create(admin, {
            title: `${title}`, content: `第${round + 1}次反映：${['望湖路', '湘江路', '芙蓉路', '韶山路'][round]}${content}，电话1380000${String(1000 + i)}`,
            categoryId: cat, areaId: ids.street, lon: 112.9 + round * 0.005, lat: 28.1,
          });
        }
      }
    }
    // the planted duplicate: filed an hour ago, at a point
    const planted = await hotline.create(admin, {
      title: '小区门口污水管道破裂', content: '滨江街道望湖路12号小区门口污水管道破裂，污水横流，气味难闻', lon: 112.98, lat: 28.2, areaId: ids.street,
    });
    ids.planted = planted.id;
    await hub.services.intel.index.refresh();
    await hub.services.intel.classifier.train();
    agent = (await hub.loginAs(['agent'])).cookie;
    citizen = (await hub.loginAs(['citizen'])).cookie;
    leader = (await hub.loginAs(['leader'])).cookie;
  }, 120_000);

  afterAll(async () => hub?.close());

  it('assist: category top-3, unit, the planted duplicate, similar cases and an offline summary', async () => {
    const res = await api(agent, 'POST', '/assist', {
      title: '污水管破了', content: '望湖路12号小区门口的污水管道破裂了，到处都是污水，我的电话13912345678', lon: 112.9805, lat: 28.2001,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.limited).toBe(false);
    expect(body.categories).toHaveLength(2);
    expect(body.categories[0].categoryId).toMatch(/[0-9a-f-]{36}/);
    expect(body.area).toMatchObject({ areaId: ids.street, via: 'nearest' });
    expect(body.duplicates.map((d: { ticketId: string }) => d.ticketId)).toContain(ids.planted);
    expect(body.duplicates[0]).toMatchObject({ mainTicketId: ids.planted, proposal: 'merge', placeMatch: 'distance' });
    expect(body.similar[0].ticketId).toBe(ids.planted);
    expect(body.summary.method).toBe('offline');
    expect(body.summary.text).not.toContain('13912345678');
    const road = await api(agent, 'POST', '/assist', { title: '路面坑洼', content: '芙蓉路路面出现大坑，车辆通行困难', address: '临江区滨江街道芙蓉路' });
    expect(road.json().categories[0].label).toBe('城乡建设');
    expect(road.json().unit).toMatchObject({ unitId: ids.unit, source: 'rule' });
    expect(road.json().area).toMatchObject({ areaId: ids.street, via: 'address' });
  });

  it('assist for a filed ticket never proposes the ticket itself as its duplicate or a similar case', async () => {
    const planted = { title: '小区门口污水管道破裂', content: '滨江街道望湖路12号小区门口污水管道破裂，污水横流，气味难闻', lon: 112.98, lat: 28.2 };
    // the same text without the ticket's id: the planted ticket is its own best match (the control)
    const control = (await api(agent, 'POST', '/assist', planted)).json();
    expect(control.duplicates.map((d: { ticketId: string }) => d.ticketId)).toContain(ids.planted);
    const res = await api(agent, 'POST', '/assist', { ...planted, ticketId: ids.planted });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const proposed = [...body.duplicates.map((d: { ticketId: string; mainTicketId?: string }) => [d.ticketId, d.mainTicketId]).flat(), ...body.similar.map((h: { ticketId: string }) => h.ticketId)];
    expect(proposed).not.toContain(ids.planted);
    expect(body.similar.length).toBeGreaterThan(0);
  });

  it('the index picks up tickets filed after the load (incremental refresh) and never holds phone numbers', async () => {
    const before = hub.services.intel.status().indexed;
    await hub.services.hotline.intake.create(admin, { title: '电梯故障', content: '芙蓉小区3栋电梯频繁故障困人，联系电话13700001111' });
    const { read } = await hub.services.intel.index.refresh();
    expect(read).toBeGreaterThan(0);
    expect(hub.services.intel.status().indexed).toBe(before + 1);
    for (const term of hub.services.intel.index.current.terms()) expect(term).not.toMatch(/\d{7,}/);
  });

  it('a citizen gets the category suggestion only; hot issues are for staff', async () => {
    const res = await api(citizen, 'POST', '/assist', { title: '路灯不亮', content: '韶山路路灯坏了' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ limited: true, duplicates: [], similar: [], summary: null, unit: null });
    expect(res.json().categories[0].label).toBe('城乡建设');
    expect((await api(citizen, 'GET', '/hot-issues')).statusCode).toBe(403);
    const hot = await api(leader, 'GET', '/hot-issues?top=3');
    expect(hot.statusCode, hot.body).toBe(200);
    expect(hot.json().issues.length).toBeGreaterThan(0);
    expect(hot.json().issues[0].memberIds.length).toBeGreaterThanOrEqual(3);
    expect((await api(leader, 'GET', '/alerts')).statusCode).toBe(200);
  });

  it('draft and score a reply', async () => {
    const draft = await api(agent, 'POST', '/replies/draft', { title: '路灯不亮', content: '芙蓉路路灯坏了两周' });
    expect(draft.statusCode, draft.body).toBe(200);
    expect(draft.json()).toMatchObject({ method: 'offline' });
    expect(draft.json().text).toContain('您好');
    const score = await api(agent, 'POST', '/replies/score', { message: '芙蓉路路灯坏了两周', reply: draft.json().text, delayDays: 2 });
    expect(score.statusCode, score.body).toBe(200);
    expect(score.json().completeness).toBe(1);
    expect(score.json().score).toBeGreaterThan(50);
    const bare = await api(agent, 'POST', '/replies/score', { message: '芙蓉路路灯坏了两周', reply: '已处理。', delayDays: 40 });
    expect(bare.json().score).toBeLessThan(score.json().score);
    expect(bare.json().missing).toContain('greeting');
  });
});
