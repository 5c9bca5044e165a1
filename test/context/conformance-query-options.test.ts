import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 v1.8: §4.19 scope queries (`scopeQ` on queries, POST /entityOperations/query and purge), the
 * `expandValues` parameter (q over VocabProperty terms), RFC 7240 `Prefer: return=…` with `Preference-Applied`.
 */
describe.each(testEngines)('NGSI-LD scopeQ, expandValues, Prefer [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  const req = ngsiRequester(() => hub, () => cookie, {});
  const ids = async (url: string) => {
    const res = await req('GET', url);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().map((e: { id: string }) => e.id).sort();
  };

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    const res = await req('POST', '/entityOperations/create', [
      { id: 'urn:ngsi-ld:Park:1', type: 'Park', scope: '/Madrid' },
      { id: 'urn:ngsi-ld:Park:2', type: 'Park', scope: '/Madrid/Gardens' },
      { id: 'urn:ngsi-ld:Park:3', type: 'Park', scope: ['/Madrid/Gardens/North', '/Public'] },
      { id: 'urn:ngsi-ld:Park:4', type: 'Park', scope: '/Madrider' },
      { id: 'urn:ngsi-ld:Park:5', type: 'Park' },
    ]);
    expect(res.statusCode, res.body).toBe(201);
  }, 120_000);
  afterAll(async () => hub?.close(), 60_000);

  it('selects by scope: exact, # for a scope and all under it, + for one level, ; AND, , OR', async () => {
    expect(await ids('/entities?type=Park&scopeQ=/Madrid')).toEqual(['urn:ngsi-ld:Park:1']);
    expect(await ids('/entities?type=Park&scopeQ=/Madrid/%23')).toEqual(['urn:ngsi-ld:Park:1', 'urn:ngsi-ld:Park:2', 'urn:ngsi-ld:Park:3']);
    expect(await ids('/entities?type=Park&scopeQ=/Madrid/%2B')).toEqual(['urn:ngsi-ld:Park:2']);
    expect(await ids('/entities?type=Park&scopeQ=/Madrid/%2B/North')).toEqual(['urn:ngsi-ld:Park:3']);
    expect(await ids('/entities?type=Park&scopeQ=/%23')).toEqual(['urn:ngsi-ld:Park:1', 'urn:ngsi-ld:Park:2', 'urn:ngsi-ld:Park:3', 'urn:ngsi-ld:Park:4']);
    expect(await ids('/entities?type=Park&scopeQ=/Madrid/%23;/Public')).toEqual(['urn:ngsi-ld:Park:3']);
    expect(await ids('/entities?type=Park&scopeQ=/Madrider,/Madrid/Gardens')).toEqual(['urn:ngsi-ld:Park:2', 'urn:ngsi-ld:Park:4']);
    // The scope is a pattern of segments, never a regular expression or an SQL LIKE pattern.
    expect(await ids('/entities?type=Park&scopeQ=/Madri_')).toEqual([]);
    const res = await req('POST', '/entityOperations/query', { type: 'Query', entities: [{ type: 'Park' }], scopeQ: '/Madrid/Gardens/#' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().map((e: { id: string }) => e.id).sort()).toEqual(['urn:ngsi-ld:Park:2', 'urn:ngsi-ld:Park:3']);
  });

  it('the full grammar: | as OR, AND binding tighter than OR, parentheses to group (GET, POST query)', async () => {
    expect(await ids('/entities?type=Park&scopeQ=/Madrider%7C/Madrid/Gardens')).toEqual(['urn:ngsi-ld:Park:2', 'urn:ngsi-ld:Park:4']);
    // Without parentheses: /Madrider OR (/Madrid/Gardens/# AND /Public).
    expect(await ids('/entities?type=Park&scopeQ=/Madrider%7C/Madrid/Gardens/%23;/Public')).toEqual(['urn:ngsi-ld:Park:3', 'urn:ngsi-ld:Park:4']);
    // With them: (/Madrider OR /Madrid/Gardens/#) AND /Public.
    expect(await ids('/entities?type=Park&scopeQ=(/Madrider%7C/Madrid/Gardens/%23);/Public')).toEqual(['urn:ngsi-ld:Park:3']);
    expect(await ids('/entities?type=Park&scopeQ=((/Madrid%7C/Madrider),(/Public))')).toEqual(['urn:ngsi-ld:Park:1', 'urn:ngsi-ld:Park:3', 'urn:ngsi-ld:Park:4']);
    expect(await ids('/entities?type=Park&scopeQ=/%2B/%2B/North;(/Public%7C/Nowhere)')).toEqual(['urn:ngsi-ld:Park:3']);
    const res = await req('POST', '/entityOperations/query', { type: 'Query', entities: [{ type: 'Park' }], scopeQ: '(/Madrid|/Madrider);/#' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().map((e: { id: string }) => e.id).sort()).toEqual(['urn:ngsi-ld:Park:1', 'urn:ngsi-ld:Park:4']);
  });

  it('refuses a malformed scopeQ with 400 naming scopeQ', async () => {
    for (const bad of ['Madrid', '/Mad.*', '/Madrid/%23/x', '/', '/Madrid//x', "/x')%20or%20true--", '(/Madrid', '/Madrid)', '()', '/a;;/b', '/a%7C', '%7C/a', '/a(/b)', `${'('.repeat(17)}/a${')'.repeat(17)}`]) {
      const res = await req('GET', `/entities?type=Park&scopeQ=${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
      expect(res.json().detail).toContain('scopeQ');
    }
    expect((await req('GET', `/entities?type=Park&scopeQ=/${'a'.repeat(400)}`)).statusCode).toBe(400);
  });

  it('purges by scopeQ alone', async () => {
    const res = await req('POST', '/entityOperations/create', [
      { id: 'urn:ngsi-ld:Tmp:1', type: 'Tmp', scope: '/Purge/A' },
      { id: 'urn:ngsi-ld:Tmp:2', type: 'Tmp', scope: '/Keep' },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    expect((await req('DELETE', '/entities?scopeQ=/Purge/%23')).statusCode).toBe(204);
    expect(await ids('/entities?type=Tmp')).toEqual(['urn:ngsi-ld:Tmp:2']);
  });

  it('expandValues: q compares the listed attributes with their values expanded, as VocabProperty terms are stored', async () => {
    for (const [id, kind] of [['urn:ngsi-ld:Park:v1', 'Residential'], ['urn:ngsi-ld:Park:v2', 'Commercial']]) {
      expect((await req('POST', '/entities', { id, type: 'Zone', kind: { type: 'VocabProperty', vocab: kind } })).statusCode).toBe(201);
    }
    expect(await ids('/entities?type=Zone&q=kind=="Residential"&expandValues=kind')).toEqual(['urn:ngsi-ld:Park:v1']);
    expect(await ids('/entities?type=Zone&q=kind=="Residential","Commercial"&expandValues=kind')).toEqual(['urn:ngsi-ld:Park:v1', 'urn:ngsi-ld:Park:v2']);
    expect(await ids('/entities?type=Zone&q=kind!="Residential"&expandValues=kind')).toEqual(['urn:ngsi-ld:Park:v2']);
    // Without expandValues the term is compared as it is written: no match.
    expect(await ids('/entities?type=Zone&q=kind=="Residential"')).toEqual([]);
    // The VocabProperty answers with the term compacted back.
    expect((await req('GET', '/entities/urn:ngsi-ld:Park:v1?options=keyValues')).json().kind).toBe('Residential');
  });

  it('Prefer: return=representation answers the entity written; return=minimal nothing; both say Preference-Applied', async () => {
    let res = await req('POST', '/entities', { id: 'urn:ngsi-ld:Park:p1', type: 'Park', area: 12 }, { prefer: 'return=representation' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['preference-applied']).toBe('return=representation');
    expect(res.headers.location).toBe('/ngsi-ld/v1/entities/urn%3Angsi-ld%3APark%3Ap1');
    expect(res.json()).toMatchObject({ id: 'urn:ngsi-ld:Park:p1', type: 'Park', area: { type: 'Property', value: 12 } });
    res = await req('PATCH', '/entities/urn:ngsi-ld:Park:p1', { area: 13 }, { prefer: 'return=representation', accept: 'application/ld+json' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/ld+json');
    expect(res.json()).toMatchObject({ id: 'urn:ngsi-ld:Park:p1', area: { value: 13 } });
    expect(res.json()['@context']).toBeDefined();
    res = await req('PATCH', '/entities/urn:ngsi-ld:Park:p1/attrs', { area: 14 }, { prefer: 'respond-async, return=representation' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().area.value).toBe(14);
    res = await req('PUT', '/entities/urn:ngsi-ld:Park:p1', { type: 'Park', size: 1 }, { prefer: 'return=minimal' });
    expect(res.statusCode).toBe(204);
    expect(res.headers['preference-applied']).toBe('return=minimal');
    expect(res.body).toBe('');
    res = await req('POST', '/entities/urn:ngsi-ld:Park:p1/attrs', { area: 1 }, { prefer: 'wait=10' });
    expect(res.statusCode).toBe(204);
    expect(res.headers['preference-applied']).toBeUndefined();
    // A failed write answers its problem whatever the preference.
    res = await req('PATCH', '/entities/urn:ngsi-ld:Park:404', { area: 1 }, { prefer: 'return=representation' });
    expect(res.statusCode).toBe(404);
    // A representation the client does not accept: 406 before anything is written.
    res = await req('POST', '/entities', { id: 'urn:ngsi-ld:Park:p2', type: 'Park' }, { prefer: 'return=representation', accept: 'text/html' });
    expect(res.statusCode).toBe(406);
    expect((await req('GET', '/entities/urn:ngsi-ld:Park:p2')).statusCode).toBe(404);
  });
});

/** GS CIM 009 v1.8 §4.5.23 linked entity retrieval: `join=inline|flat`, `joinLevel`, and the combinations refused. */
describe.each(testEngines)('NGSI-LD join and joinLevel [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  const req = ngsiRequester(() => hub, () => cookie, {});
  const get = async (url: string, headers: Record<string, string> = {}, status = 200) => {
    const res = await req('GET', url, undefined, headers);
    expect(res.statusCode, res.body).toBe(status);
    return res.json();
  };

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    const rel = (object: string) => ({ type: 'Relationship', object });
    const res = await req('POST', '/entityOperations/create', [
      { id: 'urn:ngsi-ld:Lamp:1', type: 'Lamp', power: 30, feeder: rel('urn:ngsi-ld:Feeder:1'), nearby: { type: 'ListRelationship', objectList: ['urn:ngsi-ld:Lamp:2', 'urn:ngsi-ld:Lamp:404'] } },
      { id: 'urn:ngsi-ld:Lamp:2', type: 'Lamp', power: 40, feeder: rel('urn:ngsi-ld:Feeder:1') },
      { id: 'urn:ngsi-ld:Feeder:1', type: 'Feeder', voltage: 230, station: rel('urn:ngsi-ld:Station:1') },
      // A cycle: the station points back at the lamp.
      { id: 'urn:ngsi-ld:Station:1', type: 'Station', name: 'Nord', serves: rel('urn:ngsi-ld:Lamp:1') },
    ]);
    expect(res.statusCode, res.body).toBe(201);
  }, 120_000);
  afterAll(async () => hub?.close(), 60_000);

  it('inline puts each linked entity in its relationship, joinLevel deep, without cycles', async () => {
    let e = await get('/entities/urn:ngsi-ld:Lamp:1?join=inline');
    expect(e.feeder.entity).toMatchObject({ id: 'urn:ngsi-ld:Feeder:1', type: 'Feeder', voltage: { value: 230 } });
    expect(e.feeder.entity.station.entity).toBeUndefined();
    expect(e.nearby.entityList.map((x: { id: string }) => x.id)).toEqual(['urn:ngsi-ld:Lamp:2']);
    e = await get('/entities/urn:ngsi-ld:Lamp:1?join=inline&joinLevel=3&options=concise');
    expect(e.feeder.entity.station.entity).toMatchObject({ id: 'urn:ngsi-ld:Station:1', name: 'Nord' });
    // The station's link back to the lamp is not followed again (the answer is a tree).
    expect(e.feeder.entity.station.entity.serves.entity).toBeUndefined();
    const list = await get('/entities?type=Lamp&join=inline');
    expect(list.map((x: { id: string }) => x.id)).toEqual(['urn:ngsi-ld:Lamp:1', 'urn:ngsi-ld:Lamp:2']);
    expect(list[1].feeder.entity.id).toBe('urn:ngsi-ld:Feeder:1');
  });

  it('flat answers the entities asked for, then each linked one once', async () => {
    const one = await get('/entities/urn:ngsi-ld:Lamp:1?join=flat&joinLevel=2&options=keyValues');
    expect(one.map((x: { id: string }) => x.id)).toEqual(['urn:ngsi-ld:Lamp:1', 'urn:ngsi-ld:Feeder:1', 'urn:ngsi-ld:Lamp:2', 'urn:ngsi-ld:Station:1']);
    expect(one[1]).toEqual({ id: 'urn:ngsi-ld:Feeder:1', type: 'Feeder', voltage: 230, station: 'urn:ngsi-ld:Station:1' });
    const many = await get('/entities?type=Lamp&join=flat');
    expect(many.map((x: { id: string }) => x.id)).toEqual(['urn:ngsi-ld:Lamp:1', 'urn:ngsi-ld:Lamp:2', 'urn:ngsi-ld:Feeder:1']);
    expect(await get('/entities/urn:ngsi-ld:Lamp:1?join=@none')).toMatchObject({ id: 'urn:ngsi-ld:Lamp:1' });
  });

  it('POST /entityOperations/query takes join and joinLevel (and options, format) in its query string', async () => {
    const query = (qs: string, body: Record<string, unknown> = { type: 'Query', entities: [{ type: 'Lamp' }] }) => req('POST', `/entityOperations/query${qs}`, body);
    let res = await query('?join=flat&options=keyValues');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().map((x: { id: string }) => x.id)).toEqual(['urn:ngsi-ld:Lamp:1', 'urn:ngsi-ld:Lamp:2', 'urn:ngsi-ld:Feeder:1']);
    expect(res.json()[2]).toEqual({ id: 'urn:ngsi-ld:Feeder:1', type: 'Feeder', voltage: 230, station: 'urn:ngsi-ld:Station:1' });
    res = await query('?join=inline&joinLevel=2', { type: 'Query', entities: [{ id: 'urn:ngsi-ld:Lamp:1', type: 'Lamp' }] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toHaveLength(1);
    expect(res.json()[0].feeder.entity.station.entity).toMatchObject({ id: 'urn:ngsi-ld:Station:1', name: { value: 'Nord' } });
    // Without join the answer is the entities asked for, as before.
    expect((await query('')).json().map((x: { id: string }) => x.id)).toEqual(['urn:ngsi-ld:Lamp:1', 'urn:ngsi-ld:Lamp:2']);
    for (const [qs, field] of [['?join=deep', 'join'], ['?joinLevel=2', 'joinLevel'], ['?join=inline&options=keyValues', 'join'], ['?join=inline&joinLevel=99', 'joinLevel']]) {
      res = await query(qs);
      expect(res.statusCode, qs).toBe(400);
      expect(res.json().errors?.[0]?.field, qs).toBe(`/query/${field}`);
    }
  });

  it('deny by default: join opens nothing to a caller who may not read entities', async () => {
    const anonymous = await hub.http.inject({ method: 'GET', url: '/ngsi-ld/v1/entities/urn:ngsi-ld:Lamp:1?join=flat' });
    expect([401, 403]).toContain(anonymous.statusCode);
    expect(anonymous.body).not.toContain('urn:ngsi-ld:Feeder:1');
  });

  it('refuses the combinations the spec forbids or that cannot be answered (400 naming the parameter)', async () => {
    for (const [url, field] of [
      ['/entities/urn:ngsi-ld:Lamp:1?join=deep', 'join'],
      ['/entities/urn:ngsi-ld:Lamp:1?joinLevel=2', 'joinLevel'],
      ['/entities/urn:ngsi-ld:Lamp:1?join=inline&joinLevel=0', 'joinLevel'],
      ['/entities/urn:ngsi-ld:Lamp:1?join=inline&joinLevel=99', 'joinLevel'],
      ['/entities/urn:ngsi-ld:Lamp:1?join=inline&options=keyValues', 'join'],
      ['/entities?type=Lamp&join=inline&format=keyValues', 'join'],
      ['/entities/urn:ngsi-ld:Lamp:404?join=deep', 'join'],
    ]) {
      const body = await get(url, {}, 400);
      expect(body.type, url).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
      expect(body.errors?.[0]?.field, url).toBe(`/query/${field}`);
    }
    const geo = await get('/entities?type=Lamp&join=flat', { accept: 'application/geo+json' }, 400);
    expect(geo.detail).toContain('geo+json');
  });
});
