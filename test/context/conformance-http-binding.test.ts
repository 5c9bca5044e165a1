import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 §6.3 (HTTP binding) as NGSI-LD clients and the conformance tools use it: trailing slashes, DELETE
 * with a JSON content type and no body, a bare 411, media types without charset, Accept weights and order, the
 * @context of GeoJSON answers, unknown query parameters, the tenant echoed, and FIWARE's headers (X-Auth-Token,
 * Fiware-Service as the tenant where configured). Access stays deny by default.
 */
describe.each(testEngines)('NGSI-LD HTTP binding conformance [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  const req = ngsiRequester(() => hub, () => cookie, {});

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      config: { modules: { context: { fiwareServiceAsTenant: true, simulator: { enabled: false }, mqtt: { ingest: false } } } } as never,
    });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
  }, 120_000);
  afterAll(async () => hub?.close(), 60_000);

  it('answers a trailing-slash path as the path without it', async () => {
    let res = await req('POST', '/entities/', { id: 'urn:ngsi-ld:Thing:s1', type: 'Thing', n: 1 });
    expect(res.statusCode, res.body).toBe(201);
    res = await req('GET', '/entities/?type=Thing');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Thing:s1']);
    expect((await req('GET', '/entities/urn:ngsi-ld:Thing:s1/')).statusCode).toBe(200);
    expect((await req('GET', '/types/')).statusCode).toBe(200);
  });

  it('deletes with Content-Type: application/json and no body; answers 411 to a write without Content-Length', async () => {
    await req('POST', '/entities', { id: 'urn:ngsi-ld:Thing:d1', type: 'Thing', n: 1 });
    let res = await req('DELETE', '/entities/urn:ngsi-ld:Thing:d1', undefined, { 'content-type': 'application/json' });
    expect(res.statusCode, res.body).toBe(204);
    // §6.3.4: just a 411, no body — chunked gets no exemption, and it comes before the tenant is looked up.
    for (const headers of [{}, { 'transfer-encoding': 'chunked' }, { 'ngsild-tenant': 'no-such-tenant' }] as Array<Record<string, string>>) {
      res = await req('POST', '/entities', undefined, { 'content-type': 'application/json', ...headers });
      expect(res.statusCode).toBe(411);
      expect(res.body).toBe('');
    }
    res = await req('PATCH', '/entities/urn:ngsi-ld:Thing:d1/attrs/', undefined, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(411);
    expect((await req('GET', '/entities?type=Thing')).statusCode).toBe(200);
    // A body that is not JSON is InvalidRequest; one that is JSON but not an entity is BadRequestData.
    res = await req('POST', '/entities', '{"id": ', { 'content-type': 'application/json' });
    expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/InvalidRequest');
    // Prototype poisoning is refused in JSON-LD bodies as in JSON ones.
    res = await req('POST', '/entities', '{"@context": {}, "id": "urn:x:p", "type": "T", "__proto__": {"polluted": 1}}', { 'content-type': 'application/ld+json' });
    expect(res.statusCode).toBe(400);
    expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/InvalidRequest');
  });

  it('names JSON media types without a charset parameter', async () => {
    await req('POST', '/entities', { id: 'urn:ngsi-ld:Thing:c1', type: 'Thing', n: 1 });
    expect((await req('GET', '/entities/urn:ngsi-ld:Thing:c1')).headers['content-type']).toBe('application/json');
    const ld = await req('GET', '/entities/urn:ngsi-ld:Thing:c1', undefined, { accept: 'application/ld+json' });
    expect(ld.headers['content-type']).toBe('application/ld+json');
    expect(ld.json()['@context']).toBeDefined();
  });

  it('takes an API key in X-Auth-Token as in Authorization: Bearer, and refuses an unknown one', async () => {
    const setup = systemActor('test-setup');
    const org = (await hub.services.auth.listOrgs(setup))[0];
    const key = (await hub.services.auth.createApiKey(setup, { name: 'fiware-client', roles: ['data_admin'], orgId: org?.id })).key;
    let res = await req('GET', '/entities?type=Thing', undefined, { 'x-auth-token': key }, '');
    expect(res.statusCode, res.body).toBe(200);
    res = await req('GET', '/entities?type=Thing', undefined, { 'x-auth-token': 'not-a-key' }, '');
    expect(res.statusCode).toBe(401);
    // No credential at all: still deny by default.
    expect((await req('GET', '/entities?type=Thing', undefined, {}, '')).statusCode).toBe(401);
  });

  it('reads Fiware-Service as the tenant when NGSILD-Tenant is absent (configured)', async () => {
    let res = await req('POST', '/entities', { id: 'urn:ngsi-ld:Thing:f1', type: 'Thing', n: 1 }, { 'fiware-service': 'smartcity' });
    expect(res.statusCode, res.body).toBe(201);
    res = await req('GET', '/entities/urn:ngsi-ld:Thing:f1', undefined, { 'ngsild-tenant': 'smartcity' });
    expect(res.statusCode).toBe(200);
    expect((await req('GET', '/entities/urn:ngsi-ld:Thing:f1')).statusCode).toBe(404);
    // NGSILD-Tenant wins when both are given.
    expect((await req('GET', '/entities/urn:ngsi-ld:Thing:f1', undefined, { 'fiware-service': 'smartcity', 'ngsild-tenant': 'other' })).statusCode).toBe(404);
  });

  it('chooses the representation by Accept weights, then in the order json, ld+json, geo+json (§6.3.4)', async () => {
    await req('POST', '/entities', { id: 'urn:ngsi-ld:Thing:a1', type: 'Thing', location: { type: 'Point', coordinates: [112.94, 28.23] } });
    const chosen = async (accept: string, url = '/entities/urn:ngsi-ld:Thing:a1') => {
      const res = await req('GET', url, undefined, { accept });
      return res.statusCode === 200 ? res.headers['content-type'] : res.statusCode;
    };
    expect(await chosen('application/ld+json, application/json')).toBe('application/json');
    expect(await chosen('application/geo+json, application/json')).toBe('application/json');
    expect(await chosen('application/json;q=0.2, application/ld+json;q=0.7')).toBe('application/ld+json');
    expect(await chosen('application/json;q=0, */*')).toBe('application/ld+json');
    expect(await chosen('*/*;q=0.9, application/ld+json;q=0.8')).toBe('application/json');
    expect(await chosen('application/ld+json;q=abc')).toBe('application/ld+json');
    expect(await chosen('application/geo+json')).toBe('application/geo+json');
    expect(await chosen('text/html')).toBe(406);
    // Where GeoJSON is not offered it is passed over, and alone it is a 406.
    expect(await chosen('application/geo+json;q=0.9, application/ld+json;q=0.1', '/types')).toBe('application/ld+json');
    expect(await chosen('application/geo+json', '/types')).toBe(406);
  });

  it('puts the @context in GeoJSON answers unless Prefer: body=json (§6.3.15)', async () => {
    await req('POST', '/entities', { id: 'urn:ngsi-ld:Thing:g1', type: 'GeoThing', location: { type: 'Point', coordinates: [112.94, 28.23] } });
    let res = await req('GET', '/entities?type=GeoThing', undefined, { accept: 'application/geo+json' });
    expect(res.json()).toMatchObject({ type: 'FeatureCollection', '@context': expect.anything() });
    res = await req('GET', '/entities?type=GeoThing', undefined, { accept: 'application/geo+json', prefer: 'body=json' });
    expect(res.json()['@context']).toBeUndefined();
    expect(res.json().features).toHaveLength(1);
    expect(res.headers.link).toContain('rel="http://www.w3.org/ns/json-ld#context"');
  });

  it('answers a query parameter the operation does not define with InvalidRequest (§6.3.20)', async () => {
    for (const [method, url, body] of [['GET', '/entities?type=Thing&colour=red'], ['GET', '/types?colour=red'], ['DELETE', '/entities?colour=red'],
      ['POST', '/entities?colour=red', { id: 'urn:ngsi-ld:Thing:q1', type: 'Thing' }], ['POST', '/subscriptions?colour=red', JSON.stringify('a JSON string, not a subscription')]] as const) {
      const res = await req(method, url, body, body === undefined ? {} : { 'content-type': 'application/json' });
      expect(res.statusCode, `${method} ${url}`).toBe(400);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/InvalidRequest');
    }
    expect((await req('GET', '/entities/urn:ngsi-ld:Thing:q1')).statusCode).toBe(404);
  });

  it('echoes the tenant on every answer, errors included, and names each tenant apart in its identity (§6.3.14, §5.15)', async () => {
    const tenant = { 'ngsild-tenant': 'echo_t' };
    let res = await req('POST', '/entities', { id: 'urn:ngsi-ld:Thing:t1', type: 'Thing' }, tenant);
    expect(res.headers['ngsild-tenant']).toBe('echo_t');
    res = await req('GET', '/entities/urn:ngsi-ld:Thing:none', undefined, tenant);
    expect([res.statusCode, res.headers['ngsild-tenant']]).toEqual([404, 'echo_t']);
    res = await req('GET', '/entities?type=Thing', undefined, { 'ngsild-tenant': 'never_made' });
    expect([res.statusCode, res.json().type, res.headers['ngsild-tenant']]).toEqual([404, 'https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant', 'never_made']);
    expect((await req('GET', '/entities?type=Thing')).headers['ngsild-tenant']).toBeUndefined();
    const alias = async (headers: Record<string, string>) => (await req('GET', '/info/sourceIdentity', undefined, headers)).json().contextSourceAlias;
    const [own, a, b, again] = [await alias({}), await alias(tenant), await alias({ 'ngsild-tenant': 'other_t' }), await alias(tenant)];
    expect(new Set([own, a, b]).size).toBe(3);
    expect(again).toBe(a);
  });
});
