import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { startSink, type Sink } from './http-sink.js';
import { SDM, ngsiRequester } from './ngsi-support.js';


describe.each(testEngines)('context subscriptions [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  let sink: Sink;
  let now = new Date('2026-11-26T08:00:00Z');
  const req = ngsiRequester(() => hub, () => cookie);
  const drain = () => hub.services.context.dispatcher.drain();

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      clock: () => now,
      // The test's receiver listens on 127.0.0.1, which the outbound guard refuses unless allowed.
      // Sessions outlive the clock's jumps (the idle timeout, 等保).
      config: { auth: { sessionTtlHours: 24 * 30, sessionIdleMinutes: 60 * 24 * 30 }, outbound: { allow: ['127.0.0.1'] }, modules: { context: { notifications: { timeoutMs: 1500, backoffSeconds: [60] }, simulator: { enabled: false }, mqtt: { ingest: false } } } } as never,
    });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    sink = await startSink();
  }, 240_000);
  afterAll(async () => {
    await sink?.close();
    await hub?.close();
  }, 60_000);

  const subscribe = async (body: Record<string, unknown>) => {
    const res = await req('POST', '/subscriptions', { type: 'Subscription', ...body });
    expect(res.statusCode, res.body).toBe(201);
    return decodeURIComponent(res.headers.location!.split('/').pop()!);
  };

  it('refuses bad subscriptions', async () => {
    const cases: Record<string, unknown>[] = [
      { entities: [{ type: 'ParkingSpot' }] },
      { entities: [{ type: 'ParkingSpot' }], notification: { endpoint: { uri: 'ftp://x/y' } } },
      { notification: { endpoint: { uri: sink.url } } },
      { entities: [{ type: 'ParkingSpot' }], q: 'status==', notification: { endpoint: { uri: sink.url } } },
      { entities: [{ type: 'ParkingSpot' }], geoQ: { georel: 'near', geometry: 'Point', coordinates: [1, 1] }, notification: { endpoint: { uri: sink.url } } },
      { entities: [{ type: 'ParkingSpot' }], expiresAt: '2020-01-01T00:00:00Z', notification: { endpoint: { uri: sink.url } } },
      { entities: [{ type: 'ParkingSpot' }], notification: { format: 'xml', endpoint: { uri: sink.url } } },
    ];
    for (const body of cases) {
      const res = await req('POST', '/subscriptions', { type: 'Subscription', ...body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
  });

  it('notifies matching changes once, with q, watched attributes, attributes and keyValues', async () => {
    const id = await subscribe({
      entities: [{ type: 'ParkingSpot' }], watchedAttributes: ['status'], q: 'status=="occupied"',
      notification: { attributes: ['status'], format: 'keyValues', endpoint: { uri: sink.url, receiverInfo: [{ key: 'X-Token', value: 'secret' }] } },
    });
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:ParkingSpot:s1', type: 'ParkingSpot', status: 'free', width: 2 })).statusCode).toBe(201);
    await drain();
    expect(sink.received).toHaveLength(0); // q does not match
    expect((await req('PATCH', '/entities/urn:ngsi-ld:ParkingSpot:s1/attrs', { status: 'occupied' })).statusCode).toBe(204);
    expect((await req('PATCH', '/entities/urn:ngsi-ld:ParkingSpot:s1/attrs', { width: 3 })).statusCode).toBe(204); // not watched
    await drain();
    expect(sink.received).toHaveLength(1);
    const n = sink.received[0];
    expect(n.headers['x-token']).toBe('secret');
    expect(n.headers.link).toContain(SDM);
    expect(n.body).toMatchObject({ type: 'Notification', subscriptionId: id, data: [{ id: 'urn:ngsi-ld:ParkingSpot:s1', type: 'ParkingSpot', status: 'occupied' }] });
    expect(Object.keys((n.body.data as object[])[0])).toEqual(['id', 'type', 'status']);
    const status = (await req('GET', `/subscriptions/${id}`)).json();
    expect(status.notification).toMatchObject({ status: 'ok', timesSent: 1, lastNotification: now.toISOString(), lastSuccess: now.toISOString() });
    expect(status.entities).toEqual([{ type: 'ParkingSpot' }]);
    expect((await req('DELETE', `/subscriptions/${id}`)).statusCode).toBe(204);
    sink.received.length = 0;
  });

  it('throttles, expires and pauses', async () => {
    const id = await subscribe({ entities: [{ type: 'Streetlight' }], throttling: 60, expiresAt: '2026-11-26T09:00:00Z', notification: { endpoint: { uri: sink.url } } });
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:Streetlight:x', type: 'Streetlight', powerState: 'on' })).statusCode).toBe(201);
    expect((await req('PATCH', '/entities/urn:ngsi-ld:Streetlight:x/attrs', { powerState: 'off' })).statusCode).toBe(204);
    await drain();
    expect(sink.received).toHaveLength(1); // the second change fell within the throttling window
    now = new Date(now.getTime() + 61_000);
    expect((await req('PATCH', '/entities/urn:ngsi-ld:Streetlight:x/attrs', { powerState: 'on' })).statusCode).toBe(204);
    await drain();
    expect(sink.received).toHaveLength(2);
    expect((await req('PATCH', `/subscriptions/${id}`, { isActive: false })).statusCode).toBe(204);
    now = new Date(now.getTime() + 61_000);
    await req('PATCH', '/entities/urn:ngsi-ld:Streetlight:x/attrs', { powerState: 'off' });
    await drain();
    expect(sink.received).toHaveLength(2);
    expect((await req('PATCH', `/subscriptions/${id}`, { isActive: true })).statusCode).toBe(204);
    now = new Date('2026-11-26T09:00:01Z');
    await req('PATCH', '/entities/urn:ngsi-ld:Streetlight:x/attrs', { powerState: 'on' });
    await drain();
    expect(sink.received).toHaveLength(2);
    expect((await req('GET', `/subscriptions/${id}`)).json().status).toBe('expired');
    sink.received.length = 0;
  });

  it('a dead endpoint does not delay the others, and is retried later', async () => {
    const dead = await startSink();
    dead.hang = true;
    const deadId = await subscribe({ entities: [{ type: 'WasteContainer' }], notification: { endpoint: { uri: dead.url } } });
    await subscribe({ entities: [{ type: 'WasteContainer' }], notification: { endpoint: { uri: sink.url } } });
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:WasteContainer:w', type: 'WasteContainer', fillingLevel: 0.5 })).statusCode).toBe(201);
    const started = Date.now();
    const deliveries = await hub.services.context.dispatcher.poll();
    expect(deliveries).toHaveLength(2);
    await sink.waitFor(1);
    expect(Date.now() - started).toBeLessThan(1200);
    await Promise.all(deliveries);
    const status = (await req('GET', `/subscriptions/${deadId}`)).json();
    expect(status.notification).toMatchObject({ status: 'failed', timesSent: 1, timesFailed: 1 });
    // Retried after the backoff (60 s by the test clock), when the endpoint answers again.
    dead.hang = false;
    await drain();
    expect(dead.received).toHaveLength(0);
    now = new Date(now.getTime() + 61_000);
    await drain();
    expect(dead.received).toHaveLength(1);
    expect((await req('GET', `/subscriptions/${deadId}`)).json().notification.status).toBe('ok');
    await dead.close();
  });
  it('records each subscription made, changed and removed in the ledger, with who, when and from where (issue 21)', async () => {
    const id = await subscribe({ entities: [{ type: 'AuditedThing' }], notification: { endpoint: { uri: `${sink.url}?token=secret-in-url` } } });
    expect((await req('PATCH', `/subscriptions/${encodeURIComponent(id)}`, { isActive: false })).statusCode).toBe(204);
    expect((await req('DELETE', `/subscriptions/${encodeURIComponent(id)}`)).statusCode).toBe(204);
    // a refused removal leaves no entry
    expect((await req('DELETE', `/subscriptions/${encodeURIComponent(id)}`)).statusCode).toBe(404);
    const rows = await hub.database.db.selectFrom('ledger_entry').select(['kind', 'actor', 'body']).where('subject', 'like', `context_subscription:%/${id}`).orderBy('idx').execute();
    expect(rows.map((r) => r.kind)).toEqual(['context.subscription.created', 'context.subscription.updated', 'context.subscription.deleted']);
    expect(rows.every((r) => r.actor.startsWith('user:'))).toBe(true);
    expect(JSON.parse(rows[1]!.body).facts).toMatchObject({ id, active: false, address: expect.any(String) });
    for (const r of rows) expect(r.body).not.toContain('secret-in-url');
  });
});
