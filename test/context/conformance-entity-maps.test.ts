import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 v1.9 §5.14 / §6.32 / §6.34 (entity maps) on one hub: create by GET and POST (201, NGSILD-EntityMap),
 * retrieve, update (expiresAt), delete, the errors (400 too wide / bad id / bad member, 404 unknown or another's),
 * and GET /entities paging through a map while entities come and go. Across two hubs: csource-distributed.test.ts.
 */
describe.each(testEngines)('NGSI-LD entity maps [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  let other: string;
  const req = ngsiRequester(() => hub, () => cookie, {});
  const mapIdOf = (location: string | string[] | number | undefined) => decodeURIComponent(String(location).split('/').pop()!);

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    other = (await hub.loginAs(['agent'])).cookie;
    const res = await req('POST', '/entityOperations/create', [1, 2, 3, 4, 5].map((i) => ({ id: `urn:ngsi-ld:Bin:${i}`, type: 'Bin', fill: i * 10 })).concat([{ id: 'urn:ngsi-ld:Lamp:1', type: 'Lamp', fill: 99 }]));
    expect(res.statusCode, res.body).toBe(201);
  }, 120_000);
  afterAll(async () => hub?.close(), 60_000);

  it('§5.14.4: GET and POST /entityMaps make a map of the matching ids ("@none": held here), 201 with NGSILD-EntityMap', async () => {
    const res = await req('GET', '/entityMaps?type=Bin&q=fill>20');
    expect(res.statusCode, res.body).toBe(201);
    const map = res.json();
    expect(map).toMatchObject({ type: 'EntityMap', linkedMaps: {} });
    expect(map.id).toMatch(/^urn:ngsi-ld:EntityMap:/);
    expect(map.entityMap).toEqual({ 'urn:ngsi-ld:Bin:3': ['@none'], 'urn:ngsi-ld:Bin:4': ['@none'], 'urn:ngsi-ld:Bin:5': ['@none'] });
    expect(res.headers['ngsild-entitymap']).toBe(`/ngsi-ld/v1/entityMaps/${encodeURIComponent(map.id)}`);
    expect(Date.parse(map.expiresAt)).toBeGreaterThan(Date.now());

    const posted = await req('POST', '/entityMaps', { type: 'Query', entities: [{ type: 'Lamp' }], expiresAt: '2999-01-01T00:00:00Z' });
    expect(posted.statusCode, posted.body).toBe(201);
    expect(Object.keys(posted.json().entityMap)).toEqual(['urn:ngsi-ld:Lamp:1']);
    // A suggestion beyond csources.entityMapSeconds is cut to it.
    expect(Date.parse(posted.json().expiresAt)).toBeLessThanOrEqual(Date.now() + 3_600_000 + 60_000);
    // The JSON-LD form carries the @context.
    const ld = await req('GET', '/entityMaps?type=Lamp', undefined, { accept: 'application/ld+json' });
    expect(ld.statusCode).toBe(201);
    expect(ld.json()['@context']).toBeDefined();
  });

  it('v1.9 §5.14.5, §6.35: GET and POST /temporal/entityMaps map the entities a temporal query lists; its window is checked (400)', async () => {
    const res = await req('GET', '/temporal/entityMaps?type=Bin&q=fill>20&timerel=after&timeAt=2020-01-01T00:00:00Z');
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().entityMap).toEqual({ 'urn:ngsi-ld:Bin:3': ['@none'], 'urn:ngsi-ld:Bin:4': ['@none'], 'urn:ngsi-ld:Bin:5': ['@none'] });
    expect(res.headers['ngsild-entitymap']).toBe(`/ngsi-ld/v1/entityMaps/${encodeURIComponent(res.json().id)}`);
    // The map is an EntityMap like any other.
    const got = await req('GET', String(res.headers['ngsild-entitymap']).replace('/ngsi-ld/v1', ''));
    expect(got.statusCode).toBe(200);
    expect(Object.keys(got.json().entityMap)).toHaveLength(3);
    const posted = await req('POST', '/temporal/entityMaps', { type: 'Query', entities: [{ type: 'Lamp' }], temporalQ: { timerel: 'before', timeAt: '2999-01-01T00:00:00Z' } });
    expect(posted.statusCode, posted.body).toBe(201);
    expect(Object.keys(posted.json().entityMap)).toEqual(['urn:ngsi-ld:Lamp:1']);
    for (const url of [
      '/temporal/entityMaps?type=Bin&timerel=between&timeAt=2020-01-01T00:00:00Z',
      '/temporal/entityMaps?type=Bin&timerel=sometime&timeAt=2020-01-01T00:00:00Z',
      '/temporal/entityMaps?type=Bin&timerel=after&timeAt=yesterday',
      '/temporal/entityMaps?type=Bin&aggrMethods=sum&aggrPeriodDuration=P1D',
      '/temporal/entityMaps?timerel=after&timeAt=2020-01-01T00:00:00Z',
    ]) {
      const bad = await req('GET', url);
      expect(bad.statusCode, url).toBe(400);
    }
    expect((await req('POST', '/temporal/entityMaps', { type: 'Query', entities: [{ type: 'Lamp' }], temporalQ: { timerel: 'after' } })).statusCode).toBe(400);
  });

  it('§5.14.4.4: a query without type, attribute, geo-query or local scope is too wide (400 BadRequestData); bad expiresAt 400', async () => {
    for (const url of ['/entityMaps', '/entityMaps?id=urn:ngsi-ld:Bin:1', '/entityMaps?attrs=createdAt', '/entityMaps?q=modifiedAt>2020-01-01T00:00:00Z']) {
      const res = await req('GET', url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
    expect((await req('GET', '/entityMaps?id=urn:ngsi-ld:Bin:1&local=true')).statusCode).toBe(201);
    expect((await req('GET', '/entityMaps?attrs=fill')).json().entityMap).toHaveProperty(['urn:ngsi-ld:Lamp:1']);
    expect((await req('GET', '/entityMaps?type=Bin&expiresAt=soon')).statusCode).toBe(400);
    expect((await req('GET', '/entityMaps?type=Bin&expiresAt=2001-01-01T00:00:00Z')).statusCode).toBe(400);
    // A bad query is a bad query here too.
    expect((await req('GET', '/entityMaps?type=Bin&q=fill>>')).statusCode).toBe(400);
  });

  it('§5.14.1–5.14.3: retrieve, update expiresAt (output-only members ignored), delete; 404 unknown, 400 not a URI', async () => {
    const made = (await req('GET', '/entityMaps?type=Bin')).json();
    const path = `/entityMaps/${encodeURIComponent(made.id)}`;
    const got = await req('GET', path);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(made);

    const soon = new Date(Date.now() + 600_000).toISOString();
    const patched = await req('PATCH', path, { type: 'EntityMap', expiresAt: soon, entityMap: {}, linkedMaps: { x: 'y' } });
    expect(patched.statusCode, patched.body).toBe(204);
    const after = (await req('GET', path)).json();
    expect(after.expiresAt).toBe(soon);
    expect(after.entityMap).toEqual(made.entityMap);

    for (const body of [{ colour: 'red' }, { expiresAt: 42 }, { expiresAt: 'later' }, { type: 'Entity' }]) {
      const bad = await req('PATCH', path, body);
      expect(bad.statusCode, JSON.stringify(body)).toBe(400);
      expect(bad.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
    expect((await req('GET', '/entityMaps/not%20a%20uri')).statusCode).toBe(400);
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await req(method, '/entityMaps/urn:ngsi-ld:EntityMap:nope', method === 'PATCH' ? { expiresAt: soon } : undefined);
      expect(res.statusCode, method).toBe(404);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound');
    }
    // Another's map is as absent as no map (it lists what its creator may see).
    expect((await req('GET', path, undefined, {}, other)).statusCode).toBe(404);
    expect((await req('DELETE', path, undefined, {}, other)).statusCode).toBe(404);

    expect((await req('DELETE', path)).statusCode).toBe(204);
    expect((await req('GET', path)).statusCode).toBe(404);
  });

  it('§5.7.2: GET /entities with entityMap=true pages through the map; NGSILD-EntityMap keeps the pages stable as entities come and go', async () => {
    const first = await req('GET', '/entities?type=Bin&limit=2&count=true&entityMap=true&options=keyValues');
    expect(first.statusCode, first.body).toBe(200);
    const location = first.headers['ngsild-entitymap'] as string;
    expect(location).toMatch(/^\/ngsi-ld\/v1\/entityMaps\/urn%3Angsi-ld%3AEntityMap%3A/);
    expect(first.json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Bin:1', 'urn:ngsi-ld:Bin:2']);
    expect(first.headers['ngsild-results-count']).toBe('5');

    // A new Bin is not in the map; a deleted one is gone from its page (read again), the others stay where they were.
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:Bin:0', type: 'Bin', fill: 0 })).statusCode).toBe(201);
    expect((await req('DELETE', '/entities/urn:ngsi-ld:Bin:4')).statusCode).toBe(204);
    const second = await req('GET', '/entities?type=Bin&limit=2&offset=2&count=true&options=keyValues', undefined, { 'NGSILD-EntityMap': location });
    expect(second.statusCode).toBe(200);
    expect(second.headers['ngsild-entitymap']).toBe(location);
    expect(second.headers['ngsild-results-count']).toBe('5');
    expect(second.json()).toEqual([{ id: 'urn:ngsi-ld:Bin:3', type: 'Bin', fill: 30 }]);
    // The header may name the map by its id as well; past the end is an empty page.
    const byId = await req('GET', '/entities?type=Bin&offset=9', undefined, { 'NGSILD-EntityMap': mapIdOf(location) });
    expect(byId.json()).toEqual([]);
    // Without the map the query sees the world as it is now.
    expect((await req('GET', '/entities?type=Bin&limit=2&options=keyValues')).json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Bin:0', 'urn:ngsi-ld:Bin:1']);
    // A map that is gone (deleted) makes a new one.
    expect((await req('DELETE', `/entityMaps/${encodeURIComponent(mapIdOf(location))}`)).statusCode).toBe(204);
    const fresh = await req('GET', '/entities?type=Bin&limit=2&options=keyValues', undefined, { 'NGSILD-EntityMap': location });
    expect(fresh.statusCode).toBe(200);
    expect(fresh.headers['ngsild-entitymap']).not.toBe(location);
    expect(fresh.json().map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Bin:0', 'urn:ngsi-ld:Bin:1']);
  });

  it('deny by default: entity maps need the read permission', async () => {
    const anonymous = await hub.http.inject({ method: 'GET', url: '/ngsi-ld/v1/entityMaps?type=Bin' });
    expect(anonymous.statusCode).toBe(401);
  });
});
