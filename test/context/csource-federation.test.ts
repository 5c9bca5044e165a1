import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import type { TestHub } from '../support/test-hub.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { startSink, type Sink } from './http-sink.js';
import { ngsiRequester } from './ngsi-support.js';

const CORE = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld';
const SDM_DOMAIN = 'https://smartdatamodels.org/dataModel.';
import { startTwoHubs } from './two-hubs.js';

/**
 * Issue 18, cause 1: context-source registrations and distributed operations, between two real CityHub processes'
 * worth of servers: hub A registers hub B (its own database, its own HTTP port on loopback) as an inclusive
 * context source; a query on A returns the entities of both, an update on A reaches B, and a subscription on A is
 * notified of a change made on B (A subscribed at B on its behalf). No mock: B is CityHub.
 */

describe.each(testEngines)('context sources: two CityHubs [%s]', (engine) => {
  let a: TestHub;
  let b: TestHub;
  let aUrl: string;
  let bUrl: string;
  let cookieA: string;
  let cookieB: string;
  let keyB: string;
  let sink: Sink;
  let bad: Server;
  let badUrl: string;
  let badMode: 'huge' | 'invalid' | 'noid' | 'hang' | 'many' | 'forbidden' | 'absent' | 'iri' = 'huge';
  let badRequests = 0;
  /** What the hostile source last received. */
  let badLast: { method?: string; url?: string; headers: Record<string, unknown>; body: string } = { headers: {}, body: '' };
  const reqA = ngsiRequester(() => a, () => cookieA);
  const reqB = ngsiRequester(() => b, () => cookieB);
  /** Delivers what both hubs have queued (B notifies A, A notifies the sink). */
  const drainBoth = async () => {
    for (let i = 0; i < 3; i++) {
      await b.services.context.dispatcher.drain();
      await a.services.context.dispatcher.drain();
    }
  };

  beforeAll(async () => {
    ({ a, b, aUrl, bUrl } = await startTwoHubs(engine, { maxResponseBytes: 65_536, maxEntitiesPerSource: 5 }));
    cookieA = (await a.loginAs(['data_admin'])).cookie;
    cookieB = (await b.loginAs(['data_admin'])).cookie;
    // What A uses to speak to B: an API key of B's, given in the registration's contextSourceInfo.
    keyB = (await b.services.auth.createApiKey(systemActor('test-setup'), { name: 'hub-a', roles: ['data_admin'] })).key;
    sink = await startSink();
    // A hostile source: what a registered endpoint could answer.
    bad = createServer((req, res) => {
      badRequests++;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => (badLast = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
      res.setHeader('content-type', 'application/json');
      if (badMode === 'huge') return res.end(`[${Array.from({ length: 2_000 }, (_, i) => `{"id":"urn:x:${i}","type":"Streetlight","pad":"${'x'.repeat(100)}"}`).join(',')}]`);
      if (badMode === 'invalid') return res.end('[{"id": "urn:x:1", "type": ');
      if (badMode === 'forbidden' || badMode === 'absent') {
        res.statusCode = badMode === 'forbidden' ? 403 : 404;
        return res.end('{"type": "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"}');
      }
      if (badMode === 'noid') return res.end('[{"type": "Streetlight", "__proto__": {"polluted": true}}]');
      // An entity in the terms of the core @context (a source registered with it as its jsonldContext).
      if (badMode === 'iri') return res.end(JSON.stringify({ id: 'urn:ngsi-ld:Kiosk:k9', type: 'Kiosk', [`${SDM_DOMAIN}Streetlighting/illuminanceLevel`]: { type: 'Property', value: 7 } }));
      if (badMode === 'many') return res.end(JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ id: `urn:ngsi-ld:Streetlight:z${String(i).padStart(2, '0')}`, type: 'Streetlight' }))));
      // hang: never answers
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', () => r()));
    badUrl = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`;
    expect((await reqA('POST', '/entities', { id: 'urn:ngsi-ld:Streetlight:a1', type: 'Streetlight', powerState: 'on' })).statusCode).toBe(201);
    expect((await reqB('POST', '/entities', { id: 'urn:ngsi-ld:Streetlight:b1', type: 'Streetlight', powerState: 'on' })).statusCode).toBe(201);
    expect((await reqB('POST', '/entities', { id: 'urn:ngsi-ld:Streetlight:b2', type: 'Streetlight', powerState: 'off' })).statusCode).toBe(201);
  }, 240_000);
  afterAll(async () => {
    await sink?.close();
    bad?.closeAllConnections();
    await new Promise<void>((r) => (bad ? bad.close(() => r()) : r()));
    await Promise.all([a?.close(), b?.close()]);
  }, 60_000);

  it('§5.9, §4.3.6.2: A registers B as an inclusive source; queries and retrievals on A merge B’s entities', async () => {
    const reg = await reqA('POST', '/csourceRegistrations', {
      type: 'ContextSourceRegistration', id: 'urn:ngsi-ld:ContextSourceRegistration:b', registrationName: 'hub B',
      information: [{ entities: [{ type: 'Streetlight' }] }], endpoint: bUrl, mode: 'inclusive', operations: ['federationOps', 'updateOps'],
      contextSourceInfo: [{ key: 'Authorization', value: `Bearer ${keyB}` }],
    });
    expect(reg.statusCode, reg.body).toBe(201);
    expect(reg.headers.location).toBe('/ngsi-ld/v1/csourceRegistrations/urn%3Angsi-ld%3AContextSourceRegistration%3Ab');

    const got = await reqA('GET', '/csourceRegistrations/urn:ngsi-ld:ContextSourceRegistration:b');
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ id: 'urn:ngsi-ld:ContextSourceRegistration:b', type: 'ContextSourceRegistration', mode: 'inclusive', endpoint: bUrl, information: [{ entities: [{ type: 'Streetlight' }] }] });

    const query = await reqA('GET', '/entities?type=Streetlight&count=true');
    expect(query.statusCode, query.body).toBe(200);
    expect(query.json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Streetlight:a1', 'urn:ngsi-ld:Streetlight:b1', 'urn:ngsi-ld:Streetlight:b2']);
    expect(query.headers['ngsild-results-count']).toBe('3');
    expect(query.headers['ngsild-warning']).toBeUndefined();
    // q is answered by each: only entities with powerState "on", from both hubs.
    const on = await reqA('GET', '/entities?type=Streetlight&q=powerState=="on"&options=keyValues');
    expect(on.json()).toEqual([{ id: 'urn:ngsi-ld:Streetlight:a1', type: 'Streetlight', powerState: 'on' }, { id: 'urn:ngsi-ld:Streetlight:b1', type: 'Streetlight', powerState: 'on' }]);
    // A page is cut from the merge.
    const page = await reqA('GET', '/entities?type=Streetlight&limit=1&offset=1');
    expect(page.json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Streetlight:b1']);

    const one = await reqA('GET', '/entities/urn:ngsi-ld:Streetlight:b2');
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json()).toMatchObject({ id: 'urn:ngsi-ld:Streetlight:b2', type: 'Streetlight', powerState: { type: 'Property', value: 'off' } });
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Streetlight:nowhere')).statusCode).toBe(404);
    // B answered for a1? No: B does not have it, A does; nothing is lost either way.
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Streetlight:a1')).json().powerState.value).toBe('on');
  });

  it('§4.3.6.3: an update on A of an entity B holds is forwarded to B (updateOps)', async () => {
    const res = await reqA('PATCH', '/entities/urn:ngsi-ld:Streetlight:b1/attrs', { powerState: 'off' });
    expect(res.statusCode, res.body).toBe(204);
    const onB = await reqB('GET', '/entities/urn:ngsi-ld:Streetlight:b1?options=keyValues');
    expect(onB.json().powerState).toBe('off');
    // A local entity is still updated here (and B, which does not hold it, is not harmed).
    expect((await reqA('PATCH', '/entities/urn:ngsi-ld:Streetlight:a1/attrs', { powerState: 'off' })).statusCode).toBe(204);
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Streetlight:a1?options=keyValues')).json().powerState).toBe('off');
  });

  it('access rules: a source never filters for an organisation whose rules narrow attributes (hidden means absent); a granted type is federated', async () => {
    const org = async (name: string) => (await a.services.auth.insertOrg(systemActor('t'), { name, kind: 'department', parentId: null })).id;
    const [narrowOrg, fullOrg] = [await org('城管局'), await org('交通局')];
    expect((await reqA('POST', '/cityhub/accessRules', { orgId: narrowOrg, entityType: 'Streetlight', attributes: ['powerState'] })).statusCode).toBe(201);
    expect((await reqA('POST', '/cityhub/accessRules', { orgId: fullOrg, entityType: 'Streetlight' })).statusCode).toBe(201);
    const narrow = (await a.loginAs(['agent'], narrowOrg)).cookie;
    const full = (await a.loginAs(['agent'], fullOrg)).cookie;
    // brightness is hidden from the narrowed organisation: a source filtering on it must not decide what it sees.
    const q = await reqA('GET', '/entities?type=Streetlight&q=powerState', undefined, {}, narrow);
    expect(q.json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Streetlight:a1']);
    expect(q.headers['ngsild-warning']).toMatch(/not asked/);
    const untyped = await reqA('GET', '/entities?q=powerState', undefined, {}, full);
    expect(untyped.json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Streetlight:a1']);
    const granted = await reqA('GET', '/entities?type=Streetlight', undefined, {}, full);
    expect(granted.json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Streetlight:a1', 'urn:ngsi-ld:Streetlight:b1', 'urn:ngsi-ld:Streetlight:b2']);
    // What a source answers is narrowed like local data: a retrieval shows only the granted attributes.
    expect((await reqB('POST', '/entities/urn:ngsi-ld:Streetlight:b2/attrs', { brightness: 3 })).statusCode).toBe(204);
    const one = await reqA('GET', '/entities/urn:ngsi-ld:Streetlight:b2?options=keyValues', undefined, {}, narrow);
    expect(one.json()).toEqual({ id: 'urn:ngsi-ld:Streetlight:b2', type: 'Streetlight', powerState: 'off' });
  });

  it('§4.3.6.3: exclusive attributes are written at the source only; a redirect registration takes creates and deletes away', async () => {
    // B holds brightness of a1 exclusively (a copy of a1 there carries it).
    expect((await reqB('POST', '/entities', { id: 'urn:ngsi-ld:Streetlight:a1', type: 'Streetlight', brightness: 1 })).statusCode).toBe(201);
    const exclusive = await reqA('POST', '/csourceRegistrations', {
      type: 'ContextSourceRegistration', mode: 'exclusive', endpoint: bUrl, operations: ['updateOps', 'retrieveOps'],
      information: [{ entities: [{ type: 'Streetlight', id: 'urn:ngsi-ld:Streetlight:a1' }], propertyNames: ['brightness'] }],
      contextSourceInfo: [{ key: 'Authorization', value: `Bearer ${keyB}` }],
    });
    expect(exclusive.statusCode, exclusive.body).toBe(201);
    expect((await reqA('PATCH', '/entities/urn:ngsi-ld:Streetlight:a1/attrs', { powerState: 'on', brightness: 7 })).statusCode).toBe(204);
    const localOnly = { via: '1.1 hub-a' }; // A's own name in Via: A answers from its own store only
    const atA = (await reqA('GET', '/entities/urn:ngsi-ld:Streetlight:a1?options=keyValues', undefined, localOnly)).json();
    expect(atA).toEqual({ id: 'urn:ngsi-ld:Streetlight:a1', type: 'Streetlight', powerState: 'on' });
    expect((await reqB('GET', '/entities/urn:ngsi-ld:Streetlight:a1?options=keyValues')).json().brightness).toBe(7);
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Streetlight:a1?options=keyValues')).json()).toMatchObject({ powerState: 'on', brightness: 7 });

    const redirect = await reqA('POST', '/csourceRegistrations', {
      type: 'ContextSourceRegistration', mode: 'redirect', endpoint: bUrl, operations: ['redirectionOps'],
      information: [{ entities: [{ type: 'Streetlight', idPattern: '^urn:ngsi-ld:Streetlight:r' }] }],
      contextSourceInfo: [{ key: 'Authorization', value: `Bearer ${keyB}` }],
    });
    expect(redirect.statusCode, redirect.body).toBe(201);
    expect((await reqA('POST', '/entities', { id: 'urn:ngsi-ld:Streetlight:r1', type: 'Streetlight', powerState: 'on' })).statusCode).toBe(201);
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Streetlight:r1', undefined, localOnly)).statusCode).toBe(404);
    expect((await reqB('GET', '/entities/urn:ngsi-ld:Streetlight:r1')).statusCode).toBe(200);
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Streetlight:r1?options=keyValues')).json().powerState).toBe('on');
    expect((await reqA('DELETE', '/entities/urn:ngsi-ld:Streetlight:r1')).statusCode).toBe(204);
    expect((await reqB('GET', '/entities/urn:ngsi-ld:Streetlight:r1')).statusCode).toBe(404);
    // A write only the redirect source could take, arriving with A already in Via, is a loop (508).
    const looped = await reqA('POST', '/entities', { id: 'urn:ngsi-ld:Streetlight:r2', type: 'Streetlight' }, localOnly);
    expect(looped.statusCode).toBe(508);
    expect(looped.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/LoopDetected');
    // So is any write an inclusive source would take again (§6.3.18): nothing is done, here or there.
    const inclusive = await reqA('POST', '/csourceRegistrations', {
      type: 'ContextSourceRegistration', mode: 'inclusive', endpoint: bUrl, operations: ['redirectionOps'],
      information: [{ entities: [{ type: 'Streetlight', id: 'urn:ngsi-ld:Streetlight:a1' }] }],
      contextSourceInfo: [{ key: 'Authorization', value: `Bearer ${keyB}` }],
    });
    expect(inclusive.statusCode, inclusive.body).toBe(201);
    const loopedDelete = await reqA('DELETE', '/entities/urn:ngsi-ld:Streetlight:a1', undefined, localOnly);
    expect(loopedDelete.statusCode, loopedDelete.body).toBe(508);
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Streetlight:a1', undefined, localOnly)).statusCode).toBe(200);
    // A read in a loop is still answered from A's own store.
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Streetlight:a1?options=keyValues', undefined, localOnly)).json().powerState).toBe('on');
    for (const r of [exclusive, redirect, inclusive]) expect((await reqA('DELETE', r.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
    expect((await reqB('DELETE', '/entities/urn:ngsi-ld:Streetlight:a1')).statusCode).toBe(204);
  });

  it('§4.3.6.3: an auxiliary source answers only when nothing else does; registrations are per tenant and name the tenant at the source', async () => {
    expect((await reqB('POST', '/entities', { id: 'urn:ngsi-ld:Bench:b1', type: 'Bench', seats: 4 })).statusCode).toBe(201);
    const aux = await reqA('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', mode: 'auxiliary', endpoint: bUrl, information: [{ entities: [{ type: 'Bench' }] }], contextSourceInfo: [{ key: 'Authorization', value: `Bearer ${keyB}` }] });
    expect(aux.statusCode, aux.body).toBe(201);
    expect((await reqA('GET', '/entities?type=Bench')).json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Bench:b1']);
    expect((await reqA('POST', '/entities', { id: 'urn:ngsi-ld:Bench:a1', type: 'Bench', seats: 2 })).statusCode).toBe(201);
    expect((await reqA('GET', '/entities?type=Bench')).json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Bench:a1']);
    // An auxiliary registration cannot name a write operation (the validation test); none is ever forwarded to it.
    expect((await reqA('DELETE', aux.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);

    // Tenant t1 on A registers B's tenant t2: only t1's queries reach it, and they read t2 there.
    expect((await reqB('POST', '/entities', { id: 'urn:ngsi-ld:Pump:p1', type: 'Pump' }, { 'ngsild-tenant': 't2' })).statusCode).toBe(201);
    const t1 = { 'ngsild-tenant': 't1' };
    const reg = await reqA('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', endpoint: bUrl, tenant: 't2', information: [{ entities: [{ type: 'Pump' }] }], contextSourceInfo: [{ key: 'Authorization', value: `Bearer ${keyB}` }] }, t1);
    expect(reg.statusCode, reg.body).toBe(201);
    expect((await reqA('GET', '/entities?type=Pump', undefined, t1)).json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Pump:p1']);
    expect((await reqA('GET', '/entities?type=Pump')).json()).toEqual([]);
    expect((await reqA('GET', '/csourceRegistrations?type=Pump')).json()).toEqual([]);
    expect((await reqA('GET', '/csourceRegistrations?type=Pump', undefined, t1)).json()).toHaveLength(1);
  });

  it('§4.3.6.2: a subscription on A is notified of a change on B', async () => {
    const sub = await reqA('POST', '/subscriptions', {
      type: 'Subscription', entities: [{ type: 'Streetlight' }], watchedAttributes: ['powerState'], notification: { endpoint: { uri: sink.url } },
    });
    expect(sub.statusCode, sub.body).toBe(201);
    const localId = decodeURIComponent(sub.headers.location!.split('/').pop()!);
    // A subscribed at B on its behalf.
    const atB = await b.database.pool.query(`select id, body from context_subscription`);
    expect(atB.rows).toHaveLength(1);
    expect(atB.rows[0].body.notification.endpoint.uri).toMatch(new RegExp(`^${aUrl}/ngsi-ld/v1/cityhub/csourceNotifications/`));

    expect((await reqB('PATCH', '/entities/urn:ngsi-ld:Streetlight:b2/attrs', { powerState: 'on' })).statusCode).toBe(204);
    await drainBoth();
    await sink.waitFor(1);
    const n = sink.received.at(-1)!.body as { subscriptionId: string; data: { id: string; powerState: { value: string } }[] };
    expect(n.subscriptionId).toBe(localId);
    expect(n.data[0]).toMatchObject({ id: 'urn:ngsi-ld:Streetlight:b2', powerState: { value: 'on' } });

    // A change of the subscription is passed on: the one at B is made again with it.
    expect((await reqA('PATCH', `/subscriptions/${encodeURIComponent(localId)}`, { watchedAttributes: ['brightness'] })).statusCode).toBe(204);
    const changed = await b.database.pool.query(`select body from context_subscription`);
    expect(changed.rows).toHaveLength(1);
    expect(changed.rows[0].body.watchedAttributes).toEqual([expect.stringMatching(/brightness$/)]);

    // A forged token is refused and queues nothing.
    const forged = await a.http.inject({ method: 'POST', url: '/ngsi-ld/v1/cityhub/csourceNotifications/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', payload: { data: [] } });
    expect(forged.statusCode).toBe(404);

    // A source registered after the subscription is subscribed at too (here: B again, its tenant `late`).
    const late = await reqA('POST', '/csourceRegistrations', {
      type: 'ContextSourceRegistration', endpoint: bUrl, tenant: 'late', information: [{ entities: [{ type: 'Streetlight' }] }],
      contextSourceInfo: [{ key: 'Authorization', value: `Bearer ${keyB}` }],
    });
    expect(late.statusCode, late.body).toBe(201);
    const atLate = await b.database.pool.query(`select tenant from context_subscription where tenant = 'late'`);
    expect(atLate.rows).toHaveLength(1);

    // Deleting the subscription on A deletes the ones at B.
    expect((await reqA('DELETE', `/subscriptions/${encodeURIComponent(localId)}`)).statusCode).toBe(204);
    expect((await b.database.pool.query(`select id from context_subscription`)).rows).toHaveLength(0);
    expect((await reqA('DELETE', late.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
  });

  it('§5.11: a csourceSubscription is notified when a registration appears, changes and goes', async () => {
    for (const geoQ of [{ georel: 'near;maxDistance==10', geometry: 'Point' }, { georel: 'near;maxDistance==10', geometry: 'Point', coordinates: [500, 0] }, { georel: 'within', geometry: 'Point', coordinates: [0, 0], geoproperty: 'area' }]) {
      const bad = await reqA('POST', '/csourceSubscriptions', { type: 'Subscription', entities: [{ type: 'ParkingSpot' }], geoQ, notification: { endpoint: { uri: sink.url } } });
      expect(bad.statusCode, JSON.stringify(geoQ)).toBe(400);
      expect(bad.json().errors[0].field).toMatch(/^\/body\/geoQ/);
    }
    // A geoQ subscription: only registrations located within 1 km of the point match.
    const geo = await reqA('POST', '/csourceSubscriptions', { type: 'Subscription', entities: [{ type: 'ParkingSpot' }], geoQ: { georel: 'near;maxDistance==1000', geometry: 'Point', coordinates: [116.4, 39.9] }, notification: { endpoint: { uri: sink.url } } });
    expect(geo.statusCode, geo.body).toBe(201);
    const geoPath = geo.headers.location!.replace('/ngsi-ld/v1', '');
    expect((await reqA('GET', geoPath)).json().geoQ).toEqual({ georel: 'near;maxDistance==1000', geometry: 'Point', coordinates: [116.4, 39.9] });
    const sub = await reqA('POST', '/csourceSubscriptions', { type: 'Subscription', entities: [{ type: 'ParkingSpot' }], notification: { endpoint: { uri: sink.url } } });
    expect(sub.statusCode, sub.body).toBe(201);
    const before = sink.received.length;
    const reg = await reqA('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'ParkingSpot' }] }], endpoint: bUrl });
    expect(reg.statusCode, reg.body).toBe(201);
    const path = reg.headers.location!.replace('/ngsi-ld/v1', '');
    expect((await reqA('PATCH', path, { registrationName: 'parking at B' })).statusCode).toBe(204);
    expect((await reqA('DELETE', path)).statusCode).toBe(204);
    // Located 100 m from the point (the geoQ subscription's), then moved 50 km away (no longer matching it).
    const near = await reqA('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'ParkingSpot' }] }], endpoint: bUrl, location: { type: 'Point', coordinates: [116.401, 39.9] } });
    expect(near.statusCode, near.body).toBe(201);
    const nearPath = near.headers.location!.replace('/ngsi-ld/v1', '');
    expect((await reqA('PATCH', nearPath, { location: { type: 'Point', coordinates: [117, 39.9] } })).statusCode).toBe(204);
    expect((await reqA('DELETE', nearPath)).statusCode).toBe(204);
    await drainBoth();
    await sink.waitFor(before + 8);
    const got = sink.received.slice(before).map((r) => r.body as { subscriptionId: string; triggerReason: string; data: { id: string; endpoint: string }[] });
    const reasons = (subId: string, regPath: string) => got.filter((n) => n.subscriptionId === subId && regPath.endsWith(encodeURIComponent(n.data[0].id))).map((n) => n.triggerReason).sort();
    const subId = decodeURIComponent(sub.headers.location!.split('/').pop()!);
    const geoId = decodeURIComponent(geoPath.split('/').pop()!);
    // Delivered in parallel: any order.
    expect(reasons(subId, path)).toEqual(['newlyMatching', 'noLongerMatching', 'updated']);
    expect(reasons(subId, nearPath)).toEqual(['newlyMatching', 'noLongerMatching', 'updated']);
    expect(reasons(geoId, path)).toEqual([]);
    expect(reasons(geoId, nearPath)).toEqual(['newlyMatching', 'noLongerMatching']);
    expect(got[0].data[0].endpoint).toBe(bUrl);
    expect((await reqA('DELETE', geoPath)).statusCode).toBe(204);
    expect((await reqA('DELETE', sub.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
  });

  it('SSRF: a registration endpoint on a loopback, private or metadata address is refused unless outbound.allow lists it', async () => {
    // A allows 127.0.0.1 only (outbound.allow), as a city lists its own sources' network.
    for (const endpoint of ['http://169.254.169.254/latest', 'http://[::1]:8080', 'http://localhost:8080', 'http://10.0.0.1', 'http://192.168.1.1', 'http://0.0.0.0', 'file:///etc/passwd', 'gopher://127.0.0.1:6379/']) {
      const res = await reqA('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Streetlight' }] }], endpoint });
      expect(res.statusCode, endpoint).toBe(400);
      expect(res.json().errors[0].field, endpoint).toBe('/body/endpoint');
    }
    // Nor can a registration be changed to point there.
    const ok = await reqA('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Bench' }] }], endpoint: 'https://source.example.org' });
    expect(ok.statusCode, ok.body).toBe(201);
    const path = ok.headers.location!.replace('/ngsi-ld/v1', '');
    const patched = await reqA('PATCH', path, { endpoint: 'http://169.254.169.254' });
    expect(patched.statusCode).toBe(400);
    expect(patched.json().errors[0].field).toBe('/body/endpoint');
    // A stored endpoint the guard refuses at call time (a row from before a policy change, a name that resolves to a
    // private address) is never called: the query answers locally, with a warning.
    await a.database.pool.query(`update context_csource_registration set body = jsonb_set(body, '{endpoint}', '"http://169.254.169.254"') where id = $1`, [decodeURIComponent(path.split('/').pop()!)]);
    const q = await reqA('GET', '/entities?type=Bench');
    expect(q.statusCode).toBe(200);
    expect(q.headers['ngsild-warning']).toMatch(/refused/);
    expect((await reqA('DELETE', path)).statusCode).toBe(204);
  });

  it('deny by default: registering a source is the data bureau’s permission; contextSourceInfo (credentials) is shown only to it', async () => {
    const owner = (await a.loginAs(['dept_data_owner'], (await a.services.auth.insertOrg(systemActor('t'), { name: '住建局', kind: 'department', parentId: null })).id)).cookie;
    const body = { type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Streetlight' }] }], endpoint: bUrl };
    expect((await reqA('POST', '/csourceRegistrations', body, {}, owner)).statusCode).toBe(403);
    const anonymous = await a.http.inject({ method: 'POST', url: '/ngsi-ld/v1/csourceRegistrations', payload: body });
    expect(anonymous.statusCode).toBe(401);
    const reg = await reqA('POST', '/csourceRegistrations', { ...body, contextSourceInfo: [{ key: 'Authorization', value: 'Bearer secret' }] });
    expect(reg.statusCode).toBe(201);
    const path = reg.headers.location!.replace('/ngsi-ld/v1', '');
    const agent = (await a.loginAs(['agent'], (await a.services.auth.insertOrg(systemActor('t'), { name: '热线', kind: 'department', parentId: null })).id)).cookie;
    const seen = await reqA('GET', path, undefined, {}, agent);
    expect(seen.statusCode).toBe(200);
    expect(seen.body).not.toContain('secret');
    expect((await reqA('GET', path)).json().contextSourceInfo).toEqual([{ key: 'Authorization', value: 'Bearer secret' }]);
    // contextSourceInfo cannot smuggle framing or CityHub's headers to the source.
    const smuggle = await reqA('POST', '/csourceRegistrations', { ...body, contextSourceInfo: [{ key: 'Host', value: 'internal' }] });
    expect(smuggle.statusCode).toBe(400);
    expect(smuggle.json().errors[0].field).toBe('/body/contextSourceInfo/0/key');
    expect((await reqA('DELETE', path)).statusCode).toBe(204);
  });

  it('validation: the registration’s shape, its operations and the mode rules (§5.2.9, §5.2.34, §4.3.6.3) answer 400 naming the member; overlapping exclusives and taking over entities held here 409', async () => {
    const base = { type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Streetlight' }] }], endpoint: bUrl };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, type: 'Registration' }, '/body/type'],
      [{ ...base, endpoint: undefined }, '/body/endpoint'],
      [{ ...base, endpoint: 'not a uri' }, '/body/endpoint'],
      [{ ...base, information: [] }, '/body/information'],
      [{ ...base, information: [{}] }, '/body/information/0'],
      [{ ...base, information: [{ entities: [{ id: 'urn:x' }] }] }, '/body/information/0/entities/0/type'],
      [{ ...base, information: [{ entities: [{ type: 'T', idPattern: '(a)\\1' }] }] }, '/body/information/0/entities/0/idPattern'],
      [{ ...base, mode: 'sometimes' }, '/body/mode'],
      [{ ...base, operations: ['teleport'] }, '/body/operations'],
      [{ ...base, mode: 'auxiliary', operations: ['updateOps'] }, '/body/operations'],
      [{ ...base, mode: 'exclusive' }, '/body/information/0/entities'],
      [{ ...base, expiresAt: '2000-01-01T00:00:00Z' }, '/body/expiresAt'],
      [{ ...base, location: { type: 'Point', coordinates: [500, 0] } }, '/body/location'],
      [{ ...base, 'in(valid': 1 }, '/body/in(valid'],
      [{ ...base, surprise: { type: 'Relationship', object: 'urn:x' } }, '/body/surprise'],
      [{ ...base, observationSpace: { type: 'Point', coordinates: [500, 0] } }, '/body/observationSpace'],
      [{ ...base, contextSourceInfo: [{ key: 'jsonldContext', value: 'not a url' }] }, '/body/contextSourceInfo/jsonldContext'],
      // §5.2.34 RegistrationManagementInfo.
      [{ ...base, management: 'yes' }, '/body/management'],
      [{ ...base, management: { cacheDuration: 'bogus' } }, '/body/management/cacheDuration'],
      [{ ...base, management: { cooldown: 0 } }, '/body/management/cooldown'],
      [{ ...base, management: { timeout: -5 } }, '/body/management/timeout'],
      [{ ...base, management: { localOnly: 'yes' } }, '/body/management/localOnly'],
      // §4.3.6.6: a jsonldContext this broker cannot load (remote contexts are not fetched here).
      [{ ...base, contextSourceInfo: [{ key: 'jsonldContext', value: 'https://example.org/ctx.jsonld' }] }, '/body/contextSourceInfo/jsonldContext'],
    ];
    for (const [body, field] of cases) {
      const res = await reqA('POST', '/csourceRegistrations', body);
      expect(res.statusCode, field).toBe(400);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
      expect(res.json().errors[0].field, JSON.stringify(body)).toBe(field);
    }
    const managed = await reqA('POST', '/csourceRegistrations', { ...base, management: { cacheDuration: 'PT5M', cooldown: 500, timeout: 3000, localOnly: true } });
    expect(managed.statusCode, managed.body).toBe(201);
    expect((await reqA('GET', managed.headers.location!.replace('/ngsi-ld/v1', ''))).json().management).toEqual({ cacheDuration: 'PT5M', cooldown: 500, timeout: 3000, localOnly: true });
    expect((await reqA('DELETE', managed.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
    // §5.9.2.4: what A holds cannot be taken over — by a redirect registration matching an entity here, or an
    // exclusive one naming an attribute an entity here has (409); an exclusive one on another attribute may.
    expect((await reqA('POST', '/entities', { id: 'urn:ngsi-ld:Building:held', type: 'Building', subCategory: 'office' })).statusCode).toBe(201);
    const held = { ...base, information: [{ entities: [{ type: 'Building', id: 'urn:ngsi-ld:Building:held' }], propertyNames: ['subCategory'] }] };
    for (const body of [{ ...held, mode: 'exclusive' }, { ...held, mode: 'redirect' }, { ...base, mode: 'redirect', information: [{ entities: [{ type: 'Building', idPattern: '^urn:ngsi-ld:Building:h' }] }] }]) {
      const res = await reqA('POST', '/csourceRegistrations', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(409);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/Conflict');
    }
    const other = await reqA('POST', '/csourceRegistrations', { ...held, mode: 'exclusive', information: [{ ...held.information[0], propertyNames: ['height'] }] });
    expect(other.statusCode, other.body).toBe(201);
    expect((await reqA('PATCH', other.headers.location!.replace('/ngsi-ld/v1', ''), { information: held.information })).statusCode).toBe(409);
    expect((await reqA('DELETE', other.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
    expect((await reqA('DELETE', '/entities/urn:ngsi-ld:Building:held')).statusCode).toBe(204);
    const exclusive = { ...base, mode: 'exclusive', scope: ['/District/North', '/Lighting'], information: [{ entities: [{ type: 'Streetlight', id: 'urn:ngsi-ld:Streetlight:x' }], propertyNames: ['powerState'] }] };
    const first = await reqA('POST', '/csourceRegistrations', exclusive);
    expect(first.statusCode, first.body).toBe(201);
    const second = await reqA('POST', '/csourceRegistrations', exclusive);
    expect(second.statusCode).toBe(409);
    expect(second.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/Conflict');
    expect((await reqA('POST', '/csourceRegistrations', { ...exclusive, id: first.headers.location!.split('/').pop()!.replace(/%3A/g, ':') })).statusCode).toBe(409);
    // Query by type, attrs and csf on the registration's own members.
    const found = await reqA('GET', `/csourceRegistrations?type=Streetlight&attrs=powerState&csf=${encodeURIComponent('mode=="exclusive"')}&count=true`);
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json()).toHaveLength(1);
    expect(found.headers['ngsild-results-count']).toBe('1');
    expect((await reqA('GET', '/csourceRegistrations?type=Nothing')).json()).toEqual([]);
    // §4.19 scopeQ over the registration's scope.
    expect((await reqA('GET', '/csourceRegistrations?type=Streetlight&scopeQ=/District/%23;/Lighting')).json()).toHaveLength(1);
    expect((await reqA('GET', '/csourceRegistrations?type=Streetlight&scopeQ=/District/%2B')).json()).toHaveLength(1);
    expect((await reqA('GET', '/csourceRegistrations?type=Streetlight&scopeQ=/District')).json()).toEqual([]);
    const badScope = await reqA('GET', '/csourceRegistrations?scopeQ=District.*');
    expect(badScope.statusCode).toBe(400);
    expect(badScope.json().detail).toContain('scopeQ');
    expect((await reqA('DELETE', first.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
    expect((await reqA('GET', first.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(404);
  });

  it('loops: A and B register each other; a query ends, answering both, and Via stops the second round (§6.3.18)', async () => {
    expect((await reqA('DELETE', '/csourceRegistrations/urn:ngsi-ld:ContextSourceRegistration:b')).statusCode).toBe(204);
    const regA = await reqA('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Streetlight' }] }], endpoint: bUrl, contextSourceInfo: [{ key: 'Authorization', value: `Bearer ${(await b.services.auth.createApiKey(systemActor('t'), { name: 'a', roles: ['data_admin'] })).key}` }] });
    const regB = await reqB('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Streetlight' }] }], endpoint: aUrl, contextSourceInfo: [{ key: 'Authorization', value: `Bearer ${(await a.services.auth.createApiKey(systemActor('t'), { name: 'b', roles: ['data_admin'] })).key}` }] });
    // A also registers itself: the call comes back with A in Via and is answered locally.
    const self = await reqA('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Streetlight' }] }], endpoint: aUrl, contextSourceInfo: [{ key: 'Authorization', value: `Bearer ${(await a.services.auth.createApiKey(systemActor('t'), { name: 'self', roles: ['data_admin'] })).key}` }] });
    expect([regA.statusCode, regB.statusCode, self.statusCode]).toEqual([201, 201, 201]);
    const started = performance.now();
    const q = await reqA('GET', '/entities?type=Streetlight');
    expect(q.statusCode, q.body).toBe(200);
    expect(q.json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Streetlight:a1', 'urn:ngsi-ld:Streetlight:b1', 'urn:ngsi-ld:Streetlight:b2']);
    expect(q.headers['ngsild-warning']).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1500);
    // A request carrying A's own name in Via is answered by A alone.
    const looped = await reqA('GET', '/entities?type=Streetlight', undefined, { via: '1.1 hub-b, 1.1 hub-a' });
    expect(looped.json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Streetlight:a1']);
    // Too many hops: answered locally too.
    const far = await reqA('GET', '/entities?type=Streetlight', undefined, { via: '1.1 x1, 1.1 x2, 1.1 x3, 1.1 x4' });
    expect(far.json()).toHaveLength(1);
    for (const r of [regA, self]) expect((await reqA('DELETE', r.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
    expect((await reqB('DELETE', regB.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
  });

  it('§4.3.6.6: contextSourceInfo accept and contentType steer the call (plain JSON with a Link header); they are not sent as headers', async () => {
    badMode = 'absent';
    const reg = await reqA('POST', '/csourceRegistrations', {
      type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Kiosk' }] }], endpoint: badUrl, operations: ['redirectionOps'],
      contextSourceInfo: [{ key: 'accept', value: 'application/ld+json' }, { key: 'contentType', value: 'application/json' }, { key: 'X-Extra', value: 'kept' }],
    });
    expect(reg.statusCode, reg.body).toBe(201);
    expect((await reqA('POST', '/entities', { id: 'urn:ngsi-ld:Kiosk:k9', type: 'Kiosk', open: true })).statusCode).toBe(201);
    await new Promise((r) => setTimeout(r, 50));
    expect(badLast.method).toBe('POST');
    expect(badLast.headers['content-type']).toBe('application/json');
    expect(String(badLast.headers.link)).toContain('rel="http://www.w3.org/ns/json-ld#context"');
    expect(JSON.parse(badLast.body)).toEqual({ id: 'urn:ngsi-ld:Kiosk:k9', type: 'Kiosk', open: true });
    expect(badLast.headers['x-extra']).toBe('kept');
    expect(badLast.headers.contenttype).toBeUndefined();
    expect(badLast.headers.jsonldcontext).toBeUndefined();
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Kiosk:k9')).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(badLast.method).toBe('GET');
    expect(badLast.headers.accept).toBe('application/ld+json');
    expect((await reqA('DELETE', reg.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
    expect((await reqA('DELETE', '/entities/urn:ngsi-ld:Kiosk:k9')).statusCode).toBe(204);
  });

  it('§4.3.6.6 jsonldContext: requests go compacted with the source’s @context (plain JSON, Link) and its answers are read with it; a context that cannot be loaded fails the source', async () => {
    badMode = 'absent';
    const reg = await reqA('POST', '/csourceRegistrations', {
      type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Kiosk' }] }], endpoint: badUrl, operations: ['redirectionOps', 'retrieveOps'],
      contextSourceInfo: [{ key: 'jsonldContext', value: CORE }],
    });
    expect(reg.statusCode, reg.body).toBe(201);
    // The caller speaks Smart Data Models (its Link); the source gets the same attribute under the core @context: a full IRI.
    expect((await reqA('POST', '/entities', { id: 'urn:ngsi-ld:Kiosk:k9', type: 'Kiosk', powerState: 'on' })).statusCode).toBe(201);
    await new Promise((r) => setTimeout(r, 50));
    expect(badLast.method).toBe('POST');
    // §4.3.6.6: as application/json, the @context in the Link header, none in the body.
    expect(JSON.parse(badLast.body)).toEqual({ id: 'urn:ngsi-ld:Kiosk:k9', type: 'Kiosk', [`${SDM_DOMAIN}Streetlighting/powerState`]: 'on' });
    expect(badLast.headers['content-type']).toBe('application/json');
    expect(String(badLast.headers.link)).toContain(`<${CORE}>`);
    // Query names too; the answer (full IRIs) comes back in the caller's terms.
    badMode = 'iri';
    const q = await reqA('GET', '/entities?type=Kiosk&attrs=powerState,illuminanceLevel');
    expect(q.statusCode, q.body).toBe(200);
    expect(new URL(badLast.url!, 'http://x').searchParams.get('attrs')).toBe(`${SDM_DOMAIN}Streetlighting/powerState,${SDM_DOMAIN}Streetlighting/illuminanceLevel`);
    expect(String(badLast.headers.link)).toContain(CORE);
    const got = await reqA('GET', '/entities/urn:ngsi-ld:Kiosk:k9');
    expect(got.json().illuminanceLevel).toEqual({ type: 'Property', value: 7 });
    expect(got.json().powerState).toEqual({ type: 'Property', value: 'on' });
    expect((await reqA('DELETE', reg.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);

    // A context hosted here loads without fetching; once deleted, the source is skipped with a 199 warning.
    const hosted = await reqA('POST', '/jsonldContexts', { '@context': { kioskState: `${SDM_DOMAIN}Streetlighting/powerState` } });
    expect(hosted.statusCode, hosted.body).toBe(201);
    const withHosted = await reqA('POST', '/csourceRegistrations', {
      type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Kiosk' }] }], endpoint: badUrl, operations: ['retrieveOps'],
      contextSourceInfo: [{ key: 'jsonldContext', value: `${aUrl}${hosted.headers.location}` }],
    });
    expect(withHosted.statusCode, withHosted.body).toBe(201);
    expect((await reqA('DELETE', hosted.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
    const before = badRequests;
    const warned = await reqA('GET', '/entities?type=Kiosk');
    expect(warned.statusCode).toBe(200);
    expect(warned.json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Kiosk:k9']);
    expect(warned.headers['ngsild-warning']).toMatch(new RegExp(`^199 hub-a "context source ${badUrl}: its jsonldContext cannot be loaded`));
    expect(badRequests).toBe(before);
    expect((await reqA('DELETE', withHosted.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
    expect((await reqA('DELETE', '/entities/urn:ngsi-ld:Kiosk:k9')).statusCode).toBe(204);
  });

  it('§5.2.9, §5.10.2: Context Source Properties kept and queried (q, csf); observationSpace and operationSpace as geoproperty; an ImplicitlyCreated @context', async () => {
    const implicitBefore = (await reqA('GET', '/jsonldContexts?kind=ImplicitlyCreated')).json().length;
    const sensor = await reqA('POST', '/csourceRegistrations', {
      type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Hydrant' }] }], endpoint: bUrl,
      sourceType: { type: 'Property', value: 'sensor' }, csourceProperty1: 'aValue',
      observationSpace: { type: 'Point', coordinates: [116.4, 39.9] }, operationSpace: { type: 'Point', coordinates: [2.35, 48.85] },
      '@context': [{ sourceType: 'https://example.org/sourceType' }, 'https://smartdatamodels.org/context.jsonld'],
    }, { 'content-type': 'application/ld+json', link: '' });
    expect(sensor.statusCode, sensor.body).toBe(201);
    // §5.13.1: a list @context becomes an ImplicitlyCreated context.
    expect((await reqA('GET', '/jsonldContexts?kind=ImplicitlyCreated')).json()).toHaveLength(implicitBefore + 1);
    const path = sensor.headers.location!.replace('/ngsi-ld/v1', '');
    const shown = (await reqA('GET', path)).json();
    // Named in the reader's @context (SDM: sourceType is the example.org IRI, not a term of it).
    expect(shown['https://example.org/sourceType']).toEqual({ type: 'Property', value: 'sensor' });
    expect(shown.csourceProperty1).toBe('aValue');
    expect(shown.observationSpace).toEqual({ type: 'Point', coordinates: [116.4, 39.9] });
    const archive = await reqA('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Hydrant' }] }], endpoint: bUrl, csourceProperty1: 'other' });
    expect(archive.statusCode, archive.body).toBe(201);
    const idsOf = async (url: string) => {
      const res = await reqA('GET', url);
      expect(res.statusCode, `${url} ${res.body}`).toBe(200);
      return (res.json() as { id: string }[]).map((r) => r.id);
    };
    const sensorId = decodeURIComponent(path.split('/').pop()!);
    const archiveId = decodeURIComponent(archive.headers.location!.split('/').pop()!);
    expect(await idsOf(`/csourceRegistrations?type=Hydrant&q=${encodeURIComponent('csourceProperty1=="aValue"')}`)).toEqual([sensorId]);
    expect(await idsOf(`/csourceRegistrations?type=Hydrant&csf=${encodeURIComponent('csourceProperty1=="other"')}`)).toEqual([archiveId]);
    // Geo-queries on the space named by geoproperty (location by default; a registration without one never matches).
    const near = (prop: string, lon: number, lat: number) => `/csourceRegistrations?type=Hydrant&georel=${encodeURIComponent('near;maxDistance==1000')}&geometry=Point&coordinates=[${lon},${lat}]${prop ? `&geoproperty=${prop}` : ''}`;
    expect(await idsOf(near('observationSpace', 116.401, 39.9))).toEqual([sensorId]);
    expect(await idsOf(near('operationSpace', 116.401, 39.9))).toEqual([]);
    expect(await idsOf(near('operationSpace', 2.351, 48.85))).toEqual([sensorId]);
    expect(await idsOf(near('', 116.401, 39.9))).toEqual([]);
    const badGeo = await reqA('GET', near('area', 116.401, 39.9));
    expect(badGeo.statusCode).toBe(400);
    expect(badGeo.json().detail).toContain('geoproperty');

    // §5.7.2.4: csf picks the registrations a distributed query asks; B holds a hydrant.
    expect((await reqB('POST', '/entities', { id: 'urn:ngsi-ld:Hydrant:h1', type: 'Hydrant' })).statusCode).toBe(201);
    for (const r of [sensor, archive]) expect((await reqA('PATCH', r.headers.location!.replace('/ngsi-ld/v1', ''), { contextSourceInfo: [{ key: 'Authorization', value: `Bearer ${keyB}` }] })).statusCode).toBe(204);
    expect(await idsOf(`/entities?type=Hydrant&csf=${encodeURIComponent('csourceProperty1=="aValue"')}`)).toEqual(['urn:ngsi-ld:Hydrant:h1']);
    expect(await idsOf(`/entities?type=Hydrant&csf=${encodeURIComponent('csourceProperty1=="none"')}`)).toEqual([]);
    for (const r of [sensor, archive]) expect((await reqA('DELETE', r.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
    expect((await reqB('DELETE', '/entities/urn:ngsi-ld:Hydrant:h1')).statusCode).toBe(204);
  });

  it('§4.3.6.1: a source registered for some attributes is asked for those only', async () => {
    badMode = 'absent';
    const reg = await reqA('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Bench' }], propertyNames: ['powerState'] }], endpoint: badUrl });
    expect(reg.statusCode, reg.body).toBe(201);
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Bench:1')).statusCode).toBe(404);
    await new Promise((r) => setTimeout(r, 50));
    expect(new URL(badLast.url!, 'http://x').searchParams.get('attrs')).toBe('powerState');
    expect((await reqA('GET', '/entities?type=Bench&attrs=powerState,colour')).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(new URL(badLast.url!, 'http://x').searchParams.get('attrs')).toBe('powerState');
    expect((await reqA('DELETE', reg.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
  });

  it('§5.2.12, §5.11: a csourceSubscription shows its deliveries (timesSent, lastNotification, lastSuccess, lastFailure, status); made or changed, it is told of the registrations matching then', async () => {
    badMode = 'forbidden';
    const ok = await reqA('POST', '/csourceSubscriptions', { type: 'Subscription', entities: [{ type: 'Fountain' }], notification: { endpoint: { uri: sink.url } } });
    const failing = await reqA('POST', '/csourceSubscriptions', { type: 'Subscription', entities: [{ type: 'Fountain' }], geoQ: { georel: 'near;maxDistance==1000', geometry: 'Point', coordinates: [116.4, 39.9], geoproperty: 'observationSpace' }, notification: { endpoint: { uri: `${badUrl}/notify` } } });
    expect([ok.statusCode, failing.statusCode]).toEqual([201, 201]);
    const okPath = ok.headers.location!.replace('/ngsi-ld/v1', '');
    const failingPath = failing.headers.location!.replace('/ngsi-ld/v1', '');
    expect((await reqA('GET', failingPath)).json().geoQ.geoproperty).toBe('observationSpace');
    const fresh = (await reqA('GET', okPath)).json();
    expect(fresh.notification).toEqual({ endpoint: { uri: sink.url, accept: 'application/json' }, status: 'ok', timesSent: 0, timesFailed: 0 });
    expect(fresh).toMatchObject({ isActive: true, status: 'active' });
    // Located by its observationSpace only: the geoQ on observationSpace matches it.
    const reg = await reqA('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Fountain' }] }], endpoint: bUrl, observationSpace: { type: 'Point', coordinates: [116.401, 39.9] } });
    expect(reg.statusCode, reg.body).toBe(201);
    await drainBoth();
    const delivered = (await reqA('GET', okPath)).json().notification;
    expect(delivered).toMatchObject({ status: 'ok', timesSent: 1, timesFailed: 0, lastNotification: expect.any(String), lastSuccess: expect.any(String) });
    expect(delivered.lastFailure).toBeUndefined();
    const failed = (await reqA('GET', failingPath)).json().notification;
    // Retried after csources' backoff (1 s first): at least one failed attempt, each counted as sent.
    expect(failed).toMatchObject({ status: 'failed', lastNotification: expect.any(String), lastFailure: expect.any(String) });
    expect(failed.timesFailed).toBeGreaterThanOrEqual(1);
    expect(failed.timesSent).toBe(failed.timesFailed);
    expect(failed.lastSuccess).toBeUndefined();
    const listed = (await reqA('GET', '/csourceSubscriptions')).json() as { id: string; notification: { timesSent: number } }[];
    expect(listed.find((x) => okPath.endsWith(encodeURIComponent(x.id)))?.notification.timesSent).toBe(1);
    // §5.11.7: a subscription made or changed while registrations match is notified of them at once (newlyMatching).
    const seen = sink.received.length;
    const late = await reqA('POST', '/csourceSubscriptions', { type: 'Subscription', entities: [{ type: 'Fountain' }], notification: { endpoint: { uri: sink.url } } });
    expect(late.statusCode, late.body).toBe(201);
    expect((await reqA('PATCH', okPath, { subscriptionName: 'fountains' })).statusCode).toBe(204);
    await drainBoth();
    await sink.waitFor(seen + 2);
    const regId = decodeURIComponent(reg.headers.location!.split('/').pop()!);
    const initial = sink.received.slice(seen).map((r) => r.body as { subscriptionId: string; triggerReason: string; data: { id: string }[] });
    const lateId = decodeURIComponent(late.headers.location!.split('/').pop()!);
    const okId = decodeURIComponent(okPath.split('/').pop()!);
    expect(initial.map((n) => [n.subscriptionId, n.triggerReason, n.data.map((r) => r.id)]).sort()).toEqual([[lateId, 'newlyMatching', [regId]], [okId, 'newlyMatching', [regId]]].sort());
    expect((await reqA('GET', okPath)).json().notification.timesSent).toBe(2);
    for (const p of [okPath, failingPath, late.headers.location!.replace('/ngsi-ld/v1', ''), reg.headers.location!.replace('/ngsi-ld/v1', '')]) expect((await reqA('DELETE', p)).statusCode).toBe(204);
  });

  it('a hostile source: huge, invalid, id-less, endless or hanging answers leave the local answer whole, with NGSILD-Warning', async () => {
    const reg = await reqA('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', information: [{ entities: [{ type: 'Streetlight' }] }], endpoint: badUrl, operations: ['federationOps', 'updateOps'] });
    expect(reg.statusCode).toBe(201);
    // §6.3.17 warn codes: 299 an error answer, 111 an invalid payload, 199 anything else (too large, no answer).
    const codes = { huge: 199, invalid: 111, noid: 111, hang: 199, forbidden: 299 };
    for (const mode of ['huge', 'invalid', 'noid', 'hang', 'forbidden'] as const) {
      badMode = mode;
      const started = performance.now();
      const q = await reqA('GET', '/entities?type=Streetlight');
      expect(q.statusCode, mode).toBe(200);
      expect(q.json().map((e: { id: string }) => e.id), mode).toEqual(['urn:ngsi-ld:Streetlight:a1']);
      expect(q.headers['ngsild-warning'], mode).toMatch(new RegExp(`^${codes[mode]} hub-a "context source ${badUrl}`));
      expect(performance.now() - started, mode).toBeLessThan(3000);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // A retrieval of an entity only the source could have: 404, not 500.
      expect((await reqA('GET', '/entities/urn:ngsi-ld:Streetlight:elsewhere')).statusCode, mode).toBe(404);
    }
    // A source answering 404 is no abnormal behaviour: no warning (§6.3.17).
    badMode = 'absent';
    const absent = await reqA('GET', '/entities/urn:ngsi-ld:Streetlight:elsewhere');
    expect(absent.statusCode).toBe(404);
    expect(absent.headers['ngsild-warning']).toBeUndefined();
    // An update only a failing source could take answers 502 (not 500), naming the source.
    badMode = 'invalid';
    const upd = await reqA('PATCH', '/entities/urn:ngsi-ld:Streetlight:elsewhere/attrs', { powerState: 'off' });
    expect(upd.statusCode).toBe(502);
    expect(upd.json().code).toBe('CONTEXT_SOURCE_FAILED');
    // A source answering more entities than allowed is cut to csources.maxEntitiesPerSource.
    badMode = 'many';
    const many = await reqA('GET', '/entities?type=Streetlight&limit=100');
    expect(many.json()).toHaveLength(1 + 5);
    expect(many.headers['ngsild-warning']).toMatch(/maxEntitiesPerSource/);
    expect(badRequests).toBeGreaterThan(0);
    expect((await reqA('DELETE', reg.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
  });
});
