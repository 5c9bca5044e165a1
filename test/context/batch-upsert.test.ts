import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { startSink, type Sink } from './http-sink.js';

const SDM = 'https://smartdatamodels.org/context.jsonld';
const link = `<${SDM}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;

/**
 * Batch upsert merges in SQL (entity-store upsertMerging); the single-entity operations merge in TypeScript
 * (mergeAttrs, replaceAttrs). Each case applies the same change both ways to two identical entities and
 * expects the same state, sysAttrs and history.
 */
describe.each(testEngines)('context batch upsert [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  let sink: Sink;
  let now = new Date('2026-11-26T08:00:00Z');
  const req = (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    hub.http.inject({ method: method as 'GET', url: `/ngsi-ld/v1${url}`, payload: payload as object, headers: { cookie, link, ...headers } });
  const tick = () => (now = new Date(now.getTime() + 60_000));
  const A = 'urn:ngsi-ld:Streetlight:viaSingle';
  const B = 'urn:ngsi-ld:Streetlight:viaBatch';
  const state = async (id: string) => {
    const res = await req('GET', `/entities/${id}?options=sysAttrs`);
    expect(res.statusCode, res.body).toBe(200);
    const { id: _id, ...rest } = res.json();
    return rest;
  };
  const history = async (id: string) => {
    const res = await req('GET', `/temporal/entities/${id}`);
    expect(res.statusCode, res.body).toBe(200);
    const { id: _id, ...rest } = res.json();
    return rest;
  };
  const near = async (lon: number, lat: number) => {
    const res = await req('GET', `/entities?type=Streetlight&georel=near;maxDistance==50&geometry=Point&coordinates=[${lon},${lat}]`);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { id: string }[]).map((e) => e.id).sort();
  };

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      clock: () => now,
      config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never,
    });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    sink = await startSink();
  }, 240_000);
  afterAll(async () => {
    await sink?.close();
    await hub?.close();
  }, 60_000);

  it('replaces and merges as the single-entity operations do (attributes, datasetIds, createdAt, types, location, history)', async () => {
    const start = {
      type: 'Streetlight', powerState: 'on', address: { type: 'Property', value: { district: '临江区' } },
      illuminanceLevel: [{ type: 'Property', value: 1, observedAt: '2026-11-26T07:00:00Z' }, { type: 'Property', value: 2, datasetId: 'urn:ds:a', unitCode: 'LUX' }],
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [112.9, 28.2] } },
    };
    let res = await req('POST', '/entityOperations/upsert', [{ id: A, ...start }, { id: B, ...start }]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual([A, B]);
    expect(await state(B)).toEqual(await state(A));

    // Replace (the default): attributes not given are deleted; instances that stay keep their createdAt.
    tick();
    const replacement = {
      type: 'Streetlight', powerState: 'off',
      illuminanceLevel: [{ type: 'Property', value: 3, datasetId: 'urn:ds:a' }, { type: 'Property', value: 4, datasetId: 'urn:ds:b', observedAt: '2026-11-26T08:00:30Z' }],
    };
    expect((await req('PUT', `/entities/${A}`, replacement)).statusCode).toBe(204);
    res = await req('POST', '/entityOperations/upsert', [{ id: B, ...replacement }]);
    expect(res.statusCode, res.body).toBe(204);
    const replaced = await state(B);
    expect(replaced).toEqual(await state(A));
    expect(replaced).not.toHaveProperty('address');
    expect(replaced).not.toHaveProperty('location');
    expect(replaced.powerState).toMatchObject({ value: 'off', createdAt: '2026-11-26T08:00:00.000Z', modifiedAt: '2026-11-26T08:01:00.000Z' });
    expect(replaced.illuminanceLevel).toEqual([
      expect.objectContaining({ value: 3, datasetId: 'urn:ds:a', createdAt: '2026-11-26T08:00:00.000Z' }),
      expect.objectContaining({ value: 4, datasetId: 'urn:ds:b', createdAt: '2026-11-26T08:01:00.000Z' }),
    ]);
    expect(replaced).toMatchObject({ createdAt: '2026-11-26T08:00:00.000Z', modifiedAt: '2026-11-26T08:01:00.000Z' });
    expect(await near(112.9, 28.2)).toEqual([]);

    // Merge (options=update): given instances replace those with their datasetId or are added (default first),
    // the rest stays; types are added; a given location moves the entity.
    tick();
    const merge = {
      type: ['Streetlight', 'Device'], illuminanceLevel: [{ type: 'Property', value: 5, datasetId: 'urn:ds:b' }, { type: 'Property', value: 6 }],
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [112.95, 28.25] } },
    };
    expect((await req('POST', `/entities/${A}/attrs`, merge)).statusCode).toBe(204);
    res = await req('POST', '/entityOperations/upsert?options=update', [{ id: B, ...merge }]);
    expect(res.statusCode, res.body).toBe(204);
    const merged = await state(B);
    expect(merged).toEqual(await state(A));
    expect(merged.type).toEqual(['Streetlight', 'Device']);
    expect(merged.powerState).toMatchObject({ value: 'off' });
    expect((merged.illuminanceLevel as { value: number }[]).map((i) => i.value)).toEqual([6, 3, 5]);
    expect(merged.illuminanceLevel[2]).toMatchObject({ createdAt: '2026-11-26T08:01:00.000Z', modifiedAt: '2026-11-26T08:02:00.000Z' });
    expect(await near(112.95, 28.25)).toEqual([B, A].sort());

    // A merge without a location keeps the stored one (and its place in the geo index).
    tick();
    expect((await req('POST', `/entities/${A}/attrs`, { powerState: 'on' })).statusCode).toBe(204);
    expect((await req('POST', '/entityOperations/upsert?options=update', [{ id: B, type: 'Streetlight', powerState: 'on' }])).statusCode).toBe(204);
    expect(await state(B)).toEqual(await state(A));
    expect(await near(112.95, 28.25)).toEqual([B, A].sort());

    // Every change is in the history the same way, deletions included.
    expect(await history(B)).toEqual(await history(A));
    const deleted = await hub.database.db.selectFrom('context_history').select(['entity_id', 'deleted'])
      .where('entity_id', 'in', [A, B]).where('deleted', '!=', '{}' as never).execute();
    expect(deleted.map((r) => [r.entity_id, [...r.deleted].sort()]).sort()).toEqual([
      [B, ['https://smartdatamodels.org/address', 'https://uri.etsi.org/ngsi-ld/location']],
      [A, ['https://smartdatamodels.org/address', 'https://uri.etsi.org/ngsi-ld/location']],
    ].sort());
  });

  it('notifies subscriptions with the merged state, deletions counting as changes', async () => {
    const sub = await req('POST', '/subscriptions', {
      type: 'Subscription', entities: [{ type: 'Lamp' }], watchedAttributes: ['address'], q: 'powerState=="on"',
      notification: { format: 'keyValues', endpoint: { uri: sink.url } },
    });
    expect(sub.statusCode, sub.body).toBe(201);
    const drain = () => hub.services.context.dispatcher.drain();
    const L = 'urn:ngsi-ld:Lamp:1';
    expect((await req('POST', '/entityOperations/upsert', [{ id: L, type: 'Lamp', powerState: 'on', address: 'a' }])).statusCode).toBe(201);
    await drain();
    expect(sink.received.map((n) => n.body.data)).toEqual([[{ id: L, type: 'Lamp', powerState: 'on', address: 'a' }]]);
    // Not watched: no notification.
    expect((await req('POST', '/entityOperations/upsert?options=update', [{ id: L, type: 'Lamp', brightness: 5 }])).statusCode).toBe(204);
    await drain();
    expect(sink.received).toHaveLength(1);
    // Replace drops address (watched): notified with what is left.
    expect((await req('POST', '/entityOperations/upsert', [{ id: L, type: 'Lamp', powerState: 'on' }])).statusCode).toBe(204);
    await drain();
    expect(sink.received[1]?.body.data).toEqual([{ id: L, type: 'Lamp', powerState: 'on' }]);
    // A merge of address alone: q is evaluated on the stored powerState, which the notification carries.
    expect((await req('POST', '/entityOperations/upsert?options=update', [{ id: L, type: 'Lamp', address: 'b' }])).statusCode).toBe(204);
    await drain();
    expect(sink.received[2]?.body.data).toEqual([{ id: L, type: 'Lamp', powerState: 'on', address: 'b' }]);
    expect(sink.received).toHaveLength(3);
  });

  it('reports bad and forbidden entities per entity (207) and writes the others', async () => {
    const org = await hub.services.auth.insertOrg({ kind: 'anonymous', id: 't', roles: ['admin'] }, { name: '市城管局', kind: 'department', parentId: null });
    const owner = (await hub.loginAs(['dept_data_owner'], org.id)).cookie;
    const rule = await req('POST', '/cityhub/accessRules', { orgId: org.id, entityType: 'Bench', attributes: ['status'], canWrite: true });
    expect(rule.statusCode, rule.body).toBe(201);
    const res = await req('POST', '/entityOperations/upsert', [
      { id: 'urn:ngsi-ld:Bench:1', type: 'Bench', status: 'ok' },
      { id: 'urn:ngsi-ld:Bench:2', type: 'Bench', status: 'ok', colour: 'green' },
      { id: 'not a uri', type: 'Bench', status: 'ok' },
    ], { cookie: owner });
    expect(res.statusCode, res.body).toBe(207);
    const report = res.json();
    expect(report.success).toEqual(['urn:ngsi-ld:Bench:1']);
    expect(report.errors.map((e: { entityId: string; error: { status: number } }) => [e.entityId, e.error.status])).toEqual([
      ['urn:ngsi-ld:Bench:2', 403], ['not a uri', 400],
    ]);
    expect((await req('GET', '/entities/urn:ngsi-ld:Bench:1?options=keyValues')).json()).toEqual({ id: 'urn:ngsi-ld:Bench:1', type: 'Bench', status: 'ok' });
    expect((await req('GET', '/entities/urn:ngsi-ld:Bench:2')).statusCode).toBe(404);
  });
});
