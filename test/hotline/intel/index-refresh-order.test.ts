import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import { systemActor } from '../../../src/platform/auth/roles.js';
import type { Config } from '../../../src/platform/config/config.js';
import { TicketIndex } from '../../../src/hotline/intel/ticket-index.js';
import { CityReference } from '../../../src/hotline/intel/city-reference.js';
import { DictionaryService } from '../../../src/hotline/intel/dictionary-service.js';
import type { IntelConfig } from '../../../src/hotline/intel/config.js';

/**
 * A refresh asked for while another is under way must see what was committed before it was asked for: the one
 * under way may have read the dictionary and the tickets already. (CI once saw a removed word stay in the segmenter
 * because the test's refresh shared a refresh an earlier bus event had started.)
 */
describe.each(testEngines)('intel: a refresh sees every change committed before it was asked for [%s]', (engine) => {
  let hub: TestHub;
  const admin = systemActor('refresh-order-test', ['admin']);

  beforeAll(async () => {
    const config = { modules: { intel: { refreshIntervalSeconds: 0, classifier: { trainAtStart: false } }, context: { mqtt: { ingest: false } } } };
    hub = await createTestHub(engine, { config: config as unknown as Partial<Config> });
  }, 120_000);
  afterAll(async () => hub?.close());

  it('a word added while a refresh is under way is in the segmenter after the next refresh() ends', async () => {
    const { db } = hub.database;
    // the dictionary's own change hook stays silent: only the refreshes this test asks for run
    const dictionary = new DictionaryService(db, () => new Date(), undefined);
    // the refresh under way is held at its last step, after it has read the dictionary and the tickets
    let reachedEnd!: () => void;
    const atEnd = new Promise<void>((resolve) => (reachedEnd = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const index = new TicketIndex({
      db,
      config: hub.config.modules.intel as IntelConfig,
      dictionary,
      reference: new CityReference(db),
      syncModel: async () => {
        if (calls++ > 0) return;
        reachedEnd();
        await held;
      },
      log: pino({ level: 'silent' }),
    });

    const first = index.refresh();
    await atEnd;
    await dictionary.add(admin, [{ word: '洋湖湿地', kind: 'place' }]);
    const second = index.refresh();
    release();
    await Promise.all([first, second]);
    expect(index.tokenize('洋湖湿地公园路灯不亮', '')).toContain('洋湖湿地');
    expect(calls).toBe(2);
    // callers during one refresh share the one queued after it: one more, not one each
    const [a, b, c] = [index.refresh(), index.refresh(), index.refresh()];
    await Promise.all([a, b, c]);
    expect(calls).toBe(4);
  });
});
