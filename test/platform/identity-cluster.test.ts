import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/platform/config/config.js';
import type { DatabaseHandle, Engine } from '../../src/platform/db/database.js';
import { openTestDatabase, testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { dropTestStream, testEventsConfig } from '../support/nats.js';
import { populationDataset, populationRows } from '../catalog/fixtures.js';

/**
 * Issue 20 items 1 and 6: two nodes (two hubs in this process) on one database. Each node keeps copies of the
 * identities it has seen; a revocation, a logout, a disabled user or a changed role made on one node stops on the
 * next request on the other (NATS bus), and within `auth.identityCache.ttlSeconds` when the event never arrives
 * (in-process buses). Limits and throttles count the same on both nodes.
 */
describe.each(testEngines)('identities and limits across two nodes [%s]', (engine: Engine) => {
  let now = new Date();
  const clock = () => now;
  const events = testEventsConfig();
  let database: DatabaseHandle;
  let a: TestHub;
  let b: TestHub;
  let admin: string;

  const config = (bus: Config['events']): Partial<Config> => ({
    events: bus,
    modules: { catalog: { defaultMaxCallsPerMinute: 3 }, hotline: { track: { maxFailures: 3, windowSeconds: 600 } } },
  });
  const withKey = (key: string) => ({ authorization: `Bearer ${key}` });
  const newKey = async (roles: string[], orgId: string | null = null) => {
    const res = await a.http.inject({ method: 'POST', url: '/api/keys', headers: { cookie: admin }, payload: { name: `k${Math.random()}`, roles, orgId } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; key: string };
  };

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    a = await createTestHub(engine, { database, clock, config: config(events) });
    b = await createTestHub(engine, { database, clock, config: config(events) });
  }, 120_000);
  // a fresh administrator each time: a test moves the clock past the idle timeout
  beforeEach(async () => {
    admin = (await a.loginAs(['admin'])).cookie;
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.close();
    await dropTestStream(events.stream);
  });

  it('a key revoked on one node is refused on the next request on the other', async () => {
    const key = await newKey(['ops']);
    // b answers twice, the second time from its own copy
    for (let i = 0; i < 2; i++) expect((await b.http.inject({ url: '/metrics', headers: withKey(key.key) })).statusCode).toBe(200);
    expect((await a.http.inject({ method: 'DELETE', url: `/api/keys/${key.id}`, headers: { cookie: admin } })).statusCode).toBe(204);
    const next = await b.http.inject({ url: '/metrics', headers: withKey(key.key) });
    expect(next.statusCode).toBe(401);
    expect(next.json().code).toBe('UNAUTHENTICATED');
    expect((await a.http.inject({ url: '/metrics', headers: withKey(key.key) })).statusCode).toBe(401);
  });

  it('a user disabled, a role taken and a logout on one node stop on the next request on the other', async () => {
    const disabled = await a.loginAs(['handler']);
    const demoted = await a.loginAs(['ops']);
    const leaving = await a.loginAs(['handler']);
    for (const s of [disabled, leaving]) expect((await b.http.inject({ url: '/api/auth/me', headers: { cookie: s.cookie } })).statusCode).toBe(200);
    expect((await b.http.inject({ url: '/metrics', headers: { cookie: demoted.cookie } })).statusCode).toBe(200);

    expect((await a.http.inject({ method: 'PATCH', url: `/api/users/${disabled.userId}`, headers: { cookie: admin }, payload: { disabled: true } })).statusCode).toBe(200);
    expect((await b.http.inject({ url: '/api/auth/me', headers: { cookie: disabled.cookie } })).statusCode).toBe(401);

    const security = (await a.loginAs(['security_admin'])).cookie;
    const roles = await a.http.inject({ method: 'PUT', url: `/api/users/${demoted.userId}/roles`, headers: { cookie: security }, payload: { roles: ['citizen'] } });
    expect(roles.statusCode, roles.body).toBe(200);
    expect((await b.http.inject({ url: '/metrics', headers: { cookie: demoted.cookie } })).statusCode).toBe(403);

    expect((await a.http.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: leaving.cookie } })).statusCode).toBe(204);
    expect((await b.http.inject({ url: '/api/auth/me', headers: { cookie: leaving.cookie } })).statusCode).toBe(401);
  });

  it('requests on one node keep a session alive on the other; the idle timeout still ends it', async () => {
    const s = await a.loginAs(['handler']);
    const me = (hub: TestHub) => hub.http.inject({ url: '/api/auth/me', headers: { cookie: s.cookie } }).then((r) => r.statusCode);
    expect(await me(b)).toBe(200);
    for (const minutes of [20, 20]) {
      now = new Date(now.getTime() + minutes * 60_000);
      expect(await me(a)).toBe(200);
    }
    // b's copy saw nothing for 50 minutes (idle timeout 30): b asks the database, where a wrote 10 minutes ago
    now = new Date(now.getTime() + 10 * 60_000);
    expect(await me(b)).toBe(200);
    now = new Date(now.getTime() + 31 * 60_000);
    expect(await me(a)).toBe(401);
    expect(await me(b)).toBe(401);
  });

  it('the gateway\'s per-minute limit of a grant is counted across the nodes', async () => {
    const org = (await a.services.auth.insertOrg({ kind: 'user', roles: ['admin'] }, { name: 'org-police', kind: 'department' })).id;
    const consumer = (await a.services.auth.insertOrg({ kind: 'user', roles: ['admin'] }, { name: 'org-civil', kind: 'department' })).id;
    const owner = await newKey(['dept_data_owner'], org);
    const user = await newKey(['handler'], consumer);
    const dataset = { ...populationDataset('addresses'), shareAttr: 'unconditional' };
    expect((await a.http.inject({ method: 'POST', url: '/api/catalog/datasets', headers: withKey(owner.key), payload: dataset })).statusCode).toBe(201);
    expect((await a.http.inject({ method: 'POST', url: '/api/catalog/datasets/addresses/rows', headers: withKey(owner.key), payload: { rows: populationRows(3) } })).statusCode).toBe(201);
    const ask = await b.http.inject({
      method: 'POST', url: '/api/share/requests', headers: withKey(user.key),
      payload: { dataset: 'addresses', fields: ['district'], purpose: '核验', legalBasis: '《某条例》', until: new Date(now.getTime() + 30 * 86_400_000).toISOString() },
    });
    expect(ask.statusCode, ask.body).toBe(201);
    const rows = (hub: TestHub) => hub.http.inject({ url: '/api/share/addresses/rows', headers: withKey(user.key) });
    // three calls a minute for the grant: two on a and one on b use them up, on both nodes
    for (const hub of [a, b, a]) expect((await rows(hub)).statusCode).toBe(200);
    for (const hub of [b, a]) {
      const refused = await rows(hub);
      expect(refused.statusCode).toBe(429);
      expect(refused.json().code).toBe('SHARE_RATE_LIMITED');
    }
    now = new Date(now.getTime() + 61_000);
    expect((await rows(b)).statusCode).toBe(200);
  });

  it('the public track throttle is counted across the nodes', async () => {
    const track = (hub: TestHub) => hub.http.inject({ method: 'POST', url: '/api/hotline/track', remoteAddress: '198.51.100.9', payload: { number: '20991231-000001', phone: '13900000000' } });
    for (const hub of [a, b, a]) expect((await track(hub)).statusCode).toBe(404);
    for (const hub of [b, a]) expect((await track(hub)).statusCode).toBe(429);
  });

  describe('when the event is lost (each node with a bus of its own)', () => {
    let c: TestHub;
    afterAll(async () => c?.close());

    it('the other node trusts its copy at most auth.identityCache.ttlSeconds', async () => {
      c = await createTestHub(engine, { database, clock, config: { ...config({ ...events, natsUrl: undefined }), auth: { ...a.config.auth, identityCache: { ttlSeconds: 5, maxEntries: 100 } } } });
      const key = await newKey(['ops']);
      expect((await c.http.inject({ url: '/metrics', headers: withKey(key.key) })).statusCode).toBe(200);
      expect((await a.http.inject({ method: 'DELETE', url: `/api/keys/${key.id}`, headers: { cookie: admin } })).statusCode).toBe(204);
      // c never hears of it: its copy stands until the TTL runs out (the documented bound), then the database decides
      expect((await c.http.inject({ url: '/metrics', headers: withKey(key.key) })).statusCode).toBe(200);
      now = new Date(now.getTime() + 5_001);
      expect((await c.http.inject({ url: '/metrics', headers: withKey(key.key) })).statusCode).toBe(401);
    });
  });
});
