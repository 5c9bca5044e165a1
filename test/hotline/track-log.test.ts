import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, spawnCli } from '../support/cli.js';

/**
 * Issue 15, finding 9: the public lookup was a GET with the citizen's phone in the query string, so every lookup
 * wrote the phone into the access log (and the portal put it into the URL). Here a real `cityhub serve` logs at
 * info level, as in production, and its log is read line by line.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'cityhub-track-log-'));
const port = 20_000 + Math.floor(Math.random() * 2000);
const base = `http://127.0.0.1:${port}`;
const children: ChildProcess[] = [];
const PHONE = '13955558888';
const PASSWORD = 'track-log-test-2026';
// The administrator files a ticket at once: here its second factor and first-login change are off (tested elsewhere).
const configFile = path.join(mkdtempSync(path.join(tmpdir(), 'cityhub-track-log-config-')), 'config.json');
writeFileSync(configFile, JSON.stringify({ auth: { totp: { requiredForRoles: [] }, password: { changeOnFirstLogin: false } } }));

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(path.dirname(configFile), { recursive: true, force: true });
});

const createAdmin = () =>
  new Promise<number>((resolve) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'PORT'].includes(k)));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'admin', 'create', '--username', 'root', '--password-stdin', '--data-dir', dataDir], {
      cwd: repoRoot, env: { ...env, LOG_LEVEL: 'warn', CITYHUB_CONFIG_FILE: configFile }, stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.on('close', (code) => resolve(code ?? -1));
    child.stdin.end(`${PASSWORD}\n`);
  });

describe('the public lookup and the access log [pglite]', () => {
  it('finding 9: the log lines of a track request do not contain the phone (POST body, never the URL)', async () => {
    expect(await createAdmin()).toBe(0);
    const server = spawnCli(['serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir], { LOG_LEVEL: 'info', CITYHUB_ACCESS_LOG: 'all', HOST: '', CITYHUB_DEMO: '', CITYHUB_CONFIG_FILE: configFile });
    children.push(server);
    let log = '';
    server.stdout!.on('data', (d) => (log += d));
    server.stderr!.on('data', (d) => (log += d));
    const started = Date.now();
    for (;;) {
      try {
        if ((await fetch(`${base}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() - started > 120_000) throw new Error(`server did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'root', password: PASSWORD }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const filed = await fetch(`${base}/api/hotline/tickets`, {
      method: 'POST', headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ title: '路灯不亮', content: '小区门口路灯不亮', citizenPhone: PHONE }),
    });
    expect(filed.status).toBe(201);
    const { number } = (await filed.json()) as { number: string };

    // The portal's lookup: a POST with the phone in the JSON body. A hit and a miss.
    const hit = await fetch(`${base}/api/hotline/track`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ number, phone: PHONE }) });
    expect(hit.status).toBe(200);
    const miss = await fetch(`${base}/api/hotline/track`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ number, phone: `${PHONE.slice(0, 10)}0` }) });
    expect(miss.status).toBe(404);
    // An old client's GET with the phone in the query string: refused, and the access log keeps only the path.
    const old = await fetch(`${base}/api/hotline/track?number=${number}&phone=${PHONE}`);
    expect(old.status).toBe(405);
    const ids = [hit.headers.get('x-request-id')!, miss.headers.get('x-request-id')!, old.headers.get('x-request-id')!];

    await new Promise((r) => setTimeout(r, 500)); // let the log lines reach the pipe
    const lines = log.split('\n').filter((l) => ids.some((id) => l.includes(id)));
    // every request was logged (one access-log line each, `log.access: all`), so the test reads real access-log lines
    expect(lines.length, log).toBeGreaterThanOrEqual(3);
    expect(lines.some((l) => l.includes('/api/hotline/track'))).toBe(true);
    for (const line of lines) {
      expect(line).not.toContain(PHONE);
      expect(line).not.toContain(PHONE.slice(0, 10));
      expect(line).not.toContain(number); // the key half of the lookup stays out too (it was in the query string)
    }
    // Nothing anywhere in the log carries the phone: no body is logged, the filing included.
    expect(log).not.toContain(PHONE);
    expect(log).not.toContain(PHONE.slice(0, 10));

    await new Promise<void>((resolve) => {
      server.on('exit', () => resolve());
      server.kill('SIGTERM');
    });
  }, 240_000);
});
