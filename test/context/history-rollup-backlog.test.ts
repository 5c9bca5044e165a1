import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { appendHistory, rollUpBacklog } from '../../src/context/history-store.js';

/**
 * The history-rollup job's run under steady writes (issue 20, docs/context.md): it folds the backlog and stops
 * after a partial page, leaving what keeps arriving to its next period, instead of going on statement after
 * statement for as long as anything writes (in bench/cluster that was PostgreSQL's largest use of CPU).
 */
describe.each(testEngines)('context history rollup backlog [%s]', (engine) => {
  let hub: TestHub;
  const temperature = 'https://smartdatamodels.org/dataModel.Weather/temperature';

  beforeAll(async () => {
    // the module's own job out of the way: this test runs the job's body itself
    hub = await createTestHub(engine, { config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false }, temporal: { rollupIntervalSeconds: 3600 } } } } as never });
  }, 120_000);
  afterAll(async () => hub?.close());

  const write = (k: number) => appendHistory(hub.database.db, '', new Date(Date.UTC(2026, 11, 7, 0, 0, k)).toISOString(), [
    { entity_id: `urn:ngsi-ld:Station:backlog-${k % 3}`, attrs: { [temperature]: [{ type: 'Property', value: k }] }, deleted: [] },
  ]);
  const unrolled = async () => Number((await sql<{ n: string }>`select count(*) as n from context_history where not rolled`.execute(hub.database.db)).rows[0].n);

  it('folds a backlog in full pages and stops at the first partial one while writes go on', async () => {
    for (let k = 0; k < 25; k++) await write(k);
    let writing = true;
    let written = 25;
    const writer = (async () => {
      const until = Date.now() + 1500;
      while (Date.now() < until) await write(written++);
      writing = false;
    })();
    const folded = await rollUpBacklog(hub.database.db, () => false, 10);
    const stillWriting = writing;
    await writer;
    // the 25 waiting (two full pages and a partial one, with what arrived meanwhile), not everything written since
    expect(folded).toBeGreaterThanOrEqual(25);
    expect(stillWriting).toBe(true);
    expect(await unrolled()).toBeGreaterThan(0);
    // the next period takes the rest
    await rollUpBacklog(hub.database.db, () => false, 10_000);
    expect(await unrolled()).toBe(0);
  });

  it('stops between pages when the module stops', async () => {
    for (let k = 0; k < 30; k++) await write(10_000 + k);
    let pages = 0;
    const folded = await rollUpBacklog(hub.database.db, () => ++pages > 1, 10);
    expect(folded).toBe(10);
    expect(await unrolled()).toBe(20);
  });
});
