import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 §4.5–4.6 (information model, v1.8): the attribute types JsonProperty, VocabProperty, ListProperty
 * and ListRelationship, NGSI-LD Null deleting instances, reserved names refused, concise and string-encoded
 * geometries, several types and scopes of one entity; what each attribute type may not hold, names, ids, scopes,
 * DateTimes and language maps as §4.5–4.7 and §4.18 define them.
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
      parts: { type: 'ListRelationship', objectList: [{ object: 'urn:ngsi-ld:Part:1' }, { object: 'urn:ngsi-ld:Part:2' }] },
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

  it('refuses what an attribute type may not hold, and NGSI-LD Null outside merges and updates', async () => {
    let n = 0;
    const status = async (attrs: Record<string, unknown>, type = 'Bench') => {
      const res = await req('POST', '/entities', { id: `urn:ngsi-ld:Bench:m${++n}`, type, ...attrs });
      if (res.statusCode === 400) expect(res.json().type).toBe(bad);
      return res.statusCode;
    };
    const refused: Array<Record<string, unknown>> = [
      { seats: { type: 'Property', value: 4, object: 'urn:ngsi-ld:Park:1' } },
      { seats: { type: 'Property', value: 4, languageMap: { en: 'four' } } },
      { seats: { type: 'Property', value: 4, valueList: [4] } },
      { seats: { type: 'Property', value: 4, previousValue: 3 } },
      { seats: { type: 'Property', value: 4, entityIdSealed: 'urn:ngsi-ld:Bench:x' } },
      { seats: { type: 'Property', value: 4, '@context': { seats: 'https://example.org/seats' } } },
      { park: { type: 'Relationship', object: 'urn:ngsi-ld:Park:1', unitCode: 'MTR' } },
      { park: { type: 'Relationship', object: 'urn:ngsi-ld:Park:1', value: 1 } },
      { park: { type: 'Relationship', object: 'urn:ngsi-ld:Park:1', previousObject: 'urn:ngsi-ld:Park:0' } },
      { slats: { type: 'ListProperty', valueList: [1, 2], value: 1 } },
      { spec: { type: 'JsonProperty', json: { w: 2 }, unitCode: 'MTR' } },
      { spec: { type: 'JsonProperty', json: { w: 2 }, value: 1 } },
      { spec: { type: 'JsonProperty', json: 7 } },
      { ngsildproof: { type: 'Property', value: 'a string, not a proof' } },
      { location: { type: 'Property', value: 3 } },
      { seats: { type: 'Property', value: 'urn:ngsi-ld:null' } },
      { park: { type: 'Relationship', object: 'urn:ngsi-ld:null' } },
      { seats: { type: 'Property', value: 4, paint: { type: 'Property', value: 'urn:ngsi-ld:null' } } },
      { label: { type: 'LanguageProperty', languageMap: { '@none': 'urn:ngsi-ld:null' } } },
      { label: { type: 'LanguageProperty', languageMap: { '': 'bench' } } },
      { label: { type: 'LanguageProperty', languageMap: { en: 'bench' }, valueType: 'xsd:string' } },
      { seats: [{ type: 'Property', value: 4 }, { type: 'Property', value: 5, datasetId: '@none' }] },
    ];
    for (const attrs of refused) expect(await status(attrs), JSON.stringify(attrs)).toBe(400);
    const kept: Array<Record<string, unknown>> = [
      { seats: { type: 'Property', value: 4, valueType: 'xsd:integer' } },
      { park: { type: 'Relationship', object: 'urn:ngsi-ld:Park:1', objectType: 'Park' } },
      { label: { type: 'LanguageProperty', languageMap: { en: 'bench', 'zh-Hans': ['长椅', '座椅'] }, valueType: 'langString' } },
    ];
    for (const attrs of kept) expect(await status(attrs), JSON.stringify(attrs)).toBe(201);
    expect((await req('GET', `/entities/urn:ngsi-ld:Bench:m${refused.length + 1}`)).json().seats).toEqual({ type: 'Property', value: 4, valueType: 'xsd:integer' });
    // "@none" is the default instance and comes back without a datasetId.
    const id = 'urn:ngsi-ld:Bench:none';
    expect((await req('POST', '/entities', { id, type: 'Bench', seats: [{ type: 'Property', value: 4, datasetId: '@none' }, { type: 'Property', value: 6, datasetId: 'urn:ngsi-ld:Dataset:survey' }] })).statusCode).toBe(201);
    expect((await req('GET', `/entities/${id}`)).json().seats).toEqual([{ type: 'Property', value: 4 }, { type: 'Property', value: 6, datasetId: 'urn:ngsi-ld:Dataset:survey' }]);
    // In a merge NGSI-LD Null in a sub-attribute removes it.
    await req('POST', '/entities', { id: 'urn:ngsi-ld:Bench:sub', type: 'Bench', seats: { type: 'Property', value: 4, paint: { type: 'Property', value: 'green' } } });
    expect((await req('PATCH', '/entities/urn:ngsi-ld:Bench:sub', { seats: { type: 'Property', value: 5, paint: { type: 'Property', value: 'urn:ngsi-ld:null' } } })).statusCode).toBe(204);
    expect((await req('GET', '/entities/urn:ngsi-ld:Bench:sub')).json().seats).toEqual({ type: 'Property', value: 5 });
  });

  it('keeps a data-integrity proof with its sealed members as given', async () => {
    const id = 'urn:ngsi-ld:Bench:proof';
    const proof = { type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofValue: 'z3FXQjecWufY46' };
    let res = await req('POST', '/entities', { id, type: 'Bench', ngsildproof: { type: 'Property', value: proof, entityIdSealed: id, entityTypeSealed: 'Bench' } });
    expect(res.statusCode, res.body).toBe(201);
    expect((await req('GET', `/entities/${id}`)).json().ngsildproof).toEqual({ type: 'Property', value: proof, entityIdSealed: id, entityTypeSealed: 'Bench' });
    res = await req('POST', '/entities', { id: 'urn:ngsi-ld:Bench:proof2', type: 'Bench', ngsildproof: { type: 'Property', value: proof, entityTypeSealed: 42 } });
    expect(res.statusCode).toBe(400);
  });

  it('checks names, ids, scopes and DateTimes as §4.5.1, §4.6 and §4.18 define them', async () => {
    const create = async (body: Record<string, unknown>) => (await req('POST', '/entities', body)).statusCode;
    // Ids: no invisible characters (bidi overrides, zero-width, variation selectors, noncharacters, fillers).
    for (const cp of [0x202e, 0x200b, 0xfeff, 0x2028, 0xa0, 0xfe0f, 0xe0100, 0xfdd0, 0xfffe, 0x3164, 0x2800]) {
      expect(await create({ id: `urn:ngsi-ld:Bench:a${String.fromCodePoint(cp)}b`, type: 'Bench' }), cp.toString(16)).toBe(400);
    }
    expect(await create({ id: 'urn:ngsi-ld:Bench:长椅', type: 'Bench', park: { type: 'Relationship', object: 'urn:ngsi-ld:Park:岳麓' } })).toBe(201);
    // Names: a letter, then letters, digits, _ (any script); an IRI also names.
    expect(await create({ id: 'urn:ngsi-ld:Bench:n1', type: '2Bench' })).toBe(400);
    expect(await create({ id: 'urn:ngsi-ld:Bench:n2', type: 'Bench', 'seat count': 3 })).toBe(400);
    expect(await create({ id: 'urn:ngsi-ld:Bench:n3', type: '长椅', 座位_2: 3 })).toBe(201);
    expect((await req('GET', '/entities/urn:ngsi-ld:Bench:n3')).json()).toEqual({ id: 'urn:ngsi-ld:Bench:n3', type: '长椅', 座位_2: { type: 'Property', value: 3 } });
    // Scopes: levels of a letter then letters, digits, _; no empty level, no NGSI-LD Null.
    for (const scope of ['1st', '/a//b', 'east-side', 'urn:ngsi-ld:null', ['/Yuelu', '9x']]) expect(await create({ id: 'urn:ngsi-ld:Bench:s', type: 'Bench', scope }), JSON.stringify(scope)).toBe(400);
    expect(await create({ id: 'urn:ngsi-ld:Bench:s', type: 'Bench', scope: ['/Changsha/Yuelu', 'Parks'] })).toBe(201);
    // DateTimes end in Z (§4.6.3).
    expect(await create({ id: 'urn:ngsi-ld:Bench:t1', type: 'Bench', seats: { type: 'Property', value: 4, observedAt: '2026-12-07T08:00:00+08:00' } })).toBe(400);
    expect(await create({ id: 'urn:ngsi-ld:Bench:t2', type: 'Bench', seats: { type: 'Property', value: 4, observedAt: '2026-12-07T00:00:00Z' } })).toBe(201);
  });
});
