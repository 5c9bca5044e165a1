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

  it('deletes the temporal entity: it is gone from the temporal API', async () => {
    expect((await req('DELETE', `/temporal/entities/${id}`)).statusCode).toBe(204);
    expect((await req('GET', `/temporal/entities/${id}`)).statusCode).toBe(404);
    expect((await req('DELETE', `/temporal/entities/${id}`)).statusCode).toBe(404);
  });
});
