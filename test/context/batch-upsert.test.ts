import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { startSink, type Sink } from './http-sink.js';
import { ngsiRequester } from './ngsi-support.js';
import { systemActor } from '../../src/platform/auth/roles.js';


/**
 * Batch upsert writes entities whose attributes are each one default instance in one statement without reading
 * them (entity-store upsertFast) and merges the others in TypeScript (mergeAttrs, replaceAttrs), as the
 * single-entity operations do. Each case applies the same change both ways to two identical entities and
 * expects the same state, sysAttrs and history.
 */
describe.each(testEngines)('context batch upsert [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  let sink: Sink;
  let now = new Date('2026-11-26T08:00:00Z');
  const req = ngsiRequester(() => hub, () => cookie);
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
    // instanceIds name each entity's own history rows, so they differ between the two entities.
    for (const list of Object.values(rest)) if (Array.isArray(list)) for (const inst of list) delete (inst as { instanceId?: string }).instanceId;
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
      // The test's receiver listens on 127.0.0.1, which the outbound guard refuses unless allowed.
      config: { outbound: { allow: ['127.0.0.1'] }, modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never,
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
      // Deletions notify where the subscription asks for them (§5.2.12 notificationTrigger; not by default).
      type: 'Subscription', entities: [{ type: 'Lamp' }], watchedAttributes: ['address'], q: 'powerState=="on"', notificationTrigger: ['attributeCreated', 'attributeUpdated', 'attributeDeleted'],
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
    // Replace drops address (watched): notified with what is left, the dropped attributes as NGSI-LD Null (§5.8.6).
    expect((await req('POST', '/entityOperations/upsert', [{ id: L, type: 'Lamp', powerState: 'on' }])).statusCode).toBe(204);
    await drain();
    expect(sink.received[1]?.body.data).toEqual([{ id: L, type: 'Lamp', powerState: 'on', address: 'urn:ngsi-ld:null', brightness: 'urn:ngsi-ld:null' }]);
    // A merge of address alone: q is evaluated on the stored powerState, which the notification carries.
    expect((await req('POST', '/entityOperations/upsert?options=update', [{ id: L, type: 'Lamp', address: 'b' }])).statusCode).toBe(204);
    await drain();
    expect(sink.received[2]?.body.data).toEqual([{ id: L, type: 'Lamp', powerState: 'on', address: 'b' }]);
    expect(sink.received).toHaveLength(3);
  });

  it('reports bad and forbidden entities per entity (207) and writes the others', async () => {
    const org = await hub.services.auth.insertOrg(systemActor('test-setup'), { name: '市城管局', kind: 'department', parentId: null });
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

  it('gives the same state, createdAt and history on the fast path as the single-entity operations', async () => {
    const C = 'urn:ngsi-ld:Device:viaSingle';
    const D = 'urn:ngsi-ld:Device:viaFast';
    const stored = (id: string) => hub.database.db.selectFrom('context_entity').select(['attr_sig', 'attr_created']).where('id', '=', id).executeTakeFirstOrThrow();
    const both = async (single: () => Promise<{ statusCode: number; body: string }>, batch: unknown[], options = '') => {
      const one = await single();
      expect(one.statusCode, one.body).toBeLessThan(300);
      const res = await req('POST', `/entityOperations/upsert${options}`, batch);
      expect(res.statusCode, res.body).toBeLessThan(300);
      const after = await state(D);
      expect(after).toEqual(await state(C));
      return { res, after };
    };
    const t0 = tick().toISOString();
    const first = { type: 'Device', temperature: { type: 'Property', value: 20, observedAt: '2026-11-26T07:59:00Z' }, status: 'ok' };
    let { res, after } = await both(() => req('POST', '/entities', { id: C, ...first }), [{ id: D, ...first }]);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual([D]);
    expect((await stored(D)).attr_sig).not.toBeNull();

    // The same attributes: instances replaced, each keeping its createdAt.
    const t1 = tick().toISOString();
    const second = { type: 'Device', temperature: 21, status: 'ok' };
    ({ res, after } = await both(() => req('PUT', `/entities/${C}`, second), [{ id: D, ...second }]));
    expect(res.statusCode).toBe(204);
    expect(after.temperature).toMatchObject({ value: 21, createdAt: t0, modifiedAt: t1 });

    // A new attribute takes the merging path: it is created now, the others keep their createdAt.
    const t2 = tick().toISOString();
    const third = { ...second, humidity: 40 };
    ({ after } = await both(() => req('PUT', `/entities/${C}`, third), [{ id: D, ...third }]));
    expect(after.humidity).toMatchObject({ createdAt: t2, modifiedAt: t2 });
    expect(after.temperature).toMatchObject({ createdAt: t0, modifiedAt: t2 });

    // The same attributes again: the fast path, with the added attribute's createdAt kept outside its instance.
    const t3 = tick().toISOString();
    const fourth = { ...third, humidity: 41 };
    ({ after } = await both(() => req('PUT', `/entities/${C}`, fourth), [{ id: D, ...fourth }]));
    expect(after.humidity).toMatchObject({ value: 41, createdAt: t2, modifiedAt: t3 });
    expect(after).toMatchObject({ createdAt: t0, modifiedAt: t3 });
    expect(Object.values((await stored(D)).attr_created ?? {})).toEqual([t2]);

    // options=update on the fast path: types are added.
    tick();
    const fifth = { type: ['Device', 'Sensor'], temperature: 22, status: 'ok', humidity: 42 };
    ({ after } = await both(() => req('POST', `/entities/${C}/attrs`, fifth), [{ id: D, ...fifth }], '?options=update'));
    expect(after.type).toEqual(['Device', 'Sensor']);
    expect(after.humidity).toMatchObject({ value: 42, createdAt: t2 });

    // q on createdAt/modifiedAt reads the timestamps kept outside the instances.
    const found = async (q: string) => ((await req('GET', `/entities?type=Device&q=${encodeURIComponent(q)}`)).json() as { id: string }[]).map((e) => e.id).sort();
    expect(await found(`humidity.createdAt==${t2}`)).toEqual([D, C].sort());
    expect(await found(`temperature.createdAt>${t0}`)).toEqual([]);
    expect(await found(`temperature.modifiedAt>${t3}`)).toEqual([D, C].sort());

    expect(await history(D)).toEqual(await history(C));
  });

  it('reads rows stored with timestamps in every instance and moves them to the fast path on the next write', async () => {
    const E = 'urn:ngsi-ld:Device:stored';
    expect((await req('POST', '/entityOperations/upsert', [{ id: E, type: 'Device', level: 1 }])).statusCode).toBe(201);
    // The form before migration 20261126-13: createdAt/modifiedAt in each instance, no attr_sig.
    const row = await hub.database.db.selectFrom('context_entity').select(['attrs']).where('id', '=', E).executeTakeFirstOrThrow();
    const old = Object.fromEntries(Object.entries(row.attrs as Record<string, object[]>).map(([k, list]) =>
      [k, list.map((i) => ({ ...i, createdAt: '2026-11-01T00:00:00.000Z', modifiedAt: '2026-11-02T00:00:00.000Z' }))]));
    await hub.database.db.updateTable('context_entity').set({
      attrs: JSON.stringify(old), attr_sig: null, attr_created: null, created_at: '2026-11-01T00:00:00Z', modified_at: '2026-11-02T00:00:00Z',
    }).where('id', '=', E).execute();
    expect((await state(E)).level).toMatchObject({ value: 1, createdAt: '2026-11-01T00:00:00.000Z', modifiedAt: '2026-11-02T00:00:00.000Z' });
    for (const value of [2, 3]) {
      const t = tick().toISOString();
      expect((await req('POST', '/entityOperations/upsert', [{ id: E, type: 'Device', level: value }])).statusCode).toBe(204);
      expect(await state(E)).toMatchObject({ createdAt: '2026-11-01T00:00:00.000Z', modifiedAt: t, level: { value, createdAt: '2026-11-01T00:00:00.000Z', modifiedAt: t } });
      const stored = await hub.database.db.selectFrom('context_entity').select(['attr_sig', 'attrs']).where('id', '=', E).executeTakeFirstOrThrow();
      expect(stored.attr_sig).not.toBeNull();
      expect(JSON.stringify(stored.attrs)).not.toContain('createdAt');
    }
  });

  it('notifies subscriptions from the fast path', async () => {
    const sub = await req('POST', '/subscriptions', {
      type: 'Subscription', entities: [{ type: 'Meter' }], watchedAttributes: ['reading'],
      notification: { format: 'keyValues', endpoint: { uri: sink.url } },
    });
    expect(sub.statusCode, sub.body).toBe(201);
    const M = 'urn:ngsi-ld:Meter:1';
    const seen = sink.received.length;
    for (const [reading, status] of [[1, 201], [2, 204], [2, 204]]) {
      tick();
      expect((await req('POST', '/entityOperations/upsert', [{ id: M, type: 'Meter', reading }])).statusCode).toBe(status);
    }
    await hub.services.context.dispatcher.drain();
    expect((await hub.database.db.selectFrom('context_entity').select('attr_sig').where('id', '=', M).executeTakeFirstOrThrow()).attr_sig).not.toBeNull();
    // Every write of a watched attribute notifies, an unchanged value too (as the merging path does).
    // Deliveries run side by side (notifications.concurrency): compared in the order of the readings.
    const readings = (n: { body: Record<string, unknown> }) => (n.body.data as { reading: number }[])[0].reading;
    expect(sink.received.slice(seen).sort((a, b) => readings(a) - readings(b)).map((n) => n.body.data)).toEqual([1, 2, 2].map((reading) => [{ id: M, type: 'Meter', reading }]));
  });

  it('a subscription made after a tenant\'s upserts went without a transaction is notified of the next one, its change stored once', async () => {
    const tenant = { 'NGSILD-Tenant': 'alone' };
    const D = 'urn:ngsi-ld:Meter:alone';
    const upsert = async (reading: number, status: number) => {
      tick();
      const res = await req('POST', '/entityOperations/upsert', [{ id: D, type: 'Meter', reading }], tenant);
      expect(res.statusCode, res.body).toBe(status);
    };
    const readings = async () => {
      const res = await req('GET', `/temporal/entities/${D}?attrs=reading`, undefined, tenant);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().reading as { value: number }[]).map((i) => i.value).sort();
    };
    await upsert(1, 201); // no subscription in this tenant: one statement, committed alone
    const sub = await req('POST', '/subscriptions', {
      type: 'Subscription', entities: [{ type: 'Meter' }], watchedAttributes: ['reading'],
      notification: { format: 'keyValues', endpoint: { uri: sink.url } },
    }, tenant);
    expect(sub.statusCode, sub.body).toBe(201);
    const seen = sink.received.length;
    await upsert(2, 204);
    await hub.services.context.dispatcher.drain();
    expect(sink.received.slice(seen).map((n) => n.body.data)).toEqual([[{ id: D, type: 'Meter', reading: 2 }]]);
    expect(await readings()).toEqual([1, 2]);

    const removed = await req('DELETE', `/subscriptions/${sub.headers.location!.split('/').pop()!}`, undefined, tenant);
    expect(removed.statusCode, removed.body).toBe(204);
    await upsert(3, 204);
    await upsert(4, 204);
    await hub.services.context.dispatcher.drain();
    expect(sink.received.length).toBe(seen + 1);
    expect(await readings()).toEqual([1, 2, 3, 4]);
  });

  it('Prefer (RFC 7240) on batch operations: return=representation answers the entities as they now are, return=minimal no body; Preference-Applied names what was applied', async () => {
    const rep = { prefer: 'return=representation' };
    const min = { prefer: 'return=minimal' };
    const P = (n: number) => `urn:ngsi-ld:Parking:p${n}`;
    // Create: 201 with the entities (normalized, in the caller's @context).
    let res = await req('POST', '/entityOperations/create', [{ id: P(1), type: 'ParkingSpot', width: 2.5 }, { id: P(2), type: 'ParkingSpot', width: 3 }], rep);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['preference-applied']).toBe('return=representation');
    expect(res.json()).toEqual([
      { id: P(1), type: 'ParkingSpot', width: { type: 'Property', value: 2.5 } },
      { id: P(2), type: 'ParkingSpot', width: { type: 'Property', value: 3 } },
    ]);
    // Minimal: a create answers 201 without the ids.
    res = await req('POST', '/entityOperations/create', [{ id: P(3), type: 'ParkingSpot' }], min);
    expect(res.statusCode).toBe(201);
    expect(res.headers['preference-applied']).toBe('return=minimal');
    expect(res.body).toBe('');
    // Upsert creating one: 201 with both entities; upsert of existing ones: 200, or 204 with minimal.
    res = await req('POST', '/entityOperations/upsert', [{ id: P(3), type: 'ParkingSpot', width: 2 }, { id: P(4), type: 'ParkingSpot', width: 4 }], rep);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().map((e: { id: string; width: { value: number } }) => [e.id, e.width.value])).toEqual([[P(3), 2], [P(4), 4]]);
    res = await req('POST', '/entityOperations/upsert?options=update', [{ id: P(4), type: 'ParkingSpot', length: 5 }], rep);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual([{ id: P(4), type: 'ParkingSpot', width: { type: 'Property', value: 4 }, length: { type: 'Property', value: 5 } }]);
    res = await req('POST', '/entityOperations/upsert', [{ id: P(4), type: 'ParkingSpot', width: 1 }], min);
    expect([res.statusCode, res.headers['preference-applied']]).toEqual([204, 'return=minimal']);
    // Update and merge: 200 with the entities.
    res = await req('POST', '/entityOperations/update', [{ id: P(1), type: 'ParkingSpot', width: 2.4 }], rep);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()[0].width.value).toBe(2.4);
    res = await req('POST', '/entityOperations/merge', [{ id: P(2), width: 'urn:ngsi-ld:null', length: 6 }], rep);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual([{ id: P(2), type: 'ParkingSpot', length: { type: 'Property', value: 6 } }]);
    // JSON-LD asked: each entity with its @context.
    res = await req('POST', '/entityOperations/update', [{ id: P(1), type: 'ParkingSpot', width: 2.3 }], { ...rep, accept: 'application/ld+json' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/ld\+json/);
    // A report (207) is sent as it is, nothing applied; a representation not acceptable is refused before writing.
    res = await req('POST', '/entityOperations/update', [{ id: P(1), type: 'ParkingSpot', width: 9 }, { id: P(99), type: 'ParkingSpot', width: 9 }], rep);
    expect(res.statusCode, res.body).toBe(207);
    expect(res.headers['preference-applied']).toBeUndefined();
    expect(res.json().success).toEqual([P(1)]);
    res = await req('POST', '/entityOperations/create', [{ id: P(5), type: 'ParkingSpot' }], { ...rep, accept: 'text/html' });
    expect(res.statusCode).toBe(406);
    expect((await req('GET', `/entities/${P(5)}`)).statusCode).toBe(404);
    // Delete: a deleted entity has no representation (not applied); minimal is.
    res = await req('POST', '/entityOperations/delete', [P(1)], rep);
    expect([res.statusCode, res.headers['preference-applied']]).toEqual([204, undefined]);
    res = await req('POST', '/entityOperations/delete', [P(2), P(3), P(4)], min);
    expect([res.statusCode, res.headers['preference-applied']]).toEqual([204, 'return=minimal']);
    // Attack: an organisation whose rules narrow what it reads gets no more in the representation than GET gives it.
    const org = await hub.services.auth.insertOrg(systemActor('test-setup'), { name: '停车管理处', kind: 'department', parentId: null });
    const owner = (await hub.loginAs(['dept_data_owner'], org.id)).cookie;
    expect((await req('POST', '/cityhub/accessRules', { orgId: org.id, entityType: 'ParkingSpot', attributes: ['width'], canWrite: true })).statusCode).toBe(201);
    expect((await req('POST', '/entities', { id: P(7), type: 'ParkingSpot', width: 2, occupancyDetectionType: 'camera' })).statusCode).toBe(201);
    res = await req('POST', '/entityOperations/update', [{ id: P(7), type: 'ParkingSpot', width: 2.2 }], { ...rep, cookie: owner });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual([{ id: P(7), type: 'ParkingSpot', width: { type: 'Property', value: 2.2 } }]);
    // Without Prefer: as before (the ids).
    res = await req('POST', '/entityOperations/create', [{ id: P(6), type: 'ParkingSpot' }]);
    expect([res.statusCode, res.headers['preference-applied'], res.json()]).toEqual([201, undefined, [P(6)]]);
  });
});
