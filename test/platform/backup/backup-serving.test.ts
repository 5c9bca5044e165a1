import { statSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/platform/config/config.js';
import { systemActor } from '../../../src/platform/auth/roles.js';
import { checkBackup, restoreBackup } from '../../../src/platform/backup/backup.js';
import { openDatabase } from '../../../src/platform/db/database.js';
import { migrateToLatest } from '../../../src/platform/db/migrate.js';
import { allMigrations, createCityHub, type CityHub } from '../../../src/server/app.js';
import { backupSocketPath } from '../../../src/platform/backup/backup-socket.js';
import { countRows } from '../../../src/platform/backup/backup-store.js';
import { runCli } from '../../support/cli.js';
import { expectOneInstant, expectRestoredLedgerVerifies, startTicketLoad } from './ticket-load.js';

/**
 * Issue 21 (GB/T 22239-2019 8.1.4.9 a): `cityhub backup` while a server serves on the embedded database — which
 * holds the data folder — under a write load: the server makes the copy through its data folder's socket, the
 * copy is one instant (every ticket with its ledger entries), and restored by `cityhub restore` into a fresh
 * folder it verifies against the witness, which saw the ledger grow after the backup.
 */
describe('cityhub backup while serving on the embedded database [pglite folder]', () => {
  let root: string;
  let dataDir: string;
  let hub: CityHub;
  const env = () => ({ CITYHUB_LEDGER_KEY_FILE: path.join(root, 'keys', 'ledger.pem'), CITYHUB_LEDGER_WITNESS: path.join(root, 'witness', 'ledger.jsonl'), CITYHUB_LEDGER_KEY: '' });
  const admin = systemActor('backup-test', ['admin']);

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'cityhub-bk-'));
    dataDir = path.join(root, 'data');
    const defaults = loadConfig({ LOG_LEVEL: 'silent' });
    hub = await createCityHub({
      config: {
        ...defaults, dataDir,
        ledger: { ...defaults.ledger, signingKeyFile: env().CITYHUB_LEDGER_KEY_FILE, witnessFile: env().CITYHUB_LEDGER_WITNESS },
        // no embedded MQTT broker on a port: only the backup is under test
        modules: { context: { mqtt: { ingest: false } } },
      },
      logger: false,
    });
    await hub.start();
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('takes the backup from the serving process under writes, and it restores into a fresh folder verified by the ledger', async () => {
    expect(statSync(backupSocketPath(dataDir)).mode & 0o777).toBe(0o600);
    const load = await startTicketLoad(hub, admin);
    await load.reach(6);
    const file = path.join(root, 'cityhub.backup.gz');
    const backup = await runCli(['backup', '--data-dir', dataDir, '--out', file], env());
    const atBackup = load.written;
    expect(backup.stdout, backup.stderr).toMatch(/backup written to .* by the serving process \(pid \d+\): \d+ tables, \d+ rows, ledger \d+ entries/);
    expect(backup.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await load.reach(atBackup + 4); // the server kept serving writes after the copy
    await load.stop();

    const manifest = await checkBackup(file);
    const tickets = manifest.tables.find((t) => t.name === 'hotline_ticket')!.rows;
    expect(tickets).toBeGreaterThanOrEqual(6);
    expectOneInstant(manifest.ledger.size, tickets);
    expect(await countRows(hub.database.db, 'hotline_ticket')).toBeGreaterThan(tickets);

    // restored into a fresh folder (the CLI's restore is tested in backup-cli.test.ts; in process here to stay fast)
    const fresh = await openDatabase({ dataDir: path.join(root, 'restored') });
    try {
      await migrateToLatest(fresh.db, allMigrations());
      await restoreBackup(fresh.db, file);
      expect(await countRows(fresh.db, 'hotline_ticket')).toBe(tickets);
      await expectRestoredLedgerVerifies(fresh.db, hub, manifest.ledger.size, tickets);
    } finally {
      await fresh.close();
    }
  }, 300_000);

  it('refuses anything but a backup request on the socket', async () => {
    const socket = createConnection(backupSocketPath(dataDir));
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.write('DROP TABLE hotline_ticket\n');
    await new Promise((r) => socket.once('close', r));
    expect(JSON.parse(answer)).toEqual({ error: 'expected "cityhub-backup/v1"' });
  });

  it('removes the socket when the server closes', async () => {
    await hub.close();
    expect(existsSync(backupSocketPath(dataDir))).toBe(false);
    hub = undefined as unknown as CityHub;
  });
});
