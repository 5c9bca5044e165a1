import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { startSink, type Sink } from './http-sink.js';
import { SDM, SDM_LINK, ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 §5.8 / §5.2.12 (subscriptions): a timeInterval subscription keeps its interval, is notified on
 * time with the current state of all it selects (in notifications of at most maxLimit entities; once per period,
 * however many run the job), not on change; the combinations the spec forbids answer 400. The same for
 * subscriptions to registrations (§5.11), and §4.19 scopeQ on both kinds. §5.8.1–5.8.5: the answer codes of
 * create, retrieve, query (pages, count), update (member by member, null removes, status) and delete.
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
      // A small maxLimit, so a periodic notification of more entities than that is seen to come in several.
      // Sessions outlive the clock's jumps.
      config: { auth: { sessionTtlHours: 24 * 30, sessionIdleMinutes: 60 * 24 * 30 }, outbound: { allow: ['127.0.0.1'] }, modules: { context: { maxLimit: 3, simulator: { enabled: false }, mqtt: { ingest: false } } } } as never,
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

  it('§5.8.6 a periodic notification carries every entity it selects, in notifications of at most maxLimit', async () => {
    sink.received.length = 0;
    for (let i = 1; i <= 7; i++) expect((await req('POST', '/entities', { id: `urn:ngsi-ld:Lamp:${i}`, type: 'Lamp', level: i })).statusCode).toBe(201);
    const res = await req('POST', '/subscriptions', { type: 'Subscription', entities: [{ type: 'Lamp' }], q: 'level>1', timeInterval: 10, notification: { format: 'keyValues', endpoint: { uri: sink.url } } });
    expect(res.statusCode, res.body).toBe(201);
    const id = decodeURIComponent((res.headers.location as string).split('/').pop()!);
    await hub.services.context.subscriptions.notifyPeriodic(now);
    await drain();
    const mine = sink.received.map((r) => r.body).filter((b) => b.subscriptionId === id);
    // maxLimit is 3 here: the 7 lamps come in pages of 3, 3 and 1, and q leaves out level 1.
    expect(mine.map((b) => (b.data as unknown[]).length).sort()).toEqual([1, 2, 3]);
    expect(mine.flatMap((b) => (b.data as { id: string }[]).map((e) => e.id)).sort()).toEqual([2, 3, 4, 5, 6, 7].map((i) => `urn:ngsi-ld:Lamp:${i}`));
  });

  it('§5.8.1–5.8.5 answer codes: invalid ids 400, unknown ones 404, no id 405, invalid bodies 400, delete 204', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const bad = await req(method, '/subscriptions/InvalidUri', method === 'PATCH' ? { isActive: false } : undefined);
      expect(bad.statusCode, method).toBe(400);
      expect(bad.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
      const unknown = await req(method, '/subscriptions/urn:ngsi-ld:Subscription:unknown', method === 'PATCH' ? { isActive: false } : undefined);
      expect(unknown.statusCode, method).toBe(404);
      expect(unknown.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound');
    }
    const invalidJson = await hub.http.inject({ method: 'POST', url: '/ngsi-ld/v1/subscriptions', payload: '{"type": "Subscription", ', headers: { cookie, 'content-type': 'application/json' } });
    expect(invalidJson.statusCode).toBe(400);
    expect(invalidJson.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/InvalidRequest');
    const base = { type: 'Subscription', entities: [{ type: 'Lamp' }], notification: { endpoint: { uri: sink.url } } };
    for (const body of [{}, { ...base, throttling: -1 }, { ...base, id: 'not a uri' }, { ...base, type: 'Other' }, { ...base, datasetId: ['not a uri'] }, { ...base, notification: { endpoint: { uri: sink.url, notifierInfo: [{ key: 'MQTT-QoS', value: '3' }] } } }]) {
      const res = await req('POST', '/subscriptions', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
    // A path the API has, with a method it does not take (an update or delete without its id): 405 with Allow.
    for (const [method, url] of [['PATCH', '/subscriptions/'], ['DELETE', '/subscriptions']]) {
      const res = await req(method, url, method === 'PATCH' ? { isActive: false } : undefined);
      expect(res.statusCode, `${method} ${url}`).toBe(405);
      expect(res.headers.allow).toBe('GET, POST');
    }
    expect((await req('PATCH', '/nothing-here', { isActive: false })).statusCode).toBe(404);
    const made = await req('POST', '/subscriptions', { ...base, id: 'urn:ngsi-ld:Subscription:codes' });
    expect(made.statusCode).toBe(201);
    expect((await req('POST', '/subscriptions', { ...base, id: 'urn:ngsi-ld:Subscription:codes' })).statusCode).toBe(409);
    expect((await req('DELETE', '/subscriptions/urn:ngsi-ld:Subscription:codes')).statusCode).toBe(204);
    expect((await req('GET', '/subscriptions/urn:ngsi-ld:Subscription:codes')).statusCode).toBe(404);
  });

  it('§5.8.2 update: members replaced, notification member by member, null removes optional members, mandatory ones and invalid results 400, status follows isActive and expiresAt, the @context kept', async () => {
    sink.received.length = 0;
    const res = await req('POST', '/subscriptions', {
      type: 'Subscription', entities: [{ type: 'Valve' }], q: 'flow>0', isActive: false, description: 'valves',
      notification: { attributes: ['flow'], format: 'keyValues', endpoint: { uri: sink.url } },
    }, { link: SDM_LINK });
    expect(res.statusCode, res.body).toBe(201);
    const path = (res.headers.location as string).replace('/ngsi-ld/v1', '');
    const get = async () => (await req('GET', path, undefined, { link: SDM_LINK })).json();
    // Members with terms are expanded with the request's @context (§5.8.2), so those PATCHes name it.
    const patch = (body: unknown, headers: Record<string, string> = { link: SDM_LINK }) => req('PATCH', path, body, headers);
    expect((await get()).status).toBe('paused');
    expect((await patch({ isActive: true }, {})).statusCode).toBe(204);
    expect((await get()).status).toBe('active');
    // notification: the members given replace the stored ones; the others stay.
    expect((await patch({ notification: { format: 'normalized' } })).statusCode).toBe(204);
    expect((await get()).notification).toMatchObject({ attributes: ['flow'], format: 'normalized', endpoint: { uri: sink.url, accept: 'application/json' } });
    expect((await patch({ notification: { pick: ['id', 'flow'] } })).statusCode).toBe(204);
    const picked = (await get()).notification;
    expect(picked.pick).toEqual(['id', 'flow']);
    expect(picked.attributes).toBeUndefined();
    // null removes an optional member.
    expect((await patch({ q: null, description: null, subscriptionName: 'Valves' })).statusCode).toBe(204);
    const after = await get();
    expect(after.q).toBeUndefined();
    expect(after.description).toBeUndefined();
    expect(after.subscriptionName).toBe('Valves');
    // Removing a mandatory member, or leaving an invalid subscription, is 400 and changes nothing.
    for (const body of [{ notification: null }, { notification: { endpoint: null } }, { entities: null }, { type: 'Other' }, { expiresAt: '2020-01-01T00:00:00Z' }, { throttling: -1 }, { notification: { format: 'keyValues', showChanges: true } }]) {
      const refused = await patch(body);
      expect(refused.statusCode, JSON.stringify(body)).toBe(400);
      expect(refused.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
    expect(await get()).toMatchObject({ entities: [{ type: 'Valve' }], subscriptionName: 'Valves', notification: { format: 'normalized', endpoint: { uri: sink.url } } });
    // A periodic subscription cannot be given watchedAttributes or throttling; without its interval it can.
    expect((await patch({ timeInterval: 30 })).statusCode).toBe(204);
    expect((await patch({ watchedAttributes: ['flow'] })).statusCode).toBe(400);
    expect((await patch({ throttling: 5 })).statusCode).toBe(400);
    expect((await patch({ timeInterval: null, watchedAttributes: ['flow'] })).statusCode).toBe(204);
    expect(await get()).toMatchObject({ watchedAttributes: ['flow'] });
    expect((await get()).timeInterval).toBeUndefined();
    // expiresAt: passed → expired (no notification); a new one in the future → active again.
    expect((await patch({ expiresAt: new Date(now.getTime() + 60_000).toISOString() }, {})).statusCode).toBe(204);
    now = new Date(now.getTime() + 61_000);
    expect((await get()).status).toBe('expired');
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:Valve:1', type: 'Valve', flow: 3 }, { link: SDM_LINK })).statusCode).toBe(201);
    await drain();
    expect(sink.received).toHaveLength(0);
    expect((await patch({ expiresAt: new Date(now.getTime() + 3_600_000).toISOString() }, {})).statusCode).toBe(204);
    expect((await get()).status).toBe('active');
    // The last PATCHes named no @context: notifications still use the subscription's (its Link, its terms).
    expect((await req('PATCH', '/entities/urn:ngsi-ld:Valve:1/attrs', { flow: 4 }, { link: SDM_LINK })).statusCode).toBe(204);
    await drain();
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0].headers.link).toContain(SDM);
    expect(sink.received[0].body.data).toEqual([{ id: 'urn:ngsi-ld:Valve:1', flow: { type: 'Property', value: 4 } }]);
  });

  it('§5.8.4 query: own subscriptions in pages, prev and next links, NGSILD-Results-Count', async () => {
    const owner = (await hub.loginAs(['dept_data_owner'])).cookie;
    const as = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => req(method, url, body, headers, owner);
    for (let i = 0; i < 3; i++) {
      expect((await as('POST', '/subscriptions', { type: 'Subscription', entities: [{ type: 'Pump' }], notification: { endpoint: { uri: sink.url } } })).statusCode).toBe(201);
    }
    const middle = await as('GET', '/subscriptions?limit=1&offset=1&count=true');
    expect(middle.statusCode).toBe(200);
    expect(middle.json()).toHaveLength(1);
    expect(middle.headers['ngsild-results-count']).toBe('3');
    const links = [middle.headers.link].flat().join(', ');
    expect(links).toContain('</ngsi-ld/v1/subscriptions?limit=1&offset=0>;rel="prev";type="application/json"');
    expect(links).toContain('</ngsi-ld/v1/subscriptions?limit=1&offset=2>;rel="next";type="application/json"');
    const last = await as('GET', '/subscriptions?limit=1&offset=2', undefined, { accept: 'application/ld+json' });
    expect([last.headers.link].flat().join(', ')).toBe('</ngsi-ld/v1/subscriptions?limit=1&offset=1>;rel="prev";type="application/ld+json"');
    const all = await as('GET', '/subscriptions?limit=15');
    expect(all.json()).toHaveLength(3);
    expect([all.headers.link].flat().join(', ')).not.toMatch(/rel="(prev|next)"/);
    const onlyCount = await as('GET', '/subscriptions?limit=0&count=true');
    expect(onlyCount.json()).toEqual([]);
    expect(onlyCount.headers['ngsild-results-count']).toBe('3');
    expect((await as('GET', '/subscriptions?limit=0')).statusCode).toBe(400);
  });
});
