import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/platform/db/database.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { openTestDatabase, testEngines } from '../support/engines.js';

/**
 * Issue 21: the bound on what one prober writes into the trail (`audit.deniedPerMinute`) holds across nodes: two
 * hubs on one database count the same actor and address together, in the database.
 */
for (const engine of testEngines) {
  describe(`repeated denials counted across nodes [${engine}]`, () => {
    let database: DatabaseHandle;
    let a: TestHub;
    let b: TestHub;
    let now = new Date('2026-12-06T08:00:10Z');

    beforeAll(async () => {
      database = await openTestDatabase(engine);
      const defaults = loadConfig({ LOG_LEVEL: 'silent' });
      const config = { audit: { ...defaults.audit, deniedPerMinute: 3 } };
      a = await createTestHub(engine, { database, config, clock: () => now });
      b = await createTestHub(engine, { database, config, clock: () => now });
    }, 120_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await database?.close();
    });

    const probe = (hub: TestHub) => hub.http.inject({ method: 'GET', url: '/api/audit/trail', headers: { 'x-forwarded-for': '203.0.113.9' } });
    const entries = async () => (await database.db.selectFrom('ledger_entry').select('kind').where('kind', 'like', 'audit.access.denied%').orderBy('idx').execute()).map((r) => r.kind);

    it('writes deniedPerMinute entries and one burst entry for the minute, whichever node the prober hits', async () => {
      for (let i = 0; i < 4; i++) for (const hub of [a, b]) expect((await probe(hub)).statusCode).toBe(401);
      await Promise.all([a.services.audit.flush(), b.services.audit.flush()]);
      // the two nodes flush at once, so the burst entry may be written before another node's last denial
      expect((await entries()).sort()).toEqual(['audit.access.denied', 'audit.access.denied', 'audit.access.denied', 'audit.access.denied_burst']);
      // the next minute counts afresh
      now = new Date('2026-12-06T08:01:05Z');
      expect((await probe(b)).statusCode).toBe(401);
      await b.services.audit.flush();
      expect((await entries()).length).toBe(5);
    });

    it('prunes counts older than a day, and only those', async () => {
      expect(await database.db.selectFrom('audit_denial_count').select('minute').execute()).toHaveLength(2);
      expect(await a.services.audit.pruneDenialCounts()).toBe(0);
      now = new Date('2026-12-07T08:01:30Z'); // a day after the first minute, not yet after the second
      expect(await a.services.audit.pruneDenialCounts()).toBe(1);
      expect(await database.db.selectFrom('audit_denial_count').select('minute').execute()).toHaveLength(1);
    });
  });
}
