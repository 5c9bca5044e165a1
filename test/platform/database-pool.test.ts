import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { loadConfig } from '../../src/platform/config/config.js';
import { openDatabase } from '../../src/platform/db/database.js';
import { testEngines } from '../support/engines.js';

/**
 * Issue 20: each node's connections to PostgreSQL are sized by `database.poolMax` (DATABASE_POOL_MAX), so that
 * several nodes together stay within what the server serves well (docs/deploy/cluster.md).
 */
describe('database.poolMax', () => {
  it('defaults to 10, is read from DATABASE_POOL_MAX, and a bad value stops the boot naming the key', () => {
    expect(loadConfig({}).database.poolMax).toBe(10);
    expect(loadConfig({ DATABASE_POOL_MAX: '4' }).database.poolMax).toBe(4);
    for (const bad of ['0', 'ten', '2.5', '100000']) {
      expect(() => loadConfig({ DATABASE_POOL_MAX: bad }), bad).toThrow(/database\.poolMax/);
    }
    // not only this key: no number from the environment is silently rounded
    expect(() => loadConfig({ PORT: '8080.5' })).toThrow(/port: "8080\.5" is not a whole number/);
  });

  it.skipIf(!testEngines.includes('postgres'))('a node never opens more connections than it says, however many queries wait [postgres]', async () => {
    const handle = await openDatabase({ databaseUrl: process.env.CITYHUB_TEST_DATABASE_URL!, poolMax: 3 });
    try {
      const pids = await Promise.all(Array.from({ length: 9 }, async () =>
        (await sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.1)`.execute(handle.db)).rows[0].pid));
      expect(new Set(pids).size).toBe(3);
    } finally {
      await handle.close();
    }
  });
});
