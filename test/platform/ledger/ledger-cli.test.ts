import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/platform/db/database.js';
import { migrateToLatest } from '../../../src/platform/db/migrate.js';
import { createLedger, KEY_FILE_NAME, ledgerMigrations } from '../../../src/platform/ledger/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);

/** Runs `cityhub <args>` from the sources (src/cli/main.ts through tsx) and returns its exit code and output. */
async function cityhub(args: string[]): Promise<{ code: number; out: string }> {
  const script = `import { main } from ${JSON.stringify(path.join(root, 'src/cli/main.ts'))}; process.exitCode = await main(process.argv.slice(1));`;
  const env = { ...process.env, DATABASE_URL: '', CITYHUB_LEDGER_KEY: '', CITYHUB_CONFIG_FILE: '' };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], { cwd: root, env });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const withDatabase = async <T>(dataDir: string, fn: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> => {
  const handle = await openDatabase({ dataDir });
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
};

describe('cityhub ledger verify [pglite folder]', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cityhub-ledger-'));
    await withDatabase(dataDir, async (db) => {
      await migrateToLatest(db, ledgerMigrations);
      let t = Date.parse('2026-11-26T08:00:00.000Z');
      const ledger = await createLedger(db, { dataDir, clock: () => new Date((t += 1000)) });
      const actor = { kind: 'user' as const, id: 'u-1', roles: [] };
      for (let i = 0; i < 20; i++) {
        await ledger.append('test.event', actor, `ticket:${i}`, { step: i });
        if (i === 9) await ledger.checkpoint();
      }
      await ledger.checkpoint();
    });
  }, 180_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps the signing key in the data folder, readable only by its owner', () => {
    expect(statSync(path.join(dataDir, KEY_FILE_NAME)).mode & 0o777).toBe(0o600);
  });

  it('exits 0 on an intact ledger, then 1 naming the first bad index after tampering', async () => {
    const intact = await cityhub(['ledger', 'verify', '--data-dir', dataDir]);
    expect(intact.out).toMatch(/ledger intact: 20 entries, 2 signed checkpoint\(s\) verified/);
    expect(intact.code).toBe(0);

    await withDatabase(dataDir, (db) => sql`update ledger_entry set body = replace(body, '"step":5', '"step":7') where idx = 5`.execute(db));
    const modified = await cityhub(['ledger', 'verify', '--data-dir', dataDir]);
    expect(modified.code).toBe(1);
    expect(modified.out).toMatch(/entry 5 was modified/);
    expect(modified.out).toMatch(/first bad index: 5 \(modified\)/);

    await withDatabase(dataDir, async (db) => {
      await sql`update ledger_entry set body = replace(body, '"step":7', '"step":5') where idx = 5`.execute(db);
      await sql`delete from ledger_entry where idx = 12`.execute(db);
    });
    const deleted = await cityhub(['ledger', 'verify', '--data-dir', dataDir]);
    expect(deleted.code).toBe(1);
    expect(deleted.out).toMatch(/entry 12 is missing \(deleted\)/);
  }, 240_000);
});
