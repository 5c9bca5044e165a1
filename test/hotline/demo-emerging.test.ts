import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { demoCityPlan } from '../../src/server/demo-city.js';
import { demoEmergingIssue, seedHotlineDemo } from '../../src/hotline/demo-seed.js';
import { systemActor, type Actor } from '../../src/platform/auth/roles.js';

/** The demo city has an emerging issue for 未诉先办: the intelligence's own alert finds it (issue 19 item 5). */
describe.each(testEngines)('demo emerging issue [%s]', (engine) => {
  let hub: TestHub;
  const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000000', roles: ['admin'] };
  const now = new Date('2026-11-26T06:00:00Z');

  beforeAll(async () => {
    hub = await createTestHub(engine, { clock: () => now });
    const orgs = new Map<string, string>();
    for (const name of demoCityPlan.departments) orgs.set(name, (await hub.services.auth.insertOrg(admin, { name, kind: 'department' })).id);
    for (const d of demoCityPlan.districts) orgs.set(d.name, (await hub.services.auth.insertOrg(admin, { name: d.name, kind: 'district' })).id);
    await seedHotlineDemo({
      db: hub.database.db, deadlines: hub.services.hotline.deadlines.settings, timeZone: hub.config.city.timeZone, now,
      districts: demoCityPlan.districts, orgs, users: new Map(), ticketCount: 1500,
    });
  }, 300_000);
  afterAll(async () => hub?.close());

  it('rises over the last three days in one estate, and the emerging-issue alert fires on it', async () => {
    const rows = await hub.database.db.selectFrom('hotline_ticket').select(['created_at', 'area_id'])
      .where('content', 'like', `%${demoEmergingIssue.problem}%`).execute();
    const perDay = [0, 1, 2].map((d) => rows.filter((r) => Math.floor((now.getTime() - new Date(r.created_at).getTime()) / 86_400_000) === d).length);
    expect(perDay[0]).toBeGreaterThan(perDay[1] + perDay[2]);
    expect(new Set(rows.map((r) => r.area_id)).size).toBe(1);

    const { alerts } = await hub.services.intel.hot.alerts(systemActor('test', ['leader']));
    const alert = alerts.find((a) => a.title.includes('自来水发黄'));
    expect(alert, JSON.stringify(alerts.map((a) => a.title))).toBeDefined();
    expect(alert!.count).toBe(perDay[0]);
    expect(alert!.title).toContain(demoEmergingIssue.place);
  });
});
