import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { startSink, type Sink } from './http-sink.js';
import { ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 §5.8 / §5.2.12 (subscriptions): a timeInterval subscription keeps its interval, is notified on
 * time with the current state of what it selects (once per period, however many run the job), not on change;
 * the combinations the spec forbids answer 400. The same for subscriptions to registrations (§5.11), and §4.19
 * scopeQ on both kinds.
 */
describe.each(testEngines)('NGSI-LD periodic subscriptions [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  let sink: Sink;
  let now = new Date('2026-12-01T00:00:00Z');
  const req = ngsiRequester(() => hub, () => cookie, {});
  const drain = () => hub.services.context.dispatcher.drain();

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      clock: () => now,
      config: { outbound: { allow: ['127.0.0.1'] }, modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never,
    });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    sink = await startSink();
  }, 120_000);
  afterAll(async () => {
    await sink?.close();
    await hub?.close();
  }, 60_000);

  it('keeps timeInterval, notifies on time with the current state, once per period, not on change', async () => {
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:Meter:1', type: 'Meter', reading: 1 })).statusCode).toBe(201);
    const res = await req('POST', '/subscriptions', { type: 'Subscription', entities: [{ type: 'Meter' }], timeInterval: 60, notification: { format: 'keyValues', endpoint: { uri: sink.url } } });
    expect(res.statusCode, res.body).toBe(201);
    const path = (res.headers.location as string).replace('/ngsi-ld/v1', '');
    expect((await req('GET', path)).json().timeInterval).toBe(60);
    const periodic = hub.services.context.subscriptions;
    // Two runs at the same time (two nodes): one notification.
    await Promise.all([periodic.notifyPeriodic(now), periodic.notifyPeriodic(now)]);
    await drain();
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0].body.data).toEqual([{ id: 'urn:ngsi-ld:Meter:1', type: 'Meter', reading: 1 }]);
    // A change is not notified; the next period is, with the new state.
    expect((await req('PATCH', '/entities/urn:ngsi-ld:Meter:1/attrs', { reading: 2 })).statusCode).toBe(204);
    await periodic.notifyPeriodic(new Date(now.getTime() + 30_000));
    await drain();
    expect(sink.received).toHaveLength(1);
    now = new Date(now.getTime() + 61_000);
    await periodic.notifyPeriodic(now);
    await drain();
    expect(sink.received).toHaveLength(2);
    expect(sink.received[1].body.data).toEqual([{ id: 'urn:ngsi-ld:Meter:1', type: 'Meter', reading: 2 }]);
    expect((await req('GET', path)).json().notification.timesSent).toBe(2);
  });

  it('§4.19 scopeQ on a subscription: notified on change and on time only for entities in scope; kept and shown', async () => {
    sink.received.length = 0;
    const res = await req('POST', '/subscriptions', { type: 'Subscription', entities: [{ type: 'Bin' }], scopeQ: '(/City/North/#|/City/East);/Public', notification: { format: 'keyValues', endpoint: { uri: sink.url } } });
    expect(res.statusCode, res.body).toBe(201);
    const path = (res.headers.location as string).replace('/ngsi-ld/v1', '');
    expect((await req('GET', path)).json().scopeQ).toBe('(/City/North/#|/City/East);/Public');
    for (const [n, scope] of [[1, ['/City/North/A', '/Public']], [2, ['/City/North/A']], [3, ['/City/East', '/Public']], [4, ['/City/West', '/Public']], [5, undefined]] as const) {
      expect((await req('POST', '/entities', { id: `urn:ngsi-ld:Bin:${n}`, type: 'Bin', fill: n, ...(scope ? { scope } : {}) })).statusCode).toBe(201);
    }
    await drain();
    const notified = () => sink.received.flatMap((r) => (r.body.data as { id: string }[]).map((e) => e.id)).filter((id) => id.includes(':Bin:')).sort();
    expect(notified()).toEqual(['urn:ngsi-ld:Bin:1', 'urn:ngsi-ld:Bin:3']);
    // A periodic one with a scopeQ sends the entities in scope only.
    sink.received.length = 0;
    const periodic = await req('POST', '/subscriptions', { type: 'Subscription', entities: [{ type: 'Bin' }], scopeQ: '/City/West|/City/North/+', timeInterval: 30, notification: { format: 'keyValues', endpoint: { uri: sink.url } } });
    expect(periodic.statusCode, periodic.body).toBe(201);
    await hub.services.context.subscriptions.notifyPeriodic(now);
    await drain();
    expect(notified()).toEqual(['urn:ngsi-ld:Bin:1', 'urn:ngsi-ld:Bin:2', 'urn:ngsi-ld:Bin:4']);
    // Changing the scopeQ (PATCH) changes what matches; a malformed one is refused naming scopeQ.
    sink.received.length = 0;
    now = new Date(now.getTime() + 1000);
    expect((await req('PATCH', path, { scopeQ: '/City/West' })).statusCode).toBe(204);
    expect((await req('PATCH', '/entities/urn:ngsi-ld:Bin:4/attrs', { fill: 40 })).statusCode).toBe(204);
    expect((await req('PATCH', '/entities/urn:ngsi-ld:Bin:1/attrs', { fill: 10 })).statusCode).toBe(204);
    await drain();
    expect(notified()).toEqual(['urn:ngsi-ld:Bin:4']);
    for (const scopeQ of ['(/City', 'City', 7]) {
      const bad = await req('POST', '/subscriptions', { type: 'Subscription', entities: [{ type: 'Bin' }], scopeQ, notification: { endpoint: { uri: sink.url } } });
      expect(bad.statusCode, String(scopeQ)).toBe(400);
      expect(bad.json().errors?.[0]?.field).toBe('/body/scopeQ');
    }
  });

  it('§5.11 /csourceSubscriptions: timeInterval kept and notified on time with the registrations matching now (once per period, not on change); scopeQ over the registrations\' scope', async () => {
    sink.received.length = 0;
    const periodic = await req('POST', '/csourceSubscriptions', { type: 'Subscription', entities: [{ type: 'Gauge' }], timeInterval: 60, scopeQ: '/Zone/#', notification: { endpoint: { uri: sink.url } } });
    expect(periodic.statusCode, periodic.body).toBe(201);
    const periodicPath = (periodic.headers.location as string).replace('/ngsi-ld/v1', '');
    const periodicId = decodeURIComponent(periodicPath.split('/').pop()!);
    expect((await req('GET', periodicPath)).json()).toMatchObject({ timeInterval: 60, scopeQ: '/Zone/#' });
    const onChange = await req('POST', '/csourceSubscriptions', { type: 'Subscription', entities: [{ type: 'Gauge' }], scopeQ: '/Zone/+;/Zone/A', notification: { endpoint: { uri: sink.url } } });
    expect(onChange.statusCode, onChange.body).toBe(201);
    const onChangeId = decodeURIComponent((onChange.headers.location as string).split('/').pop()!);
    const register = async (type: string, scope: string) => {
      const res = await req('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', information: [{ entities: [{ type }] }], endpoint: sink.url, scope });
      expect(res.statusCode, res.body).toBe(201);
      return decodeURIComponent((res.headers.location as string).split('/').pop()!);
    };
    const inZone = await register('Gauge', '/Zone/A');
    await register('Gauge', '/Other');
    await register('Bin', '/Zone/A');
    await drain();
    const of = (id: string) => sink.received.map((r) => r.body).filter((n) => n.subscriptionId === id) as { type: string; triggerReason: string; data: { id: string }[] }[];
    // On change: the plain subscription, for the registration in its scope only; the periodic one not at all.
    expect(of(onChangeId).map((n) => [n.type, n.triggerReason, n.data.map((r) => r.id)])).toEqual([['ContextSourceNotification', 'newlyMatching', [inZone]]]);
    expect(of(periodicId)).toEqual([]);
    const csubs = hub.services.context.csources.subscriptions;
    // Two nodes running the job at once: one notification.
    await Promise.all([csubs.notifyPeriodic(now), csubs.notifyPeriodic(now)]);
    await drain();
    expect(of(periodicId).map((n) => [n.type, n.triggerReason, n.data.map((r) => r.id)])).toEqual([['ContextSourceNotification', 'updated', [inZone]]]);
    expect(await csubs.notifyPeriodic(new Date(now.getTime() + 30_000))).toBe(0);
    now = new Date(now.getTime() + 61_000);
    const second = await register('Gauge', '/Zone/B');
    expect(await csubs.notifyPeriodic(now)).toBe(1);
    await drain();
    expect(of(periodicId)).toHaveLength(2);
    expect(of(periodicId)[1].data.map((r) => r.id).sort()).toEqual([inZone, second].sort());
    for (const extra of [{ timeInterval: 10, watchedAttributes: ['reading'] }, { timeInterval: 0 }, { timeInterval: 'PT1M' }, { scopeQ: '/Zone/(' }]) {
      const bad = await req('POST', '/csourceSubscriptions', { type: 'Subscription', entities: [{ type: 'Gauge' }], notification: { endpoint: { uri: sink.url } }, ...extra });
      expect(bad.statusCode, JSON.stringify(extra)).toBe(400);
      expect(bad.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
    expect((await req('PATCH', periodicPath, { watchedAttributes: ['reading'] })).statusCode).toBe(400);
  });

  it('refuses timeInterval with watchedAttributes or throttling, and a non-positive interval', async () => {
    const base = { type: 'Subscription', entities: [{ type: 'Meter' }], notification: { endpoint: { uri: sink.url } } };
    for (const extra of [{ timeInterval: 10, watchedAttributes: ['reading'] }, { timeInterval: 10, throttling: 5 }, { timeInterval: 0 }, { timeInterval: 'PT1M' }]) {
      const res = await req('POST', '/subscriptions', { ...base, ...extra });
      expect(res.statusCode, JSON.stringify(extra)).toBe(400);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
  });
});
