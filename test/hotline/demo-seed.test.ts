import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { demoCityPlan } from '../../src/server/demo-city.js';
import { seedHotlineDemo } from '../../src/hotline/demo-seed.js';
import type { Actor } from '../../src/platform/auth/roles.js';

describe.each(testEngines)('hotline demo seed [%s]', (engine) => {
  let hub: TestHub;
  const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000000', roles: ['admin'] };
  const now = new Date('2026-11-26T06:00:00Z');

  beforeAll(async () => {
    hub = await createTestHub(engine, { clock: () => now });
    const orgs = new Map<string, string>();
    for (const name of [...demoCityPlan.departments, '云川市12345热线中心']) {
      orgs.set(name, (await hub.services.auth.insertOrg(admin, { name, kind: 'department' })).id);
    }
    for (const d of demoCityPlan.districts) {
      orgs.set(d.name, (await hub.services.auth.insertOrg(admin, { name: d.name, kind: 'district' })).id);
      for (const s of d.streets) orgs.set(`${d.name}${s}`, (await hub.services.auth.insertOrg(admin, { name: `${d.name}${s}`, kind: 'street', parentId: orgs.get(d.name) })).id);
    }
    const seeded = await seedHotlineDemo({
      db: hub.database.db, deadlines: hub.services.hotline.deadlines.settings, timeZone: hub.config.city.timeZone, now, districts: demoCityPlan.districts, orgs, users: new Map(), ticketCount: 1500,
    });
    expect(seeded.tickets).toBe(1500);
  }, 300_000);
  afterAll(async () => hub?.close());

  it('fills every state, the overdue and supervised queues, and the rates’ inputs', async () => {
    const { tickets } = hub.services.hotline;
    for (const status of ['received', 'dispatched', 'returned', 'accepted', 'in_progress', 'answered', 'visited', 'closed', 'merged'] as const) {
      expect((await tickets.list(admin, { status: [status], pageSize: 1 })).total, status).toBeGreaterThan(0);
    }
    expect((await tickets.list(admin, { overdue: true, pageSize: 1 })).total).toBeGreaterThan(0);
    expect((await tickets.list(admin, { supervised: true, pageSize: 1 })).total).toBeGreaterThan(0);
    const closed = (await tickets.list(admin, { status: ['closed'], pageSize: 200 })).items;
    expect([...new Set(closed.map((t) => t.satisfaction))]).toEqual(expect.arrayContaining(['satisfied', 'basically_satisfied', 'unsatisfied']));
    expect(closed.every((t) => t.replyText)).toBe(true);
  });

  it('gives every ticket its events in time order, none before it was filed or after now (issue 18)', async () => {
    const { db } = hub.database;
    const tickets = await db.selectFrom('hotline_ticket').select(['id', 'number', 'created_at', 'updated_at', 'closed_at']).execute();
    expect(tickets.length).toBe(1500);
    const events = await db.selectFrom('hotline_ticket_event').select(['ticket_id', 'id', 'at']).orderBy('ticket_id').orderBy('id').execute();
    const byTicket = new Map<string, Date[]>();
    for (const e of events) byTicket.set(e.ticket_id, [...(byTicket.get(e.ticket_id) ?? []), new Date(e.at)]);
    const faults: string[] = [];
    for (const t of tickets) {
      const created = new Date(t.created_at).getTime();
      if (new Date(t.updated_at).getTime() < created) faults.push(`${t.number}: updated before filed`);
      if (t.closed_at && new Date(t.closed_at).getTime() < created) faults.push(`${t.number}: closed before filed`);
      const at = (byTicket.get(t.id) ?? []).map((d) => d.getTime());
      if (at[0] !== created) faults.push(`${t.number}: first event is not the filing`);
      if (at.some((x, i) => (i > 0 && x < at[i - 1]) || x > now.getTime())) faults.push(`${t.number}: events out of order`);
    }
    expect(faults).toEqual([]);
  });

  it('keeps the day counter ahead of the generated numbers, and the tree routes to departments', async () => {
    const t = await hub.services.hotline.intake.create(admin, { title: '新工单', content: '测试编号不冲突' });
    expect(t.number.startsWith('20261126-')).toBe(true);
    const areas = await hub.services.hotline.reference.areaTree(admin);
    expect(areas.map((a) => a.name)).toEqual(expect.arrayContaining(demoCityPlan.districts.map((d) => d.name)));
    const timeline = await hub.services.hotline.tickets.timeline(admin, (await hub.services.hotline.tickets.list(admin, { status: ['closed'], pageSize: 1 })).items[0].id);
    expect(timeline[0].action).toBe('create');
    expect(timeline.at(-1)!.action).toBe('close');
  });
});
