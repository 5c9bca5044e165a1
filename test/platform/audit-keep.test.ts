import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { leafHash } from '../../src/platform/ledger/merkle.js';

/**
 * Issue 21 (GB/T 22239-2019 8.1.4.3 c): the audit trail's keeping job exports every whole day of the trail to the
 * archive folder — each line checkable against the ledger's leaf hash — records each export in the ledger, and
 * only then prunes the denial counts past a day; a run again archives nothing twice.
 */
describe.each(testEngines)('audit trail archive and pruning [%s]', (engine) => {
  let hub: TestHub;
  let archive: string;
  let now = new Date('2026-06-01T10:00:00.000Z');
  const clock = () => now;
  const actor = systemActor('keep-test', []);
  const kindCount = async (kind: string) => Number((await sql<{ n: string }>`select count(*) as n from ledger_entry where kind = ${kind}`.execute(hub.database.db)).rows[0].n);

  beforeAll(async () => {
    archive = mkdtempSync(path.join(tmpdir(), 'cityhub-audit-archive-'));
    const base = loadConfig({});
    hub = await createTestHub(engine, { clock, config: { audit: { ...base.audit, archiveDir: path.join(archive, 'trail') } } });
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(archive, { recursive: true, force: true });
  });

  it('archives each whole day before pruning, each line matching its leaf hash, and never the same day twice', async () => {
    const { ledger, audit } = hub.services;
    await ledger.append('test.day0', actor, 'thing:0', { n: 0 });
    now = new Date('2026-06-02T12:00:00.000Z');
    for (let i = 1; i <= 3; i++) await ledger.append('test.day1', actor, `thing:${i}`, { n: i });
    const minute = (d: Date) => Math.floor(d.getTime() / 60_000);
    await hub.database.db.insertInto('audit_denial_count').values([
      { key: 'anonymous|203.0.113.1', minute: minute(new Date('2026-06-01T09:00:00Z')), count: 3 },
      { key: 'anonymous|203.0.113.2', minute: minute(new Date('2026-06-03T07:59:00Z')), count: 1 },
    ]).execute();

    now = new Date('2026-06-03T08:00:00.000Z');
    const kept = await audit.keepTrail();
    expect(kept.archived.map((d) => d.day)).toEqual(['2026-06-01', '2026-06-02']);
    expect(kept.prunedCounts).toBe(1);
    expect((await hub.database.db.selectFrom('audit_denial_count').select('key').execute()).map((r) => r.key)).toEqual(['anonymous|203.0.113.2']);

    const rows = await hub.database.db.selectFrom('ledger_entry').select(['idx', 'leaf_hash', 'created_at'])
      .where('created_at', '<', new Date('2026-06-03T00:00:00Z')).orderBy('idx').execute();
    const lines = kept.archived.flatMap((d) => {
      expect(statSync(d.file).mode & 0o777).toBe(0o600);
      const text = gunzipSync(readFileSync(d.file)).toString('utf8');
      expect(createHash('sha256').update(text).digest('hex')).toBe(d.sha256);
      return text.trimEnd().split('\n').map((l) => JSON.parse(l) as { index: number; time: string; kind: string; body: string });
    });
    // every entry of those days, in order, each body hashing to its leaf in the ledger
    expect(lines.map((l) => l.index)).toEqual(rows.map((r) => Number(r.idx)));
    for (const [i, line] of lines.entries()) expect(leafHash(line.body).toString('hex')).toBe(rows[i].leaf_hash);
    expect(lines.filter((l) => l.kind === 'test.day1')).toHaveLength(3);
    expect(kept.archived[1].count).toBe(3);
    expect(await kindCount('audit.trail.archived')).toBe(2);
    expect(readdirSync(path.join(archive, 'trail')).sort()).toEqual(['audit-2026-06-01.jsonl.gz', 'audit-2026-06-02.jsonl.gz']);

    // the same day again: nothing archived twice; the next day: only that day (with the archive's own entries)
    expect((await audit.keepTrail()).archived).toEqual([]);
    expect(await kindCount('audit.trail.archived')).toBe(2);
    now = new Date('2026-06-04T00:30:00.000Z');
    const next = await audit.keepTrail();
    expect(next.archived.map((d) => [d.day, d.count])).toEqual([['2026-06-03', 2]]);
  });

  it('runs as a claimed job: a second node skips the period one node already ran', async () => {
    const second = await createTestHub(engine, { clock, database: hub.database, config: hub.config });
    try {
      now = new Date('2026-06-05T01:00:00.000Z');
      const run = (h: TestHub) => h.jobClaims.runOnce('audit.keepTrail', h.config.audit.keepIntervalSeconds, () => h.services.audit.keepTrail());
      expect(await run(hub)).toBe(true);
      expect(await run(second)).toBe(false);
      expect(await kindCount('audit.trail.archived')).toBe(4);
    } finally {
      await second.close();
    }
  });

  it('retains the trail past 6 months: half a year on, after the keeping job, the auditor still reads and exports the first day', async () => {
    now = new Date('2026-12-10T08:00:00.000Z'); // 192 days after the first entry
    await hub.services.audit.keepTrail();
    const auditor = (await hub.loginAs(['audit_admin'])).cookie;
    const get = (url: string) => hub.http.inject({ url, headers: { cookie: auditor } });
    expect((await get('/api/audit/retention')).json()).toEqual({ retentionDays: 180, oldest: '2026-06-01T10:00:00.000Z', pruned: false });
    const firstDay = (await get('/api/audit/export?format=json&from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z')).json() as { kind: string; time: string }[];
    expect(firstDay.map((r) => r.kind)).toContain('test.day0');
    expect((await get('/api/audit/trail?kind=test.day1')).json()).toHaveLength(3);
    // the default export is the retention period (audit.retentionDays back from now), older days on request
    const period = (await get('/api/audit/export?format=json')).json() as { kind: string; time: string }[];
    expect(period.length).toBeGreaterThan(0);
    expect(period.every((r) => Date.parse(r.time) >= now.getTime() - 180 * 86_400_000)).toBe(true);
    expect(period.map((r) => r.kind)).not.toContain('test.day0');
  });
});
