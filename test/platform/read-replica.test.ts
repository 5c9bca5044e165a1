import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { openTestDatabase, testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { openDatabase, type DatabaseHandle, type Db } from '../../src/platform/db/database.js';
import type { Database } from '../../src/platform/db/schema.js';
import { ngsiRequester } from '../context/ngsi-support.js';

/**
 * Issue 20 item 5: reads that may lag (KPI, the cockpit's district counts and ticket places, catalog search,
 * temporal queries) go to `database.readUrl` (DATABASE_READ_URL), everything else to the primary. The replica
 * here is a second connection URL to the same server whose sessions are read-only, as a hot standby's are: a
 * write sent to it fails, so the writes passing prove none goes there; its query log proves the reads do.
 */
describe.skipIf(!testEngines.includes('postgres'))('read replica [postgres]', () => {
  let primary: DatabaseHandle;
  let hub: TestHub;
  let replica: Db;
  let replicaPool: pg.Pool;
  const replicaQueries: string[] = [];
  let cookie: string;
  const req = ngsiRequester(() => hub, () => cookie);
  const id = 'urn:ngsi-ld:AirQualityObserved:r1';

  beforeAll(async () => {
    primary = await openTestDatabase('postgres');
    const { rows } = await sql<{ s: string }>`select current_schema() as s`.execute(primary.db);
    replicaPool = new pg.Pool({
      connectionString: process.env.CITYHUB_TEST_DATABASE_URL,
      max: 3,
      options: `-c search_path=${rows[0].s} -c default_transaction_read_only=on`,
    });
    replica = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: replicaPool }),
      log: (e) => void (e.level === 'query' && replicaQueries.push(e.query.sql)),
    });
    hub = await createTestHub('postgres', { database: { ...primary, reader: replica } });
    cookie = (await hub.loginAs(['data_admin', 'leader'])).cookie;
  }, 120_000);

  afterAll(async () => {
    await hub?.close();
    await replica?.destroy();
    await primary?.close();
  });

  /** The replica's queries while `fn` runs. */
  const onReplica = async (fn: () => Promise<void>): Promise<string[]> => {
    const from = replicaQueries.length;
    await fn();
    return replicaQueries.slice(from);
  };

  it('the replica refuses writes (so it stands for a hot standby)', async () => {
    await expect(sql`create table replica_probe (x int)`.execute(replica)).rejects.toThrow(/read-only transaction/);
  });

  it('writes go to the primary: an entity with history, kept while the replica is read-only', async () => {
    const written = await onReplica(async () => {
      const res = await req('POST', '/entities', { id, type: 'AirQualityObserved', pm25: { type: 'Property', value: 10, observedAt: '2026-11-26T00:00:00Z' } });
      expect(res.statusCode, res.body).toBe(201);
      const patched = await req('PATCH', `/entities/${id}/attrs`, { pm25: { type: 'Property', value: 30, observedAt: '2026-11-26T00:30:00Z' } });
      expect(patched.statusCode, patched.body).toBe(204);
    });
    expect(written.filter((q) => /^\s*(insert|update|delete)/i.test(q))).toEqual([]);
  });

  it('temporal queries read from the replica', async () => {
    const read = await onReplica(async () => {
      const res = await req('GET', `/temporal/entities/${id}?attrs=pm25&aggrMethods=avg&aggrPeriodDuration=PT1H&timerel=between&timeAt=2026-11-26T00:00:00Z&endTimeAt=2026-11-26T01:00:00Z`);
      expect(res.statusCode, res.body).toBe(200);
      expect(JSON.stringify(res.json())).toContain('20');
    });
    expect(read.some((q) => q.includes('context_history'))).toBe(true);
  });

  it('the KPI, the cockpit map and catalog search read from the replica', async () => {
    for (const [url, table] of [
      ['/api/hotline/kpi?groupBy=unit', 'hotline_'],
      ['/api/hotline/district-counts', 'hotline_ticket'],
      ['/api/hotline/ticket-points', 'hotline_ticket'],
      ['/api/catalog/datasets', 'catalog_dataset'],
    ]) {
      const read = await onReplica(async () => {
        const res = await hub.http.inject({ method: 'GET', url, headers: { cookie } });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      });
      expect(read.some((q) => q.includes(table)), `${url} read on the replica`).toBe(true);
    }
  });

  it('DATABASE_READ_URL opens a second pool on the replica, in the same schema, closed with the primary', async () => {
    const { rows } = await sql<{ s: string }>`select current_schema() as s`.execute(primary.db);
    const url = process.env.CITYHUB_TEST_DATABASE_URL!;
    const both = await openDatabase({ databaseUrl: url, readUrl: `${url}${url.includes('?') ? '&' : '?'}application_name=cityhub_reader`, searchPath: rows[0].s, poolMax: 2 });
    try {
      expect(both.reader).not.toBe(both.db);
      const seen = await sql<{ app: string; s: string }>`select current_setting('application_name') as app, current_schema() as s`.execute(both.reader);
      expect(seen.rows[0]).toEqual({ app: 'cityhub_reader', s: rows[0].s });
    } finally {
      await both.close();
    }
    await expect(sql`select 1`.execute(both.reader)).rejects.toThrow();
  });

  it('a read replica needs a primary: DATABASE_READ_URL alone is refused at boot', async () => {
    await expect(openDatabase({ readUrl: process.env.CITYHUB_TEST_DATABASE_URL })).rejects.toThrow(/set DATABASE_URL/);
  });
});
