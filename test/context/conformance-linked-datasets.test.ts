import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 v1.8: the `datasetId` parameter of retrieval and query (only the instances with those datasetIds,
 * `@none` the default one), `containedBy` of linked entity retrieval (§4.5.23: entities already met are not
 * fetched or joined again), `q` terms on linked entities (`a{b}==x`, §4.9) evaluated across the links, and a
 * merge's NGSI-LD Null inside a structured value merged into the stored value (RFC 7396, §5.2.1, §5.6.17,
 * §5.6.20). With the access cases: a hidden attribute, an unreadable type or another tenant's entity decides
 * nothing and shows through none of them.
 */
describe.each(testEngines)('NGSI-LD datasetId, containedBy, linked q, merge patch [%s]', (engine) => {
  let hub: TestHub;
  let now = new Date();
  let admin: string;
  let spy: string;
  const req = ngsiRequester(() => hub, () => admin, {});
  const asSpy = (method: string, url: string, payload?: unknown) => req(method, url, payload, {}, spy);
  const ids = (res: LightMyRequestResponse) => {
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { id: string }[]).map((e) => e.id);
  };
  const bad = async (res: Promise<LightMyRequestResponse>, field?: string) => {
    const r = await res;
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    if (field) expect(r.json().errors?.[0]?.field).toBe(field);
    return r.json();
  };
  const rel = (object: string) => ({ type: 'Relationship', object });
  const K1 = 'urn:ngsi-ld:Kiosk:k1';
  const K2 = 'urn:ngsi-ld:Kiosk:k2';
  const K3 = 'urn:ngsi-ld:Kiosk:k3';
  const P1 = 'urn:ngsi-ld:Person:p1';
  const P2 = 'urn:ngsi-ld:Person:p2';
  const O1 = 'urn:ngsi-ld:Company:o1';
  const V1 = 'urn:ngsi-ld:Vault:v1';
  const GPS = 'urn:ngsi-ld:Dataset:gps';
  const RADAR = 'urn:ngsi-ld:Dataset:radar';

  beforeAll(async () => {
    hub = await createTestHub(engine, { clock: () => now, config: { modules: { context: { expiryIntervalSeconds: 0, simulator: { enabled: false }, mqtt: { ingest: false } } } } as never });
    admin = (await hub.loginAs(['data_admin'])).cookie;
    const res = await req('POST', '/entityOperations/create', [
      {
        id: K1, type: 'Kiosk', owner: rel(P1), vault: rel(V1), stock: 3,
        speed: [{ type: 'Property', value: 1 }, { type: 'Property', value: 2, datasetId: GPS }, { type: 'Property', value: 3, datasetId: RADAR }],
        secretSpeed: { type: 'Property', value: 99, datasetId: GPS },
      },
      { id: K2, type: 'Kiosk', owner: rel(P2), stock: 9, partners: { type: 'ListRelationship', objectList: [P2, P1] } },
      { id: K3, type: 'Kiosk', stock: 1, owner: rel('urn:ngsi-ld:Person:elsewhere') },
      { id: P1, type: 'Person', name: 'Li', salary: 7, employer: rel(O1) },
      { id: P2, type: 'Person', name: 'Wang', salary: 8 },
      { id: O1, type: 'Company', name: 'Acme' },
      { id: V1, type: 'Vault', code: 1234 },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    // Another tenant holds a person with the id K3 links to: it must never be reached from the default tenant.
    const other = await req('POST', '/entities', { id: 'urn:ngsi-ld:Person:elsewhere', type: 'Person', name: 'Li' }, { 'ngsild-tenant': 'other' });
    expect(other.statusCode, other.body).toBe(201);
    // An organisation that may read kiosks (not their secretSpeed) and persons' names (not their salary); no vaults.
    const org = await hub.services.auth.insertOrg(systemActor('test'), { name: '报亭运营公司', kind: 'enterprise', parentId: null });
    spy = (await hub.loginAs(['dept_data_owner'], org.id)).cookie;
    for (const rule of [
      { entityType: 'Kiosk', attributes: ['owner', 'vault', 'stock', 'speed', 'partners'] },
      { entityType: 'Person', attributes: ['name', 'employer'] },
      { entityType: 'Company', attributes: ['name'] },
    ]) {
      const r = await req('POST', '/cityhub/accessRules', { orgId: org.id, ...rule, canWrite: false });
      expect(r.statusCode, r.body).toBe(201);
    }
  }, 120_000);
  afterAll(async () => hub?.close(), 60_000);

  describe('datasetId (v1.8 §5.7.1.4, §5.7.2.4)', () => {
    it('retrieve: only the instances with the datasetIds asked for, @none the default; an attribute with none left out', async () => {
      let e = (await req('GET', `/entities/${K1}?datasetId=${GPS}`)).json();
      expect(e.speed).toEqual({ type: 'Property', value: 2, datasetId: GPS });
      expect(e.secretSpeed).toEqual({ type: 'Property', value: 99, datasetId: GPS });
      expect(e.stock).toBeUndefined();
      e = (await req('GET', `/entities/${K1}?datasetId=@none`)).json();
      expect(e.speed).toEqual({ type: 'Property', value: 1 });
      expect(e.stock).toEqual({ type: 'Property', value: 3 });
      expect(e.secretSpeed).toBeUndefined();
      e = (await req('GET', `/entities/${K1}?datasetId=@none,${RADAR}`)).json();
      expect(e.speed).toEqual([{ type: 'Property', value: 1 }, { type: 'Property', value: 3, datasetId: RADAR }]);
      e = (await req('GET', `/entities/${K1}?datasetId=${RADAR}&options=keyValues`)).json();
      expect(e).toEqual({ id: K1, type: 'Kiosk', speed: 3 });
    });

    it('query: GET /entities and POST /entityOperations/query render the chosen instances', async () => {
      const got = await req('GET', `/entities?type=Kiosk&id=${K1}&datasetId=${GPS}&options=keyValues`);
      expect(got.json()).toEqual([{ id: K1, type: 'Kiosk', speed: 2, secretSpeed: 99 }]);
      const posted = await req('POST', `/entityOperations/query?datasetId=${RADAR}`, { type: 'Query', entities: [{ id: K1, type: 'Kiosk' }] });
      expect(posted.statusCode, posted.body).toBe(200);
      expect(posted.json()).toEqual([{ id: K1, type: 'Kiosk', speed: { type: 'Property', value: 3, datasetId: RADAR } }]);
    });

    it('a datasetId that is not a URI (nor @none) is 400 naming datasetId', async () => {
      await bad(req('GET', `/entities/${K1}?datasetId=gps`), '/query/datasetId');
      await bad(req('GET', '/entities?type=Kiosk&datasetId=,'), '/query/datasetId');
      await bad(req('POST', '/entityOperations/query?datasetId=x%20y', { type: 'Query', entities: [{ type: 'Kiosk' }] }), '/query/datasetId');
    });

    it('access: a hidden attribute does not show through its datasetId', async () => {
      const e = await asSpy('GET', `/entities/${K1}?datasetId=${GPS}`);
      expect(e.statusCode, e.body).toBe(200);
      expect(e.json()).toEqual({ id: K1, type: 'Kiosk', speed: { type: 'Property', value: 2, datasetId: GPS } });
      expect(e.body).not.toContain('99');
      const q = await asSpy('GET', `/entities?type=Kiosk&datasetId=${GPS}&options=keyValues`);
      expect(q.body).not.toContain('secretSpeed');
    });
  });

  describe('containedBy (v1.8 §4.5.23)', () => {
    it('the entities listed count as met: they are neither fetched nor joined, nor what only they link to', async () => {
      expect(ids(await req('GET', `/entities/${K1}?join=flat&joinLevel=2`))).toEqual([K1, P1, V1, O1]);
      expect(ids(await req('GET', `/entities/${K1}?join=flat&joinLevel=2&containedBy=${P1}`))).toEqual([K1, V1]);
      expect(ids(await req('GET', `/entities/${K1}?join=flat&joinLevel=2&containedBy=${O1},${V1}`))).toEqual([K1, P1]);
      const inline = (await req('GET', `/entities/${K1}?join=inline&containedBy=${P1}`)).json();
      expect(inline.owner).toEqual(rel(P1));
      expect(inline.vault.entity.id).toBe(V1);
      const posted = await req('POST', `/entityOperations/query?join=flat&containedBy=${P2}`, { type: 'Query', entities: [{ id: K2, type: 'Kiosk' }] });
      expect(ids(posted)).toEqual([K2, P1]);
    });

    it('containedBy without join, or not a list of URIs, is 400 naming containedBy', async () => {
      await bad(req('GET', `/entities/${K1}?containedBy=${P1}`), '/query/containedBy');
      await bad(req('GET', `/entities?type=Kiosk&join=@none&containedBy=${P1}`), '/query/containedBy');
      await bad(req('GET', `/entities/${K1}?join=flat&containedBy=not%20an%20id`), '/query/containedBy');
    });

    it('access: containedBy opens nothing — no unreadable type, no entity of another tenant', async () => {
      const spied = await asSpy('GET', `/entities/${K1}?join=flat&joinLevel=2&containedBy=${O1}`);
      expect(ids(spied)).toEqual([K1, P1]);
      expect(spied.body).not.toContain('1234');
      expect(spied.body).not.toContain('salary');
      expect(ids(await req('GET', `/entities/${K3}?join=flat&containedBy=${P1}`))).toEqual([K3]);
    });
  });

  describe('q on linked entities (v1.8 §4.9, with join)', () => {
    const q = (expr: string, extra = '&join=flat') => `/entities?type=Kiosk&q=${encodeURIComponent(expr)}${extra}&pick=id`;

    it('a{b}==x matches the entities whose relationship links to an entity where b==x', async () => {
      expect(ids(await req('GET', q('owner{name}=="Li"', '&join=inline')))).toEqual([K1]);
      expect(ids(await req('GET', q('owner{name}=="Wang"', '&join=inline')))).toEqual([K2]);
      expect(ids(await req('GET', q('owner{salary}>=7', '&join=inline')))).toEqual([K1, K2]);
      expect(ids(await req('GET', q('owner{name}=="Nobody"', '&join=inline')))).toEqual([]);
      // ListRelationship members are links too.
      expect(ids(await req('GET', q('partners{name}=="Li"', '&join=inline')))).toEqual([K2]);
      // Combined with plain terms, AND and OR.
      expect(ids(await req('GET', q('owner{salary}>=7;stock<5', '&join=inline')))).toEqual([K1]);
      expect(ids(await req('GET', q('owner{name}=="Wang"|stock==1', '&join=inline')))).toEqual([K2, K3]);
      // Two links deep, with a join as deep.
      expect(ids(await req('GET', q('owner{employer{name}}=="Acme"', '&join=inline&joinLevel=2')))).toEqual([K1]);
      const counted = await req('GET', `${q('owner{name}=="Li"', '&join=inline')}&count=true`);
      expect(counted.headers['ngsild-results-count']).toBe('1');
      const posted = await req('POST', '/entityOperations/query?join=flat&options=keyValues', { type: 'Query', entities: [{ type: 'Kiosk' }], q: 'owner{name}=="Wang"' });
      // K2's owner and its partners (a ListRelationship) are joined.
      expect(ids(posted)).toEqual([K2, P1, P2]);
    });

    it('syntax errors are 400; without a join deep enough 400', async () => {
      await bad(req('GET', q('owner{name=="Li"', '&join=inline')));
      await bad(req('GET', q('owner{name}}=="Li"', '&join=inline')));
      await bad(req('GET', q('owner{name}=="Li"', '')));
      await bad(req('GET', q('owner{employer{name}}=="Acme"', '&join=inline')));
    });

    it('access: a hidden attribute or an unreadable type of the linked entity decides nothing; nor another tenant', async () => {
      expect(ids(await req('GET', q('owner{salary}==7', '&join=inline')))).toEqual([K1]);
      expect(ids(await asSpy('GET', q('owner{salary}==7', '&join=inline')))).toEqual([]);
      expect(ids(await asSpy('GET', q('owner{name}=="Li"', '&join=inline')))).toEqual([K1]);
      expect(ids(await req('GET', q('vault{code}==1234', '&join=inline')))).toEqual([K1]);
      expect(ids(await asSpy('GET', q('vault{code}==1234', '&join=inline')))).toEqual([]);
      expect(ids(await asSpy('GET', q('owner{employer{name}}=="Acme"', '&join=inline&joinLevel=2')))).toEqual([K1]);
      // K3 links to an id only another tenant holds (with name Li): nothing matches here.
      expect(ids(await req('GET', q('owner{name}=="Li";stock==1', '&join=inline')))).toEqual([]);
    });
  });

  describe('q language edges (§4.9): languageMap keys, relationships, type hints', () => {
    beforeAll(async () => {
      const res = await req('POST', '/entityOperations/create', [
        { id: 'urn:ngsi-ld:Flag:f1', type: 'Flag', label: { type: 'LanguageProperty', languageMap: { en: 'red', fr: 'rouge' } } },
        { id: 'urn:ngsi-ld:Flag:f2', type: 'Flag', label: { type: 'LanguageProperty', languageMap: { en: 'blue' } } },
      ]);
      expect(res.statusCode, res.body).toBe(201);
    });
    const flags = async (expr: string) => ids(await req('GET', `/entities?type=Flag&q=${encodeURIComponent(expr)}`));

    it('name[lang] reads one language, name[*] any; name[*]!=x means no language holds x', async () => {
      expect(await flags('label[en]=="red"')).toEqual(['urn:ngsi-ld:Flag:f1']);
      expect(await flags('label[en]=="rouge"')).toEqual([]);
      expect(await flags('label[*]=="rouge"')).toEqual(['urn:ngsi-ld:Flag:f1']);
      expect(await flags('label[*]!="red"')).toEqual(['urn:ngsi-ld:Flag:f2']);
      expect(await flags('label[fr]')).toEqual(['urn:ngsi-ld:Flag:f1']);
    });

    it('§4.15 lang: weighted ranges, no case, prefix and truncation lookup; the language chosen is named in lang', async () => {
      const res = await req('POST', '/entities', { id: 'urn:ngsi-ld:Flag:f3', type: 'Flag', label: { type: 'LanguageProperty', languageMap: { fr: 'Grand Place', nl: 'Grote Markt', 'en-US': 'Main Square' } } });
      expect(res.statusCode, res.body).toBe(201);
      const label = async (lang: string) => (await req('GET', `/entities/urn:ngsi-ld:Flag:f3?lang=${encodeURIComponent(lang)}`)).json().label;
      expect(await label('fr;q=0.2,nl;q=0.9')).toEqual({ type: 'Property', value: 'Grote Markt', lang: 'nl' });
      expect(await label('FR')).toEqual({ type: 'Property', value: 'Grand Place', lang: 'fr' });
      expect(await label('nl-BE')).toEqual({ type: 'Property', value: 'Grote Markt', lang: 'nl' });
      expect(await label('en')).toEqual({ type: 'Property', value: 'Main Square', lang: 'en-US' });
      const fallback = await label('pt');
      expect(fallback.type).toBe('Property');
      expect(['fr', 'nl', 'en-US']).toContain(fallback.lang);
    });

    it('§4.21 pick and omit take | as well as , for OR; an empty term is 400', async () => {
      const comma = (await req('GET', `/entities/${K1}?pick=id,stock`)).json();
      expect(comma).toEqual({ id: K1, stock: { type: 'Property', value: 3 } });
      expect((await req('GET', `/entities/${K1}?pick=${encodeURIComponent('id|stock')}`)).json()).toEqual(comma);
      await bad(req('GET', `/entities/${K1}?pick=${encodeURIComponent('id||stock')}`));
      await bad(req('GET', `/entities/${K1}?omit=stock,`));
    });

    it('a Relationship or ListRelationship matches == and != only, never an ordering operator', async () => {
      const kiosks = async (expr: string) => ids(await req('GET', `/entities?type=Kiosk&pick=id&q=${encodeURIComponent(expr)}`));
      expect(await kiosks(`owner==${P1}`)).toEqual([K1]);
      expect(await kiosks('owner>"urn:a"')).toEqual([]);
      expect(await kiosks(`partners==${P1}`)).toEqual([K2]);
    });

    it('a type hint in a linked term (a{Type:b}) restricts the linked entity', async () => {
      const q = (expr: string) => `/entities?type=Kiosk&pick=id,owner&join=flat&q=${encodeURIComponent(expr)}`;
      expect(ids(await req('GET', q('owner{Person:name}=="Li"')))).toEqual([K1, P1]);
      expect(ids(await req('GET', q('owner{Company:name}=="Li"')))).toEqual([]);
    });
  });

  describe('the Query body of POST /entityOperations/query (§5.2.23, §5.2.33)', () => {
    const post = (body: Record<string, unknown>, qs = '') => req('POST', `/entityOperations/query${qs}`, { type: 'Query', ...body });

    it('takes pick, omit, join, datasetId from the body; a selector id may be a list and wins over idPattern', async () => {
      let res = await post({ entities: [{ type: 'Kiosk', id: K1 }], pick: ['id', 'stock'] });
      expect(res.json()).toEqual([{ id: K1, stock: { type: 'Property', value: 3 } }]);
      res = await post({ entities: [{ type: 'Kiosk', id: K2 }], omit: ['owner', 'partners'] });
      expect(res.json()).toEqual([{ id: K2, type: 'Kiosk', stock: { type: 'Property', value: 9 } }]);
      res = await post({ entities: [{ type: 'Kiosk', id: K2 }], join: 'flat', pick: 'id,owner' });
      expect(ids(res)).toEqual([K2, P2]);
      res = await post({ entities: [{ type: 'Kiosk', id: K1 }], datasetId: [GPS], pick: ['id', 'speed'] });
      expect(res.json()).toEqual([{ id: K1, speed: { type: 'Property', value: 2, datasetId: GPS } }]);
      expect(ids(await post({ entities: [{ type: 'Kiosk', id: [K1, K2] }], pick: ['id'] }))).toEqual([K1, K2]);
      expect(ids(await post({ entities: [{ type: 'Kiosk', id: K1, idPattern: 'k2$' }], pick: ['id'] }))).toEqual([K1]);
      expect(ids(await post({ entities: [{ type: 'Kiosk', idPattern: 'k2$' }], pick: ['id'] }))).toEqual([K2]);
    });

    it('refuses what Table 5.2.23-1 and 5.2.33-1 do not allow (400)', async () => {
      for (const body of [
        { entities: [] }, { entities: [{ type: 'Kiosk' }], attrs: [] }, { entities: [{ type: 'Kiosk' }], q: 42 },
        { entities: [{ type: 'Kiosk' }], join: 'inline', joinLevel: 0 }, { type: 'NotQuery', entities: [{ type: 'Kiosk' }] },
        { entities: [{ type: 'Kiosk' }], temporalQ: { timerel: 'after', timeAt: '2020-01-01T00:00:00Z' } },
        { entities: [{ id: K1 }] }, { entities: [{ type: 'Kiosk', id: [K1, 5] }] }, { entities: [{ type: 'Kiosk', id: 'not a uri' }] },
      ]) {
        const res = await post(body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
      }
    });
  });

  describe('discovery (§5.7.5–5.7.10): the parameters each operation defines', () => {
    it('GET /types/{type} and /attributes/{attrId} take local only; /attributes no paging; unknown names 404', async () => {
      for (const url of ['/types/Kiosk?details=true', '/attributes/stock?details=true', '/attributes?limit=5']) {
        const res = await req('GET', url);
        expect(res.statusCode, url).toBe(400);
        expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/InvalidRequest');
      }
      expect((await req('GET', '/types/Kiosk?local=true')).statusCode).toBe(200);
      expect((await req('GET', '/attributes/stock?local=true')).statusCode).toBe(200);
      expect((await req('GET', '/types/NoSuchType')).statusCode).toBe(404);
      expect((await req('GET', '/attributes/noSuchAttribute')).statusCode).toBe(404);
    });

    it('§4.10 nearRel: exactly one distance, a positive number', async () => {
      const near = (georel: string) => req('GET', `/entities?type=Kiosk&georel=${encodeURIComponent(georel)}&geometry=Point&coordinates=[8,40]`);
      for (const georel of ['near;maxDistance==0', 'near;maxDistance==-100', 'near;maxDistance==5;minDistance==1', 'near', 'near;maxDistance==inf', 'touches']) {
        expect((await near(georel)).statusCode, georel).toBe(400);
      }
      expect((await near('near;maxDistance==2000')).statusCode).toBe(200);
    });

    it('§4.10 near measures to the reference geometry, a line too (not to its first point)', async () => {
      const res = await req('POST', '/entities', { id: 'urn:ngsi-ld:Probe:p1', type: 'Probe', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [10, 60.009] } } });
      expect(res.statusCode, res.body).toBe(201);
      const near = async (coordinates: number[][]) => ids(await req('GET', `/entities?type=Probe&georel=${encodeURIComponent('near;maxDistance==2000')}&geometry=LineString&coordinates=${encodeURIComponent(JSON.stringify(coordinates))}`));
      expect(await near([[0, 60], [10, 60]])).toEqual(['urn:ngsi-ld:Probe:p1']);
      expect(await near([[0, 61], [10, 61]])).toEqual([]);
    });
  });

  describe('§4.12 pagination of GET /entities: prev and next Link headers', () => {
    beforeAll(async () => {
      const res = await req('POST', '/entityOperations/create', ['A', 'B', 'C'].map((x) => ({ id: `urn:ngsi-ld:Page:${x}`, type: 'Page' })));
      expect(res.statusCode, res.body).toBe(201);
    });
    const links = async (qs: string) => {
      const res = await req('GET', `/entities?type=Page${qs}`);
      expect(res.statusCode, res.body).toBe(200);
      const all = [res.headers.link ?? []].flat().join(',');
      return { prev: /<([^>]*)>;rel="prev"/.exec(all)?.[1], next: /<([^>]*)>;rel="next"/.exec(all)?.[1], size: res.json().length };
    };

    it('next only on the first page, both in the middle, prev only on the last; none with limit=0', async () => {
      expect(await links('&limit=1')).toEqual({ prev: undefined, next: '/ngsi-ld/v1/entities?limit=1&offset=1&type=Page', size: 1 });
      expect(await links('&limit=1&offset=1&count=true')).toEqual({
        prev: '/ngsi-ld/v1/entities?count=true&limit=1&offset=0&type=Page', next: '/ngsi-ld/v1/entities?count=true&limit=1&offset=2&type=Page', size: 1,
      });
      expect(await links('&limit=1&offset=2')).toEqual({ prev: '/ngsi-ld/v1/entities?limit=1&offset=1&type=Page', next: undefined, size: 1 });
      expect(await links('&limit=2')).toMatchObject({ next: '/ngsi-ld/v1/entities?limit=2&offset=2&type=Page', size: 2 });
      expect(await links('&limit=0&count=true')).toEqual({ prev: undefined, next: undefined, size: 0 });
      expect(await links('')).toEqual({ prev: undefined, next: undefined, size: 3 });
    });
  });

  describe('v1.9 §4.23 orderBy: ;asc and ;desc, a member of a structured value', () => {
    it('orders by ;desc, ;asc (and CityHub\'s !), by a[k]; distance ordering and unknown directions 400', async () => {
      const order = async (orderBy: string) => ids(await req('GET', `/entities?type=Kiosk&id=${K1},${K2},${K3}&pick=id&orderBy=${encodeURIComponent(orderBy)}`));
      expect(await order('stock;desc')).toEqual([K2, K1, K3]);
      expect(await order('stock;asc')).toEqual([K3, K1, K2]);
      expect(await order('!stock')).toEqual([K2, K1, K3]);
      const res = await req('POST', '/entityOperations/create', ['Amsterdam', 'Zurich', 'Berlin'].map((city, i) => ({ id: `urn:ngsi-ld:Addr:${i}`, type: 'Addr', address: { type: 'Property', value: { city } } })));
      expect(res.statusCode, res.body).toBe(201);
      expect(ids(await req('GET', `/entities?type=Addr&pick=id&orderBy=${encodeURIComponent('address[city];desc')}`))).toEqual(['urn:ngsi-ld:Addr:1', 'urn:ngsi-ld:Addr:2', 'urn:ngsi-ld:Addr:0']);
      await bad(req('GET', `/entities?type=Kiosk&orderBy=${encodeURIComponent('location;dist-asc')}`), '/query/orderBy');
      await bad(req('GET', `/entities?type=Kiosk&orderBy=${encodeURIComponent('stock;sideways')}`), '/query/orderBy');
    });
  });

  describe('v1.9 expiresAt (Table 6.3.11-1: a system temporal attribute; the entity or instance is deleted then)', () => {
    const T = 'urn:ngsi-ld:Kiosk:transient';
    const later = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString();
    const expire = () => hub.services.context.entities.expire(1000);

    it('shown only with sysAttrs, on the entity and on its instances; not an attribute; malformed 400', async () => {
      const at = later(60);
      const soon = later(10);
      let res = await req('POST', '/entities', { id: T, type: 'Kiosk', expiresAt: at, stock: 2, promo: { type: 'Property', value: 'sale', expiresAt: soon } });
      expect(res.statusCode, res.body).toBe(201);
      res = await req('GET', `/entities/${T}`);
      expect(res.body).not.toContain('expiresAt');
      const sys = (await req('GET', `/entities/${T}?options=sysAttrs`)).json();
      expect(sys.expiresAt).toBe(at);
      expect(sys.promo.expiresAt).toBe(soon);
      expect((await req('GET', '/attributes')).json().attributeList).not.toContain('expiresAt');
      await bad(req('POST', '/entities', { id: 'urn:ngsi-ld:Kiosk:bad', type: 'Kiosk', expiresAt: 'tomorrow' }), '/body/expiresAt');
      await bad(req('POST', '/entities', { id: 'urn:ngsi-ld:Kiosk:bad', type: 'Kiosk', a: { type: 'Property', value: 1, expiresAt: '2030-01-01T00:00:00+02:00' } }));
      expect((await req('GET', '/entities/urn:ngsi-ld:Kiosk:bad')).statusCode).toBe(404);
    });

    it('when an instance expires it is removed, when the entity expires it is deleted (in every tenant)', async () => {
      const other = await req('POST', '/entities', { id: T, type: 'Kiosk', expiresAt: later(30) }, { 'ngsild-tenant': 'other' });
      expect(other.statusCode, other.body).toBe(201);
      expect(await expire()).toBe(0);
      now = new Date(now.getTime() + 15 * 60_000);
      expect(await expire()).toBe(1);
      let e = (await req('GET', `/entities/${T}?options=keyValues`)).json();
      expect(e).toEqual({ id: T, type: 'Kiosk', stock: 2 });
      now = new Date(now.getTime() + 20 * 60_000);
      await expire();
      expect((await req('GET', `/entities/${T}`, undefined, { 'ngsild-tenant': 'other' })).statusCode).toBe(404);
      expect((await req('GET', `/entities/${T}`)).statusCode).toBe(200);
      // A merge moves the expiry; then the entity is deleted at the new time.
      expect((await req('PATCH', `/entities/${T}`, { expiresAt: later(5) })).statusCode).toBe(204);
      e = (await req('GET', `/entities/${T}?options=sysAttrs`)).json();
      expect(e.expiresAt).toBe(later(5));
      now = new Date(now.getTime() + 6 * 60_000);
      expect(await expire()).toBe(1);
      expect((await req('GET', `/entities/${T}`)).statusCode).toBe(404);
      expect(await expire()).toBe(0);
    });
  });

  describe('merge: NGSI-LD Null inside a structured value (RFC 7396)', () => {
    const M = 'urn:ngsi-ld:Kiosk:merge';
    const valueOf = async (attr: string) => (await req('GET', `/entities/${M}?options=keyValues`)).json()[attr];

    beforeAll(async () => {
      const res = await req('POST', '/entities', {
        id: M, type: 'Kiosk',
        config: { type: 'Property', value: { a: 1, b: { c: 2, d: 3 }, list: [1, 2] } },
        config2: [{ type: 'Property', value: { x: 1, y: 2 } }, { type: 'Property', value: { x: 5, y: 6 }, datasetId: GPS }],
        label: { type: 'LanguageProperty', languageMap: { en: 'kiosk', fr: 'kiosque', zh: '报亭' } },
      });
      expect(res.statusCode, res.body).toBe(201);
    });

    it('PATCH /entities/{id}: members merged, NGSI-LD Null removes one at any depth, arrays replaced', async () => {
      const res = await req('PATCH', `/entities/${M}`, { config: { type: 'Property', value: { b: { d: 'urn:ngsi-ld:null' }, e: 4, list: [3] } } });
      expect(res.statusCode, res.body).toBe(204);
      expect(await valueOf('config')).toEqual({ a: 1, b: { c: 2 }, e: 4, list: [3] });
    });

    it('/entityOperations/merge: the same, and per datasetId instance', async () => {
      const res = await req('POST', '/entityOperations/merge', [
        { id: M, type: 'Kiosk', config: { type: 'Property', value: { a: 'urn:ngsi-ld:null' } }, config2: { type: 'Property', value: { y: 'urn:ngsi-ld:null' }, datasetId: GPS } },
      ]);
      expect(res.statusCode, res.body).toBe(204);
      expect(await valueOf('config')).toEqual({ b: { c: 2 }, e: 4, list: [3] });
      const e = (await req('GET', `/entities/${M}`)).json();
      expect(e.config2).toEqual([{ type: 'Property', value: { x: 1, y: 2 } }, { type: 'Property', value: { x: 5 }, datasetId: GPS }]);
    });

    it('a LanguageProperty: NGSI-LD Null removes one language', async () => {
      const res = await req('PATCH', `/entities/${M}`, { label: { type: 'LanguageProperty', languageMap: { fr: 'urn:ngsi-ld:null', en: 'news kiosk' } } });
      expect(res.statusCode, res.body).toBe(204);
      expect((await req('GET', `/entities/${M}`)).json().label).toEqual({ type: 'LanguageProperty', languageMap: { en: 'news kiosk', zh: '报亭' } });
    });

    it('NGSI-LD Null inside an array, or in an update (not a merge), is 400 and nothing changes', async () => {
      const before = await valueOf('config');
      await bad(req('PATCH', `/entities/${M}`, { config: { type: 'Property', value: { list: ['urn:ngsi-ld:null'] } } }));
      await bad(req('PATCH', `/entities/${M}/attrs`, { config: { type: 'Property', value: { e: 'urn:ngsi-ld:null' } } }));
      expect(await valueOf('config')).toEqual(before);
      expect(JSON.stringify((await req('GET', `/entities/${M}`)).json())).not.toContain('urn:ngsi-ld:null');
    });
  });
});
