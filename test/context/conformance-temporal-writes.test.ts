import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { rollUpHistory } from '../../src/context/history-store.js';
import { ngsiRequester } from './ngsi-support.js';

/**
 * GS CIM 009 §5.6.11–5.6.16 / §6.18–6.22 (temporal provision): POST /temporal/entities (create, then grow),
 * adding instances, modifying and deleting one instance by its instanceId, deleting the temporal entity; the
 * aggregations over the hourly rollup stay exact after instance edits.
 */
describe.each(testEngines)('NGSI-LD temporal writes [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  const req = ngsiRequester(() => hub, () => cookie, {});
  const id = 'urn:ngsi-ld:Vehicle:tw1';
  const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString();
  const speeds = (e: { speed: { value: number }[] }) => e.speed.map((i) => i.value);

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
  }, 120_000);
  afterAll(async () => hub?.close(), 60_000);

  it('creates a temporal entity (201), then adds instances (204), and reads them back with instanceIds', async () => {
    let res = await req('POST', '/temporal/entities', {
      id, type: 'Vehicle',
      speed: [{ type: 'Property', value: 10, observedAt: at(0) }, { type: 'Property', value: 30, observedAt: at(20) }, { type: 'Property', value: 20, observedAt: at(10) }],
      driver: [{ type: 'Relationship', object: 'urn:ngsi-ld:Person:1', observedAt: at(0) }],
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers.location).toBe(`/ngsi-ld/v1/temporal/entities/${encodeURIComponent(id)}`);
    // The entity exists with the newest instance of each attribute.
    expect((await req('GET', `/entities/${id}?options=keyValues`)).json()).toEqual({ id, type: 'Vehicle', speed: 30, driver: 'urn:ngsi-ld:Person:1' });
    res = await req('POST', '/temporal/entities', { id, type: 'Vehicle', speed: [{ type: 'Property', value: 40, observedAt: at(30) }] });
    expect(res.statusCode, res.body).toBe(204);
    res = await req('POST', `/temporal/entities/${id}/attrs`, { speed: { type: 'Property', value: 50, observedAt: at(40) } });
    expect(res.statusCode, res.body).toBe(204);
    const t = (await req('GET', `/temporal/entities/${id}?attrs=speed`)).json();
    expect(speeds(t)).toEqual([10, 20, 30, 40, 50]);
    const ids = t.speed.map((i: { instanceId: string }) => i.instanceId);
    expect(new Set(ids).size).toBe(5);
    expect(ids.every((x: string) => x.startsWith('urn:ngsi-ld:Instance:'))).toBe(true);
    expect((await req('GET', `/temporal/entities/${id}?attrs=speed&aggrMethods=sum,max&aggrPeriodDuration=PT1H&timerel=after&timeAt=${at(0)}`)).json().speed.sum[0][0]).toBe(150);
  });

  it('modifies and deletes one instance by instanceId; aggregations stay exact after the rollup', async () => {
    expect(await rollUpHistory(hub.database.db)).toBeGreaterThan(0);
    let t = (await req('GET', `/temporal/entities/${id}?attrs=speed`)).json();
    const [first, second] = t.speed as { instanceId: string }[];
    let res = await req('PATCH', `/temporal/entities/${id}/attrs/speed/${first.instanceId}`, { speed: { type: 'Property', value: 11, observedAt: at(0) } });
    expect(res.statusCode, res.body).toBe(204);
    res = await req('DELETE', `/temporal/entities/${id}/attrs/speed/${second.instanceId}`, undefined, { 'content-type': 'application/json' });
    expect(res.statusCode, res.body).toBe(204);
    t = (await req('GET', `/temporal/entities/${id}?attrs=speed`)).json();
    expect(speeds(t)).toEqual([11, 30, 40, 50]);
    expect(t.speed[0].instanceId).toBe(first.instanceId);
    const sum = async () => (await req('GET', `/temporal/entities/${id}?attrs=speed&aggrMethods=sum&aggrPeriodDuration=PT1H&timerel=after&timeAt=${at(0)}`)).json().speed.sum[0][0];
    expect(await sum()).toBe(131);
    await rollUpHistory(hub.database.db);
    expect(await sum()).toBe(131);
    // An instance of a history row written by an ordinary update is addressable too.
    expect((await req('PATCH', `/entities/${id}/attrs`, { speed: { type: 'Property', value: 60, observedAt: at(50) } })).statusCode).toBe(204);
    t = (await req('GET', `/temporal/entities/${id}?attrs=speed&lastN=1`)).json();
    expect((await req('DELETE', `/temporal/entities/${id}/attrs/speed/${t.speed[0].instanceId}`)).statusCode).toBe(204);
    expect(speeds((await req('GET', `/temporal/entities/${id}?attrs=speed`)).json())).toEqual([11, 30, 40, 50]);
  });

  it('answers the error cases: unknown instance 404, unknown entity 404, bad bodies 400, no access 401/403', async () => {
    expect((await req('DELETE', `/temporal/entities/${id}/attrs/speed/urn:ngsi-ld:Instance:nope`)).statusCode).toBe(404);
    expect((await req('PATCH', `/temporal/entities/${id}/attrs/speed/urn:ngsi-ld:Instance:999999.1`, { value: 1 })).statusCode).toBe(404);
    expect((await req('POST', '/temporal/entities/urn:ngsi-ld:Vehicle:none/attrs', { speed: [{ value: 1, observedAt: at(0) }] })).statusCode).toBe(404);
    for (const body of [{ type: 'Vehicle', speed: [{ value: 1 }] }, { id, type: 'Vehicle', speed: [] }, { id, type: 'Vehicle', speed: [{ type: 'Property', observedAt: at(0) }] }, { id, type: 'Vehicle', datasetId: [{ value: 1 }] }]) {
      const res = await req('POST', '/temporal/entities', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
    expect((await req('POST', '/temporal/entities', { id: 'urn:ngsi-ld:Vehicle:x', type: 'Vehicle', speed: [{ value: 1 }] }, {}, '')).statusCode).toBe(401);
    const reader = (await hub.loginAs(['market_operator'])).cookie;
    expect((await req('POST', '/temporal/entities', { id: 'urn:ngsi-ld:Vehicle:x', type: 'Vehicle', speed: [{ value: 1 }] }, {}, reader)).statusCode).toBe(403);
  });

  it('upserts onto a temporal entity: new type names are added, a deletion marker is an instance, a bare value is refused', async () => {
    const tid = 'urn:ngsi-ld:Tram:tw2';
    expect((await req('POST', '/temporal/entities', { id: tid, type: 'Tram', load: [{ type: 'Property', value: 4, observedAt: at(0) }] })).statusCode).toBe(201);
    let res = await req('POST', '/temporal/entities', { id: tid, type: ['Tram', 'Carriage'], load: [{ type: 'Property', value: 'urn:ngsi-ld:null', observedAt: at(5) }] });
    expect(res.statusCode, res.body).toBe(204);
    const t = (await req('GET', `/temporal/entities/${tid}?timerel=before&timeAt=2030-01-01T00:00:00Z`)).json();
    expect(t.type).toEqual(['Tram', 'Carriage']);
    expect(t.load.map((i: { value: unknown }) => i.value)).toEqual([4, 'urn:ngsi-ld:null']);
    // A first-level member that is not a list of instances (the null marker included) stores nothing.
    res = await req('POST', '/temporal/entities', { id: 'urn:ngsi-ld:Tram:tw3', type: 'Tram', expiresAt: 'urn:ngsi-ld:null', load: [{ type: 'Property', value: 1, observedAt: at(0) }] });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    expect((await req('GET', '/temporal/entities/urn:ngsi-ld:Tram:tw3')).statusCode).toBe(404);
    expect((await req('POST', `/temporal/entities/${tid}/attrs`, { load: 7 })).statusCode).toBe(400);
  });

  it('keeps a v1.9 expiresAt: set on the entity the temporal API creates, not cleared when it adds type names', async () => {
    const eid = 'urn:ngsi-ld:Tram:tw-exp';
    const expires = '2099-01-01T00:00:00.000Z';
    let res = await req('POST', '/temporal/entities', { id: eid, type: 'Tram', expiresAt: expires, load: [{ type: 'Property', value: 1, observedAt: at(0) }] });
    expect(res.statusCode, res.body).toBe(201);
    expect((await req('GET', `/entities/${eid}?options=sysAttrs`)).json().expiresAt).toBe(expires);
    res = await req('POST', '/temporal/entities', { id: eid, type: 'Carriage', load: [{ type: 'Property', value: 2, observedAt: at(1) }] });
    expect(res.statusCode, res.body).toBe(204);
    const e = (await req('GET', `/entities/${eid}?options=sysAttrs`)).json();
    expect(e.type).toEqual(['Tram', 'Carriage']);
    expect(e.expiresAt).toBe(expires);
    expect((await req('DELETE', `/entities/${eid}`, undefined, { 'content-type': 'application/json' })).statusCode).toBe(204);
  });

  it('refuses invalid names and ids in the path (400) before touching the history', async () => {
    const tid = 'urn:ngsi-ld:Tram:tw2';
    for (const attr of ['%252e%252e', 'invalid(Name', '9lives']) {
      const res = await req('DELETE', `/temporal/entities/${tid}/attrs/${attr}`);
      expect(res.statusCode, attr).toBe(400);
      expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
    expect((await req('DELETE', '/temporal/entities/not-a-uri')).statusCode).toBe(400);
    expect((await req('PATCH', `/temporal/entities/${tid}/attrs/load/not-a-uri`, { value: 1 })).statusCode).toBe(400);
    expect((await req('DELETE', `/temporal/entities/${tid}/attrs/load/not-a-uri`)).statusCode).toBe(400);
    expect((await req('GET', `/temporal/entities/${tid}`)).json().load).toHaveLength(2);
  });

  it('reads by timeproperty (observedAt, or the write time for createdAt/modifiedAt) and counts a query', async () => {
    const tid = 'urn:ngsi-ld:Tram:tw2';
    // Observed in 2026-01-01, written now: a window of last year by observedAt has them, by modifiedAt not.
    const window = 'timerel=between&timeAt=2025-12-31T00:00:00Z&endTimeAt=2026-01-02T00:00:00Z';
    expect((await req('GET', `/temporal/entities/${tid}?${window}`)).json().load).toHaveLength(2);
    expect((await req('GET', `/temporal/entities/${tid}?${window}&timeproperty=modifiedAt`)).json().load).toBeUndefined();
    const since = new Date(Date.now() - 3_600_000).toISOString();
    expect((await req('GET', `/temporal/entities/${tid}?timerel=after&timeAt=${since}&timeproperty=createdAt`)).json().load).toHaveLength(2);
    expect((await req('GET', `/temporal/entities/${tid}?timeproperty=deletedNever`)).statusCode).toBe(400);
    const res = await req('GET', '/temporal/entities?type=Tram&count=true&limit=1');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['ngsild-results-count']).toBe('1');
    expect((await req('GET', '/temporal/entities?type=Tram')).headers['ngsild-results-count']).toBeUndefined();
    // A query naming no type, id, data attribute or scope would read every history: 400.
    for (const q of ['', '?timerel=after&timeAt=2020-01-01T00:00:00Z', '?attrs=createdAt']) {
      expect((await req('GET', `/temporal/entities${q}`)).statusCode, q).toBe(400);
    }
    expect((await req('GET', '/temporal/entities?attrs=load')).statusCode).toBe(200);
  });

  it('answers POST /temporal/entityOperations/query (§6.24) with the Query in the body and its temporalQ window', async () => {
    const body = { type: 'Query', entities: [{ type: 'Tram' }], attrs: ['load'], temporalQ: { timerel: 'before', timeAt: at(3) } };
    let res = await req('POST', '/temporal/entityOperations/query?count=true', body);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['ngsild-results-count']).toBe('1');
    const [tram] = res.json();
    expect(tram.id).toBe('urn:ngsi-ld:Tram:tw2');
    expect(tram.load.map((i: { value: unknown }) => i.value)).toEqual([4]);
    res = await req('POST', '/temporal/entityOperations/query?options=temporalValues&lastN=1', { ...body, temporalQ: { timerel: 'after', timeAt: at(0) } });
    expect(res.json()[0].load.values).toEqual([['urn:ngsi-ld:null', at(5)]]);
    res = await req('POST', '/temporal/entityOperations/query', { ...body, temporalQ: { timerel: 'sometime', timeAt: at(0) } });
    expect(res.statusCode).toBe(400);
    expect(res.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
  });

  it('deletes the temporal entity: it is gone from the temporal API', async () => {
    expect((await req('DELETE', `/temporal/entities/${id}`)).statusCode).toBe(204);
    expect((await req('GET', `/temporal/entities/${id}`)).statusCode).toBe(404);
    expect((await req('DELETE', `/temporal/entities/${id}`)).statusCode).toBe(404);
  });
});
