import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { readCsvRecords } from '../../../src/platform/csv/csv-reader.js';
import { itWithSharedData, sharedDataPath } from '../../support/shared-data.js';

const url = process.env.CITYHUB_TEST_DATABASE_URL;
const ROOT = path.resolve(__dirname, '../../..');
const FILE = sharedDataPath('baltimore311', 'baltimore311_sample.csv');
const MAPPING = path.join(ROOT, 'docs/mappings/baltimore311.json');

/**
 * A real kill: the CLI runs as a child process on a PostgreSQL schema of its own and gets SIGKILL once some
 * batches have committed; the re-run must end with exactly the rows of one clean run. PostgreSQL only: a
 * PGlite data folder is single-process (the test could not watch progress) and the in-process crash test in
 * ticket-importer.test.ts covers PGlite.
 */
describe.skipIf(!url)('import killed halfway and re-run [postgres]', () => {
  const schema = `t_kill_${randomBytes(5).toString('hex')}`;
  const childUrl = () => `${url}${url!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  let client: pg.Client;
  let child: ChildProcess | undefined;

  const cli = (batchSize: number) =>
    spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'import', 'tickets', FILE, '--mapping', MAPPING,
      '--batch-size', String(batchSize), '--database-url', childUrl(), '--data-dir', mkdtempSync(path.join(tmpdir(), 'kill-'))], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const exited = (c: ChildProcess) => new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
  const q = async <T extends pg.QueryResultRow>(sql: string) => (await client.query<T>(sql)).rows;
  const runRow = async () => {
    try {
      return (await q<{ rows_done: number; finished_at: Date | null }>('select rows_done, finished_at from hotline_import_run'))[0];
    } catch {
      return undefined; // not migrated yet
    }
  };

  beforeAll(async () => {
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`create schema ${schema}`);
    await client.query(`set search_path = ${schema}`);
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  itWithSharedData('baltimore311')('resumes after SIGKILL and ends with the same rows as one run', async () => {
    const ids = new Set<string>();
    for await (const { values } of readCsvRecords(FILE)) ids.add(values.ServiceRequestNum.trim());

    child = cli(250);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const exit = exited(child);
    let killedAt = -1;
    for (let i = 0; i < 1200 && child.exitCode === null; i++) {
      const row = await runRow();
      if (row && row.rows_done >= 2500) {
        child.kill('SIGKILL');
        killedAt = row.rows_done;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await exit;
    expect(killedAt, stderr).toBeGreaterThanOrEqual(2500);
    const afterKill = await runRow();
    expect(afterKill!.finished_at).toBeNull();
    expect(afterKill!.rows_done).toBeLessThan(ids.size);
    const [{ n: partial }] = await q<{ n: string }>('select count(*) as n from hotline_ticket');
    // The committed progress and the committed rows agree (every row of the file is valid and distinct).
    expect(Number(partial)).toBe(afterKill!.rows_done);

    child = cli(1000);
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    expect(await exited(child)).toBe(0);
    expect(out).toMatch(new RegExp(`resumed after row ${afterKill!.rows_done}`));
    const rows = await q<{ external_id: string }>('select external_id from hotline_ticket');
    expect(rows.length).toBe(ids.size);
    expect(new Set(rows.map((r) => r.external_id))).toEqual(ids);
    const [{ n: numbers }] = await q<{ n: string }>('select count(distinct number) as n from hotline_ticket');
    expect(Number(numbers)).toBe(ids.size);
    const runs = await q<{ rows_done: number; rows_imported: number; finished_at: Date | null }>('select rows_done, rows_imported, finished_at from hotline_import_run');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ rows_done: 10000, rows_imported: ids.size });
    expect(runs[0].finished_at).not.toBeNull();
  }, 180_000);
});
