import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { loadConfig } from '../../src/platform/config/config.js';

/**
 * Issue 21: alerts pushed to the security administrator (GB/T 22239-2019 8.1.3.5) by long polling — a waiting
 * request is answered by a new alert within `audit.alertCheckSeconds`, not before, and only the security
 * administrator may wait for them.
 */
describe.each(testEngines)('alerts pushed to the security administrator [%s]', (engine) => {
  let hub: TestHub;
  let security: string;
  const feed = (query: string, cookie?: string) => hub.http.inject({ url: `/api/audit/alerts/feed${query}`, headers: cookie ? { cookie } : {} });

  beforeAll(async () => {
    const base = loadConfig({});
    hub = await createTestHub(engine, { config: { audit: { ...base.audit, alertCheckSeconds: 1, alerts: { windowMinutes: 15, deniedThreshold: 4, readThreshold: 1000 } } } });
    security = (await hub.loginAs(['security_admin'])).cookie;
  });
  afterAll(async () => hub?.close());

  it('answers a waiting poll when an alert is raised, and a quiet one with the same version when its wait ends', async () => {
    const first = await feed('', security);
    expect(first.statusCode).toBe(200);
    const { version, alerts } = first.json() as { version: string; alerts: unknown[] };
    expect(version).toMatch(/^[0-9a-f]{16}$/);
    expect(alerts).toEqual([]);

    // nothing happens: the poll waits its full second and answers the same version
    const started = Date.now();
    const quiet = await feed(`?since=${version}&waitSeconds=1`, security);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(quiet.json()).toEqual({ version, alerts: [] });

    // a prober is refused four times while the security administrator's screen waits
    const waiting = feed(`?since=${version}&waitSeconds=30`, security);
    let answered = false;
    void waiting.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false);
    for (let i = 0; i < 4; i++) expect((await hub.http.inject({ url: '/api/keys', remoteAddress: '203.0.113.7' })).statusCode).toBe(401);
    await hub.services.audit.flush();
    const recorded = Date.now();
    const pushed = await waiting;
    // pushed at one of the next checks (every second), long before the 30 s wait ends
    expect(Date.now() - recorded).toBeLessThan(20_000);
    const body = pushed.json() as { version: string; alerts: { kind: string; address: string; count: number }[] };
    expect(body.version).not.toBe(version);
    expect(body.alerts).toContainEqual(expect.objectContaining({ kind: 'repeated_denials', actor: 'anonymous', address: '203.0.113.7', count: 4, threshold: 4 }));
    // the version held now is current: asked with it, no wait returns at once with nothing new
    expect((await feed(`?since=${body.version}&waitSeconds=0`, security)).json()).toEqual(body);
  }, 60_000);

  it('lets only the security administrator wait for alerts, and names a bad parameter', async () => {
    expect((await feed('?waitSeconds=0')).statusCode).toBe(401);
    for (const role of ['admin', 'audit_admin', 'supervisor', 'citizen'] as const) {
      const res = await feed('?waitSeconds=0', (await hub.loginAs([role])).cookie);
      expect(res.statusCode, role).toBe(403);
    }
    const tooLong = await feed('?waitSeconds=31', security);
    expect(tooLong.statusCode).toBe(400);
    expect(JSON.stringify(tooLong.json())).toContain('/query/waitSeconds');
    const notHex = await feed('?since=zz', security);
    expect(notHex.statusCode).toBe(400);
    expect(JSON.stringify(notHex.json())).toContain('/query/since');
  });

  it('answers a waiting poll at once when the server closes', async () => {
    const other = await createTestHub(engine, { database: hub.database });
    const cookie = (await other.loginAs(['security_admin'])).cookie;
    const { version } = (await other.http.inject({ url: '/api/audit/alerts/feed', headers: { cookie } })).json() as { version: string };
    const waiting = other.http.inject({ url: `/api/audit/alerts/feed?since=${version}&waitSeconds=30`, headers: { cookie } });
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await other.close();
    const res = await waiting;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.json()).toMatchObject({ version });
  }, 60_000);
});
