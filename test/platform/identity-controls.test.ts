import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { base32Decode, base32Encode, hotp, matchTotp, totp } from '../../src/platform/auth/totp.js';
import { defaultPasswordPolicy, passwordPolicyFailures } from '../../src/platform/auth/password-policy.js';
import { isCommonPassword } from '../../src/platform/auth/common-passwords.js';
import { verifyConsistency } from '../../src/platform/ledger/merkle.js';

/**
 * 等保 2.0 level 3 identity and access controls (issue 21): 三员分立, the password policy and history, forced
 * changes, TOTP, idle and absolute session lifetimes. Each attack is tried first.
 */

describe('TOTP (RFC 6238 appendix B, RFC 4226 appendix D)', () => {
  // The RFC's seeds: ASCII "12345678901234567890" repeated to the hash's length.
  const seed = (n: number) => Buffer.from('1234567890'.repeat(7).slice(0, n));
  const vectors: [number, string, string, string][] = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  it.each(vectors)('at T=%i gives the published SHA1, SHA256 and SHA512 codes', (t, sha1, sha256, sha512) => {
    const at = new Date(t * 1000);
    expect(totp(seed(20), at, 8)).toBe(sha1);
    expect(totp(seed(32), at, 8, 30, 'sha256')).toBe(sha256);
    expect(totp(seed(64), at, 8, 30, 'sha512')).toBe(sha512);
  });

  it('gives RFC 4226 HOTP values, round-trips base32 and accepts only a window of ±1 step', () => {
    expect([0, 1, 2, 9].map((c) => hotp(seed(20), c))).toEqual(['755224', '287082', '359152', '520489']);
    expect(base32Encode(Buffer.from('12345678901234567890'))).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq')).toEqual(seed(20));
    expect(base32Decode('not base32!')).toBeUndefined();
    const at = new Date(1_700_000_000_000);
    const code = totp(seed(20), new Date(at.getTime() - 30_000));
    expect(matchTotp(seed(20), code, at)).toBe(Math.floor(at.getTime() / 30_000) - 1);
    expect(matchTotp(seed(20), code, new Date(at.getTime() + 60_000))).toBeUndefined();
    expect(matchTotp(seed(20), '12345', at)).toBeUndefined();
  });
});

describe('password policy', () => {
  it('refuses short, single-class, username-bearing and common passwords, decorated or not', () => {
    const fails = (password: string, username = 'wangfang') => passwordPolicyFailures(defaultPasswordPolicy, password, username);
    for (const weak of ['password', '12345678', 'Password@2026', 'P@ssw0rd!', 'qwerty123', '1qaz2wsx', 'Admin@123', 'woaini1314', 'aaaaaaa1', 'abcdefgh', 'Zxcvbnm,1']) {
      expect(fails(weak), weak).not.toEqual([]);
    }
    expect(fails('Short1!')).toEqual(['at least 8 characters / 至少 8 个字符']);
    expect(fails('onlylowercaseletters')[0]).toMatch(/mix at least 3/);
    expect(fails('Wangfang-2026!')).toContain('must not contain the username / 不能包含用户名');
    for (const fine of ['CityHub@2026', 'test-password-1', 'Tea-kettle-Sunday-7', '雨后青山-2026']) expect(fails(fine), fine).toEqual([]);
    expect(isCommonPassword('zaq1xsw2')).toBe(true);
  });

  it('is configuration: a stricter length and all four classes, refused at boot below 8', () => {
    const config = loadConfig({ CITYHUB_CONFIG_FILE: undefined }, {});
    expect(config.auth.password).toMatchObject({ minLength: 8, minClasses: 3, history: 5, maxAgeDays: 0, changeOnFirstLogin: true });
    expect(config.auth.totp?.requiredForRoles).toEqual(['admin', 'security_admin', 'audit_admin']);
    expect(config.auth.sessionIdleMinutes).toBe(30);
    expect(passwordPolicyFailures({ ...defaultPasswordPolicy, minLength: 16, minClasses: 4 }, 'Cityhub2026x', 'nobody')).toHaveLength(2);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cfg-')), 'config.json');
    writeFileSync(file, JSON.stringify({ auth: { password: { minLength: 6 }, totp: { requiredForRoles: ['admn'] } } }));
    expect(() => loadConfig({ CITYHUB_CONFIG_FILE: file })).toThrow(/auth\.password\.minLength[\s\S]*"admn" is not a role/);
  });
});

describe.each(testEngines)('identity controls [%s]', (engine) => {
  let hub: TestHub;
  let now = new Date('2026-12-01T08:00:00.000Z');
  const clock = () => now;
  const inject = (method: string, url: string, cookie?: string, payload?: unknown, remoteAddress?: string) =>
    hub.http.inject({ method: method as 'GET', url, headers: cookie ? { cookie } : {}, ...(payload ? { payload: payload as object } : {}), ...(remoteAddress ? { remoteAddress } : {}) });
  const cookieOf = (res: { cookies: { name: string; value: string }[] }) => res.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const kinds = async () => (await sql<{ kind: string; body: string }>`select kind, body from ledger_entry order by idx`.execute(hub.database.db)).rows;

  beforeAll(async () => {
    hub = await createTestHub(engine, { clock, config: { auth: { ...loadConfig({}).auth, sessionIdleMinutes: 30, sessionTtlHours: 12, loginMaxAttempts: 50 } } });
  });
  afterAll(async () => hub?.close());

  it('三员分立: no account or key holds two administrator roles; the system admin grants no roles; nobody changes their own', async () => {
    const setup = systemActor('test-setup');
    await expect(hub.services.auth.insertUser(setup, { username: 'both', password: 'test-password-1', roles: ['admin', 'audit_admin'] })).rejects.toMatchObject({ code: 'AUTH_ROLES_EXCLUSIVE' });
    const sys = await hub.loginAs(['admin']);
    const sec = await hub.loginAs(['security_admin']);
    const aud = await hub.loginAs(['audit_admin']);
    const agent = await hub.loginAs(['agent']);
    // the system administrator creates accounts, but not administrators, and changes no roles
    const made = await inject('POST', '/api/users', sys.cookie, { username: 'clerk01', password: 'Clerk-pass-2026', roles: ['agent'] });
    expect(made.statusCode).toBe(201);
    expect((await inject('POST', '/api/users', sys.cookie, { username: 'auditor2', password: 'Clerk-pass-2026', roles: ['audit_admin'] })).statusCode).toBe(403);
    expect((await inject('PUT', `/api/users/${agent.userId}/roles`, sys.cookie, { roles: ['admin'] })).statusCode).toBe(403);
    expect((await inject('PATCH', `/api/users/${agent.userId}`, sys.cookie, { roles: ['supervisor'] })).statusCode).toBe(403);
    // …nor silences the auditor
    expect((await inject('PATCH', `/api/users/${aud.userId}`, sys.cookie, { disabled: true })).statusCode).toBe(403);
    // the security administrator grants roles, never two administrator roles together, never to themselves
    const both = await inject('PUT', `/api/users/${sys.userId}/roles`, sec.cookie, { roles: ['admin', 'security_admin'] });
    expect(both.statusCode).toBe(400);
    expect(both.json()).toMatchObject({ code: 'AUTH_ROLES_EXCLUSIVE', errors: [{ field: '/body/roles' }] });
    expect((await inject('PUT', `/api/users/${sec.userId}/roles`, sec.cookie, { roles: ['security_admin', 'supervisor'] })).json().code).toBe('AUTH_OWN_ROLES');
    expect((await inject('PUT', `/api/users/${agent.userId}/roles`, sec.cookie, { roles: ['agent', 'supervisor'] })).statusCode).toBe(200);
    // keys: no two administrator roles, and never the security or audit administrator's
    expect((await inject('POST', '/api/keys', sys.cookie, { name: 'k', roles: ['audit_admin'] })).statusCode).toBe(400);
    expect((await inject('POST', '/api/keys', sys.cookie, { name: 'k', roles: ['admin', 'security_admin'] })).json().code).toBe('AUTH_ROLES_EXCLUSIVE');
    // the trail: the system admin cannot read it, the security admin neither; the audit admin reads, changes nothing
    expect((await inject('GET', '/api/audit/trail', sys.cookie)).statusCode).toBe(403);
    expect((await inject('GET', '/api/audit/trail', sec.cookie)).statusCode).toBe(403);
    expect((await inject('GET', '/api/audit/trail', aud.cookie)).statusCode).toBe(200);
    expect((await inject('POST', '/api/users', aud.cookie, { username: 'x1', password: 'Clerk-pass-2026', roles: ['agent'] })).statusCode).toBe(403);
    expect((await inject('PUT', `/api/users/${agent.userId}/roles`, aud.cookie, { roles: ['agent'] })).statusCode).toBe(403);
  });

  it('三员分立: the last enabled holder of an administrator role keeps it — the security admin cannot silence the auditor', async () => {
    const sec = await hub.loginAs(['security_admin']);
    const auditor = await hub.loginAs(['audit_admin']);
    const holders = async () => (await hub.services.auth.listUsers(systemActor('test')))
      .filter((u) => !u.disabled && (u.roles as string[]).includes('audit_admin')).map((u) => u.id);
    // other tests' auditors lose the role first (allowed while another holds it)…
    for (const id of (await holders()).filter((id) => id !== auditor.userId)) {
      expect((await inject('PUT', `/api/users/${id}/roles`, sec.cookie, { roles: ['agent'] })).statusCode).toBe(200);
    }
    expect(await holders()).toEqual([auditor.userId]);
    // …then the last one's removal is refused, naming the role, and nothing changed
    const last = await inject('PUT', `/api/users/${auditor.userId}/roles`, sec.cookie, { roles: ['agent'] });
    expect(last.statusCode).toBe(409);
    expect(last.json()).toMatchObject({ code: 'AUTH_LAST_ADMINISTRATOR', errors: [{ field: '/body/roles' }] });
    expect(last.json().errors[0].message).toContain('audit_admin');
    expect(await holders()).toEqual([auditor.userId]);
    expect((await inject('GET', '/api/audit/trail', auditor.cookie)).statusCode).toBe(200);
    // with a second auditor in place, the first may go
    const second = await hub.loginAs(['audit_admin']);
    expect((await inject('PUT', `/api/users/${auditor.userId}/roles`, sec.cookie, { roles: ['agent'] })).statusCode).toBe(200);
    expect(await holders()).toEqual([second.userId]);
  });

  it('三员分立: none can erase another\'s traces — no route writes the trail, each tries what it can, every entry stays', async () => {
    // The assessor's list: the only writing routes under the trail's prefixes are a peer's checkpoint deposit and
    // the security policy (both ledgered); a new route that deletes or edits audit data fails here.
    const paths = (await inject('GET', '/openapi.json')).json().paths as Record<string, Record<string, unknown>>;
    const writes = Object.entries(paths).filter(([p]) => /^\/api\/(ledger|audit|security)\b/.test(p))
      .flatMap(([p, ops]) => Object.keys(ops).filter((m) => m !== 'get' && m !== 'head').map((m) => `${m.toUpperCase()} ${p}`));
    expect(writes.sort()).toEqual(['POST /api/ledger/witness/checkpoints', 'PUT /api/security/policy']);
    const sys = await hub.loginAs(['admin']);
    const sec = await hub.loginAs(['security_admin']);
    const aud = await hub.loginAs(['audit_admin']);
    // each leaves a trace: an account made, a role granted, the trail exported
    const clerk = await inject('POST', '/api/users', sys.cookie, { username: 'trace01', password: 'Trace-pass-2026', roles: ['agent'] });
    expect(clerk.statusCode).toBe(201);
    expect((await inject('PUT', `/api/users/${clerk.json().id}/roles`, sec.cookie, { roles: ['handler'] })).statusCode).toBe(200);
    expect((await inject('GET', '/api/audit/export?format=json', aud.cookie)).statusCode).toBe(200);
    const before = (await inject('GET', '/api/ledger/checkpoint', aud.cookie)).json() as { size: number; rootHash: string };
    const rows = () => hub.database.db.selectFrom('ledger_entry').select(['idx', 'actor', 'leaf_hash']).where('idx', '<', before.size).orderBy('idx').execute();
    const kept = await rows();
    for (const id of [sys.userId, sec.userId, aud.userId]) expect(kept.some((r) => r.actor === `user:${id}`), id).toBe(true);
    // what each could try over HTTP to remove a trace or the one who reads them
    const attempts: [string, string, string, unknown?][] = [];
    for (const who of [sys, sec, aud]) {
      attempts.push([who.cookie, 'DELETE', '/api/ledger/entries/0'], [who.cookie, 'PUT', '/api/ledger/entries/0', {}], [who.cookie, 'DELETE', '/api/audit/trail'],
        [who.cookie, 'PATCH', '/api/audit/retention', { retentionDays: 0 }], [who.cookie, 'DELETE', `/api/users/${aud.userId}`]);
    }
    attempts.push(
      [sys.cookie, 'PATCH', `/api/users/${aud.userId}`, { disabled: true }], [sys.cookie, 'PATCH', `/api/users/${sec.userId}`, { disabled: true }],
      [sys.cookie, 'PUT', `/api/users/${aud.userId}/roles`, { roles: [] }], [sys.cookie, 'DELETE', `/api/users/${sec.userId}/totp`],
      [sec.cookie, 'PATCH', `/api/users/${sys.userId}`, { disabled: true }], [aud.cookie, 'PATCH', `/api/users/${sec.userId}`, { disabled: true }],
      [aud.cookie, 'PUT', `/api/users/${sys.userId}/roles`, { roles: [] }], [aud.cookie, 'PUT', '/api/security/policy', {}],
    );
    for (const [cookie, method, url, body] of attempts) {
      const status = (await inject(method, url, cookie, body)).statusCode;
      expect([403, 404, 405], `${method} ${url}`).toContain(status);
    }
    // every entry before is there unchanged, and the ledger now is an extension of the ledger then (RFC 6962)
    expect(await rows()).toEqual(kept);
    const after = (await inject('GET', '/api/ledger/checkpoint', aud.cookie)).json() as { size: number; rootHash: string };
    expect(after.size).toBeGreaterThan(before.size); // the refusals themselves are recorded
    const proof = (await inject('GET', `/api/ledger/consistency?from=${before.size}&to=${after.size}`, aud.cookie)).json() as { proof: string[] };
    expect(verifyConsistency(before.size, after.size, proof.proof.map((h) => Buffer.from(h, 'hex')), Buffer.from(before.rootHash, 'hex'), Buffer.from(after.rootHash, 'hex'))).toBe(true);
  });

  it('forces a change of a password someone else chose, with the policy and the history; other sessions end', async () => {
    const sys = await hub.loginAs(['admin']);
    expect((await inject('POST', '/api/users', sys.cookie, { username: 'zhaolei', password: 'password', roles: ['agent'] })).json()).toMatchObject({ code: 'AUTH_WEAK_PASSWORD' });
    expect((await inject('POST', '/api/users', sys.cookie, { username: 'zhaolei', password: 'Zhaolei-2026!', roles: ['agent'] })).json().errors[0].message).toMatch(/username/);
    expect((await inject('POST', '/api/users', sys.cookie, { username: 'zhaolei', password: 'Given-by-admin-1', roles: ['agent'] })).statusCode).toBe(201);
    const login = await inject('POST', '/api/auth/login', undefined, { username: 'zhaolei', password: 'Given-by-admin-1' });
    expect(login.statusCode).toBe(200);
    expect(login.json().pending).toBe('password_change');
    const cookie = cookieOf(login);
    // a session that must change its password does nothing else
    const blocked = await inject('GET', '/api/hotline/tickets', cookie);
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().code).toBe('AUTH_PASSWORD_CHANGE_REQUIRED');
    const change = (current: string, next: string, c = cookie) => inject('POST', '/api/auth/password', c, { currentPassword: current, newPassword: next });
    expect((await change('wrong-one-1A', 'Fresh-start-2026')).json()).toMatchObject({ code: 'AUTH_WRONG_PASSWORD', errors: [{ field: '/body/currentPassword' }] });
    expect((await change('Given-by-admin-1', 'Given-by-admin-1')).json().code).toBe('AUTH_PASSWORD_REUSED');
    const weak = (await change('Given-by-admin-1', 'qwerty12345')).json();
    expect(weak.code).toBe('AUTH_WEAK_PASSWORD');
    expect(weak.errors.map((e: { field: string }) => e.field)).toEqual(['/body/newPassword', '/body/newPassword']);
    const second = cookieOf(await inject('POST', '/api/auth/login', undefined, { username: 'zhaolei', password: 'Given-by-admin-1' }));
    const done = await change('Given-by-admin-1', 'Fresh-start-2026');
    expect(done.statusCode).toBe(200);
    expect(done.json().pending).toBeNull();
    expect((await inject('GET', '/api/hotline/tickets', cookie)).statusCode).toBe(200);
    expect((await inject('GET', '/api/auth/me', second)).statusCode).toBe(401); // the other session ended
    // history: back to the first password is refused (5 remembered)
    expect((await change('Fresh-start-2026', 'Given-by-admin-1')).json().code).toBe('AUTH_PASSWORD_REUSED');
    expect((await kinds()).map((k) => k.kind)).toContain('auth.password.changed');
  });

  it('TOTP: an administrator\'s first session may only enrol; then every login needs a fresh code, never a replayed one', async () => {
    await hub.services.auth.insertUser(systemActor('test-setup'), { username: 'secadm', password: 'Sec-admin-pass-1', roles: ['security_admin'] });
    const login = (code?: string, address = '10.1.2.3') => inject('POST', '/api/auth/login', undefined, { username: 'secadm', password: 'Sec-admin-pass-1', ...(code ? { totp: code } : {}) }, address);
    const first = await login();
    expect(first.json().pending).toBe('totp_enrolment');
    const cookie = cookieOf(first);
    expect((await inject('GET', '/api/audit/alerts', cookie)).json().code).toBe('AUTH_TOTP_ENROLMENT_REQUIRED');
    expect((await inject('POST', '/api/auth/totp/confirm', cookie, { code: '123456' })).json().code).toBe('AUTH_TOTP_NOT_STARTED');
    const enrol = (await inject('POST', '/api/auth/totp/enrol', cookie)).json();
    expect(enrol.uri).toMatch(/^otpauth:\/\/totp\/CityHub:secadm\?secret=[A-Z2-7]{32}&/);
    const secret = base32Decode(enrol.secret)!;
    const wrong = String((Number(totp(secret, now)) + 1) % 1_000_000).padStart(6, '0');
    expect((await inject('POST', '/api/auth/totp/confirm', cookie, { code: wrong })).json().code).toBe('AUTH_TOTP_INVALID');
    const confirmed = await inject('POST', '/api/auth/totp/confirm', cookie, { code: totp(secret, now) });
    expect(confirmed.json().pending).toBeNull();
    expect((await inject('GET', '/api/audit/alerts', cookie)).statusCode).toBe(200);
    expect((await inject('POST', '/api/auth/totp/enrol', cookie)).json().code).toBe('AUTH_TOTP_ALREADY_ENROLLED');
    // from now on: the password alone is not enough, the code just used is refused, the next step's code works
    expect((await login()).json().code).toBe('AUTH_TOTP_REQUIRED');
    expect((await login(totp(secret, now))).json().code).toBe('AUTH_TOTP_INVALID');
    now = new Date(now.getTime() + 30_000);
    const ok = await login(totp(secret, now), '10.4.5.6');
    expect(ok.statusCode).toBe(200);
    expect(ok.json().pending).toBeNull();
    // every login's source and time is in the ledger
    const logins = (await kinds()).filter((k) => k.kind === 'auth.login' || k.kind === 'auth.login.failed').map((k) => JSON.parse(k.body));
    expect(logins.at(-1)).toMatchObject({ kind: 'auth.login', time: now.toISOString(), facts: { address: '10.4.5.6', secondFactor: true } });
    expect(logins.at(-2)).toMatchObject({ kind: 'auth.login.failed', facts: { address: '10.1.2.3', reason: 'totp' } });
    // a lost phone: the security administrator resets it (not the system administrator)
    const sys = await hub.loginAs(['admin']);
    expect((await inject('DELETE', `/api/users/${ok.json().id}/totp`, sys.cookie)).statusCode).toBe(403);
  });

  it('an open alerts screen does not keep its session alive: its long poll leaves the idle clock alone', async () => {
    const { cookie } = await hub.loginAs(['security_admin']);
    const poll = () => inject('GET', '/api/audit/alerts/feed?waitSeconds=0', cookie);
    now = new Date(now.getTime() + 20 * 60_000);
    expect((await poll()).statusCode).toBe(200);
    now = new Date(now.getTime() + 9 * 60_000);
    expect((await poll()).statusCode).toBe(200); // 29 min since the last request of the administrator's own
    now = new Date(now.getTime() + 2 * 60_000);
    expect((await poll()).statusCode).toBe(401); // 31: ended, although the screen polled 2 min ago
    expect((await inject('GET', '/api/auth/me', cookie)).statusCode).toBe(401);
  });

  it('ends a session idle past auth.sessionIdleMinutes, and any session past its absolute lifetime', async () => {
    const { cookie } = await hub.loginAs(['agent']);
    const me = () => inject('GET', '/api/auth/me', cookie);
    now = new Date(now.getTime() + 29 * 60_000);
    expect((await me()).statusCode).toBe(200); // still active: the idle clock restarts
    now = new Date(now.getTime() + 29 * 60_000);
    expect((await me()).statusCode).toBe(200);
    now = new Date(now.getTime() + 31 * 60_000);
    expect((await me()).statusCode).toBe(401);
    expect((await kinds()).map((k) => k.kind)).toContain('auth.session.idle_expired');
    // an active session still ends after sessionTtlHours (12)
    const busy = await hub.loginAs(['agent']);
    for (let i = 0; i < 25; i++) {
      now = new Date(now.getTime() + 29 * 60_000);
      const status = (await inject('GET', '/api/auth/me', busy.cookie)).statusCode;
      if (i < 24) expect(status, `after ${(i + 1) * 29} min`).toBe(200);
      else expect(status).toBe(401);
    }
  });

  it('forces a periodic change when auth.password.maxAgeDays is set', async () => {
    const strict = await createTestHub(engine, { database: hub.database, clock, config: { auth: { ...loadConfig({}).auth, password: { ...defaultPasswordPolicy, maxAgeDays: 90 } } } });
    try {
      await strict.services.auth.insertUser(systemActor('test-setup'), { username: 'oldtimer', password: 'Ageing-pass-2026', roles: ['agent'] });
      const login = () => strict.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'oldtimer', password: 'Ageing-pass-2026' } });
      expect((await login()).json().pending).toBeNull();
      now = new Date(now.getTime() + 91 * 86_400_000);
      expect((await login()).json().pending).toBe('password_change');
    } finally {
      await strict.close();
    }
  });
});
