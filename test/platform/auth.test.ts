import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { validCreditCode } from '../../src/platform/auth/auth-service.js';
import { can, registeredPermissions, separatedPermissions, type Permission } from '../../src/platform/auth/permissions.js';
import { roles } from '../../src/platform/auth/roles.js';

const authSettings = { sessionTtlHours: 1, loginMaxAttempts: 3, loginMaxAttemptsPerUsername: 8, loginWindowSeconds: 60, secureCookies: false } as const;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const ledgerKinds = async (hub: TestHub): Promise<string[]> =>
  (await sql<{ kind: string }>`select kind from ledger_entry order by idx`.execute(hub.database.db)).rows.map((r) => r.kind);

describe.each(testEngines)('identity and access [%s]', (engine) => {
  let hub: TestHub;
  let admin: { cookie: string; userId: string };

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { auth: authSettings } });
    admin = await hub.loginAs(['admin']);
  });
  afterAll(async () => hub?.close());

  it('logs in with a password, sets an httpOnly cookie and ledgers the login without the username', async () => {
    const { username } = await hub.loginAs(['agent']);
    const res = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: 'test-password-1' } });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'cityhub_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(res.json().roles).toEqual(['agent']);
    const me = await hub.http.inject({ url: '/api/auth/me', headers: { cookie: `cityhub_session=${cookie!.value}` } });
    expect(me.json().username).toBe(username);
    expect(await ledgerKinds(hub)).toContain('auth.login');
    const bodies = (await sql<{ body: string }>`select body from ledger_entry`.execute(hub.database.db)).rows.map((r) => r.body);
    expect(bodies.join('\n')).not.toContain(username);
  });

  it('refuses a wrong password with 401 and rate-limits repeated failures with 429', async () => {
    const { username } = await hub.loginAs(['handler']);
    const attempt = () =>
      hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: 'wrong-password' }, remoteAddress: '10.9.9.9' });
    for (let i = 0; i < 3; i++) expect((await attempt()).statusCode).toBe(401);
    const limited = await attempt();
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('AUTH_LOGIN_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(await ledgerKinds(hub)).toContain('auth.login.failed');

    // The count is in the database: another node refuses that address too, for any username. (Until issue 15 the
    // username itself was locked from every address after 3 failures — that let anyone lock anyone out; now its
    // owner, from another address, still gets in: see 'finding 10e'.)
    const nodeB = await createTestHub(engine, { database: hub.database, config: { auth: authSettings } });
    try {
      const sameAddress = await nodeB.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'someone-else', password: 'x-password-1' }, remoteAddress: '10.9.9.9' });
      expect(sameAddress.statusCode).toBe(429);
      const owner = await nodeB.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: 'test-password-1' }, remoteAddress: '10.7.7.7' });
      expect(owner.statusCode).toBe(200);
    } finally {
      await nodeB.close();
    }
    const stored = (await sql<{ key_hash: string }>`select key_hash from throttle_failure`.execute(hub.database.db)).rows.map((r) => r.key_hash);
    expect(stored.length).toBeGreaterThanOrEqual(9);
    expect(stored.join('\n')).not.toContain(username); // hashes only
    expect(stored.join('\n')).not.toContain('10.9.9.9');
  });

  it('finding 10e: an attacker cannot lock a user out, yet guessing one password from many addresses stays bounded', async () => {
    const victim = await hub.loginAs(['supervisor']);
    const login = (password: string, remoteAddress: string) =>
      hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: victim.username, password }, remoteAddress });
    // one attacker, one address: stopped after loginMaxAttempts (3)
    for (let i = 0; i < 3; i++) expect((await login(`guess-${i}-xxxx`, '203.0.113.1')).statusCode).toBe(401);
    expect((await login('guess-3-xxxx', '203.0.113.1')).statusCode).toBe(429);
    // …and the victim, from their own address, is not locked out
    expect((await login('test-password-1', '198.51.100.7')).statusCode).toBe(200);
    // many addresses: the username's own, much higher limit (loginMaxAttemptsPerUsername, 8 here) bounds them all
    let refused = 0;
    for (let i = 0; i < 10; i++) {
      const status = (await login(`spray-${i}-xxxx`, `203.0.113.${10 + i}`)).statusCode;
      if (status === 429) refused++;
      else expect(status).toBe(401);
    }
    expect(refused).toBe(5); // 3 + 5 failures reach 8; the last 5 addresses wait
  });

  it('finding 10a: a login for an unknown username takes as long as a wrong password for a real one (no username oracle)', async () => {
    const known = await hub.loginAs(['agent']);
    const disabled = await hub.loginAs(['agent']);
    await hub.http.inject({ method: 'PATCH', url: `/api/users/${disabled.userId}`, headers: { cookie: admin.cookie }, payload: { disabled: true } });
    let address = 0;
    const timed = async (username: string): Promise<number> => {
      const started = performance.now();
      // a fresh address each time, so the throttle never answers instead of the password check
      const res = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: 'not-the-password' }, remoteAddress: `192.0.2.${++address}` });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('INVALID_CREDENTIALS');
      return performance.now() - started;
    };
    const times = { known: [] as number[], unknown: [] as number[], disabled: [] as number[] };
    // 7 rounds: 7 failures stay under the username's own limit (8 here), so every answer is a password check
    for (let i = 0; i < 7; i++) {
      times.known.push(await timed(known.username));
      times.unknown.push(await timed(`nobody-${i}-${Date.now()}`));
      times.disabled.push(await timed(disabled.username));
    }
    const [k, u, d] = [median(times.known), median(times.unknown), median(times.disabled)];
    console.log(`login medians: known-wrong ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms, disabled ${d.toFixed(1)} ms`);
    // every answer pays one scrypt: without the dummy hash an unknown user answered in a fraction of the time
    expect(u).toBeGreaterThan(k * 0.5);
    expect(d).toBeGreaterThan(k * 0.5);
    expect(u).toBeLessThan(k * 2);
  });

  it('logs out: the session no longer works', async () => {
    const { cookie } = await hub.loginAs(['leader']);
    expect((await hub.http.inject({ url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(200);
    await hub.http.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
    expect((await hub.http.inject({ url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('creates an API key once, stores only its hash, accepts it as Bearer and refuses it after revocation', async () => {
    const org = await hub.http.inject({
      method: 'POST', url: '/api/orgs', headers: { cookie: admin.cookie }, payload: { name: '市城市管理局', kind: 'department' },
    });
    expect(org.statusCode).toBe(201);
    const created = await hub.http.inject({
      method: 'POST', url: '/api/keys', headers: { cookie: admin.cookie },
      payload: { name: 'sensor gateway', orgId: org.json().id, roles: ['agent'] },
    });
    expect(created.statusCode).toBe(201);
    const { key, id } = created.json();
    expect(key).toMatch(/^chk_/);
    const stored = await sql<{ key_hash: string }>`select key_hash from api_key where id = ${id}`.execute(hub.database.db);
    expect(stored.rows[0].key_hash).not.toContain(key);
    const list = await hub.http.inject({ url: '/api/keys', headers: { cookie: admin.cookie } });
    expect(JSON.stringify(list.json())).not.toContain(key);

    const me = await hub.http.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${key}` } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ kind: 'api_key', roles: ['agent'], org: { name: '市城市管理局' } });
    // the key holds agent, not admin: managing keys is forbidden
    expect((await hub.http.inject({ url: '/api/keys', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(403);

    expect((await hub.http.inject({ method: 'DELETE', url: `/api/keys/${id}`, headers: { cookie: admin.cookie } })).statusCode).toBe(204);
    const revoked = await hub.http.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${key}` } });
    expect(revoked.statusCode).toBe(401);
    expect(await ledgerKinds(hub)).toEqual(expect.arrayContaining(['auth.key.created', 'auth.key.revoked']));
  });

  it('ledgers permission changes (made by the security administrator, not the system administrator: 三员分立)', async () => {
    const { userId } = await hub.loginAs(['citizen']);
    const patch = (cookie: string) => hub.http.inject({
      method: 'PATCH', url: `/api/users/${userId}`, headers: { cookie }, payload: { roles: ['citizen', 'agent'] },
    });
    expect((await patch(admin.cookie)).statusCode).toBe(403);
    const res = await hub.http.inject({
      method: 'PUT', url: `/api/users/${userId}/roles`, headers: { cookie: (await hub.loginAs(['security_admin'])).cookie }, payload: { roles: ['citizen', 'agent'] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().roles).toEqual(['citizen', 'agent']);
    expect(await ledgerKinds(hub)).toContain('auth.user.permissions_changed');
  });

  it('validates the 统一社会信用代码 check character', async () => {
    const bad = await hub.http.inject({
      method: 'POST', url: '/api/orgs', headers: { cookie: admin.cookie },
      payload: { name: '某公司', kind: 'enterprise', creditCode: '91350100M000100Y44' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('/body/creditCode');
  });
});

describe('permissions policy', () => {
  it('denies unknown permissions and anonymous actors, and lets admin do everything but grant roles, set the security policy and read the audit trail', () => {
    const anon = { kind: 'anonymous' as const, roles: [] };
    expect(registeredPermissions().size).toBeGreaterThan(30);
    for (const p of registeredPermissions().keys() as Iterable<Permission>) {
      expect(can(anon, p)).toBe(false);
      expect(can({ kind: 'user', id: 'a', roles: ['admin'] }, p)).toBe(!separatedPermissions.has(p));
    }
    expect([...separatedPermissions].sort()).toEqual(['audit.alert.read', 'audit.trail.read', 'auth.role.manage', 'ledger.read', 'security.policy.manage']);
    expect(can({ kind: 'user', id: 'c', roles: ['citizen'] }, 'no.such.permission' as Permission)).toBe(false);
    expect(roles).toContain('dept_data_owner');
  });

  it('checks credit codes against GB 32100 check characters', () => {
    // computed by hand: weights 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28 over 91350100M000100Y4 → check 3
    expect(validCreditCode('91350100M000100Y43')).toBe(true);
    expect(validCreditCode('91350100M000100Y44')).toBe(false);
    expect(validCreditCode('short')).toBe(false);
  });
});
