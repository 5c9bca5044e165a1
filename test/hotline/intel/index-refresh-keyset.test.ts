import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import { systemActor } from '../../../src/platform/auth/roles.js';
import type { Config } from '../../../src/platform/config/config.js';

/**
 * The similar-case index's refresh pages through the tickets changed since the last one on (updated_at, id), read
 * through their index (issue 20: before, every node's refresh read the whole table every ten seconds). PostgreSQL
 * keeps microseconds, a JavaScript Date milliseconds: many tickets changed within one millisecond, in ties and
 * across a page boundary, are each read once, and the refresh ends.
 */
describe.each(testEngines)('intel: the index refresh pages by change time to the microsecond [%s]', (engine) => {
  let hub: TestHub;
  const agent = systemActor('keyset-test', ['agent']);
  const BURST = 150; // a page and a half of `loadBatchSize`

  beforeAll(async () => {
    const config = { modules: { intel: { refreshIntervalSeconds: 0, loadBatchSize: 100, classifier: { trainAtStart: false } }, context: { mqtt: { ingest: false } } } };
    hub = await createTestHub(engine, { config: config as unknown as Partial<Config> });
    await hub.services.hotline.intake.create(agent, { title: '芙蓉路绿化带杂草丛生', content: '芙蓉路中段绿化带无人修剪' });
    await hub.services.intel.index.refresh();
  }, 120_000);
  afterAll(async () => hub?.close());

  it('reads every ticket of a burst within one millisecond once, in ties and across pages, and stops', async () => {
    const { hotline, intel } = hub.services;
    await Promise.all(Array.from({ length: BURST }, (_, i) => hotline.intake.create(agent, { title: `同一毫秒 第${i}号`, content: '井盖破损' })));
    // an hour ahead (past the watermark), all in one millisecond, seven distinct microseconds: ties on each
    await sql`update hotline_ticket t set updated_at = date_trunc('milliseconds', now()) + interval '1 hour' + (s.n % 7) * interval '1 microsecond'
      from (select id, row_number() over (order by id) as n from hotline_ticket where title like '同一毫秒%') s where t.id = s.id`.execute(hub.database.db);
    const first = await intel.index.refresh();
    expect(first.read).toBeGreaterThanOrEqual(BURST);
    expect(intel.index.size).toBe(BURST + 1);
    // the next refresh steps back by its overlap, reads the burst again, and still ends with each ticket once
    await intel.index.refresh();
    expect(intel.index.size).toBe(BURST + 1);
    expect(intel.index.similar('同一毫秒 第77号', '', 1)[0].ticket.title).toBe('同一毫秒 第77号');
  });

  it('a ticket changed after the burst is read by the next refresh', async () => {
    const { hotline, intel } = hub.services;
    const [ticket] = (await hotline.tickets.list(agent, { text: '第3号', pageSize: 1 })).items;
    await sql`update hotline_ticket set updated_at = now() + interval '2 hours', status = 'dispatched' where id = ${ticket.id}`.execute(hub.database.db);
    await intel.index.refresh();
    expect(intel.index.similar('同一毫秒 第3号', '', 1)[0].ticket).toMatchObject({ id: ticket.id, status: 'dispatched' });
  });
});
