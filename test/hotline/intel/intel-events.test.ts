import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../support/engines.js';
import { dropTestStream, testEventsConfig } from '../../support/nats.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import type { Actor } from '../../../src/platform/auth/roles.js';
import type { Config } from '../../../src/platform/config/config.js';

const admin: Actor = { kind: 'user', id: 'admin', roles: ['admin'] };
const agent: Actor = { kind: 'user', id: 'agent', roles: ['agent'] };
// No periodic refresh: whatever reaches an index here came by the event bus.
const intel = { refreshIntervalSeconds: 0, classifier: { trainAtStart: false } };
const poll = { timeout: 5000, interval: 25 };
const burst = { title: '望湖路自来水管爆裂', content: '望湖路12号门口自来水管爆裂，水流成河，车辆无法通行', lon: 112.98, lat: 28.2 };
const again = { title: '望湖路自来水管爆裂', content: '望湖路12号门口自来水管爆裂了，水流成河，无法通行', lon: 112.9801, lat: 28.2001 };

describe.each(testEngines)('tickets reach every node\'s index by the event bus [%s]', (engine) => {
  const events = testEventsConfig();
  let nodeA: TestHub;
  let nodeB: TestHub;
  let single: TestHub;

  beforeAll(async () => {
    const config = { events, modules: { intel } } as unknown as Partial<Config>;
    nodeA = await createTestHub(engine, { config });
    nodeB = await createTestHub(engine, { database: nodeA.database, config });
    single = await createTestHub(engine, { config: { modules: { intel } } as unknown as Partial<Config> });
    // One older ticket each, so the indexes are loaded (an empty index reads the database on every question).
    const older = { title: '芙蓉路绿化带杂草丛生', content: '芙蓉路中段绿化带杂草丛生无人修剪', lon: 112.97, lat: 28.21 };
    for (const hub of [nodeA, single]) await hub.services.hotline.intake.create(admin, older);
    for (const hub of [nodeA, nodeB, single]) await hub.services.intel.index.refresh();
  });
  afterAll(async () => {
    await nodeB?.close();
    await nodeA?.close();
    await single?.close();
    await dropTestStream(events.stream);
  });

  it('a ticket filed on node A is a likely duplicate on node B within moments, not at the next refresh', async () => {
    const first = await nodeA.services.hotline.intake.create(admin, burst);
    const duplicatesOnB = async () => (await nodeB.services.intel.intake.assist(admin, again)).duplicates.map((d) => d.ticketId);
    await expect.poll(duplicatesOnB, poll).toContain(first.id);
    await expect.poll(async () => (await nodeA.services.intel.intake.assist(admin, again)).duplicates.map((d) => d.ticketId), poll).toContain(first.id);
  });

  it('a workflow action on node B reaches node A\'s index: a merged ticket is no longer proposed as a duplicate', async () => {
    const main = await nodeB.services.hotline.intake.create(admin, { title: '韶山路路灯不亮', content: '韶山路88号路灯不亮已经一周', lon: 112.99, lat: 28.19 });
    const copy = await nodeB.services.hotline.intake.create(admin, { title: '韶山路88号路灯坏了', content: '韶山路88号的路灯不亮一周了', lon: 112.99, lat: 28.19 });
    const hitsOnA = () => nodeA.services.intel.index.similar('韶山路88号路灯不亮', '').map((h) => `${h.ticket.id}:${h.ticket.status}`);
    await expect.poll(hitsOnA, poll).toEqual(expect.arrayContaining([`${main.id}:received`, `${copy.id}:received`]));
    await nodeB.services.hotline.workflow.transition(agent, copy.id, 'merge', { mainTicketId: main.id });
    await expect.poll(hitsOnA, poll).toContain(`${copy.id}:merged`);
  });

  it('a word added to the user dictionary on node A changes node B\'s segmenter without waiting for a refresh', async () => {
    const tokensOnB = () => nodeB.services.intel.index.tokenize('雅塘村停水', '');
    expect(tokensOnB()).not.toContain('雅塘村');
    await nodeA.services.intel.dictionary.add(admin, [{ word: '雅塘村', kind: 'place' }]);
    await expect.poll(tokensOnB, poll).toContain('雅塘村');
  });

  it('on one node with the in-process bus, the index takes a new ticket at once too', async () => {
    const first = await single.services.hotline.intake.create(admin, burst);
    await expect.poll(async () => (await single.services.intel.intake.assist(admin, again)).duplicates.map((d) => d.ticketId), poll).toContain(first.id);
  });

  it('without the bus the same ticket waits for a refresh (what the bus saves)', async () => {
    const unwired = await createTestHub(engine, { database: nodeA.database, config: { modules: { intel } } as unknown as Partial<Config> });
    try {
      await unwired.services.intel.index.refresh();
      const late = await nodeA.services.hotline.intake.create(admin, { title: '芙蓉路井盖缺失', content: '芙蓉路66号人行道井盖缺失', lon: 112.97, lat: 28.21 });
      await expect.poll(() => nodeB.services.intel.index.similar('芙蓉路井盖缺失', '')[0]?.ticket.id, poll).toBe(late.id);
      expect(unwired.services.intel.index.similar('芙蓉路井盖缺失', '')[0]?.ticket.id).not.toBe(late.id);
      await unwired.services.intel.index.refresh();
      expect(unwired.services.intel.index.similar('芙蓉路井盖缺失', '')[0]?.ticket.id).toBe(late.id);
    } finally {
      await unwired.close();
    }
  });
});
