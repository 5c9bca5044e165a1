import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { SDM, contextLink as link, ngsiRequester } from './ngsi-support.js';

describe.each(testEngines)('context entities [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  const req = ngsiRequester(() => hub, () => cookie, {});

  beforeAll(async () => {
    hub = await createTestHub(engine);
    cookie = (await hub.loginAs(['data_admin'])).cookie;
  }, 240_000);
  afterAll(async () => hub?.close(), 60_000);

  const station = {
    id: 'urn:ngsi-ld:AirQualityObserved:s1',
    type: 'AirQualityObserved',
    pm25: { type: 'Property', value: 35, unitCode: 'GQ', observedAt: '2026-11-26T08:00:00Z', reliability: { type: 'Property', value: 0.9 } },
    name: { type: 'LanguageProperty', languageMap: { zh: '湖心监测站', en: 'Lake station' } },
    refDevice: { type: 'Relationship', object: 'urn:ngsi-ld:Device:d1' },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [112.9, 28.2] } },
  };

  it('creates an entity and retrieves it normalized, concise, keyValues and as GeoJSON', async () => {
    const created = await req('POST', '/entities', station, { link: link(SDM) });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers.location).toBe('/ngsi-ld/v1/entities/urn%3Angsi-ld%3AAirQualityObserved%3As1');

    const got = await req('GET', `/entities/${station.id}`, undefined, { link: link(SDM) });
    expect(got.statusCode).toBe(200);
    expect(got.headers.link).toContain(SDM);
    const e = got.json();
    expect(e.type).toBe('AirQualityObserved');
    expect(e.pm25).toEqual({ type: 'Property', value: 35, unitCode: 'GQ', observedAt: '2026-11-26T08:00:00.000Z', reliability: { type: 'Property', value: 0.9 } });
    expect(e.refDevice).toEqual({ type: 'Relationship', object: 'urn:ngsi-ld:Device:d1' });

    // Without the SDM context, names compact to full IRIs (pm25 is not a core term).
    const core = (await req('GET', `/entities/${station.id}`)).json();
    expect(core.type).toBe('https://smartdatamodels.org/dataModel.Environment/AirQualityObserved');
    expect(core['https://smartdatamodels.org/dataModel.Environment/pm25'].value).toBe(35);
    expect(core.location.type).toBe('GeoProperty');

    const kv = (await req('GET', `/entities/${station.id}?options=keyValues`, undefined, { link: link(SDM) })).json();
    expect(kv).toMatchObject({ id: station.id, type: 'AirQualityObserved', pm25: 35, refDevice: 'urn:ngsi-ld:Device:d1', location: { type: 'Point', coordinates: [112.9, 28.2] } });

    const concise = (await req('GET', `/entities/${station.id}?format=concise`, undefined, { link: link(SDM) })).json();
    expect(concise.pm25).toEqual({ value: 35, unitCode: 'GQ', observedAt: '2026-11-26T08:00:00.000Z', reliability: 0.9 });
    expect(concise.refDevice).toEqual({ object: 'urn:ngsi-ld:Device:d1' });

    const sys = (await req('GET', `/entities/${station.id}?options=sysAttrs`, undefined, { link: link(SDM) })).json();
    expect(sys.createdAt).toMatch(/Z$/);
    expect(sys.pm25.modifiedAt).toMatch(/Z$/);

    const geo = await req('GET', `/entities/${station.id}?attrs=pm25`, undefined, { link: link(SDM), accept: 'application/geo+json' });
    expect(geo.headers['content-type']).toContain('application/geo+json');
    expect(geo.json()).toMatchObject({ id: station.id, type: 'Feature', geometry: { type: 'Point', coordinates: [112.9, 28.2] }, properties: { type: 'AirQualityObserved', pm25: { value: 35 } } });

    const ld = await req('GET', `/entities/${station.id}`, undefined, { link: link(SDM), accept: 'application/ld+json' });
    expect(ld.headers['content-type']).toContain('application/ld+json');
    expect(ld.json()['@context']).toBe(SDM);

    const lang = (await req('GET', `/entities/${station.id}?attrs=name&lang=en`, undefined, { link: link(SDM) })).json();
    expect(lang.name).toEqual({ type: 'Property', value: 'Lake station', lang: 'en' });
  });

  it('accepts JSON-LD bodies with an inline @context and refuses a missing one', async () => {
    const body = { '@context': [SDM, { speed: 'https://example.org/speed' }], id: 'urn:ngsi-ld:Vehicle:v1', type: 'Vehicle', speed: { type: 'Property', value: 40 } };
    const ok = await req('POST', '/entities', body, { 'content-type': 'application/ld+json' });
    expect(ok.statusCode, ok.body).toBe(201);
    const got = (await req('GET', '/entities/urn:ngsi-ld:Vehicle:v1')).json();
    expect(got['https://example.org/speed'].value).toBe(40);
    const missing = await req('POST', '/entities', { id: 'urn:ngsi-ld:Vehicle:v2', type: 'Vehicle' }, { 'content-type': 'application/ld+json' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    const inJson = await req('POST', '/entities', body, { 'content-type': 'application/json' });
    expect(inJson.statusCode).toBe(400);
  });

  it('answers an unknown remote @context with 503 naming the URL, at once', async () => {
    const started = Date.now();
    const res = await req('GET', '/entities?type=X', undefined, { link: link('https://example.invalid/ctx.jsonld') });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ type: 'https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable', contextUrl: 'https://example.invalid/ctx.jsonld' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses bad input with NGSI-LD error types', async () => {
    const cases: [unknown, Record<string, string>, number, string][] = [
      [{ id: 'not a uri', type: 'T' }, {}, 400, 'BadRequestData'],
      [{ id: 'urn:x:1' }, {}, 400, 'BadRequestData'],
      [{ id: 'urn:x:1', type: 'T', a: { type: 'Property' } }, {}, 400, 'BadRequestData'],
      [{ id: 'urn:x:1', type: 'T', r: { type: 'Relationship', object: 'no uri' } }, {}, 400, 'BadRequestData'],
      [{ id: 'urn:x:1', type: 'T', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [200, 0] } } }, {}, 400, 'BadRequestData'],
      [{ id: 'urn:x:1', type: 'T', location: { type: 'GeoProperty', value: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1]]] } } }, {}, 400, 'BadRequestData'],
      [{ id: 'urn:x:1', type: 'T', a: { type: 'Property', value: 1, observedAt: 'yesterday' } }, {}, 400, 'BadRequestData'],
      [{ id: 'urn:x:1', type: 'T', 'a=b': 1 }, {}, 400, 'BadRequestData'],
      ['{"id": ', { 'content-type': 'application/json' }, 400, 'InvalidRequest'],
      ['<xml/>', { 'content-type': 'text/xml' }, 415, 'UnsupportedMediaType'],
    ];
    for (const [body, headers, status, type] of cases) {
      const res = await req('POST', '/entities', body, headers);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json().type, res.body).toBe(`https://uri.etsi.org/ngsi-ld/errors/${type}`);
    }
    const dup = await req('POST', '/entities', station, { link: link(SDM) });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/AlreadyExists');
    const notAcceptable = await req('GET', `/entities/${station.id}`, undefined, { accept: 'text/html' });
    expect(notAcceptable.statusCode).toBe(406);
    const missing = await req('GET', '/entities/urn:ngsi-ld:X:none');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound');
  });

  it('appends, updates, patches, replaces and deletes attributes, with datasetId instances', async () => {
    const id = 'urn:ngsi-ld:Streetlight:l1';
    const h = { link: link(SDM) };
    expect((await req('POST', '/entities', { id, type: 'Streetlight', powerState: 'on', illuminanceLevel: { value: 0.5 } }, h)).statusCode).toBe(201);

    // append (POST attrs): new attribute and a second instance with a datasetId
    let res = await req('POST', `/entities/${id}/attrs`, { powerConsumption: [{ type: 'Property', value: 100 }, { type: 'Property', value: 90, datasetId: 'urn:ngsi-ld:Dataset:meter2' }] }, h);
    expect(res.statusCode, res.body).toBe(204);
    res = await req('POST', `/entities/${id}/attrs?options=noOverwrite`, { powerState: 'off' }, h);
    expect(res.statusCode).toBe(207);
    expect(res.json().notUpdated[0].attributeName).toBe('powerState');

    // update (PATCH attrs): only existing attributes
    res = await req('PATCH', `/entities/${id}/attrs`, { powerState: 'off', lampBrand: 'X' }, h);
    expect(res.statusCode).toBe(207);
    expect(res.json()).toMatchObject({ updated: ['powerState'], notUpdated: [{ attributeName: 'lampBrand' }] });

    // partial attribute update keeps the other members
    res = await req('PATCH', `/entities/${id}/attrs/powerConsumption`, { value: 95, datasetId: 'urn:ngsi-ld:Dataset:meter2' }, h);
    expect(res.statusCode, res.body).toBe(204);
    let e = (await req('GET', `/entities/${id}`, undefined, h)).json();
    expect(e.powerState.value).toBe('off');
    expect(e.powerConsumption).toEqual([{ type: 'Property', value: 100 }, { type: 'Property', value: 95, datasetId: 'urn:ngsi-ld:Dataset:meter2' }]);
    expect((await req('PATCH', `/entities/${id}/attrs/nothing`, { value: 1 }, h)).statusCode).toBe(404);

    // PUT attribute, then delete one instance, then the whole attribute
    expect((await req('PUT', `/entities/${id}/attrs/illuminanceLevel`, { type: 'Property', value: 0.8, unitCode: 'P1' }, h)).statusCode).toBe(204);
    expect((await req('DELETE', `/entities/${id}/attrs/powerConsumption?datasetId=urn:ngsi-ld:Dataset:meter2`, undefined, h)).statusCode).toBe(204);
    e = (await req('GET', `/entities/${id}`, undefined, h)).json();
    expect(e.illuminanceLevel).toEqual({ type: 'Property', value: 0.8, unitCode: 'P1' });
    expect(e.powerConsumption).toEqual({ type: 'Property', value: 100 });
    expect((await req('DELETE', `/entities/${id}/attrs/powerConsumption`, undefined, h)).statusCode).toBe(204);
    expect((await req('DELETE', `/entities/${id}/attrs/powerConsumption`, undefined, h)).statusCode).toBe(404);

    // merge-patch entity, with urn:ngsi-ld:null deleting an attribute
    res = await req('PATCH', `/entities/${id}`, { powerState: 'on', illuminanceLevel: 'urn:ngsi-ld:null' }, { ...h, 'content-type': 'application/merge-patch+json' });
    expect(res.statusCode, res.body).toBe(204);
    e = (await req('GET', `/entities/${id}?options=keyValues`, undefined, h)).json();
    expect(e).toEqual({ id, type: 'Streetlight', powerState: 'on' });

    // replace the entity, then delete it
    expect((await req('PUT', `/entities/${id}`, { type: 'Streetlight', lampBrand: 'Y' }, h)).statusCode).toBe(204);
    e = (await req('GET', `/entities/${id}?options=keyValues`, undefined, h)).json();
    expect(e).toEqual({ id, type: 'Streetlight', lampBrand: 'Y' });
    expect((await req('DELETE', `/entities/${id}`)).statusCode).toBe(204);
    expect((await req('GET', `/entities/${id}`)).statusCode).toBe(404);
  });

  it('keeps tenants apart and refuses reading a tenant that does not exist', async () => {
    const t = { 'ngsild-tenant': 'cityA' };
    expect((await req('GET', '/entities?type=T', undefined, { 'ngsild-tenant': 'nobody' })).json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant');
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:T:1', type: 'T', a: 1 }, t)).statusCode).toBe(201);
    expect((await req('GET', '/entities/urn:ngsi-ld:T:1', undefined, t)).statusCode).toBe(200);
    expect((await req('GET', '/entities/urn:ngsi-ld:T:1')).statusCode).toBe(404);
    expect((await req('GET', '/entities/urn:ngsi-ld:T:1', undefined, { 'ngsild-tenant': 'bad tenant!' })).statusCode).toBe(400);
  });

  it('needs the context permissions', async () => {
    const citizen = (await hub.loginAs(['citizen'])).cookie;
    const res = await hub.http.inject({ method: 'GET', url: '/ngsi-ld/v1/entities?type=T', headers: { cookie: citizen } });
    expect(res.statusCode).toBe(403);
    const leader = (await hub.loginAs(['leader'])).cookie;
    const w = await hub.http.inject({ method: 'POST', url: '/ngsi-ld/v1/entities', headers: { cookie: leader }, payload: { id: 'urn:x:9', type: 'T' } });
    expect(w.statusCode).toBe(403);
    const anon = await hub.http.inject({ method: 'GET', url: '/ngsi-ld/v1/entities?type=T' });
    expect(anon.statusCode).toBe(401);
  });
});
