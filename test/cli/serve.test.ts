import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../support/cli.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'cityhub-serve-'));
const port = 18_000 + Math.floor(Math.random() * 2000);
const base = `http://127.0.0.1:${port}`;
const children: ChildProcess[] = [];

const waitForHealth = async (deadlineMs: number): Promise<number> => {
  const started = Date.now();
  while (Date.now() - started < deadlineMs) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('server did not become healthy');
};

const start = (env: Record<string, string> = {}): ChildProcess => {
  const child = spawnCli(['serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir], env);
  children.push(child);
  return child;
};

const stop = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });

const login = async (username: string, password: string) =>
  fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('cityhub serve on the embedded database [pglite]', () => {
  it('starts on an empty folder, seeds the demo city and serves /healthz and OpenAPI 3.1', async () => {
    const first = start({ LOG_LEVEL: 'info' });
    const seeded = new Promise<void>((resolve) => {
      let out = '';
      first.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('demo city seeded')) resolve();
      });
    });
    // The 30 s goal is for a quiet machine; here other test files run beside this one, so the bound is looser.
    const ms = await waitForHealth(120_000);
    console.log(`first start (initdb, migrations, demo seed) healthy after ${ms} ms`);
    const doc = await (await fetch(`${base}/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    // the demo is seeded after the server listens; the log says when it is done
    await seeded;
    expect((await login('admin', 'CityHub@2026')).status).toBe(200);
    const exitCode = await stop(first);
    expect(exitCode).toBe(0);
  }, 180_000);

  it('keeps the data across a restart and does not seed twice', async () => {
    const second = start();
    await waitForHealth(120_000);
    const res = await login('admin', 'CityHub@2026');
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!.split(';')[0];
    const users = await (await fetch(`${base}/api/users`, { headers: { cookie } })).json();
    expect(users.filter((u: { username: string }) => u.username === 'admin')).toHaveLength(1);

    // a second process on the same folder refuses cleanly instead of corrupting it
    const clash = await runCli(['migrate', '--data-dir', dataDir]);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('in use by another CityHub process');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await stop(second);
  }, 180_000);

  it('creates an admin from the command line, and `migrate` reports an up-to-date schema', async () => {
    const created = await runCli(['admin', 'create', '--username', 'ops', '--password', 'ops-password-1', '--data-dir', dataDir]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('admin ops created');
    const migrated = await runCli(['migrate', '--data-dir', dataDir]);
    expect(migrated.stdout).toContain('schema already up to date');
    const help = await runCli(['admin', 'create', '--help']);
    expect(help.stdout).toContain('--username U --password P');
    const bad = await runCli(['serve', '--port', 'notaport', '--data-dir', dataDir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('port');
  }, 180_000);
});
