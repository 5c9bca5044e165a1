import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import type { TestHub } from '../support/test-hub.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { ngsiRequester } from './ngsi-support.js';
import { freePort, startTwoHubs } from './two-hubs.js';

/**
 * Issue 18: the distributed operations beyond single-entity reads and writes, between two CityHubs (B is a real
 * CityHub with its own database, registered on A): batch create/upsert/update/merge/delete split per registration
 * mode (§4.3.6.3), purge forwarded with its filter (§5.6.21), /types and /attributes answered with the sources'
 * (§5.7.5–5.7.9), and entity maps listing the source's entities with its map in linkedMaps (§5.14.4).
 */
describe.each(testEngines)('distributed operations: two CityHubs [%s]', (engine) => {
  let a: TestHub;
  let b: TestHub;
  let bUrl: string;
  let cookieA: string;
  let cookieB: string;
  let auth: { key: string; value: string }[];
  const reqA = ngsiRequester(() => a, () => cookieA);
  const reqB = ngsiRequester(() => b, () => cookieB);
  /** A's own name in Via: A answers from its own store only. */
  const localOnly = { via: '1.1 hub-a' };
  const ids = (res: { json(): unknown }) => (res.json() as { id: string }[]).map((e) => e.id);
  const register = async (body: Record<string, unknown>) => {
    const res = await reqA('POST', '/csourceRegistrations', { type: 'ContextSourceRegistration', endpoint: bUrl, contextSourceInfo: auth, ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.headers.location!.replace('/ngsi-ld/v1', '');
  };
  const BATCH_OPS = ['federationOps', 'updateOps', 'createBatch', 'upsertBatch', 'updateBatch', 'deleteBatch', 'mergeBatch', 'purgeEntity'];

  beforeAll(async () => {
    ({ a, b, bUrl } = await startTwoHubs(engine));
    cookieA = (await a.loginAs(['data_admin'])).cookie;
    cookieB = (await b.loginAs(['data_admin'])).cookie;
    const keyB = (await b.services.auth.createApiKey(systemActor('test-setup'), { name: 'hub-a', roles: ['data_admin'] })).key;
    auth = [{ key: 'Authorization', value: `Bearer ${keyB}` }];
  }, 240_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  }, 60_000);

  it('§4.3.6.3 inclusive: batch create, upsert, update, merge and delete reach B as batches; an entity only B holds succeeds on A', async () => {
    const reg = await register({ information: [{ entities: [{ type: 'Lamp' }] }], mode: 'inclusive', operations: BATCH_OPS });
    expect((await reqB('POST', '/entities', { id: 'urn:ngsi-ld:Lamp:b9', type: 'Lamp', power: 'off' })).statusCode).toBe(201);

    let res = await reqA('POST', '/entityOperations/create', [{ id: 'urn:ngsi-ld:Lamp:1', type: 'Lamp', power: 'on' }, { id: 'urn:ngsi-ld:Lamp:2', type: 'Lamp', power: 'on' }]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual(['urn:ngsi-ld:Lamp:1', 'urn:ngsi-ld:Lamp:2']);
    expect(ids(await reqB('GET', '/entities?type=Lamp'))).toEqual(['urn:ngsi-ld:Lamp:1', 'urn:ngsi-ld:Lamp:2', 'urn:ngsi-ld:Lamp:b9']);
    expect(ids(await reqA('GET', '/entities?type=Lamp', undefined, localOnly))).toEqual(['urn:ngsi-ld:Lamp:1', 'urn:ngsi-ld:Lamp:2']);

    // Update: Lamp:1 at both, b9 only at B (A does not hold it: a success), nowhere: 207 ResourceNotFound.
    res = await reqA('POST', '/entityOperations/update', [
      { id: 'urn:ngsi-ld:Lamp:1', type: 'Lamp', power: 'dim' }, { id: 'urn:ngsi-ld:Lamp:b9', type: 'Lamp', power: 'dim' }, { id: 'urn:ngsi-ld:Lamp:none', type: 'Lamp', power: 'dim' },
    ]);
    expect(res.statusCode, res.body).toBe(207);
    expect(res.json().success).toEqual(['urn:ngsi-ld:Lamp:1', 'urn:ngsi-ld:Lamp:b9']);
    expect(res.json().errors).toEqual([{ entityId: 'urn:ngsi-ld:Lamp:none', error: expect.objectContaining({ type: 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound' }) }]);
    for (const id of ['urn:ngsi-ld:Lamp:1', 'urn:ngsi-ld:Lamp:b9']) expect((await reqB('GET', `/entities/${id}?options=keyValues`)).json().power).toBe('dim');
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Lamp:1?options=keyValues', undefined, localOnly)).json().power).toBe('dim');

    // Upsert with options=update merges at both; merge (NGSI-LD Null deletes) likewise.
    res = await reqA('POST', '/entityOperations/upsert?options=update', [{ id: 'urn:ngsi-ld:Lamp:2', type: 'Lamp', colour: 'warm' }]);
    expect(res.statusCode, res.body).toBe(204);
    expect((await reqB('GET', '/entities/urn:ngsi-ld:Lamp:2?options=keyValues')).json()).toEqual({ id: 'urn:ngsi-ld:Lamp:2', type: 'Lamp', power: 'on', colour: 'warm' });
    res = await reqA('POST', '/entityOperations/merge', [{ id: 'urn:ngsi-ld:Lamp:2', colour: 'urn:ngsi-ld:null' }, { id: 'urn:ngsi-ld:Lamp:b9', colour: 'cold' }]);
    expect(res.statusCode, res.body).toBe(204);
    expect((await reqB('GET', '/entities/urn:ngsi-ld:Lamp:2?options=keyValues')).json().colour).toBeUndefined();
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Lamp:2?options=keyValues', undefined, localOnly)).json().colour).toBeUndefined();
    expect((await reqB('GET', '/entities/urn:ngsi-ld:Lamp:b9?options=keyValues')).json().colour).toBe('cold');

    // Delete: at both; b9 (only at B) too; an id that is no URI fails alone.
    res = await reqA('POST', '/entityOperations/delete', ['urn:ngsi-ld:Lamp:2', 'urn:ngsi-ld:Lamp:b9', 'not an id']);
    expect(res.statusCode, res.body).toBe(207);
    expect(res.json().success).toEqual(['urn:ngsi-ld:Lamp:2', 'urn:ngsi-ld:Lamp:b9']);
    expect(res.json().errors.map((e: { entityId: string }) => e.entityId)).toEqual(['not an id']);
    expect(ids(await reqB('GET', '/entities?type=Lamp'))).toEqual(['urn:ngsi-ld:Lamp:1']);
    expect(ids(await reqA('GET', '/entities?type=Lamp', undefined, localOnly))).toEqual(['urn:ngsi-ld:Lamp:1']);
    expect((await reqA('DELETE', reg)).statusCode).toBe(204);
    // Without the registration nothing is forwarded: a batch create stays here.
    expect((await reqA('POST', '/entityOperations/create', [{ id: 'urn:ngsi-ld:Lamp:3', type: 'Lamp' }])).statusCode).toBe(201);
    expect((await reqB('GET', '/entities/urn:ngsi-ld:Lamp:3')).statusCode).toBe(404);
  });

  it('§4.3.6.3 exclusive and redirect: exclusive attributes of a batch go to B only, redirected entities never stay on A', async () => {
    expect((await reqA('POST', '/entities', { id: 'urn:ngsi-ld:Meter:x1', type: 'Meter', label: 'x1' })).statusCode).toBe(201);
    expect((await reqB('POST', '/entities', { id: 'urn:ngsi-ld:Meter:x1', type: 'Meter', reading: 0 })).statusCode).toBe(201);
    const exclusive = await register({ mode: 'exclusive', operations: ['updateBatch', 'retrieveOps'], information: [{ entities: [{ type: 'Meter', id: 'urn:ngsi-ld:Meter:x1' }], propertyNames: ['reading'] }] });
    const res = await reqA('POST', '/entityOperations/update', [{ id: 'urn:ngsi-ld:Meter:x1', type: 'Meter', reading: 42, label: 'meter x1' }]);
    expect(res.statusCode, res.body).toBe(204);
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Meter:x1?options=keyValues', undefined, localOnly)).json()).toEqual({ id: 'urn:ngsi-ld:Meter:x1', type: 'Meter', label: 'meter x1' });
    expect((await reqB('GET', '/entities/urn:ngsi-ld:Meter:x1?options=keyValues')).json()).toEqual({ id: 'urn:ngsi-ld:Meter:x1', type: 'Meter', reading: 42 });

    const redirect = await register({ mode: 'redirect', operations: ['redirectionOps', 'createBatch', 'deleteBatch'], information: [{ entities: [{ type: 'Kiosk' }] }] });
    const created = await reqA('POST', '/entityOperations/create', [{ id: 'urn:ngsi-ld:Kiosk:k1', type: 'Kiosk', open: true }]);
    expect(created.statusCode, created.body).toBe(201);
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Kiosk:k1', undefined, localOnly)).statusCode).toBe(404);
    expect((await reqB('GET', '/entities/urn:ngsi-ld:Kiosk:k1?options=keyValues')).json().open).toBe(true);
    expect((await reqA('POST', '/entityOperations/delete', ['urn:ngsi-ld:Kiosk:k1'])).statusCode).toBe(204);
    expect((await reqB('GET', '/entities/urn:ngsi-ld:Kiosk:k1')).statusCode).toBe(404);
    for (const r of [exclusive, redirect]) expect((await reqA('DELETE', r)).statusCode).toBe(204);
  });

  it('Prefer on distributed batches: return=representation answers the entities as A and B now hold them, return=minimal no body (Preference-Applied)', async () => {
    const reg = await register({ mode: 'redirect', operations: ['redirectionOps', 'retrieveOps', 'createBatch', 'upsertBatch', 'updateBatch', 'mergeBatch', 'deleteBatch'], information: [{ entities: [{ type: 'Pole' }] }] });
    const rep = { prefer: 'return=representation' };
    let res = await reqA('POST', '/entityOperations/create', [{ id: 'urn:ngsi-ld:Pole:1', type: 'Pole', height: 5 }], rep);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['preference-applied']).toBe('return=representation');
    // Written at B only (redirect), read back through A.
    expect(res.json()).toEqual([{ id: 'urn:ngsi-ld:Pole:1', type: 'Pole', height: { type: 'Property', value: 5 } }]);
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Pole:1', undefined, localOnly)).statusCode).toBe(404);
    res = await reqA('POST', '/entityOperations/merge', [{ id: 'urn:ngsi-ld:Pole:1', colour: 'grey' }], rep);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual([{ id: 'urn:ngsi-ld:Pole:1', type: 'Pole', height: { type: 'Property', value: 5 }, colour: { type: 'Property', value: 'grey' } }]);
    res = await reqA('POST', '/entityOperations/update', [{ id: 'urn:ngsi-ld:Pole:1', type: 'Pole', height: 6 }], { prefer: 'return=minimal' });
    expect([res.statusCode, res.headers['preference-applied'], res.body]).toEqual([204, 'return=minimal', '']);
    expect((await reqB('GET', '/entities/urn:ngsi-ld:Pole:1?options=keyValues')).json()).toEqual({ id: 'urn:ngsi-ld:Pole:1', type: 'Pole', height: 6, colour: 'grey' });
    // What B refuses is reported as B gave it (207), whatever the preference.
    res = await reqA('POST', '/entityOperations/update', [{ id: 'urn:ngsi-ld:Pole:none', type: 'Pole', height: 1 }], rep);
    expect(res.statusCode, res.body).toBe(207);
    expect(res.headers['preference-applied']).toBeUndefined();
    res = await reqA('POST', '/entityOperations/delete', ['urn:ngsi-ld:Pole:1'], { prefer: 'return=minimal' });
    expect([res.statusCode, res.headers['preference-applied']]).toEqual([204, 'return=minimal']);
    expect((await reqB('GET', '/entities/urn:ngsi-ld:Pole:1')).statusCode).toBe(404);
    expect((await reqA('DELETE', reg)).statusCode).toBe(204);
  });

  it('a source that fails: an inclusive batch is written here with NGSILD-Warning; a redirected one answers 207 naming the failure', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const inclusive = await register({ endpoint: dead, mode: 'inclusive', operations: ['createBatch'], information: [{ entities: [{ type: 'Gate' }] }] });
    let res = await reqA('POST', '/entityOperations/create', [{ id: 'urn:ngsi-ld:Gate:g1', type: 'Gate' }]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['ngsild-warning']).toMatch(/^199 hub-a ".*127\.0\.0\.1/);
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Gate:g1', undefined, localOnly)).statusCode).toBe(200);
    expect((await reqA('DELETE', inclusive)).statusCode).toBe(204);

    const redirect = await register({ endpoint: dead, mode: 'redirect', operations: ['createBatch'], information: [{ entities: [{ type: 'Gate', id: 'urn:ngsi-ld:Gate:g2' }] }] });
    res = await reqA('POST', '/entityOperations/create', [{ id: 'urn:ngsi-ld:Gate:g2', type: 'Gate' }, { id: 'urn:ngsi-ld:Gate:g3', type: 'Gate' }]);
    expect(res.statusCode, res.body).toBe(207);
    expect(res.json().success).toEqual(['urn:ngsi-ld:Gate:g3']);
    expect(res.json().errors).toEqual([{ entityId: 'urn:ngsi-ld:Gate:g2', error: expect.objectContaining({ type: 'https://uri.etsi.org/ngsi-ld/errors/InternalError', status: 502 }) }]);
    expect((await reqA('GET', '/entities/urn:ngsi-ld:Gate:g2', undefined, localOnly)).statusCode).toBe(404);
    expect((await reqA('DELETE', redirect)).statusCode).toBe(204);
  });

  it('§5.6.21: a purge on A runs here and at B with the same filter', async () => {
    const reg = await register({ information: [{ entities: [{ type: 'Sign' }] }], mode: 'inclusive', operations: ['federationOps', 'purgeEntity'] });
    expect((await reqA('POST', '/entityOperations/create', [{ id: 'urn:ngsi-ld:Sign:a1', type: 'Sign', lit: true }, { id: 'urn:ngsi-ld:Sign:a2', type: 'Sign', lit: false }])).statusCode).toBe(201);
    expect((await reqB('POST', '/entityOperations/create', [{ id: 'urn:ngsi-ld:Sign:b1', type: 'Sign', lit: true }, { id: 'urn:ngsi-ld:Sign:b2', type: 'Sign', lit: false }])).statusCode).toBe(201);
    expect(ids(await reqA('GET', '/entities?type=Sign'))).toEqual(['urn:ngsi-ld:Sign:a1', 'urn:ngsi-ld:Sign:a2', 'urn:ngsi-ld:Sign:b1', 'urn:ngsi-ld:Sign:b2']);
    const purged = await reqA('DELETE', '/entities?type=Sign&q=lit==true');
    expect(purged.statusCode, purged.body).toBe(204);
    expect(ids(await reqA('GET', '/entities?type=Sign'))).toEqual(['urn:ngsi-ld:Sign:a2', 'urn:ngsi-ld:Sign:b2']);
    expect(ids(await reqB('GET', '/entities?type=Sign'))).toEqual(['urn:ngsi-ld:Sign:b2']);
    // A purge that selects nothing here still reaches B.
    expect((await reqA('DELETE', '/entities?id=urn:ngsi-ld:Sign:b2&type=Sign')).statusCode).toBe(204);
    expect(ids(await reqB('GET', '/entities?type=Sign'))).toEqual([]);
    expect((await reqA('DELETE', reg)).statusCode).toBe(204);
  });

  it('§5.7.5–5.7.9: /types and /attributes on A include what B holds (counts added up); an organisation narrowed by rules gets A’s only', async () => {
    const reg = await register({ information: [{ entities: [{ type: 'Bench' }] }], mode: 'inclusive' });
    expect((await reqB('POST', '/entityOperations/create', [{ id: 'urn:ngsi-ld:Bench:b1', type: 'Bench', seats: 4 }, { id: 'urn:ngsi-ld:Bench:b2', type: 'Bench', seats: 2, shade: true }])).statusCode).toBe(201);
    expect((await reqA('POST', '/entities', { id: 'urn:ngsi-ld:Bench:a1', type: 'Bench', seats: 6, paint: 'green' })).statusCode).toBe(201);

    expect((await reqA('GET', '/types')).json().typeList).toContain('Bench');
    const info = (await reqA('GET', '/types/Bench')).json();
    expect(info).toMatchObject({ typeName: 'Bench', entityCount: 3 });
    expect(info.attributeDetails.map((d: { attributeName: string }) => d.attributeName).sort()).toEqual(['paint', 'seats', 'shade']);
    const details = (await reqA('GET', '/types?details=true')).json().find((t: { typeName: string }) => t.typeName === 'Bench');
    expect(details.attributeNames.sort()).toEqual(['paint', 'seats', 'shade']);
    expect((await reqA('GET', '/attributes')).json().attributeList).toContain('shade');
    expect((await reqA('GET', '/attributes/shade')).json()).toMatchObject({ attributeName: 'shade', typeNames: ['Bench'] });
    // B's types are not A's own: A alone (Via) knows nothing of shade.
    expect((await reqA('GET', '/attributes/shade', undefined, localOnly)).statusCode).toBe(404);

    const org = (await a.services.auth.insertOrg(systemActor('t'), { name: '园林局', kind: 'department', parentId: null })).id;
    expect((await reqA('POST', '/cityhub/accessRules', { orgId: org, entityType: 'Bench', attributes: ['seats'] })).statusCode).toBe(201);
    const narrow = (await a.loginAs(['agent'], org)).cookie;
    const asNarrow = await reqA('GET', '/types/Bench', undefined, {}, narrow);
    expect(asNarrow.statusCode).toBe(200);
    expect(asNarrow.json()).toMatchObject({ entityCount: 1, attributeDetails: [{ attributeName: 'seats' }] });
    expect(asNarrow.headers['ngsild-warning']).toMatch(/not asked/);
    expect((await reqA('DELETE', reg)).statusCode).toBe(204);
  });

  it('§5.14.4: an entity map on A lists B’s entities under the registration, with B’s own map in linkedMaps; GET /entities pages through both', async () => {
    const reg = await register({ information: [{ entities: [{ type: 'Tree' }] }], mode: 'inclusive' });
    const regId = decodeURIComponent(reg.split('/').pop()!);
    expect((await reqA('POST', '/entityOperations/create', [{ id: 'urn:ngsi-ld:Tree:a1', type: 'Tree', height: 3 }])).statusCode).toBe(201);
    expect((await reqB('POST', '/entityOperations/create', [{ id: 'urn:ngsi-ld:Tree:a1', type: 'Tree', age: 30 }, { id: 'urn:ngsi-ld:Tree:b1', type: 'Tree', height: 9 }])).statusCode).toBe(201);

    const res = await reqA('GET', '/entityMaps?type=Tree');
    expect(res.statusCode, res.body).toBe(201);
    const map = res.json();
    expect(map.entityMap).toEqual({ 'urn:ngsi-ld:Tree:a1': ['@none', regId], 'urn:ngsi-ld:Tree:b1': [regId] });
    expect(map.linkedMaps[regId]).toMatch(new RegExp(`^${bUrl}/ngsi-ld/v1/entityMaps/urn%3Angsi-ld%3AEntityMap%3A`));
    // B's map is there, and is B's own (A made it with B's key).
    const atB = await b.http.inject({ method: 'GET', url: map.linkedMaps[regId].slice(bUrl.length), headers: { authorization: auth[0].value } });
    expect(atB.statusCode, atB.body).toBe(200);
    expect(Object.keys(atB.json().entityMap)).toEqual(['urn:ngsi-ld:Tree:a1', 'urn:ngsi-ld:Tree:b1']);

    const page = await reqA('GET', '/entities?type=Tree&entityMap=true&limit=1&offset=1&options=keyValues&count=true');
    expect(page.statusCode, page.body).toBe(200);
    expect(page.json()).toEqual([{ id: 'urn:ngsi-ld:Tree:b1', type: 'Tree', height: 9 }]);
    expect(page.headers['ngsild-results-count']).toBe('2');
    const first = await reqA('GET', '/entities?type=Tree&limit=1&options=keyValues', undefined, { 'NGSILD-EntityMap': page.headers['ngsild-entitymap'] as string });
    expect(first.json()).toEqual([{ id: 'urn:ngsi-ld:Tree:a1', type: 'Tree', height: 3, age: 30 }]);
    // local=true: A's entities only, no source asked.
    expect((await reqA('GET', '/entityMaps?type=Tree&local=true')).json()).toMatchObject({ entityMap: { 'urn:ngsi-ld:Tree:a1': ['@none'] }, linkedMaps: {} });
    expect((await reqA('DELETE', reg)).statusCode).toBe(204);
  });

  it('§5.7.3–5.7.4: temporal retrieval and query on A include B’s history, instances of both in time order; aggregations of what B alone holds; a temporal entity map', async () => {
    const reg = await register({ information: [{ entities: [{ type: 'Sensor' }] }], mode: 'inclusive', operations: ['retrieveTemporal', 'queryTemporal', 'createEntityMapQueryTemporal'] });
    const regId = decodeURIComponent(reg.split('/').pop()!);
    const at = (h: number) => `2026-01-01T0${h}:00:00.000Z`;
    expect((await reqA('POST', '/entities', { id: 'urn:ngsi-ld:Sensor:s1', type: 'Sensor', temp: { type: 'Property', value: 1, observedAt: at(1) } })).statusCode).toBe(201);
    expect((await reqB('POST', '/entities', { id: 'urn:ngsi-ld:Sensor:s1', type: 'Sensor', temp: { type: 'Property', value: 0, observedAt: at(0) } })).statusCode).toBe(201);
    expect((await reqB('PATCH', '/entities/urn:ngsi-ld:Sensor:s1/attrs', { temp: { type: 'Property', value: 2, observedAt: at(2) } })).statusCode).toBe(204);
    expect((await reqB('POST', '/entities', { id: 'urn:ngsi-ld:Sensor:b1', type: 'Sensor', temp: { type: 'Property', value: 5, observedAt: at(5) } })).statusCode).toBe(201);

    const one = await reqA('GET', '/temporal/entities/urn:ngsi-ld:Sensor:s1');
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json().temp.map((i: { value: number }) => i.value)).toEqual([0, 1, 2]);
    const values = (await reqA('GET', '/temporal/entities/urn:ngsi-ld:Sensor:s1?options=temporalValues')).json();
    expect(values.temp.values).toEqual([[0, at(0)], [1, at(1)], [2, at(2)]]);
    // Held only at B: found through A.
    expect((await reqA('GET', '/temporal/entities/urn:ngsi-ld:Sensor:b1')).json().temp).toEqual([expect.objectContaining({ value: 5 })]);
    expect((await reqA('GET', '/temporal/entities/urn:ngsi-ld:Sensor:b1', undefined, localOnly)).statusCode).toBe(404);

    const all = await reqA('GET', '/temporal/entities?type=Sensor');
    expect(all.statusCode, all.body).toBe(200);
    expect(ids(all)).toEqual(['urn:ngsi-ld:Sensor:b1', 'urn:ngsi-ld:Sensor:s1']);
    expect(ids(await reqA('GET', '/temporal/entities?type=Sensor&limit=1&offset=1'))).toEqual(['urn:ngsi-ld:Sensor:s1']);
    // Aggregated: an entity only B holds comes with B's series; an attribute both hold keeps A's, with a warning.
    const aggr = await reqA('GET', `/temporal/entities?type=Sensor&aggrMethods=sum&aggrPeriodDuration=P1D&timerel=after&timeAt=${at(0)}`);
    expect(aggr.statusCode, aggr.body).toBe(200);
    expect(ids(aggr)).toEqual(['urn:ngsi-ld:Sensor:b1', 'urn:ngsi-ld:Sensor:s1']);
    const sums = Object.fromEntries((aggr.json() as { id: string; temp: { sum: unknown[][] } }[]).map((e) => [e.id, e.temp.sum.map((b) => b[0])]));
    expect(sums).toEqual({ 'urn:ngsi-ld:Sensor:b1': [5], 'urn:ngsi-ld:Sensor:s1': [1] });
    expect(aggr.headers['ngsild-warning']).toMatch(/aggregated here only.*Sensor:s1/);
    const aggrOne = await reqA('GET', `/temporal/entities/urn:ngsi-ld:Sensor:b1?aggrMethods=max&aggrPeriodDuration=P1D&timerel=after&timeAt=${at(0)}`);
    expect(aggrOne.statusCode, aggrOne.body).toBe(200);
    expect(aggrOne.json().temp.max.map((b: unknown[]) => b[0])).toEqual([5]);
    // v1.9 §5.14.5: a temporal entity map on A lists B's entities under the registration, B's map in linkedMaps.
    const map = await reqA('GET', `/temporal/entityMaps?type=Sensor&timerel=after&timeAt=${at(0)}`);
    expect(map.statusCode, map.body).toBe(201);
    expect(map.json().entityMap).toEqual({ 'urn:ngsi-ld:Sensor:s1': ['@none', regId], 'urn:ngsi-ld:Sensor:b1': [regId] });
    expect(map.json().linkedMaps[regId]).toMatch(new RegExp(`^${bUrl}/ngsi-ld/v1/entityMaps/urn%3Angsi-ld%3AEntityMap%3A`));
    expect((await reqA('DELETE', reg)).statusCode).toBe(204);
  });

  it('§5.6.11–5.6.16 distributed: temporal create, add instances and delete history reach B (inclusive); a redirected temporal entity stays at B only', async () => {
    const reg = await register({ information: [{ entities: [{ type: 'Gauge' }] }], mode: 'inclusive', operations: ['retrieveTemporal', 'upsertTemporal', 'appendAttrsTemporal', 'deleteTemporal', 'deleteAttrsTemporal', 'updateAttrsTemporal', 'deleteAttrInstanceTemporal'] });
    const at = (h: number) => `2026-02-01T0${h}:00:00.000Z`;
    const created = await reqA('POST', '/temporal/entities', { id: 'urn:ngsi-ld:Gauge:g1', type: 'Gauge', level: [{ type: 'Property', value: 1, observedAt: at(1) }, { type: 'Property', value: 2, observedAt: at(2) }] });
    expect(created.statusCode, created.body).toBe(201);
    const levels = async (req: typeof reqA, headers: Record<string, string> = {}) => ((await req('GET', '/temporal/entities/urn:ngsi-ld:Gauge:g1?options=temporalValues', undefined, headers)).json().level?.values ?? []).map((v: unknown[]) => v[0]);
    expect(await levels(reqB)).toEqual([1, 2]);
    expect(await levels(reqA, localOnly)).toEqual([1, 2]);
    expect((await reqA('POST', '/temporal/entities/urn:ngsi-ld:Gauge:g1/attrs', { level: [{ type: 'Property', value: 3, observedAt: at(3) }] })).statusCode).toBe(204);
    expect(await levels(reqB)).toEqual([1, 2, 3]);
    expect(await levels(reqA, localOnly)).toEqual([1, 2, 3]);
    // One instance changed or deleted by B's instanceId through A: B applies it, A (which has no such instance) is not an error.
    const atB = (await reqB('GET', '/temporal/entities/urn:ngsi-ld:Gauge:g1')).json().level as { value: number; instanceId: string }[];
    const third = atB.find((i) => i.value === 3)!.instanceId;
    const instancePath = `/temporal/entities/urn:ngsi-ld:Gauge:g1/attrs/level/${encodeURIComponent(third)}`;
    const patched = await reqA('PATCH', instancePath, { type: 'Property', value: 30, observedAt: at(3) });
    expect(patched.statusCode, patched.body).toBe(204);
    expect(await levels(reqB)).toEqual([1, 2, 30]);
    expect(await levels(reqA, localOnly)).toEqual([1, 2, 3]);
    const deleted = await reqA('DELETE', instancePath);
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect(await levels(reqB)).toEqual([1, 2]);
    // An instance neither holds: 404.
    expect((await reqA('DELETE', '/temporal/entities/urn:ngsi-ld:Gauge:g1/attrs/level/urn:ngsi-ld:none')).statusCode).toBe(404);
    expect((await reqA('DELETE', '/temporal/entities/urn:ngsi-ld:Gauge:g1/attrs/level')).statusCode).toBe(204);
    expect(await levels(reqB)).toEqual([]);
    expect(await levels(reqA, localOnly)).toEqual([]);
    expect((await reqA('DELETE', reg)).statusCode).toBe(204);

    const redirect = await register({ information: [{ entities: [{ type: 'Gauge', id: 'urn:ngsi-ld:Gauge:r1' }] }], mode: 'redirect', operations: ['retrieveTemporal', 'upsertTemporal', 'deleteTemporal'] });
    expect((await reqA('POST', '/temporal/entities', { id: 'urn:ngsi-ld:Gauge:r1', type: 'Gauge', level: [{ type: 'Property', value: 7, observedAt: at(4) }] })).statusCode).toBe(204);
    expect((await reqA('GET', '/temporal/entities/urn:ngsi-ld:Gauge:r1', undefined, localOnly)).statusCode).toBe(404);
    expect((await reqB('GET', '/temporal/entities/urn:ngsi-ld:Gauge:r1')).json().level).toEqual([expect.objectContaining({ value: 7 })]);
    expect((await reqA('DELETE', '/temporal/entities/urn:ngsi-ld:Gauge:r1')).statusCode).toBe(204);
    expect((await reqB('GET', '/temporal/entities/urn:ngsi-ld:Gauge:r1')).statusCode).toBe(404);
    expect((await reqA('DELETE', redirect)).statusCode).toBe(204);
  });
});
