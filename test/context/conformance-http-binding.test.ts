import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 §6.3 (HTTP binding) as NGSI-LD clients and the conformance tools use it: trailing slashes, DELETE
 * with a JSON content type and no body, 411, media types without charset, and FIWARE's headers
 * (X-Auth-Token, Fiware-Service as the tenant where configured). Access stays deny by default.
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
    res = await req('POST', '/entities', undefined, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(411);
    expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/LengthRequired');
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
});
