import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 §5.7.3–5.7.4, §6.18–6.24 (temporal retrieval and query) and §6.3.10 (temporal pagination):
 * q and geo-queries on the history of the window (not the current state), the 206 page with Content-Range when
 * the server's instance limit (`temporal.maxInstances`, 5 here) cuts a series, format/options (unknown ones
 * InvalidRequest, format first), pick/omit, datasetId, lang, sysAttrs, the temporalQ's aggregation in a POST
 * query; and that q and geo-queries on the history reveal nothing of an attribute the caller may not read.
 */
describe.each(testEngines)('NGSI-LD temporal retrieval and query [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  let spy: string;
  const req = ngsiRequester(() => hub, () => cookie);
  const asSpy = (method: string, url: string, payload?: unknown) => req(method, url, payload, {}, spy);
  const ids = (res: LightMyRequestResponse) => (res.json() as { id: string }[]).map((e) => e.id);
  const values = (list: { value: unknown }[]) => list.map((i) => i.value);
  const V1 = 'urn:ngsi-ld:Vehicle:tq1';
  const V2 = 'urn:ngsi-ld:Vehicle:tq2';
  const V3 = 'urn:ngsi-ld:Vehicle:tq3';
  const S1 = 'urn:ngsi-ld:Streetlight:tq1';
  const minute = (m: number) => new Date(Date.UTC(2020, 0, 1, 1, m)).toISOString();
  const OPORTO = [-8.503, 41.202];
  const PARIS = [2.35, 48.85];
  const near = `georel=${encodeURIComponent('near;maxDistance==2000')}&geometry=Point&coordinates=${encodeURIComponent(JSON.stringify(OPORTO))}`;

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false }, temporal: { maxInstances: 5 } } } } as never,
    });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    const org = await hub.services.auth.insertOrg(systemActor('test'), { name: 'tq-org', kind: 'enterprise', parentId: null });
    spy = (await hub.loginAs(['dept_data_owner'], org.id)).cookie;
    const rule = await req('POST', '/cityhub/accessRules', { orgId: org.id, entityType: 'Streetlight', attributes: ['powerState'], canWrite: false });
    expect(rule.statusCode, rule.body).toBe(201);
    const temporalEntities = [
      // Twelve speeds a minute apart (1..12 at 01:01..01:12) and three fuel levels (01:00, 01:30, 02:00).
      { id: V1, type: 'Vehicle',
        speed: Array.from({ length: 12 }, (_, i) => ({ type: 'Property', value: i + 1, observedAt: minute(i + 1) })),
        fuelLevel: [0, 30, 60].map((m, i) => ({ type: 'Property', value: 70 - i * 10, observedAt: minute(m) })) },
      // Faster once (120) than it is now (100); in Oporto once, in Paris now.
      { id: V2, type: 'Vehicle',
        speed: [[120, 3], [80, 5], [100, 7]].map(([value, m]) => ({ type: 'Property', value, observedAt: `2020-08-01T12:0${m}:00Z` })),
        location: [[OPORTO, 3], [PARIS, 7]].map(([coordinates, m]) => ({ type: 'GeoProperty', value: { type: 'Point', coordinates }, observedAt: `2020-08-01T12:0${m}:00Z` })),
        name: [{ type: 'LanguageProperty', languageMap: { en: 'van', fr: 'camionnette' }, observedAt: '2020-08-01T12:03:00Z' }] },
      { id: V3, type: 'Vehicle',
        speed: [{ type: 'Property', value: 1, observedAt: '2020-09-01T00:00:00Z' }, { type: 'Property', value: 2, datasetId: 'urn:ngsi-ld:Dataset:A', observedAt: '2020-09-01T00:00:00Z' }] },
      // Its consumption was 137, now 5; it stood in Oporto, now in Paris. The spy may read powerState only.
      { id: S1, type: 'Streetlight',
        powerState: [{ type: 'Property', value: 'on', observedAt: '2020-08-01T12:00:00Z' }],
        powerConsumption: [[137, 3], [5, 7]].map(([value, m]) => ({ type: 'Property', value, observedAt: `2020-08-01T12:0${m}:00Z` })),
        location: [[OPORTO, 3], [PARIS, 7]].map(([coordinates, m]) => ({ type: 'GeoProperty', value: { type: 'Point', coordinates }, observedAt: `2020-08-01T12:0${m}:00Z` })) },
    ];
    for (const e of temporalEntities) {
      const res = await req('POST', '/temporal/entities', e);
      expect(res.statusCode, res.body).toBe(201);
    }
  }, 240_000);
  afterAll(async () => hub?.close(), 60_000);

  it('§6.3.10: a series cut by the instance limit makes a 206 page, every series cut at the same instant, with its Content-Range', async () => {
    let res = await req('GET', `/temporal/entities/${V1}?attrs=speed,fuelLevel&timerel=after&timeAt=2020-01-01T00:00:00Z`);
    expect(res.statusCode, res.body).toBe(206);
    // Oldest first from timeAt up to the fifth speed; the fuel levels after that instant wait for the next page.
    expect(res.headers['content-range']).toBe(`date-time 2020-01-01T00:00:00.000Z-${minute(5)}/*`);
    expect(values(res.json().speed)).toEqual([1, 2, 3, 4, 5]);
    expect(values(res.json().fuelLevel)).toEqual([70]);
    // The next page starts where the range ended (after is inclusive, §4.11).
    res = await req('GET', `/temporal/entities/${V1}?attrs=speed&timerel=after&timeAt=${minute(5)}`);
    expect(res.statusCode).toBe(206);
    expect(values(res.json().speed)).toEqual([5, 6, 7, 8, 9]);
    // lastN above the limit: the newest five, the range descending from the window's end; its size is lastN.
    res = await req('GET', `/temporal/entities/${V1}?attrs=speed&timerel=before&timeAt=2020-01-02T00:00:00Z&lastN=8`);
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`date-time 2020-01-02T00:00:00.000Z-${minute(8)}/8`);
    expect(values(res.json().speed)).toEqual([8, 9, 10, 11, 12]);
    // No window end: the range starts at the newest instance given.
    res = await req('GET', `/temporal/entities/${V1}?attrs=speed&lastN=6`);
    expect(res.headers['content-range']).toBe(`date-time ${minute(12)}-${minute(8)}/6`);
    // What lastN asked for within the limit, or a series within it, is the whole answer: 200, no range.
    for (const url of [`/temporal/entities/${V1}?attrs=speed&lastN=3`, `/temporal/entities/${V1}?attrs=fuelLevel`]) {
      res = await req('GET', url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-range'], url).toBeUndefined();
    }
    expect(values((await req('GET', `/temporal/entities/${V1}?attrs=speed&lastN=3`)).json().speed)).toEqual([10, 11, 12]);
    // The query and its POST form page the same way (temporalValues too).
    res = await req('GET', '/temporal/entities?type=Vehicle&attrs=speed&options=temporalValues&timerel=after&timeAt=2020-01-01T00:00:00Z');
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`date-time 2020-01-01T00:00:00.000Z-${minute(5)}/*`);
    expect(res.json().find((e: { id: string }) => e.id === V1).speed.values.map((v: unknown[]) => v[0])).toEqual([1, 2, 3, 4, 5]);
    res = await req('POST', '/temporal/entityOperations/query', { type: 'Query', entities: [{ id: V1, type: 'Vehicle' }], attrs: ['speed'], temporalQ: { timerel: 'before', timeAt: '2020-01-02T00:00:00Z' } });
    expect(res.statusCode, res.body).toBe(206);
    expect(res.headers['content-range']).toMatch(/^date-time \S+-\S+\/\*$/);
  });

  it('§5.7.4.4: q is evaluated on the instances of the window, not on the current state', async () => {
    // Now V2 drives at 100: the current state has no speed above 110.
    expect(ids(await req('GET', `/entities?type=Vehicle&q=${encodeURIComponent('speed>110')}`))).toEqual([]);
    let res = await req('GET', `/temporal/entities?type=Vehicle&attrs=speed&q=${encodeURIComponent('speed>110')}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(ids(res)).toEqual([V2]);
    // The whole history of the matching entity comes back, not only the instances that matched.
    expect(values(res.json()[0].speed)).toEqual([120, 80, 100]);
    // Outside the window the 120 is not there to match.
    res = await req('GET', `/temporal/entities?type=Vehicle&q=${encodeURIComponent('speed>110')}&timerel=after&timeAt=2020-08-01T12:04:00Z`);
    expect(ids(res)).toEqual([]);
    // count=true counts the same entities; a POST query reads its q the same way.
    res = await req('GET', `/temporal/entities?type=Vehicle&q=${encodeURIComponent('speed>110;speed<90')}&count=true`);
    expect(ids(res)).toEqual([V2]);
    expect(res.headers['ngsild-results-count']).toBe('1');
    res = await req('POST', '/temporal/entityOperations/query', { type: 'Query', entities: [{ type: 'Vehicle' }], q: 'speed>110', temporalQ: { timerel: 'before', timeAt: '2020-08-01T12:04:00Z' } });
    expect(ids(res)).toEqual([V2]);
    expect((await req('GET', `/temporal/entities?type=Vehicle&q=${encodeURIComponent('speed>>1')}`)).statusCode).toBe(400);
  });

  it('§5.7.4.4: a geo-query is evaluated on the GeoProperty instances of the window', async () => {
    // V2 is in Paris now; it was within 2 km of Oporto at 12:03.
    expect(ids(await req('GET', `/entities?type=Vehicle&${near}`))).toEqual([]);
    let res = await req('GET', `/temporal/entities?type=Vehicle&attrs=speed&${near}&geoproperty=location&count=true`);
    expect(res.statusCode, res.body).toBe(200);
    expect(ids(res)).toEqual([V2]);
    expect(res.headers['ngsild-results-count']).toBe('1');
    res = await req('GET', `/temporal/entities?type=Vehicle&${near}&timerel=after&timeAt=2020-08-01T12:05:00Z`);
    expect(ids(res)).toEqual([]);
    const europe = [[[-13.503, 47.202], [6.541, 52.961], [20.37, 44.653], [9.46, 32.57], [-13.503, 32.57], [-13.503, 47.202]]];
    res = await req('GET', `/temporal/entities?type=Vehicle&georel=within&geometry=Polygon&coordinates=${encodeURIComponent(JSON.stringify(europe))}`);
    expect(ids(res)).toEqual([V2]);
    res = await req('POST', '/temporal/entityOperations/query', { type: 'Query', entities: [{ type: 'Vehicle' }], geoQ: { georel: 'near;maxDistance==2000', geometry: 'Point', coordinates: OPORTO, geoproperty: 'location' } });
    expect(ids(res)).toEqual([V2]);
    expect((await req('GET', '/temporal/entities?type=Vehicle&georel=near&geometry=Point&coordinates=%5B1%2C2%5D')).statusCode).toBe(400);
  });

  it('§6.3.12: unknown options or format are InvalidRequest; format takes precedence over options', async () => {
    for (const bad of ['options=invalidOptions', 'options=temporalValues,invalidOptions', 'format=invalidFormat', 'format=temporalValues&options=aggregatedValues,invalidOptions']) {
      const res = await req('GET', `/temporal/entities?type=Vehicle&${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().type, bad).toBe('https://uri.etsi.org/ngsi-ld/errors/InvalidRequest');
    }
    for (const asked of ['format=temporalValues', 'options=temporalValues', 'format=temporalValues&options=aggregatedValues&aggrMethods=sum']) {
      const res = await req('GET', `/temporal/entities/${V2}?attrs=speed&${asked}`);
      expect(res.statusCode, asked).toBe(200);
      expect(res.json().speed, asked).toEqual({ type: 'Property', values: [[120, '2020-08-01T12:03:00Z'], [80, '2020-08-01T12:05:00Z'], [100, '2020-08-01T12:07:00Z']].map(([v, t]) => [v, new Date(t).toISOString()]) });
    }
  });

  it('§4.21: pick and omit project the temporal entities; with each other or with attrs they are BadRequestData', async () => {
    const at = (q: string) => req('GET', `/temporal/entities/${V2}?${q}`);
    expect(Object.keys((await at('pick=speed')).json())).toEqual(['speed']);
    expect(Object.keys((await at('pick=id,speed')).json()).sort()).toEqual(['id', 'speed']);
    expect(Object.keys((await at('omit=type,speed')).json()).sort()).toEqual(['id', 'location', 'name']);
    const list = await req('GET', '/temporal/entities?type=Vehicle&pick=id');
    expect(list.json()).toEqual([{ id: V1 }, { id: V2 }, { id: V3 }]);
    // Nothing left after pick/omit: the temporal entity is not found (§5.7.3.4).
    for (const empty of ['pick=unknown', 'omit=id,type,speed,location,name']) {
      const res = await at(empty);
      expect(res.statusCode, empty).toBe(404);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound');
    }
    // v1.9 §4.23 orderBy, as for entities.
    expect((await req('GET', `/temporal/entities?type=Vehicle&pick=id&orderBy=${encodeURIComponent('id;desc')}`)).json()).toEqual([{ id: V3 }, { id: V2 }, { id: V1 }]);
    expect((await req('GET', '/temporal/entities?type=Vehicle&pick=id&orderBy=speed')).json()).toEqual([{ id: V3 }, { id: V1 }, { id: V2 }]);
    expect((await req('GET', `/temporal/entities?type=Vehicle&orderBy=${encodeURIComponent('speed;sideways')}`)).statusCode).toBe(400);
    for (const bad of ['pick=speed&omit=speed', 'pick=speed&attrs=fuelLevel', 'omit=speed&attrs=fuelLevel']) {
      const res = await req('GET', `/temporal/entities?type=Vehicle&${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().type, bad).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
  });

  it('§4.5.5: datasetId selects the instances of those datasets (@none the default one)', async () => {
    let res = await req('GET', `/temporal/entities/${V3}?datasetId=${encodeURIComponent('@none')}`);
    expect(res.json().speed).toEqual([expect.objectContaining({ value: 1 })]);
    res = await req('GET', `/temporal/entities/${V3}?datasetId=urn:ngsi-ld:Dataset:A&options=temporalValues`);
    expect(res.json().speed).toEqual({ type: 'Property', datasetId: 'urn:ngsi-ld:Dataset:A', values: [[2, '2020-09-01T00:00:00.000Z']] });
    res = await req('GET', `/temporal/entities?type=Vehicle&attrs=speed&datasetId=urn:ngsi-ld:Dataset:A,${encodeURIComponent('@none')}&id=${V3}`);
    expect(values(res.json()[0].speed)).toEqual([1, 2]);
    expect((await req('GET', `/temporal/entities/${V3}?datasetId=${encodeURIComponent('not a uri')}`)).statusCode).toBe(400);
  });

  it('v1.9 §5.14.5: GET /temporal/entities with NGSILD-EntityMap pages through that map', async () => {
    const made = await req('GET', '/temporal/entityMaps?type=Vehicle&timerel=after&timeAt=2000-01-01T00:00:00Z');
    expect(made.statusCode, made.body).toBe(201);
    const location = String(made.headers['ngsild-entitymap']);
    const mapped = Object.keys(made.json().entityMap);
    expect([...mapped].sort()).toEqual([V1, V2, V3]);
    const paged: string[] = [];
    for (const offset of [0, 1, 2]) {
      const res = await req('GET', `/temporal/entities?type=Vehicle&attrs=speed&lastN=1&limit=1&offset=${offset}&count=true`, undefined, { 'ngsild-entitymap': location });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['ngsild-entitymap']).toBe(location);
      expect(res.headers['ngsild-results-count']).toBe('3');
      paged.push(...ids(res));
    }
    // The pages follow the map's order, each entity once.
    expect(paged).toEqual(mapped);
    // A map that is gone: a new one is made, and named in the answer.
    const res = await req('GET', '/temporal/entities?type=Vehicle&attrs=fuelLevel', undefined, { 'ngsild-entitymap': '/ngsi-ld/v1/entityMaps/urn:ngsi-ld:EntityMap:gone' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['ngsild-entitymap']).toMatch(/^\/ngsi-ld\/v1\/entityMaps\/urn%3Angsi-ld%3AEntityMap%3A/);
    expect(res.headers['ngsild-entitymap']).not.toBe(location);
    expect(ids(res).sort()).toEqual([V1, V2, V3]);
  });

  it('§4.15, §6.3.7: lang renders a LanguageProperty in one language; sysAttrs gives each instance its createdAt/modifiedAt', async () => {
    let res = await req('GET', `/temporal/entities/${V2}?attrs=name&lang=fr`);
    expect(res.json().name).toEqual([expect.objectContaining({ type: 'Property', value: 'camionnette', lang: 'fr' })]);
    res = await req('GET', `/temporal/entities/${V2}?attrs=name&lang=fr&options=temporalValues`);
    expect(res.json().name).toEqual({ type: 'Property', values: [['camionnette', '2020-08-01T12:03:00.000Z']] });
    res = await req('GET', `/temporal/entities/${V2}?attrs=name&options=temporalValues`);
    expect(res.json().name).toEqual({ type: 'LanguageProperty', languageMaps: [[{ en: 'van', fr: 'camionnette' }, '2020-08-01T12:03:00.000Z']] });
    res = await req('GET', `/temporal/entities/${V2}?attrs=speed&options=sysAttrs`);
    for (const i of res.json().speed) {
      expect(i.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(i.modifiedAt).toBe(i.createdAt);
    }
    expect((await req('GET', `/temporal/entities/${V2}?attrs=speed`)).json().speed[0].createdAt).toBeUndefined();
  });

  it('§5.2.21: the temporalQ of a POST query carries lastN and the aggregation (aggrMethods a list or a string)', async () => {
    const query = (temporalQ: Record<string, unknown>) => req('POST', '/temporal/entityOperations/query', { type: 'Query', entities: [{ id: V2, type: 'Vehicle' }], attrs: ['speed'], temporalQ: { timerel: 'after', timeAt: '2020-08-01T00:00:00Z', ...temporalQ } });
    for (const aggrMethods of [['avg', 'max'], 'avg,max']) {
      const res = await query({ aggrMethods, aggrPeriodDuration: 'P1D' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()[0].speed.avg).toEqual([[100, '2020-08-01T00:00:00.000Z', '2020-08-02T00:00:00.000Z']]);
      expect(res.json()[0].speed.max[0][0]).toBe(120);
    }
    expect(values((await query({ lastN: 1 })).json()[0].speed)).toEqual([100]);
    for (const bad of [{ lastN: 0 }, { lastN: 1.5 }, { timerel: 'during' }, { timeproperty: 'seenAt' }, { aggrMethods: 'avg', aggrPeriodDuration: 'one day' }]) {
      const res = await query(bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
  });

  it('access: q and geo-queries on the history reveal nothing of an attribute the caller may not read', async () => {
    const probes = [
      `/temporal/entities?type=Streetlight&q=${encodeURIComponent('powerConsumption>100')}&count=true`,
      `/temporal/entities?type=Streetlight&q=${encodeURIComponent('powerConsumption.observedAt<2020-08-01T12:05:00Z')}&count=true`,
      `/temporal/entities?type=Streetlight&${near}&count=true`,
    ];
    // The administrator finds the streetlight by its past consumption (now 5) and its past place (now Paris).
    for (const url of probes) {
      const res = await req('GET', url);
      expect(ids(res), url).toEqual([S1]);
    }
    for (const url of probes) {
      const res = await asSpy('GET', url);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json(), url).toEqual([]);
      expect(res.headers['ngsild-results-count'], url).toBe('0');
    }
    // What it may read still selects: its own attribute's history, without the hidden ones.
    const own = await asSpy('GET', `/temporal/entities?type=Streetlight&q=${encodeURIComponent('powerState=="on"')}`);
    expect(own.json()).toEqual([{ id: S1, type: 'Streetlight', powerState: [expect.objectContaining({ value: 'on' })] }]);
    const posted = await asSpy('POST', '/temporal/entityOperations/query', { type: 'Query', entities: [{ type: 'Streetlight' }], geoQ: { georel: 'near;maxDistance==2000', geometry: 'Point', coordinates: OPORTO } });
    expect(posted.json()).toEqual([]);
  });

  it('§5.2.21: timeproperty=modifiedAt places a changed instance at its change, createdAt at its write', async () => {
    const V4 = 'urn:ngsi-ld:Vehicle:tq4';
    const pause = () => new Promise((resolve) => setTimeout(resolve, 25));
    let res = await req('POST', '/temporal/entities', { id: V4, type: 'Vehicle', speed: [0, 1].map((m) => ({ type: 'Property', value: m + 1, observedAt: `2020-10-01T00:0${m}:00Z` })) });
    expect(res.statusCode, res.body).toBe(201);
    const written = (await req('GET', `/temporal/entities/${V4}?attrs=speed`)).json().speed;
    await pause();
    const between = new Date().toISOString();
    await pause();
    res = await req('PATCH', `/temporal/entities/${V4}/attrs/speed/${encodeURIComponent(written[0].instanceId)}`, { value: 10 });
    expect(res.statusCode, res.body).toBe(204);
    const after = (timeproperty: string) => req('GET', `/temporal/entities/${V4}?attrs=speed&timeproperty=${timeproperty}&timerel=after&timeAt=${between}`);
    expect(values((await after('modifiedAt')).json().speed)).toEqual([10]);
    expect((await after('createdAt')).json().speed).toBeUndefined();
    expect(values((await req('GET', `/temporal/entities/${V4}?attrs=speed&timeproperty=modifiedAt&timerel=before&timeAt=${between}`)).json().speed)).toEqual([2]);
    const [changed, kept] = (await req('GET', `/temporal/entities/${V4}?attrs=speed&options=sysAttrs`)).json().speed;
    expect(changed.createdAt < between && changed.modifiedAt > between, JSON.stringify(changed)).toBe(true);
    expect(kept.modifiedAt).toBe(kept.createdAt);
    // timeproperty=deletedAt lists the deletions of attributes, as NGSI-LD Null instances with their deletedAt.
    expect((await req('GET', `/temporal/entities/${V4}?timeproperty=deletedAt`)).json()).toEqual({ id: V4, type: 'Vehicle' });
    res = await req('DELETE', `/entities/${V4}/attrs/speed`);
    expect(res.statusCode, res.body).toBe(204);
    res = await req('GET', `/temporal/entities/${V4}?timeproperty=deletedAt&timerel=after&timeAt=${between}`);
    expect(res.json().speed).toEqual([{ type: 'Property', value: 'urn:ngsi-ld:null', deletedAt: expect.stringMatching(/^\d{4}-.*Z$/) }]);
    expect(res.json().speed[0].deletedAt > between).toBe(true);
    res = await req('GET', `/temporal/entities/${V4}?timeproperty=deletedAt&options=temporalValues`);
    expect(res.json().speed).toEqual({ type: 'Property', values: [['urn:ngsi-ld:null', expect.any(String)]] });
    // Without it the deletion is no instance.
    expect(values((await req('GET', `/temporal/entities/${V4}?attrs=speed`)).json().speed)).toEqual([10, 2]);
  });
});
