import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli, runCliWithInput, spawnCli } from '../support/cli.js';
import { DEMO_PASSWORD } from '../../src/server/demo-city.js';

const plainDir = mkdtempSync(path.join(tmpdir(), 'cityhub-serve-plain-'));
const demoDir = mkdtempSync(path.join(tmpdir(), 'cityhub-serve-demo-'));
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

/** A `cityhub serve` child with everything it writes collected in `output()`. */
const start = (args: string[], env: Record<string, string> = {}) => {
  // HOST and CITYHUB_DEMO of the outer environment must not decide what is tested here.
  const child = spawnCli(['serve', '--port', String(port), ...args], { HOST: '', CITYHUB_DEMO: '', ...env });
  children.push(child);
  let out = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const collect = (d: Buffer) => {
    out += d;
    for (const w of waiters.filter((x) => out.includes(x.text))) w.resolve();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return {
    child,
    output: () => out,
    /** Resolves once the output contains the text; fails after `ms` naming it. */
    waitFor: (text: string, ms = 150_000) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(text)) return resolve();
        const timer = setTimeout(() => reject(new Error(`no "${text}" in the output within ${ms} ms:\n${out.slice(-2000)}`)), ms);
        waiters.push({ text, resolve: () => (clearTimeout(timer), resolve()) });
      }),
  };
};

const stop = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });

const login = async (username: string, password: string) =>
  fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

const runWithInput = runCliWithInput;

/** The machine's first non-loopback IPv4 address, if it has one. */
const lanAddress = (): string | undefined =>
  Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(plainDir, { recursive: true, force: true });
  rmSync(demoDir, { recursive: true, force: true });
});

describe('cityhub serve on the embedded database [pglite]', () => {
  it('finding 1: serve on an empty database seeds no demo city and knows no password; it says how to create the first admin, who gets the password the operator chose', async () => {
    const server = start(['--host', '127.0.0.1', '--data-dir', plainDir], { LOG_LEVEL: 'info' });
    await waitForHealth(120_000);
    await server.waitFor('cityhub admin create', 60_000);
    // no demo users, so no known password opens anything
    expect((await login('admin', DEMO_PASSWORD)).status).toBe(401);
    expect((await login('citizen', DEMO_PASSWORD)).status).toBe(401);
    expect(server.output()).not.toContain('demo city seeded');
    expect(server.output()).not.toContain(DEMO_PASSWORD);
    // the data folder is the service user's alone (finding 10g)
    expect(statSync(plainDir).mode & 0o077).toBe(0);
    expect(await stop(server.child)).toBe(0);

    // the first administrator, with a password of the operator's choosing, read from stdin (not the process list)
    const weak = await runWithInput(['admin', 'create', '--username', 'root', '--password-stdin', '--data-dir', plainDir], 'short\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('at least 8 characters');
    const created = await runWithInput(['admin', 'create', '--username', 'root', '--password-stdin', '--data-dir', plainDir], 'chosen-by-the-operator-7\n');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('admin root created');

    const again = start(['--host', '127.0.0.1', '--data-dir', plainDir], { LOG_LEVEL: 'info' });
    await waitForHealth(120_000);
    expect((await login('root', 'chosen-by-the-operator-7')).status).toBe(200);
    expect((await login('admin', DEMO_PASSWORD)).status).toBe(401);
    expect(again.output()).not.toContain('no users yet'); // it has an administrator now…
    expect(again.output()).toContain('三员分立 incomplete: no enabled account holds security_admin, audit_admin'); // …but not the other two
    await stop(again.child);
  }, 240_000);

  it('finding 1: serve --demo (npm start) seeds the demo city, warns loudly, listens on 127.0.0.1 only and never logs the password', async () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe('node bin/cityhub.js serve --demo');

    const server = start(['--demo', '--data-dir', demoDir], { LOG_LEVEL: 'info' });
    // The 30 s goal is for a quiet machine; here other test files run beside this one, so the bound is looser.
    const ms = await waitForHealth(120_000);
    console.log(`first start (initdb, migrations, demo seed) healthy after ${ms} ms`);
    const doc = await (await fetch(`${base}/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    await server.waitFor('demo city seeded');
    expect(server.output()).toContain('DEMO MODE');
    expect(server.output()).toContain(`CityHub on http://127.0.0.1:${port}`);
    // not reachable from the network: the machine's own LAN address refuses the connection
    const lan = lanAddress();
    if (lan) await expect(fetch(`http://${lan}:${port}/healthz`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    expect((await login('admin', DEMO_PASSWORD)).status).toBe(200);
    expect(server.output()).not.toContain(DEMO_PASSWORD);
    expect(await stop(server.child)).toBe(0);
  }, 240_000);

  it('finding 1: the login page holds no password', () => {
    const web = filesUnder(path.join(repoRoot, 'src/web/src')).filter((f) => /\.(tsx?|css|html|json)$/.test(f));
    expect(web.length).toBeGreaterThan(10);
    expect(web.filter((f) => readFileSync(f, 'utf8').includes(DEMO_PASSWORD))).toEqual([]);
    expect(readFileSync(path.join(repoRoot, 'src/web/index.html'), 'utf8')).not.toContain(DEMO_PASSWORD);
  });

  it('keeps the data across a restart and does not seed twice', async () => {
    const second = start(['--demo', '--data-dir', demoDir], { LOG_LEVEL: 'info' });
    await waitForHealth(120_000);
    // the supervisor lists users (the administrators' first session may only enrol their second factor)
    const res = await login('supervisor', DEMO_PASSWORD);
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!.split(';')[0];
    const users = await (await fetch(`${base}/api/users`, { headers: { cookie } })).json();
    expect(users.filter((u: { username: string }) => u.username === 'admin')).toHaveLength(1);
    await second.waitFor('nothing seeded');

    // a second process on the same folder refuses cleanly instead of corrupting it
    const clash = await runCli(['migrate', '--data-dir', demoDir]);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('in use by another CityHub process');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await stop(second.child);
  }, 180_000);

  it('creates an admin from the command line, and `migrate` reports an up-to-date schema', async () => {
    const created = await runCli(['admin', 'create', '--username', 'ops2', '--password', 'ops-password-1', '--data-dir', demoDir]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('admin ops2 created');
    const migrated = await runCli(['migrate', '--data-dir', demoDir]);
    expect(migrated.stdout).toContain('schema already up to date');
    const help = await runCli(['admin', 'create', '--help']);
    expect(help.stdout).toContain('--password-stdin');
    const serveHelp = await runCli(['serve', '--help']);
    expect(serveHelp.stdout).toContain('--demo');
    const both = await runCli(['serve', '--demo', '--no-demo', '--data-dir', demoDir]);
    expect(both.code).toBe(2);
    const bad = await runCli(['serve', '--port', 'notaport', '--data-dir', demoDir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('port');
  }, 180_000);
});
