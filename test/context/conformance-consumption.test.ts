import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 §5.7.1.4 / §5.7.2.4 (retrieve and query entities, v1.8–v1.9 edges): the type selector on retrieval,
 * geometryProperty only with GeoJSON, the default instance as a Feature's geometry, Linked Entity selections
 * (`a{b}`) only with a join deep enough, too-wide queries (system attributes alone do not narrow), `csf` checked.
 */
describe.each(testEngines)('NGSI-LD retrieval and query edges [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  const req = ngsiRequester(() => hub, () => cookie, {});
  const E = 'urn:ngsi-ld:Kiosk:k1';

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    const res = await req('POST', '/entities', {
      id: E, type: 'Kiosk', owner: { type: 'Relationship', object: 'urn:ngsi-ld:Person:p1' }, stock: { type: 'Property', value: 3 },
      location: [
        { type: 'GeoProperty', value: { type: 'Point', coordinates: [9, 9] }, datasetId: 'urn:ngsi-ld:Dataset:gps' },
        { type: 'GeoProperty', value: { type: 'Point', coordinates: [1, 2] } },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:Person:p1', type: 'Person', name: { type: 'Property', value: 'Li' } })).statusCode).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
  }, 60_000);

  const bad = async (url: string, headers: Record<string, string> = {}) => {
    const res = await req('GET', url, undefined, headers);
    expect(res.statusCode, `${url} ${res.body}`).toBe(400);
    expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    return res.json();
  };

  it('retrieve: a type selector the entity does not have is 404, one it has is 200', async () => {
    const other = await req('GET', `/entities/${E}?type=Vehicle`);
    expect(other.statusCode).toBe(404);
    expect(other.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound');
    expect((await req('GET', `/entities/${E}?type=Vehicle,Kiosk`)).statusCode).toBe(200);
  });

  it('GeoJSON: geometryProperty only with application/geo+json; the default instance is the geometry, a non-geometry null', async () => {
    expect((await bad(`/entities/${E}?geometryProperty=location`, { accept: 'application/ld+json' })).errors[0].field).toBe('/query/geometryProperty');
    await bad('/entities?type=Kiosk&geometryProperty=location');
    const feature = await req('GET', `/entities/${E}`, undefined, { accept: 'application/geo+json' });
    expect(feature.statusCode).toBe(200);
    expect(feature.json()).toMatchObject({ id: E, type: 'Feature', geometry: { type: 'Point', coordinates: [1, 2] } });
    expect(feature.json().properties.id).toBeUndefined();
    const none = await req('GET', `/entities/${E}?geometryProperty=stock`, undefined, { accept: 'application/geo+json' });
    expect(none.json().geometry).toBeNull();
  });

  it('Linked Entity selections: without join, or deeper than joinLevel, 400; within it, the head attribute is picked', async () => {
    await bad(`/entities/${E}?pick=owner{name}`);
    await bad('/entities?type=Kiosk&omit=owner{name}');
    await bad('/entities?type=Kiosk&pick=owner{employer{name}}&join=inline&joinLevel=1');
    await bad('/entities?type=Kiosk&q=owner{name}=="Li"');
    await bad('/entities?type=Kiosk&q=owner{employer{name}}=="Li"&join=flat&joinLevel=1');
    const picked = await req('GET', `/entities/${E}?pick=id,owner{name}&join=inline`);
    expect(picked.statusCode, picked.body).toBe(200);
    expect(picked.json()).toEqual({ id: E, owner: { type: 'Relationship', object: 'urn:ngsi-ld:Person:p1', entity: { id: 'urn:ngsi-ld:Person:p1', type: 'Person', name: { type: 'Property', value: 'Li' } } } });
  });

  it('too wide: no type, id, data attribute, geo-query, scope or local is 400 (system attributes alone do not count); csf is checked', async () => {
    await bad('/entities');
    await bad('/entities?attrs=createdAt');
    await bad('/entities?q=modifiedAt>"2020-01-01T00:00:00Z"');
    const post = await req('POST', '/entityOperations/query', { type: 'Query', attrs: ['modifiedAt'] });
    expect(post.statusCode, post.body).toBe(400);
    expect((await bad('/entities?type=Kiosk&csf=))bad((')).errors[0].field).toBe('/query/csf');
    expect((await req('GET', '/entities?attrs=stock')).json()).toHaveLength(1);
    expect((await req('GET', `/entities?id=${E}`)).json()).toHaveLength(1);
    // local=true (v1.8): what this broker holds, which narrows enough.
    expect((await req('GET', '/entities?local=true')).json().map((e: { id: string }) => e.id).sort()).toEqual([E, 'urn:ngsi-ld:Person:p1']);
    expect((await req('GET', '/entities?type=Kiosk&csf=endpoint=="x"')).statusCode).toBe(200);
  });
});
