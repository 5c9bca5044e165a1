import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { openDatabase } from '../../src/platform/db/database.js';
import { KEY_FILE_NAME, loadSigningKey } from '../../src/platform/ledger/signing.js';
import { CONTENT_SECURITY_POLICY } from '../../src/platform/http/security-headers.js';
import { webAppDir } from '../../src/server/web-app.js';

const PROXY = '10.0.0.1';

describe.each(testEngines)('web and identity hardening [%s]', (engine) => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      config: {
        http: { trustProxy: [PROXY] },
        auth: { sessionTtlHours: 1, loginMaxAttempts: 3, loginMaxAttemptsPerUsername: 100, loginWindowSeconds: 60, secureCookies: 'auto' },
      },
    });
  });
  afterAll(async () => hub?.close());

  const login = (username: string, password: string, remoteAddress: string, headers: Record<string, string> = {}) =>
    hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress, headers });

  it('finding 10b: every response carries CSP, nosniff, Referrer-Policy and X-Frame-Options; the Swagger UI and the app load no inline script', async () => {
    const responses = await Promise.all([
      hub.http.inject('/healthz'),
      hub.http.inject('/api/keys'), // 401
      hub.http.inject('/api/no-such-thing'), // 404
      hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: '{"username":', headers: { 'content-type': 'application/json' } }), // 400
      hub.http.inject('/openapi.json'),
      hub.http.inject('/docs/'),
      hub.http.inject('/docs/static/swagger-initializer.js'),
    ]);
    for (const res of responses) {
      expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
    for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "connect-src 'self'"]) {
      expect(CONTENT_SECURITY_POLICY).toContain(directive);
    }
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);

    // /docs works under script-src 'self': its scripts are files of this origin, none inline, no inline handlers
    const docs = responses[5];
    expect(docs.statusCode).toBe(200);
    const scripts = [...docs.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, inline] of scripts) {
      expect(attributes).toMatch(/\bsrc="(\.|\/docs)\//);
      expect(inline.trim()).toBe('');
    }
    expect(docs.body).not.toMatch(/\son[a-z]+\s*=/i);
    expect(responses[6].statusCode).toBe(200);
    expect(responses[6].headers['content-type']).toContain('javascript');

    // the single-page app likewise, when it is built
    if (existsSync(path.join(webAppDir, 'index.html'))) {
      const page = await hub.http.inject('/');
      expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      for (const [, attributes, inline] of page.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
        expect(attributes).toMatch(/\bsrc="\//);
        expect(inline.trim()).toBe('');
      }
    }
  });

  it('finding 10c: the session cookie is Secure when the login came over HTTPS through a trusted proxy, and only then by default', async () => {
    const { username } = await hub.loginAs(['citizen']);
    const cookieOf = (res: Awaited<ReturnType<typeof login>>) => res.cookies.find((c) => c.name === 'cityhub_session')!;
    const viaProxy = await login(username, 'test-password-1', PROXY, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.1' });
    expect(viaProxy.statusCode).toBe(200);
    expect(cookieOf(viaProxy).secure).toBe(true);
    const plain = await login(username, 'test-password-1', '198.51.100.2');
    expect(cookieOf(plain).secure).toBeFalsy();
    // anyone else's X-Forwarded-Proto is not believed
    const spoofed = await login(username, 'test-password-1', '198.51.100.3', { 'x-forwarded-proto': 'https' });
    expect(cookieOf(spoofed).secure).toBeFalsy();

    expect(loadConfig({}).auth.secureCookies).toBe('auto');
    expect(loadConfig({ CITYHUB_SECURE_COOKIES: 'true' }).auth.secureCookies).toBe(true);
    const always = await createTestHub(engine, { database: hub.database, config: { auth: { ...hub.config.auth, secureCookies: true } } });
    try {
      const res = await always.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: 'test-password-1' }, remoteAddress: '198.51.100.4' });
      expect(cookieOf(res).secure).toBe(true);
    } finally {
      await always.close();
    }
  });

  it('finding 10d: behind a trusted proxy the lockout keys on the real client, and a spoofed X-Forwarded-For from anyone else is ignored', async () => {
    const victim = await hub.loginAs(['handler']);
    const other = await hub.loginAs(['agent']);
    // Through the proxy: an attacker (client 203.0.113.5, whatever it puts in front of the proxy's entry) is
    // locked out after 3 failures…
    for (let i = 0; i < 3; i++) {
      const res = await login(other.username, `wrong-${i}-xxxx`, PROXY, { 'x-forwarded-for': `192.0.2.${i}, 203.0.113.5` });
      expect(res.statusCode).toBe(401);
    }
    expect((await login(other.username, 'wrong-x-xxxx', PROXY, { 'x-forwarded-for': '192.0.2.77, 203.0.113.5' })).statusCode).toBe(429);
    // …while everyone else behind the same proxy still logs in (before: every client had the proxy's address,
    // so one attacker locked out the whole city)
    expect((await login(victim.username, 'test-password-1', PROXY, { 'x-forwarded-for': '203.0.113.6' })).statusCode).toBe(200);
    expect((await login(other.username, 'test-password-1', PROXY, { 'x-forwarded-for': '203.0.113.7' })).statusCode).toBe(200);

    // A client that is not the proxy cannot pick its address: its X-Forwarded-For is ignored, so rotating it
    // does not escape the per-address limit
    for (let i = 0; i < 3; i++) {
      const res = await login(`nobody-${i}`, 'wrong-password-x', '198.51.100.50', { 'x-forwarded-for': `203.0.113.${100 + i}` });
      expect(res.statusCode).toBe(401);
    }
    expect((await login('nobody-9', 'wrong-password-x', '198.51.100.50', { 'x-forwarded-for': '203.0.113.200' })).statusCode).toBe(429);

    expect(() => loadConfig({ CITYHUB_TRUST_PROXY: '10.0.0.0/33' })).toThrow(/http\.trustProxy/);
    expect(loadConfig({ CITYHUB_TRUST_PROXY: '10.0.0.1, 10.20.0.0/16' }).http.trustProxy).toEqual(['10.0.0.1', '10.20.0.0/16']);
    expect(loadConfig({}).http.trustProxy).toBe(false);
  });

  it("finding 10f: request ids are the server's own: a client's X-Request-Id is ignored, ids are random", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await hub.http.inject({ url: '/healthz', headers: { 'x-request-id': 'attacker-chosen-id' } });
      const id = String(res.headers['x-request-id']);
      expect(id).not.toContain('attacker');
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(20);
  });
});

describe('database files [pglite]', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'cityhub-modes-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const mode = (file: string) => statSync(file).mode & 0o777;

  it.skipIf(process.platform === 'win32')('finding 10g: the data folder and the ledger key are readable by the service user only, created so and tightened at start', async () => {
    const previous = process.umask(0o022); // a usual umask: without the fix, folders would be 0755 and files 0644
    try {
      const fresh = path.join(root, 'fresh');
      const db = await openDatabase({ dataDir: fresh });
      loadSigningKey({ dataDir: fresh });
      await db.close();
      expect(mode(fresh)).toBe(0o700);
      expect(mode(path.join(fresh, 'pgdata'))).toBe(0o700);
      expect(mode(path.join(fresh, KEY_FILE_NAME))).toBe(0o600);

      // found looser (a copy, an older CityHub): tightened when the service starts
      chmodSync(fresh, 0o755);
      chmodSync(path.join(fresh, 'pgdata'), 0o755);
      chmodSync(path.join(fresh, KEY_FILE_NAME), 0o644);
      const again = await openDatabase({ dataDir: fresh });
      loadSigningKey({ dataDir: fresh });
      await again.close();
      expect(mode(fresh)).toBe(0o700);
      expect(mode(path.join(fresh, 'pgdata'))).toBe(0o700);
      expect(mode(path.join(fresh, KEY_FILE_NAME))).toBe(0o600);

      // a folder the operator made beforehand with the usual 0755
      const made = path.join(root, 'made');
      mkdirSync(made, { mode: 0o755 });
      await (await openDatabase({ dataDir: made })).close();
      expect(mode(made)).toBe(0o700);
    } finally {
      process.umask(previous);
    }
  }, 120_000);
});
