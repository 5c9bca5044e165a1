import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testEngines, openTestDatabase } from '../support/engines.js';
import type { DatabaseHandle, Engine } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { allMigrations } from '../../src/server/app.js';
import { isPartitioned, listMonthlyPartitions } from '../../src/platform/db/partitions.js';
import {
  aggregateHistory, aggregateHourly, appendHistory, ensureHistoryPartitions, purgeHistoryBefore, queryHistory, rollUpHistory,
  type HistoryFilter,
} from '../../src/context/history-store.js';
import { stringifyJson } from '../../src/context/raw-json.js';
import { restoreBackup, writeBackup } from '../../src/platform/backup/backup.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Issue 20: on PostgreSQL the context history is partitioned by month of write time (PGlite keeps the plain
 * table). The migration converts a table already holding history without losing or changing a row; the
 * temporal queries answer the same before and after, and the same on both engines; the retention job makes
 * partitions ahead (moving rows a far-off clock put in the default partition) and drops whole months only.
 */
const PARTITIONING = '20261206-10-context-history-partitions';
const TENANT = 'urn:ngsi-ld:tenant:default';
const ENTITIES = Array.from({ length: 6 }, (_, i) => `urn:ngsi-ld:AirQualityObserved:${i}`);
const PM25 = 'https://smartdatamodels.org/dataModel.Environment/pm25';
/** Per engine: the answers of the temporal queries, compared across engines by the last one to run. */
const answers = new Map<Engine, string>();

/** History from 15 October 2026 to 20 January 2027: every 7 hours each entity writes one pm25 reading. */
async function loadHistory(handle: DatabaseHandle): Promise<void> {
  const start = Date.UTC(2026, 9, 15);
  for (let k = 0; k < 330; k++) {
    const at = new Date(start + k * 7 * 3_600_000).toISOString();
    await appendHistory(handle.db, TENANT, at, ENTITIES.map((e, i) => ({
      entity_id: e,
      attrs: { [PM25]: [{ type: 'Property', value: ((k * 31 + i * 17) % 97) / 4, observedAt: at }] },
      deleted: k % 50 === 49 && i === 0 ? ['https://example.org/retired'] : [],
    })));
  }
}

const filter = (from: string, until: string): HistoryFilter => ({ tenant: TENANT, entityIds: ENTITIES, attrs: [PM25], from, until, cap: 10_000 });

/** The temporal queries the API runs: raw instances, lastN, a day's averages from the rollup and from the raw rows. */
async function temporalAnswers(handle: DatabaseHandle): Promise<string> {
  const { db } = handle;
  const december = filter('2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z');
  const across = filter('2026-11-20T00:00:00Z', '2027-01-10T00:00:00Z');
  return stringifyJson({
    raw: await queryHistory(db, december),
    lastN: await queryHistory(db, { ...across, lastN: 3 }),
    hourly: await aggregateHourly(db, across, ['avg', 'min', 'max', 'sum'], 86_400, '2026-11-20T00:00:00Z'),
    raw_aggr: await aggregateHistory(db, december, ['totalCount', 'avg', 'stddev'], 86_400, '2026-12-01T00:00:00Z'),
  });
}

const historyRows = async (handle: DatabaseHandle) =>
  (await sql<Record<string, unknown>>`select * from context_history order by id`.execute(handle.db)).rows;

describe.each(testEngines)('context history partitions [%s]', (engine) => {
  let handle: DatabaseHandle;
  let before: Record<string, unknown>[];
  let answersBefore: string;

  beforeAll(async () => {
    handle = await openTestDatabase(engine);
    const { [PARTITIONING]: partitioning, ...earlier } = allMigrations();
    expect(partitioning).toBeDefined();
    await migrateToLatest(handle.db, earlier);
    await loadHistory(handle);
    await rollUpHistory(handle.db, 700); // part rolled up, part not: the queries add the rest
    before = await historyRows(handle);
    answersBefore = await temporalAnswers(handle);
    await migrateToLatest(handle.db, allMigrations());
  }, 120_000);

  afterAll(async () => {
    await handle?.close();
  });

  it('converts the existing history without losing or changing a row (PostgreSQL: by month; PGlite: plain)', async () => {
    expect(before.length).toBe(330 * ENTITIES.length);
    expect(await historyRows(handle)).toEqual(before);
    expect(await isPartitioned(handle.db, 'context_history')).toBe(engine === 'postgres');
    if (engine === 'postgres') {
      const months = (await listMonthlyPartitions(handle.db, 'context_history')).map((p) => p.name);
      expect(months.slice(0, 4)).toEqual(['context_history_p202610', 'context_history_p202611', 'context_history_p202612', 'context_history_p202701']);
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from context_history_p202611`.execute(handle.db);
      expect(rows[0].n).toBe(before.filter((r) => (r.recorded_at as Date).toISOString().startsWith('2026-11')).length);
    }
  });

  it('answers the temporal queries as before, and as the other engine does', async () => {
    const after = await temporalAnswers(handle);
    expect(after).toBe(answersBefore);
    await rollUpHistory(handle.db);
    expect(await temporalAnswers(handle)).toBe(answersBefore);
    for (const [other, answer] of answers) {
      // Across engines (PostgreSQL 15, PGlite 18) stddev may differ in the 16th digit: compared to 12.
      const round = (_: string, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v);
      const [a, b] = [JSON.parse(answer, round), JSON.parse(after, round)];
      for (const k of Object.keys(a)) expect(b[k], `${k}: same answer as ${other}`).toEqual(a[k]);
    }
    answers.set(engine, after);
  });

  it('keeps ids growing after the conversion', async () => {
    const maxBefore = Math.max(...before.map((r) => Number(r.id)));
    await appendHistory(handle.db, TENANT, '2026-12-24T10:00:00Z', [{ entity_id: ENTITIES[1], attrs: { [PM25]: [{ type: 'Property', value: 1 }] }, deleted: [] }]);
    const { rows } = await sql<{ id: number }>`select max(id)::int8 as id from context_history`.execute(handle.db);
    expect(Number(rows[0].id)).toBeGreaterThan(maxBefore);
  });

  it('puts a row beyond every partition in the default one, and moves it into its month when that is made', async () => {
    await appendHistory(handle.db, TENANT, '2031-05-02T08:00:00Z', [{ entity_id: ENTITIES[2], attrs: { [PM25]: [{ type: 'Property', value: 9 }] }, deleted: [] }]);
    // Two nodes making the same months at once: one makes them, the other finds them made.
    const made = await Promise.all([0, 1].map(() => ensureHistoryPartitions(handle.db, new Date('2031-05-20T00:00:00Z'), 1)));
    const far = await queryHistory(handle.db, filter('2031-05-01T00:00:00Z', '2031-06-01T00:00:00Z'));
    expect(far.map((r) => r.instance.value)).toEqual([9]);
    if (engine === 'pglite') return void expect(made).toEqual([[], []]);
    expect(made.flat().sort()).toEqual(['context_history_p203105', 'context_history_p203106']);
    const { rows } = await sql<{ d: number; m: number }>`
      select (select count(*) from context_history_pdefault)::int as d, (select count(*) from context_history_p203105)::int as m`.execute(handle.db);
    expect(rows[0]).toEqual({ d: 0, m: 1 });
  });

  it('backs up the partitioned history once (through its parent) and restores it into either engine', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cityhub-partitions-'));
    try {
      const file = path.join(dir, 'backup.gz');
      const manifest = await writeBackup(handle.db, file, engine, new Date());
      expect(manifest.tables.filter((t) => t.name.startsWith('context_history_p'))).toEqual([]);
      const rows = await historyRows(handle);
      for (const target of testEngines) {
        const copy = await openTestDatabase(target);
        try {
          await migrateToLatest(copy.db, allMigrations());
          await restoreBackup(copy.db, file);
          expect(await historyRows(copy), `restored into ${target}`).toEqual(rows);
        } finally {
          await copy.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('retention drops the months wholly before the cut-off and deletes the rest of its month row by row', async () => {
    const cutoff = new Date('2026-12-10T00:00:00Z');
    const total = (await historyRows(handle)).length;
    const older = (await historyRows(handle)).filter((r) => (r.recorded_at as Date) < cutoff).length;
    const purged = await purgeHistoryBefore(handle.db, cutoff);
    const left = await historyRows(handle);
    expect(left.length).toBe(total - older);
    expect(left.every((r) => (r.recorded_at as Date) >= cutoff)).toBe(true);
    if (engine === 'pglite') {
      expect(purged).toEqual({ dropped: [], deleted: older });
    } else {
      expect(purged.dropped.map((d) => d.name)).toEqual(['context_history_p202610', 'context_history_p202611']);
      expect(purged.dropped.reduce((n, d) => n + d.rows, 0) + purged.deleted).toBe(older);
      expect((await listMonthlyPartitions(handle.db, 'context_history'))[0].name).toBe('context_history_p202612');
    }
  });
});
