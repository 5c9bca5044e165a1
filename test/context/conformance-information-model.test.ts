import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 §4.5–4.6 (information model, v1.8): the attribute types JsonProperty, VocabProperty, ListProperty
 * and ListRelationship, NGSI-LD Null deleting instances, reserved names refused, concise and string-encoded
 * geometries, several types and scopes of one entity.
 */
describe.each(testEngines)('NGSI-LD information model conformance [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  const req = ngsiRequester(() => hub, () => cookie, {});
  const bad = 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData';

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
  }, 120_000);
  afterAll(async () => hub?.close(), 60_000);

  it('stores and renders JsonProperty, VocabProperty, ListProperty and ListRelationship', async () => {
    const id = 'urn:ngsi-ld:Thing:v18';
    let res = await req('POST', '/entities', {
      id, type: 'Thing',
      config: { type: 'JsonProperty', json: { a: [1, { b: null }] } },
      category: { type: 'VocabProperty', vocab: ['Red', 'Green'] },
      readings: { type: 'ListProperty', valueList: [3, 1, 2] },
      parts: { type: 'ListRelationship', objectList: [{ object: 'urn:ngsi-ld:Part:1' }, { object: 'urn:ngsi-ld:Part:2' }] },
      conciseJson: { json: { x: 1 } },
    });
    expect(res.statusCode, res.body).toBe(201);
    res = await req('GET', `/entities/${id}`);
    expect(res.json()).toMatchObject({
      config: { type: 'JsonProperty', json: { a: [1, { b: null }] } },
      category: { type: 'VocabProperty', vocab: ['Red', 'Green'] },
      readings: { type: 'ListProperty', valueList: [3, 1, 2] },
      parts: { type: 'ListRelationship', objectList: ['urn:ngsi-ld:Part:1', 'urn:ngsi-ld:Part:2'] },
      conciseJson: { type: 'JsonProperty', json: { x: 1 } },
    });
    res = await req('GET', `/entities/${id}?options=keyValues`);
    expect(res.json()).toMatchObject({ config: { a: [1, { b: null }] }, category: ['Red', 'Green'], readings: [3, 1, 2], parts: ['urn:ngsi-ld:Part:1', 'urn:ngsi-ld:Part:2'] });
    // Each type's required member.
    for (const attr of [{ type: 'JsonProperty' }, { type: 'VocabProperty', vocab: 3 }, { type: 'ListProperty', valueList: 'x' }, { type: 'ListRelationship', objectList: ['not a uri'] }]) {
      res = await req('POST', `/entities/${id}/attrs`, { broken: attr });
      expect(res.statusCode, JSON.stringify(attr)).toBe(400);
      expect(res.json().type).toBe(bad);
    }
  });

  it('deletes an instance given NGSI-LD Null, per datasetId, in merge, update and partial update', async () => {
    const id = 'urn:ngsi-ld:Thing:null';
    await req('POST', '/entities', {
      id, type: 'Thing', a: 1, b: 2, c: { type: 'JsonProperty', json: { k: 1 } }, place: { type: 'Point', coordinates: [112.9, 28.2] },
      temp: [{ type: 'Property', value: 1 }, { type: 'Property', value: 2, datasetId: 'urn:ngsi-ld:Dataset:x' }],
    });
    let res = await req('PATCH', `/entities/${id}`, {
      a: 'urn:ngsi-ld:null', c: { type: 'JsonProperty', json: 'urn:ngsi-ld:null' }, place: { type: 'GeoProperty', value: 'urn:ngsi-ld:null' },
      temp: { type: 'Property', value: 'urn:ngsi-ld:null', datasetId: 'urn:ngsi-ld:Dataset:x' },
    });
    expect(res.statusCode, res.body).toBe(204);
    let e = (await req('GET', `/entities/${id}`)).json();
    expect(e.a).toBeUndefined();
    expect(e.c).toBeUndefined();
    expect(e.place).toBeUndefined();
    expect(e.temp).toEqual({ type: 'Property', value: 1 });
    expect((await req('PATCH', `/entities/${id}/attrs`, { b: { type: 'Property', value: 'urn:ngsi-ld:null' } })).statusCode).toBe(204);
    expect((await req('PATCH', `/entities/${id}/attrs/temp`, { value: 'urn:ngsi-ld:null' })).statusCode).toBe(204);
    e = (await req('GET', `/entities/${id}`)).json();
    expect(Object.keys(e).sort()).toEqual(['id', 'type']);
    // The history shows the deletion.
    const t = (await req('GET', `/temporal/entities/${id}?attrs=a`)).json();
    expect(t.a).toHaveLength(1);
  });

  it('refuses reserved names as attributes and entities without their required members', async () => {
    for (const name of ['datasetId', 'value', 'object', 'observedAt', 'instanceId', 'languageMap', 'unitCode']) {
      const res = await req('POST', '/entities', { id: `urn:ngsi-ld:Thing:r-${name}`, type: 'Thing', [name]: { type: 'Property', value: 1 } });
      expect(res.statusCode, name).toBe(400);
      expect(res.json().type).toBe(bad);
    }
    let res = await req('POST', '/entities', { id: 'urn:ngsi-ld:Thing:r-sub', type: 'Thing', a: { type: 'Property', value: 1, id: { type: 'Property', value: 2 } } });
    expect(res.statusCode).toBe(400);
    for (const body of [{ type: 'Thing' }, { id: 'urn:ngsi-ld:Thing:nt' }, { id: 'not a uri', type: 'Thing' }, { id: 'urn:ngsi-ld:Thing:x', type: 'Thing', a: { type: 'Property' } }, { id: 'urn:ngsi-ld:Thing:x', type: 'Thing', r: { type: 'Relationship' } }]) {
      res = await req('POST', '/entities', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().type).toBe(bad);
    }
  });

  it('takes concise geometries and string-encoded GeoJSON; keeps several types and scopes', async () => {
    const id = 'urn:ngsi-ld:Thing:geo';
    let res = await req('POST', '/entities', {
      id, type: ['Thing', 'Sensor'], scope: ['/City/North', '/City/South'],
      location: { type: 'Point', coordinates: [112.9, 28.2] },
      area: { type: 'GeoProperty', value: '{"type": "Point", "coordinates": [113, 28.3]}' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const e = (await req('GET', `/entities/${id}`)).json();
    expect(e.type).toEqual(['Thing', 'Sensor']);
    expect(e.scope).toEqual(['/City/North', '/City/South']);
    expect(e.location).toEqual({ type: 'GeoProperty', value: { type: 'Point', coordinates: [112.9, 28.2] } });
    expect(e.area.value).toEqual({ type: 'Point', coordinates: [113, 28.3] });
    res = await req('GET', '/entities?type=Sensor&georel=near;maxDistance==1000&geometry=Point&coordinates=[112.9,28.2]');
    expect(res.json().map((x: { id: string }) => x.id)).toEqual([id]);
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:Thing:g2', type: 'Thing', location: { type: 'GeoProperty', value: '{"type": "Point"' } })).statusCode).toBe(400);
  });
});
