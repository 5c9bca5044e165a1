import { createServer, type Server } from 'node:http';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { addressAllowed } from '../../src/platform/net/outbound.js';
import { resolveBroker } from '../../src/context/notification-endpoint.js';
import { startSink, type Sink } from './http-sink.js';
import { contextLink, ngsiRequester } from './ngsi-support.js';

/**
 * Issue 15, finding 7: notification endpoints could be 127.0.0.1:5432, 169.254.169.254, [::1], 0.0.0.0,
 * 2130706433 or localhost, with any headers from receiverInfo, and one user could hold any number of
 * subscriptions. Now the platform's outbound guard refuses such endpoints when a subscription is made or changed
 * and again when a notification is sent (and remote @context fetches go through it too); receiverInfo may not
 * set hop-by-hop, framing or CityHub's headers; an owner holds at most `subscriptions.maxPerOwner`; and only
 * its owner (and admins) see or change a subscription, so nobody can point another's at their own receiver.
 */
describe.each(testEngines)('finding 7: outbound calls from the context layer [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  let sink: Sink;
  let contextServer: Server;
  let contextUrl: string;
  let contextFetches = 0;
  const req = ngsiRequester(() => hub, () => cookie);
  const subscription = (uri: string, extra: Record<string, unknown> = {}) => ({
    type: 'Subscription', entities: [{ type: 'Sensor' }], notification: { endpoint: { uri, ...extra } },
  });

  beforeAll(async () => {
    // The default outbound policy: nothing private allowed.
    hub = await createTestHub(engine, {
      config: { modules: { context: { fetchRemoteContexts: true, subscriptions: { maxPerOwner: 100 }, simulator: { enabled: false }, mqtt: { ingest: false } } } } as never,
    });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    sink = await startSink();
    contextServer = createServer((_req, res) => {
      contextFetches++;
      res.setHeader('content-type', 'application/ld+json');
      res.end(JSON.stringify({ '@context': { foo: 'http://example.org/foo' } }));
    });
    await new Promise<void>((resolve) => contextServer.listen(0, '127.0.0.1', resolve));
    contextUrl = `http://127.0.0.1:${(contextServer.address() as AddressInfo).port}/context.jsonld`;
  }, 240_000);
  afterAll(async () => {
    await sink?.close();
    await new Promise<void>((resolve) => (contextServer ? contextServer.close(() => resolve()) : resolve()));
    await hub?.close();
  }, 60_000);

  it('finding 7: notification endpoints in loopback, private, link-local and metadata ranges are refused naming notification.endpoint.uri', async () => {
    const targets = [
      'http://127.0.0.1:5432/', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/', 'http://0.0.0.0/', 'http://2130706433/',
      'http://localhost:8080/', 'http://10.0.0.1/', 'https://192.168.1.1/x', 'mqtt://127.0.0.1:1883/topic', 'mqtts://[::1]:8883/t', 'mqtt://localhost/t',
      sink.url,
    ];
    for (const uri of targets) {
      const res = await req('POST', '/subscriptions', subscription(uri));
      expect(res.statusCode, uri).toBe(400);
      expect(res.json().errors[0].field, uri).toBe('/body/notification/endpoint/uri');
      expect(res.json().detail, uri).toContain('notification.endpoint.uri');
    }
    // A public endpoint is fine, and cannot be changed into a private one.
    const ok = await req('POST', '/subscriptions', subscription('https://receiver.example.org/notify'));
    expect(ok.statusCode, ok.body).toBe(201);
    const patched = await req('PATCH', ok.headers.location!.replace('/ngsi-ld/v1', ''), { notification: { endpoint: { uri: 'http://169.254.169.254/' } } });
    expect(patched.statusCode).toBe(400);
    expect(patched.json().errors[0].field).toBe('/body/notification/endpoint/uri');
    expect((await req('DELETE', ok.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
  });

  it('finding 7: a notification to a refused address is not sent, even for a subscription stored before the rule', async () => {
    // As if stored by an earlier version: straight into the table, pointing at a loopback receiver.
    const owner = { ref: 'user:legacy', kind: 'user', orgId: null, roles: ['data_admin'] };
    const body = { type: 'Subscription', entities: [{ type: 'https://uri.etsi.org/ngsi-ld/default-context/Sensor' }], notification: { format: 'normalized', endpoint: { uri: sink.url, accept: 'application/json' } }, context: null, owner };
    await hub.database.pool.query(
      `insert into context_subscription (tenant, id, body, active, throttling, created_at, modified_at) values ('', 'urn:ngsi-ld:Subscription:legacy', $1, true, 0, now(), now())`,
      [JSON.stringify(body)],
    );
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:Sensor:1', type: 'Sensor', reading: 1 })).statusCode).toBe(201);
    await hub.services.context.dispatcher.drain();
    expect(sink.received).toHaveLength(0);
    const { rows } = await hub.database.pool.query(`select failed_at, last_error, attempts from context_outbox where subscription_id = 'urn:ngsi-ld:Subscription:legacy'`);
    expect(rows).toHaveLength(1);
    expect(rows[0].failed_at).not.toBeNull(); // refused for good, not retried
    expect(rows[0].last_error).toMatch(/refused/);
    await hub.database.pool.query(`delete from context_subscription where id = 'urn:ngsi-ld:Subscription:legacy'`);
  });

  it('finding 7: an MQTT broker is resolved and checked before its socket opens', async () => {
    const none = { allow: [] };
    await expect(resolveBroker(new URL('mqtt://127.0.0.1:1883/t'), none)).rejects.toThrow(/refused/);
    await expect(resolveBroker(new URL('mqtts://user:pw@[::1]:8883/t'), none)).rejects.toThrow(/refused/);
    await expect(resolveBroker(new URL('mqtt://localhost/t'), none)).rejects.toThrow(/refused/);
    expect(await resolveBroker(new URL('mqtt://127.0.0.1:1883/t'), { allow: ['127.0.0.1'] })).toBe('127.0.0.1');
    // A name (not `localhost`) that resolves to a private address: the machine's own name, where it does.
    const name = hostname();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    if (addresses.length > 0 && addresses.every((a) => !addressAllowed(a.address, none))) {
      await expect(resolveBroker(new URL(`mqtt://${name}:1883/t`), none)).rejects.toThrow(/resolves to/);
      expect(await resolveBroker(new URL(`mqtt://${name}:1883/t`), { allow: [name] })).toBe(name);
    }
  });

  it('finding 7: receiverInfo cannot set hop-by-hop, framing or CityHub headers', async () => {
    const uri = 'https://receiver.example.org/notify';
    for (const [key, value] of [['Host', 'internal.local'], ['Content-Length', '0'], ['Transfer-Encoding', 'chunked'], ['Connection', 'close'],
      ['Cookie', 'session=x'], ['NGSILD-Tenant', 'other'], ['X-Forwarded-For', '127.0.0.1'], ['bad header', 'x'], ['X-Token', 'a\r\nHost: evil']]) {
      const res = await req('POST', '/subscriptions', subscription(uri, { receiverInfo: [{ key: 'X-Fine', value: '1' }, { key, value }] }));
      expect(res.statusCode, key).toBe(400);
      expect(res.json().errors[0].field, key).toMatch(/^\/body\/notification\/endpoint\/receiverInfo\/1\/(key|value)$/);
    }
    const ok = await req('POST', '/subscriptions', subscription(uri, { receiverInfo: [{ key: 'Authorization', value: 'Bearer receiver-token' }, { key: 'X-Token', value: 's' }] }));
    expect(ok.statusCode, ok.body).toBe(201);
    expect((await req('DELETE', ok.headers.location!.replace('/ngsi-ld/v1', ''))).statusCode).toBe(204);
  });

  it('finding 7: a remote @context is fetched only through the outbound guard', async () => {
    const res = await req('POST', '/entities', { id: 'urn:ngsi-ld:Sensor:ctx', type: 'Sensor', foo: 1 }, { link: contextLink(contextUrl) });
    expect(res.statusCode, res.body).toBe(503);
    expect(res.json()).toMatchObject({ type: 'https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable', contextUrl });
    expect(res.json().detail).toMatch(/refused/);
    expect(contextFetches).toBe(0);
  });

  it('finding 7: an owner holds at most subscriptions.maxPerOwner subscriptions, in all tenants together', async () => {
    const operator = (await hub.loginAs(['market_operator'], (await hub.services.auth.insertOrg(systemActor('test'), { name: '运营公司', kind: 'operator', parentId: null })).id)).cookie;
    const as = (body: unknown, headers: Record<string, string> = {}) => req('POST', '/subscriptions', body, headers, operator);
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 300 }, () => as(subscription('https://receiver.example.org/n'))));
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(100);
    expect(statuses.filter((s) => s === 403)).toHaveLength(200);
    const refused = answers.find((a) => a.statusCode === 403)!.json();
    expect(refused).toMatchObject({ code: 'CONTEXT_TOO_MANY_SUBSCRIPTIONS', limit: 100, rule: 'modules.context.subscriptions.maxPerOwner' });
    expect(refused.detail).toContain('maxPerOwner');
    expect(performance.now() - started).toBeLessThan(60_000);
    // Another tenant does not give another 100.
    expect((await as(subscription('https://receiver.example.org/n'), { 'ngsild-tenant': 'elsewhere' })).statusCode).toBe(403);
    // Others are not affected.
    expect((await req('POST', '/subscriptions', subscription('https://receiver.example.org/n'))).statusCode).toBe(201);
  }, 120_000);

  it('finding 7: a subscription (its endpoint and receiverInfo) is seen and changed by its owner and admins only', async () => {
    const setup = systemActor('test');
    const a = (await hub.loginAs(['market_operator'], (await hub.services.auth.insertOrg(setup, { name: 'A 公司', kind: 'operator', parentId: null })).id)).cookie;
    const b = (await hub.loginAs(['market_operator'], (await hub.services.auth.insertOrg(setup, { name: 'B 公司', kind: 'operator', parentId: null })).id)).cookie;
    const created = await req('POST', '/subscriptions', subscription('https://a.example.org/n', { receiverInfo: [{ key: 'Authorization', value: 'Bearer a-secret' }] }), {}, a);
    expect(created.statusCode, created.body).toBe(201);
    const path = created.headers.location!.replace('/ngsi-ld/v1', '');
    expect((await req('GET', path, undefined, {}, b)).statusCode).toBe(404);
    expect((await req('PATCH', path, { notification: { endpoint: { uri: 'https://b.example.org/steal' } } }, {}, b)).statusCode).toBe(404);
    expect((await req('DELETE', path, undefined, {}, b)).statusCode).toBe(404);
    expect((await req('GET', '/subscriptions', undefined, {}, b)).body).not.toContain('a-secret');
    expect((await req('GET', path, undefined, {}, a)).json().notification.endpoint.uri).toBe('https://a.example.org/n');
    expect((await req('GET', '/subscriptions', undefined, {}, a)).json()).toHaveLength(1);
    expect((await req('GET', path)).statusCode).toBe(200);
  });
});
