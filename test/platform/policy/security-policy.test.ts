import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../../src/platform/auth/roles.js';
import { runLedgerVerify } from '../../../src/cli/commands/ledger-verify.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import { testEngines } from '../../support/engines.js';

const setup = systemActor('policy-test');

/**
 * Issue 21: the security policy is the security administrator's (三员分立): stored in the database over the
 * config file's defaults, in force at once, every change in the ledger with a digest `ledger verify` checks; the
 * system administrator and the auditor cannot change it.
 */
for (const engine of testEngines) {
  describe(`security policy under the security administrator [${engine}]`, () => {
    let hub: TestHub;
    const cookies: Record<string, string> = {};
    const call = (who: string | undefined, method: 'GET' | 'PUT', url: string, payload?: object) =>
      hub.http.inject({ method, url, headers: who ? { cookie: cookies[who] } : {}, ...(payload ? { payload } : {}) });

    beforeAll(async () => {
      hub = await createTestHub(engine);
      cookies.security = (await hub.loginAs(['security_admin'])).cookie;
      cookies.system = (await hub.loginAs(['admin'])).cookie;
      cookies.audit = (await hub.loginAs(['audit_admin'])).cookie;
      cookies.citizen = (await hub.loginAs(['citizen'])).cookie;
    }, 120_000);
    afterAll(() => hub?.close());

    it('starts from the config file and lets the security administrator tighten it, in force at once', async () => {
      const start = await call('security', 'GET', '/api/security/policy');
      expect(start.statusCode, start.body).toBe(200);
      const view = start.json();
      expect(view).toMatchObject({ version: 0, updatedBy: null, policy: { password: { minLength: 8 }, totpRoles: expect.arrayContaining(['admin', 'security_admin', 'audit_admin']) } });
      expect(view.defaults).toEqual(view.policy);
      // a 10-character password of four classes passes the default policy
      await hub.services.auth.insertUser(setup, { username: 'before-change', password: 'Qz7!wXv#2m', roles: ['agent'], orgId: null });

      const stricter = { ...view.policy, password: { ...view.policy.password, minLength: 12 }, alerts: { ...view.policy.alerts, deniedThreshold: 3 } };
      const changed = await call('security', 'PUT', '/api/security/policy', stricter);
      expect(changed.statusCode, changed.body).toBe(200);
      expect(changed.json()).toMatchObject({ version: 1, policy: { password: { minLength: 12 } }, updatedBy: expect.stringMatching(/^user:/) });
      await expect(hub.services.auth.insertUser(setup, { username: 'after-change', password: 'Qz7!wXv#2m', roles: ['agent'], orgId: null }))
        .rejects.toMatchObject({ code: 'AUTH_WEAK_PASSWORD' });

      const entry = await hub.database.db.selectFrom('ledger_entry').selectAll().where('kind', '=', 'security.policy.changed').executeTakeFirstOrThrow();
      const body = JSON.parse(entry.body);
      expect(body).toMatchObject({ subject: 'security_policy:current', facts: { version: 1, changed: ['password', 'alerts'] }, content: { policy: expect.stringMatching(/^[0-9a-f]{64}$/) } });

      // the alert threshold is the new one: three denials by the citizen raise an alert
      for (let i = 0; i < 3; i++) expect((await call('citizen', 'GET', '/api/audit/trail')).statusCode).toBe(403);
      await hub.services.audit.flush();
      const alerts = (await call('security', 'GET', '/api/audit/alerts')).json();
      expect(alerts).toContainEqual(expect.objectContaining({ kind: 'repeated_denials', threshold: 3, count: 3 }));
    });

    it('refuses the system administrator, the auditor (who may read it), a citizen and nobody', async () => {
      const policy = (await call('audit', 'GET', '/api/security/policy')).json().policy;
      for (const who of ['system', 'audit', 'citizen']) {
        const res = await call(who, 'PUT', '/api/security/policy', { ...policy, password: { ...policy.password, minLength: 8 } });
        expect(res.statusCode, who).toBe(403);
      }
      // reading is the security and audit administrators' (the system administrator's blanket grant covers it)
      expect((await call('system', 'GET', '/api/security/policy')).statusCode).toBe(200);
      expect((await call('citizen', 'GET', '/api/security/policy')).statusCode).toBe(403);
      expect((await call(undefined, 'PUT', '/api/security/policy', policy)).statusCode).toBe(401);
      expect((await call('security', 'GET', '/api/security/policy')).json().version).toBe(1);
    });

    it('refuses a policy below the floor, naming the field', async () => {
      const policy = (await call('security', 'GET', '/api/security/policy')).json().policy;
      const noAdminTotp = await call('security', 'PUT', '/api/security/policy', { ...policy, totpRoles: ['security_admin', 'audit_admin'] });
      expect(noAdminTotp.statusCode).toBe(400);
      expect(noAdminTotp.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/body/totpRoles' }] });
      const short = await call('security', 'PUT', '/api/security/policy', { ...policy, password: { ...policy.password, minLength: 6 } });
      expect(short.statusCode).toBe(400);
      expect(short.json().errors[0].field).toMatch(/password\/minLength/);
      const unknownRole = await call('security', 'PUT', '/api/security/policy', { ...policy, totpRoles: [...policy.totpRoles, 'root'] });
      expect(unknownRole.statusCode).toBe(400);
    });

    it('names a policy loosened in its table behind the ledger', async () => {
      const verify = async () => {
        const lines: string[] = [];
        const code = await runLedgerVerify(hub.database.db, { keys: [hub.services.ledger.publicKeyObject()], witnesses: [], print: (l) => lines.push(l) });
        return { code, out: lines.join('\n') };
      };
      expect((await verify()).code).toBe(0);
      const { pool } = hub.database;
      await pool.query(`update security_policy set policy = jsonb_set(policy, '{password,minLength}', '8')`);
      const r = await verify();
      await pool.query(`update security_policy set policy = jsonb_set(policy, '{password,minLength}', '12')`);
      expect(r.code).toBe(1);
      expect(r.out).toContain('security policy (安全策略) version 1 (security_policy:current) was changed outside CityHub: its policy no longer matches what ledger entry');
      expect(r.out).toMatch(/\(security\.policy\.changed\) recorded/);
      expect((await verify()).code).toBe(0);
    });
  });
}
