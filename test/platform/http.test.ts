import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';

describe.each(testEngines)('platform http [%s]', (engine) => {
  let hub: TestHub;
  let adminCookie: string;
  let citizenCookie: string;

  beforeAll(async () => {
    hub = await createTestHub(engine);
    adminCookie = (await hub.loginAs(['admin'])).cookie;
    citizenCookie = (await hub.loginAs(['citizen'])).cookie;
  });
  afterAll(async () => hub?.close());

  it('answers /healthz and /readyz with the engine', async () => {
    expect((await hub.http.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await hub.http.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().engine).toBe(engine);
  });

  it('serves an OpenAPI 3.1 document that lists the API', async () => {
    const res = await hub.http.inject('/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/auth/login');
    expect(Object.keys(doc.paths)).toContain('/api/keys');
  });

  it('serves the offline docs UI', async () => {
    const res = await hub.http.inject('/docs/');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('swagger');
  });

  it('answers malformed JSON with 400 problem+json', async () => {
    const res = await hub.http.inject({
      method: 'POST', url: '/api/keys', headers: { cookie: adminCookie, 'content-type': 'application/json' }, payload: '{"name": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, code: 'MALFORMED_JSON' });
    expect(res.body).not.toMatch(/at .*\.js:\d+/);
  });

  it('answers a wrong type with 400 naming the field', async () => {
    const res = await hub.http.inject({
      method: 'POST', url: '/api/keys', headers: { cookie: adminCookie }, payload: { name: 'k', roles: 'admin' },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors.map((e: { field: string }) => e.field)).toContain('/body/roles');
  });

  it('answers an unknown route with 404 problem+json', async () => {
    const res = await hub.http.inject('/api/no-such-thing');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('ROUTE_NOT_FOUND');
  });

  it('answers a missing login with 401 and a missing role with 403', async () => {
    const anonymous = await hub.http.inject({ method: 'GET', url: '/api/keys' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('UNAUTHENTICATED');
    const citizen = await hub.http.inject({ method: 'GET', url: '/api/keys', headers: { cookie: citizenCookie } });
    expect(citizen.statusCode).toBe(403);
    expect(citizen.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses a body over the limit with 413', async () => {
    const res = await hub.http.inject({
      method: 'POST', url: '/api/auth/login', payload: { username: 'x', password: 'y'.repeat(2_000_000) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('exposes Prometheus metrics with request counts by route and pool usage, to operators only', async () => {
    await hub.http.inject('/healthz');
    expect((await hub.http.inject('/metrics')).statusCode).toBe(401);
    expect((await hub.http.inject({ url: '/metrics', headers: { cookie: citizenCookie } })).statusCode).toBe(403);
    // Prometheus scrapes with an operator's API key
    const key = await hub.http.inject({ method: 'POST', url: '/api/keys', headers: { cookie: adminCookie }, payload: { name: 'prometheus', roles: ['ops'] } });
    expect(key.statusCode, key.body).toBe(201);
    const res = await hub.http.inject({ url: '/metrics', headers: { authorization: `Bearer ${key.json().key}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/cityhub_http_requests_total\{node="[^"]+",method="GET",route="\/healthz",status="200"\} \d+/);
    expect(res.body).toMatch(/cityhub_db_pool_connections\{node="[^"]+",state="total"\} \d+/);
    expect(res.body).toContain('cityhub_http_request_duration_seconds_bucket');

    // the event loop's delay since the previous scrape: a 80 ms stall shows, and is gone from the next scrape
    const maxDelay = async () => {
      const body = (await hub.http.inject({ url: '/metrics', headers: { authorization: `Bearer ${key.json().key}` } })).body;
      const m = /cityhub_event_loop_delay_seconds\{node="[^"]+",quantile="1"\} ([\d.e+-]+)/.exec(body);
      expect(body).toMatch(/cityhub_event_loop_delay_seconds\{node="[^"]+",quantile="0.99"\} [\d.e+-]+/);
      return Number(m?.[1]);
    };
    await new Promise((resolve) => setTimeout(resolve, 30)); // the monitor's first tick after the scrape
    const until = Date.now() + 80;
    while (Date.now() < until); // blocks the event loop on purpose
    await new Promise((resolve) => setTimeout(resolve, 30));
    const stalled = await maxDelay();
    expect(stalled).toBeGreaterThan(0.06);
    expect(await maxDelay()).toBeLessThan(stalled);
  });

  it('declares an access rule on every route (deny by default)', () => {
    expect(hub.http.routeTable.length).toBeGreaterThan(10);
    const undeclared = hub.http.routeTable.filter((r) => !r.access && r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`);
    expect(undeclared).toEqual([]);
  });
});
