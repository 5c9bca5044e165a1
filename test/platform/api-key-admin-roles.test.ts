import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';

/**
 * Issue 21, 三员分立: the system, security and audit administrators are people who sign in with a second factor. An
 * API key holding one of those roles would be a standing administrator without either, so none is made, and a key
 * that holds one anyway (made by an older version, or written into the table) is refused at every use.
 */
describe.each(testEngines)('API keys never hold the 三员 roles [%s]', (engine) => {
  let hub: TestHub;
  let admin: string;
  const post = (payload: object) => hub.http.inject({ method: 'POST', url: '/api/keys', headers: { cookie: admin }, payload });
  const withKey = (key: string) => hub.http.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${key}` } });

  beforeAll(async () => {
    hub = await createTestHub(engine);
    admin = (await hub.loginAs(['admin'])).cookie;
  }, 180_000);
  afterAll(async () => hub?.close());

  it('refuses to make a key with admin, security_admin or audit_admin, naming the field', async () => {
    for (const role of ['admin', 'security_admin', 'audit_admin']) {
      const res = await post({ name: `k-${role}`, roles: ['agent', role] });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/body/roles' }] });
      expect(res.json().errors[0].message).toContain(role);
    }
    const keys = (await hub.http.inject({ url: '/api/keys', headers: { cookie: admin } })).json();
    expect(keys.filter((k: { name: string }) => k.name.startsWith('k-'))).toEqual([]);
    const ok = await post({ name: 'gateway', roles: ['agent'] });
    expect(ok.statusCode, ok.body).toBe(201);
    expect((await withKey(ok.json().key)).statusCode).toBe(200);
  });

  it('refuses at use a key that holds one already, with a problem that says what to do', async () => {
    for (const role of ['admin', 'security_admin', 'audit_admin']) {
      const key = `chk_old_${role}_key_made_before_the_rule`;
      await hub.database.db.insertInto('api_key').values({
        name: `old ${role}`, prefix: key.slice(0, 10), key_hash: createHash('sha256').update(key).digest('hex'), org_id: null, roles: [role], created_by: null,
      }).execute();
      const res = await withKey(key);
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json()).toMatchObject({ code: 'AUTH_KEY_ADMIN_ROLE' });
      expect(res.json().detail).toContain(role);
      // and it opens nothing else either: the system administrator's own routes
      expect((await hub.http.inject({ method: 'GET', url: '/api/keys', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(403);
    }
  });
});
