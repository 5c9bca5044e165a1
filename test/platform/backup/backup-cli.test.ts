import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/platform/db/database.js';
import { migrateToLatest } from '../../../src/platform/db/migrate.js';
import { createLedger } from '../../../src/platform/ledger/index.js';
import { appendToPeaks } from '../../../src/platform/ledger/merkle.js';
import { allMigrations } from '../../../src/server/app.js';
import { runCli } from '../../support/cli.js';
import { createScratchDatabase } from '../../support/engines.js';

/**
 * The real commands (issue 21), on an embedded database folder and on PostgreSQL databases: the key and the
 * witness outside the data folder, `cityhub backup` / `cityhub restore` into a fresh folder or a fresh database
 * (another machine's) verified by the ledger, and `cityhub ledger verify` naming a tail cut together with its
 * checkpoints.
 */
interface Target { engine: string; source: () => Promise<{ args: string[]; url?: string; drop?: () => Promise<void> }> }
const targets: Target[] = [
  { engine: 'pglite folder', source: async () => ({ args: [] }) },
  ...(process.env.CITYHUB_TEST_DATABASE_URL ? [{ engine: 'postgres database', source: async () => {
    const made = await createScratchDatabase('backup');
    return { args: ['--database-url', made.url], url: made.url, drop: made.drop };
  } }] : []),
];

describe.each(targets)('cityhub backup, restore and ledger verify with a witness [$engine]', ({ source }) => {
  let root: string;
  let dataDir: string;
  let src: { args: string[]; url?: string; drop?: () => Promise<void> };
  let fresh: { args: string[]; url?: string; drop?: () => Promise<void> };
  const env = () => ({ CITYHUB_LEDGER_KEY_FILE: path.join(root, 'keys', 'ledger.pem'), CITYHUB_LEDGER_WITNESS: path.join(root, 'witness', 'ledger.jsonl'), CITYHUB_LEDGER_KEY: '' });
  const open = () => openDatabase(src.url ? { databaseUrl: src.url } : { dataDir });

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'cityhub-backup-cli-'));
    dataDir = path.join(root, 'data');
    src = await source();
    fresh = src.url ? await source() : { args: ['--data-dir', path.join(root, 'restored')] };
    if (!src.url) src = { args: ['--data-dir', dataDir] };
    const handle = await open();
    try {
      await migrateToLatest(handle.db, allMigrations());
      const ledger = await createLedger(handle.db, { dataDir, signingKeyFile: env().CITYHUB_LEDGER_KEY_FILE, witnessFile: env().CITYHUB_LEDGER_WITNESS, clock: () => new Date() });
      const actor = { kind: 'user' as const, id: 'u-1', roles: [] };
      for (let i = 0; i < 10; i++) {
        await ledger.append('test.event', actor, `thing:${i}`, { step: i });
        if (i === 4 || i === 9) await ledger.checkpoint();
      }
    } finally {
      await handle.close();
    }
  }, 120_000);
  afterAll(async () => {
    rmSync(root, { recursive: true, force: true });
    await src?.drop?.();
    await fresh?.drop?.();
  });

  it('backs up, restores into a fresh folder or database (another machine\'s) verified against the witness, and names a cut tail', async () => {
    const file = path.join(root, 'cityhub.backup.gz');
    const backup = await runCli(['backup', ...src.args, '--out', file], env());
    expect(backup.stdout, backup.stderr).toMatch(/backup written to .*ledger 10 entries/);
    expect(backup.code).toBe(0);
    const restored = await runCli(['restore', file, ...fresh.args], env());
    expect(restored.stdout, restored.stderr).toMatch(/ledger intact: 10 entries, 2 signed checkpoint\(s\) verified and 2 held by the witness/);
    expect(restored.stdout).not.toMatch(/warning: the signing key lies in the data folder/);
    expect(restored.code).toBe(0);

    // A database administrator deletes entries 5..9 and the checkpoint at 10, and fixes the head.
    const handle = await open();
    try {
      const leaves = await handle.db.selectFrom('ledger_entry').select(['idx', 'leaf_hash']).where('idx', '<', 5).orderBy('idx').execute();
      let peaks: Buffer[] = [];
      for (const row of leaves) peaks = appendToPeaks(peaks, Number(row.idx), Buffer.from(row.leaf_hash, 'hex'));
      await handle.db.deleteFrom('ledger_entry').where('idx', '>=', 5).execute();
      await handle.db.deleteFrom('ledger_checkpoint').where('size', '>', 5).execute();
      await handle.db.updateTable('ledger_head').set({ size: 5, peaks: JSON.stringify(peaks.map((p) => p.toString('hex'))) }).execute();
    } finally {
      await handle.close();
    }
    const cut = await runCli(['ledger', 'verify', ...src.args], env());
    expect(cut.stdout).toMatch(/LEDGER TAMPERED: entry 5 is missing \(deleted\): the ledger was cut — file .*ledger\.jsonl holds a checkpoint signed at \S+ for 10 entries, but the database has 5; entries 5\.\.9 and the database's checkpoint\(s\) covering them were deleted/);
    expect(cut.code).toBe(1);
  }, 400_000);
});
