import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';

/** Issue 20, operations: readiness versus liveness while a node drains, and the per-node gauges of shared work. */
describe.each(testEngines)('node status: readiness, draining and gauges [%s]', (engine) => {
  let hub: TestHub;
  let cookie = '';

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { nodeId: 'web-7', modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never });
    cookie = (await hub.loginAs(['ops'])).cookie;
  }, 180_000);
  afterAll(async () => hub?.close());

  it('a draining node is alive but not ready; readiness says why in problem+json', async () => {
    expect((await hub.http.inject({ url: '/readyz' })).statusCode).toBe(200);
    hub.status.draining = true;
    const res = await hub.http.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', title: 'Shutting down' });
    expect((await hub.http.inject({ url: '/healthz' })).statusCode).toBe(200);
    hub.status.draining = false;
  });

  it('/metrics carries the shared work per node, for operators only', async () => {
    const res = await hub.http.inject({ url: '/metrics', headers: { cookie } });
    expect(res.statusCode).toBe(200);
    for (const gauge of ['cityhub_job_claims_held', 'cityhub_context_outbox_pending', 'cityhub_context_outbox_lag_seconds', 'cityhub_context_notifications_in_flight', 'cityhub_context_mqtt_applied']) {
      expect(res.body).toMatch(new RegExp(`^${gauge}\\{node="web-7"\\} \\d+(\\.\\d+)?$`, 'm'));
    }
    expect((await hub.http.inject({ url: '/metrics' })).statusCode).toBe(401);
  });
});
