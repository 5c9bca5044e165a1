import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 v1.8 §5.6 / §5.7 / §5.15 (entities): merge and batch merge, replace, purge, attribute and type
 * details, the source identity, and the query parameter combinations the spec forbids.
 */
describe.each(testEngines)('NGSI-LD entity operations conformance [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  const req = ngsiRequester(() => hub, () => cookie, {});
  const kv = async (id: string) => (await req('GET', `/entities/${id}?options=keyValues`)).json();

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    const res = await req('POST', '/entityOperations/create', [
      { id: 'urn:ngsi-ld:Bin:1', type: 'Bin', fill: 10, owner: { type: 'Relationship', object: 'urn:ngsi-ld:Org:1' } },
      { id: 'urn:ngsi-ld:Bin:2', type: 'Bin', fill: 20 },
      { id: 'urn:ngsi-ld:Bin:3', type: 'Bin', fill: 30 },
      { id: 'urn:ngsi-ld:Lamp:1', type: 'Lamp', power: 'on' },
    ]);
    expect(res.statusCode, res.body).toBe(201);
  }, 120_000);
  afterAll(async () => hub?.close(), 60_000);

  it('merges (PATCH /entities/{id}) types, scope and attributes, and batch-merges with a 207 for what fails', async () => {
    expect((await req('PATCH', '/entities/urn:ngsi-ld:Bin:1', { type: 'Container', scope: '/North', fill: 11, colour: 'green' })).statusCode).toBe(204);
    const e = (await req('GET', '/entities/urn:ngsi-ld:Bin:1')).json();
    expect(e.type).toEqual(['Bin', 'Container']);
    expect(e.scope).toBe('/North');
    expect(e.fill.value).toBe(11);
    expect(e.owner.object).toBe('urn:ngsi-ld:Org:1');
    let res = await req('POST', '/entityOperations/merge', [{ id: 'urn:ngsi-ld:Bin:2', fill: 21 }, { id: 'urn:ngsi-ld:Bin:3', fill: 'urn:ngsi-ld:null' }]);
    expect(res.statusCode, res.body).toBe(204);
    expect((await kv('urn:ngsi-ld:Bin:2')).fill).toBe(21);
    expect((await kv('urn:ngsi-ld:Bin:3')).fill).toBeUndefined();
    res = await req('POST', '/entityOperations/merge', [{ id: 'urn:ngsi-ld:Bin:2', fill: 22 }, { id: 'urn:ngsi-ld:Bin:404', fill: 1 }, { fill: 1 }]);
    expect(res.statusCode).toBe(207);
    expect(res.json().success).toEqual(['urn:ngsi-ld:Bin:2']);
    expect(res.json().errors.map((x: { error: { status: number } }) => x.error.status)).toEqual([404, 400]);
  });

  it('replaces an entity (PUT): attributes not given go, the type may change', async () => {
    expect((await req('PUT', '/entities/urn:ngsi-ld:Bin:2', { type: 'Bin', level: 3 })).statusCode).toBe(204);
    expect(await kv('urn:ngsi-ld:Bin:2')).toEqual({ id: 'urn:ngsi-ld:Bin:2', type: 'Bin', level: 3 });
    expect((await req('PUT', '/entities/urn:ngsi-ld:Bin:2', { id: 'urn:ngsi-ld:Bin:9', type: 'Bin' })).statusCode).toBe(400);
    expect((await req('PUT', '/entities/urn:ngsi-ld:Bin:404', { type: 'Bin', level: 3 })).statusCode).toBe(404);
  });

  it('details attributes and types, and names the source', async () => {
    let res = await req('GET', '/attributes/fill');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ id: 'fill', type: 'Attribute', attributeName: 'fill', typeNames: ['Bin', 'Container'] });
    expect((await req('GET', '/attributes/nothing')).statusCode).toBe(404);
    expect((await req('GET', '/attributes?details=true')).json()).toContainEqual({ id: 'power', type: 'Attribute', attributeName: 'power', typeNames: ['Lamp'] });
    expect((await req('GET', '/types?details=true')).json()).toContainEqual({ id: 'Lamp', type: 'EntityType', typeName: 'Lamp', attributeNames: ['power'] });
    res = await req('GET', '/info/sourceIdentity');
    expect(res.json()).toMatchObject({ id: expect.stringMatching(/^urn:ngsi-ld:ContextSourceIdentity:/), type: 'ContextSourceIdentity', contextSourceAlias: 'CityHub', contextSourceUptime: expect.stringMatching(/^PT/) });
    expect((await req('GET', '/info/sourceIdentity', undefined, {}, '')).statusCode).toBe(401);
  });

  it('refuses forbidden parameter combinations with BadRequestData', async () => {
    for (const qs of ['pick=fill&omit=owner', 'pick=fill&attrs=fill', 'options=nonsense', 'format=weird']) {
      const res = await req('GET', `/entities?type=Bin&${qs}`);
      expect(res.statusCode, qs).toBe(400);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
  });

  it('purges the entities a filter selects (DELETE /entities?…); a filter is required', async () => {
    expect((await req('DELETE', '/entities')).statusCode).toBe(400);
    expect((await req('DELETE', '/entities?type=Bin&q=fill>20')).statusCode).toBe(204);
    expect((await req('GET', '/entities?type=Bin&options=keyValues&pick=id')).json().map((e: { id: string }) => e.id).sort()).toEqual(['urn:ngsi-ld:Bin:1', 'urn:ngsi-ld:Bin:2', 'urn:ngsi-ld:Bin:3']);
    expect((await req('DELETE', '/entities?type=Bin', undefined, { 'content-type': 'application/json' })).statusCode).toBe(204);
    expect((await req('GET', '/entities?type=Bin')).json()).toEqual([]);
    expect((await kv('urn:ngsi-ld:Lamp:1')).power).toBe('on');
    const reader = (await hub.loginAs(['market_operator'])).cookie;
    expect((await req('DELETE', '/entities?type=Lamp', undefined, {}, reader)).statusCode).toBe(403);
  });

  it('writes to one entity only when it has the type a ?type= selector names (§4.17); scope is no attribute to patch', async () => {
    const id = 'urn:ngsi-ld:Kiosk:1';
    expect((await req('POST', '/entities', { id, type: 'Kiosk', scope: '/Yuelu', stock: 5 })).statusCode).toBe(201);
    const miss = [
      ['POST', `/entities/${id}/attrs?type=Lamp`, { stock: 6 }], ['PATCH', `/entities/${id}/attrs?type=Lamp`, { stock: 6 }],
      ['PATCH', `/entities/${id}/attrs/stock?type=Lamp`, { value: 6 }], ['PUT', `/entities/${id}/attrs/stock?type=Lamp`, { value: 6 }],
      ['PATCH', `/entities/${id}?type=Lamp`, { stock: 6 }], ['DELETE', `/entities/${id}/attrs/stock?type=Lamp`], ['DELETE', `/entities/${id}?type=Lamp`],
    ] as const;
    for (const [method, url, body] of miss) expect((await req(method, url, body)).statusCode, `${method} ${url}`).toBe(404);
    expect(await kv(id)).toEqual({ id, type: 'Kiosk', stock: 5 });
    expect((await req('PATCH', `/entities/${id}/attrs/stock?type=Lamp,Kiosk`, { value: 7 })).statusCode).toBe(204);
    expect((await kv(id)).stock).toBe(7);
    let res = await req('PATCH', `/entities/${id}/attrs/scope`, { value: '/Kaifu' });
    expect([res.statusCode, res.json().type]).toEqual([400, 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData']);
    expect((await req('GET', `/entities/${id}`)).json().scope).toBe('/Yuelu');
    // NGSI-LD Null inside a structured value, or as an id, is refused on create.
    res = await req('POST', '/entities', { id: 'urn:ngsi-ld:Kiosk:2', type: 'Kiosk', address: { type: 'Property', value: { street: 'Lushan Rd', district: { name: 'urn:ngsi-ld:null' } } } });
    expect(res.statusCode).toBe(400);
    expect((await req('POST', '/entities', { id: 'urn:ngsi-ld:null', type: 'Kiosk' })).statusCode).toBe(400);
    // …and in a partial update, where it leaves the stored value as it was.
    await req('POST', `/entities/${id}/attrs`, { address: { type: 'Property', value: { street: 'Lushan Rd', district: 'Yuelu' } } });
    expect((await req('PATCH', `/entities/${id}/attrs/address`, { value: { district: 'urn:ngsi-ld:null' } })).statusCode).toBe(400);
    expect((await kv(id)).address).toEqual({ street: 'Lushan Rd', district: 'Yuelu' });
    expect((await req('DELETE', `/entities/${id}?type=Kiosk`)).statusCode).toBe(204);
  });
});
