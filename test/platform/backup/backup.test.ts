import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/platform/config/config.js';
import { systemActor } from '../../../src/platform/auth/roles.js';
import { migrateToLatest } from '../../../src/platform/db/migrate.js';
import type { DatabaseHandle } from '../../../src/platform/db/database.js';
import { countRows, listTables } from '../../../src/platform/backup/backup-store.js';
import { restoreBackup, writeBackup, type BackupManifest } from '../../../src/platform/backup/backup.js';
import { allMigrations } from '../../../src/server/app.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import { openTestDatabase, testEngines } from '../../support/engines.js';
import { expectOneInstant, expectRestoredLedgerVerifies, startTicketLoad } from './ticket-load.js';

/**
 * Issue 21: a backup taken while tickets are being filed and worked is one instant of the database; restored
 * into a fresh database, its row counts are those of that instant and `ledger verify` passes against the witness
 * (which saw the ledger grow after the backup: reported as lost, not as tampering).
 */
for (const engine of testEngines) {
  describe(`backup and restore under load [${engine}]`, () => {
    let hub: TestHub;
    let fresh: DatabaseHandle;
    let dir: string;
    let manifest: BackupManifest;
    const admin = systemActor('backup-test', ['admin']);

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'cityhub-backup-'));
      const defaults = loadConfig({ LOG_LEVEL: 'silent' });
      hub = await createTestHub(engine, { config: { ledger: { ...defaults.ledger, witnessFile: path.join(dir, 'witness.jsonl') } } });
      fresh = await openTestDatabase(engine);
    }, 120_000);
    afterAll(async () => {
      await hub?.close();
      await fresh?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('takes a consistent backup while writes run, restores it into a fresh database, and the ledger verifies', async () => {
      const file = path.join(dir, 'cityhub.backup.gz');
      const load = await startTicketLoad(hub, admin);
      await load.reach(6);
      manifest = await writeBackup(hub.database.db, file, engine, new Date());
      await load.reach(load.written + 4);
      await load.stop();

      const tickets = manifest.tables.find((t) => t.name === 'hotline_ticket')!.rows;
      expect(tickets).toBeGreaterThanOrEqual(6);
      expectOneInstant(manifest.ledger.size, tickets);
      expect(await countRows(hub.database.db, 'hotline_ticket')).toBeGreaterThan(tickets);

      await migrateToLatest(fresh.db, allMigrations());
      await restoreBackup(fresh.db, file);
      for (const { name, rows } of manifest.tables) expect(await countRows(fresh.db, name), name).toBe(rows);
      expect((await listTables(fresh.db)).length).toBe(manifest.tables.length);

      await expectRestoredLedgerVerifies(fresh.db, hub, manifest.ledger.size, tickets);
      // The restored database keeps working: a new ticket gets the next number and id sequence values.
      const events = await countRows(fresh.db, 'hotline_ticket_event');
      await fresh.db.insertInto('hotline_ticket_event').values({ ticket_id: (await fresh.db.selectFrom('hotline_ticket').select('id').executeTakeFirstOrThrow()).id, at: new Date(), actor: 'system:test', actor_org_id: null, action: 'note', from_status: null, to_status: null, details: '{}' }).execute();
      expect(await countRows(fresh.db, 'hotline_ticket_event')).toBe(events + 1);
    }, 120_000);

    it('refuses a damaged backup and leaves the target as it was', async () => {
      const file = path.join(dir, 'cityhub.backup.gz');
      const text = gunzipSync(readFileSync(file)).toString('utf8').replace('积水', '积冰');
      const damaged = path.join(dir, 'damaged.backup.gz');
      writeFileSync(damaged, gzipSync(text));
      const before = await countRows(fresh.db, 'ledger_entry');
      await expect(restoreBackup(fresh.db, damaged)).rejects.toThrow(/damaged: its checksum does not match \(nothing was restored\)/);
      expect(await countRows(fresh.db, 'ledger_entry')).toBe(before);
    });
  });
}
