import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { systemActor } from '../../src/platform/auth/roles.js';
import { ngsiRequester } from './ngsi-support.js';

const BAD = 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData';
const NOT_FOUND = 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound';
const UNSUPPORTED = 'https://uri.etsi.org/ngsi-ld/errors/OperationNotSupported';
const query = (extra: Record<string, unknown> = {}) => ({ type: 'Query', entities: [{ type: 'Bin' }], ...extra });
const snapshotOf = (extra: Record<string, unknown> = {}) => ({ type: 'Snapshot', snapshotQueries: [query()], ...extra });
const idOf = (res: LightMyRequestResponse) => decodeURIComponent(String(res.headers.location).split('/').pop()!);
/** DELETE /snapshots?q=… with the query encoded. */
const purgeUrl = (q: string) => `/snapshots?q=${encodeURIComponent(q)}`;
/** A POST with no body still says how long it is (§6.3.4: 411 otherwise). */
const EMPTY = { 'content-length': '0' };
const ids = (res: LightMyRequestResponse) => (res.json() as { id: string }[]).map((e) => e.id).sort();

/**
 * GS CIM 009 v1.9.1 §5.16 (snapshots; HTTP §6.36–6.38, NGSILD-Snapshot §6.3.22), on one hub: create (201,
 * Location; status and per-query details), retrieve, update status, clone, delete, purge, queries answered from the
 * frozen copy while the live entities change, the errors (400 bad members / bad id, 404 unknown, 409 taken id, 422
 * what is not done here), and the bounds (snapshots per tenant, entities per snapshot, lifetime, expiry). The attacks:
 * another organisation, another tenant, a user without the permission, anonymous, an organisation whose rules hide
 * attributes.
 */
describe.each(testEngines)('NGSI-LD snapshots [%s]', (engine) => {
  let hub: TestHub;
  let admin: string;
  let owner: string;
  let other: string;
  let agent: string;
  let narrow: string;
  let orgA: string;
  let offset = 0;
  const req = ngsiRequester(() => hub, () => owner, {});
  const asAdmin = (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) => req(method, url, payload, headers, admin);
  const make = async (body: unknown, cookie = owner, headers: Record<string, string> = {}) => {
    const res = await req('POST', '/snapshots', body, headers, cookie);
    expect(res.statusCode, res.body).toBe(201);
    return idOf(res);
  };
  const inSnapshot = (sid: string, url: string, cookie = owner, headers: Record<string, string> = {}) => req('GET', url, undefined, { 'ngsild-snapshot': sid, ...headers }, cookie);

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      clock: () => new Date(Date.now() + offset),
      config: { modules: { context: {
        simulator: { enabled: false }, mqtt: { ingest: false },
        snapshots: { maxPerTenant: 12, maxEntities: 6, defaultLifetimeSeconds: 86_400, maxLifetimeSeconds: 7 * 86_400 },
      } } } as never,
    });
    const setup = systemActor('test-setup');
    admin = (await hub.loginAs(['data_admin'])).cookie;
    orgA = (await hub.services.auth.insertOrg(setup, { name: '市城市管理局', kind: 'department', parentId: null })).id;
    const orgB = await hub.services.auth.insertOrg(setup, { name: '市交通局', kind: 'department', parentId: null });
    const orgC = await hub.services.auth.insertOrg(setup, { name: '环卫公司', kind: 'enterprise', parentId: null });
    owner = (await hub.loginAs(['dept_data_owner'], orgA)).cookie;
    other = (await hub.loginAs(['dept_data_owner'], orgB.id)).cookie;
    agent = (await hub.loginAs(['agent'], orgA)).cookie;
    narrow = (await hub.loginAs(['dept_data_owner'], orgC.id)).cookie;
    const bins = [1, 2, 3].map((i) => ({ id: `urn:ngsi-ld:Bin:${i}`, type: 'Bin', fill: i * 10, secret: `code-${i}` }));
    const made = await asAdmin('POST', '/entityOperations/create', [...bins, { id: 'urn:ngsi-ld:Lamp:1', type: 'Lamp', fill: 99 }]);
    expect(made.statusCode, made.body).toBe(201);
    const elsewhere = await asAdmin('POST', '/entities', { id: 'urn:ngsi-ld:Bin:9', type: 'Bin', fill: 90 }, { 'ngsild-tenant': 'snapa' });
    expect(elsewhere.statusCode, elsewhere.body).toBe(201);
    // Organisation C reads Bins, their fill only.
    const rule = await asAdmin('POST', '/cityhub/accessRules', { orgId: orgC.id, entityType: 'Bin', attributes: ['fill'], canWrite: false });
    expect(rule.statusCode, rule.body).toBe(201);
  }, 120_000);
  afterAll(async () => hub?.close(), 60_000);

  it('§5.16.1, §6.36.3.1: POST /snapshots answers 201 with Location; the snapshot is retrieved (§5.16.3) with its status and per-query details', async () => {
    const before = Date.now() + offset;
    const res = await req('POST', '/snapshots', snapshotOf({ snapshotQueries: [query({ q: 'fill>=20' })] }));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.body).toBe('');
    const sid = idOf(res);
    expect(sid).toMatch(/^urn:ngsi-ld:Snapshot:/);
    expect(res.headers.location).toBe(`/ngsi-ld/v1/snapshots/${encodeURIComponent(sid)}`);
    const got = await req('GET', `/snapshots/${encodeURIComponent(sid)}`);
    expect(got.statusCode, got.body).toBe(200);
    const s = got.json();
    expect(s).toMatchObject({
      id: sid, type: 'Snapshot', snapshotStatus: 'success', snapshotPriority: 5,
      snapshotQueries: [query({ q: 'fill>=20' })], snapshotQueriesDetails: [{ resultStatus: 'success' }],
    });
    for (const k of ['createdAt', 'modifiedAt', 'lastUsedAt', 'expiresAt']) expect(Date.parse(s[k]), k).toBeGreaterThanOrEqual(before - 1000);
    // The default lifetime (modules.context.snapshots.defaultLifetimeSeconds) when none is suggested.
    expect(Date.parse(s.expiresAt) - Date.parse(s.createdAt)).toBe(86_400_000);
    // The JSON-LD form carries the @context.
    const ld = await req('GET', `/snapshots/${encodeURIComponent(sid)}`, undefined, { accept: 'application/ld+json' });
    expect(ld.json()['@context']).toBeDefined();

    // A chosen id; the same id again is 409 AlreadyExists (§5.16.1.4), and the first one is not replaced.
    const chosen = 'urn:ngsi-ld:Snapshot:chosen';
    expect(await make(snapshotOf({ id: chosen, snapshotPriority: 3 }))).toBe(chosen);
    const again = await req('POST', '/snapshots', snapshotOf({ id: chosen, snapshotPriority: 9 }));
    expect(again.statusCode).toBe(409);
    expect(again.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/AlreadyExists');
    expect((await req('GET', `/snapshots/${chosen}`)).json().snapshotPriority).toBe(3);
  });

  it('§5.16.1.4, §5.2.42: snapshotStatus empty, partial and failure from the queries\' results; temporal snapshots reported failed (not supported here)', async () => {
    const statusOf = async (body: unknown) => (await req('GET', `/snapshots/${encodeURIComponent(await make(body))}`)).json();
    expect((await statusOf(snapshotOf({ snapshotQueries: [query({ entities: [{ type: 'Nothing' }] })] }))).snapshotStatus).toBe('empty');
    const partial = await statusOf(snapshotOf({ snapshotQueries: [query(), query({ entities: [{ type: 'Nothing' }] })] }));
    expect(partial).toMatchObject({ snapshotStatus: 'partial', snapshotQueriesDetails: [{ resultStatus: 'success' }, { resultStatus: 'empty' }] });
    const failed = await statusOf(snapshotOf({ snapshotQueries: [query({ q: 'fill>>' })] }));
    expect(failed.snapshotStatus).toBe('failure');
    expect(failed.snapshotQueriesDetails[0]).toMatchObject({ resultStatus: 'failure', problemDetails: { type: BAD, status: 400 } });
    const temporal = await statusOf({ type: 'Snapshot', snapshotTemporalQueries: [query({ temporalQ: { timerel: 'after', timeAt: '2020-01-01T00:00:00Z' } })] });
    expect(temporal.snapshotStatus).toBe('failure');
    expect(temporal.snapshotTemporalQueriesDetails[0]).toMatchObject({ resultStatus: 'failure', problemDetails: { type: UNSUPPORTED } });
    await req('DELETE', purgeUrl('snapshotStatus!="success"'));
  });

  it('§6.3.22, §5.5.15: queries with NGSILD-Snapshot answer the frozen copy; it does not change when the live entities do', async () => {
    const sid = await make(snapshotOf({ snapshotQueries: [query({ q: 'fill>=20' }), { type: 'Query', entities: [{ type: 'Lamp' }] }] }));
    const frozen = await inSnapshot(sid, '/entities?type=Bin,Lamp');
    expect(frozen.statusCode, frozen.body).toBe(200);
    expect(frozen.headers['ngsild-snapshot']).toBe(sid);
    expect(ids(frozen)).toEqual(['urn:ngsi-ld:Bin:2', 'urn:ngsi-ld:Bin:3', 'urn:ngsi-ld:Lamp:1']);

    // The live entities change: one updated, one deleted, one created.
    expect((await asAdmin('PATCH', '/entities/urn:ngsi-ld:Bin:2/attrs', { fill: { type: 'Property', value: 77 } })).statusCode).toBe(204);
    expect((await asAdmin('DELETE', '/entities/urn:ngsi-ld:Bin:3')).statusCode).toBe(204);
    expect((await asAdmin('POST', '/entities', { id: 'urn:ngsi-ld:Bin:4', type: 'Bin', fill: 40 })).statusCode).toBe(201);
    expect(ids(await req('GET', '/entities?type=Bin&q=fill>=20'))).toEqual(['urn:ngsi-ld:Bin:2', 'urn:ngsi-ld:Bin:4']);
    expect((await req('GET', '/entities/urn:ngsi-ld:Bin:3')).statusCode).toBe(404);

    const still = await inSnapshot(sid, '/entities?type=Bin&options=keyValues');
    expect(still.json()).toEqual([
      { id: 'urn:ngsi-ld:Bin:2', type: 'Bin', fill: 20, secret: 'code-2' },
      { id: 'urn:ngsi-ld:Bin:3', type: 'Bin', fill: 30, secret: 'code-3' },
    ]);
    const one = await inSnapshot(sid, '/entities/urn:ngsi-ld:Bin:3');
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json()).toMatchObject({ id: 'urn:ngsi-ld:Bin:3', fill: { type: 'Property', value: 30 } });
    expect(one.headers['ngsild-snapshot']).toBe(sid);
    // Not in the snapshot: 404, whatever the live state.
    expect((await inSnapshot(sid, '/entities/urn:ngsi-ld:Bin:4')).statusCode).toBe(404);
    expect((await inSnapshot(sid, '/entities/urn:ngsi-ld:Bin:1')).statusCode).toBe(404);

    // Filters, projection, paging and count on the copy.
    expect(ids(await inSnapshot(sid, '/entities?type=Bin&q=fill>25'))).toEqual(['urn:ngsi-ld:Bin:3']);
    expect(ids(await inSnapshot(sid, '/entities?id=urn:ngsi-ld:Lamp:1,urn:ngsi-ld:Bin:2'))).toEqual(['urn:ngsi-ld:Bin:2', 'urn:ngsi-ld:Lamp:1']);
    expect(ids(await inSnapshot(sid, '/entities?idPattern=Bin:[23]$'))).toEqual(['urn:ngsi-ld:Bin:2', 'urn:ngsi-ld:Bin:3']);
    const paged = await inSnapshot(sid, '/entities?type=Bin,Lamp&limit=1&offset=1&count=true&pick=id,fill');
    expect(paged.headers['ngsild-results-count']).toBe('3');
    expect(paged.json()).toEqual([{ id: 'urn:ngsi-ld:Bin:3', fill: { type: 'Property', value: 30 } }]);

    // POST /entityOperations/query (§6.23) is a query too: answered from the copy.
    const posted = await req('POST', '/entityOperations/query?count=true', { type: 'Query', entities: [{ type: 'Bin' }], q: 'fill<25' }, { 'ngsild-snapshot': sid });
    expect(posted.statusCode, posted.body).toBe(200);
    expect(posted.headers['ngsild-results-count']).toBe('1');
    expect(posted.json()).toMatchObject([{ id: 'urn:ngsi-ld:Bin:2', fill: { value: 20 } }]);
    expect((await req('POST', '/entityOperations/query', { type: 'Query', entities: [{ type: 'Bin' }], join: 'inline' }, { 'ngsild-snapshot': sid })).statusCode).toBe(422);

    // What is not answered from a snapshot here is refused, not answered from the live data (422).
    for (const url of ['/entities?type=Bin&georel=near;maxDistance==10&geometry=Point&coordinates=[1,1]', '/entities?type=Bin&orderBy=fill', '/types', '/temporal/entities?type=Bin&timerel=after&timeAt=2020-01-01T00:00:00Z']) {
      const res = await inSnapshot(sid, url);
      expect(res.statusCode, url).toBe(422);
      expect(res.json().type).toBe(UNSUPPORTED);
      expect(res.headers['ngsild-snapshot']).toBe(sid);
    }
    // A write naming a snapshot is refused and changes nothing, live or frozen.
    const write = await req('PATCH', '/entities/urn:ngsi-ld:Bin:2/attrs', { fill: { type: 'Property', value: 1 } }, { 'ngsild-snapshot': sid }, admin);
    expect(write.statusCode).toBe(422);
    expect((await req('GET', '/entities/urn:ngsi-ld:Bin:2?options=keyValues')).json().fill).toBe(77);
    expect((await inSnapshot(sid, '/entities/urn:ngsi-ld:Bin:2?options=keyValues')).json().fill).toBe(20);
    // A snapshot that does not exist: 404, the header still echoed.
    const unknown = await inSnapshot('urn:ngsi-ld:Snapshot:none', '/entities?type=Bin');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().type).toBe(NOT_FOUND);
    expect(unknown.headers['ngsild-snapshot']).toBe('urn:ngsi-ld:Snapshot:none');
    // lastUsedAt moves with use.
    const s = (await req('GET', `/snapshots/${encodeURIComponent(sid)}`)).json();
    expect(Date.parse(s.lastUsedAt)).toBeGreaterThan(Date.parse(s.createdAt));
  });

  it('§5.16.4, §6.37.3.2: PATCH /snapshots/{id} updates priority and lifetime (expiresAt follows, bounded); queries and id cannot change (400)', async () => {
    const sid = encodeURIComponent(await make(snapshotOf()));
    const patched = await req('PATCH', `/snapshots/${sid}`, { snapshotPriority: 8, snapshotLifetime: 'PT2H', snapshotStatus: 'failure' });
    expect(patched.statusCode, patched.body).toBe(204);
    const s = (await req('GET', `/snapshots/${sid}`)).json();
    // snapshotStatus is output-only: ignored.
    expect(s).toMatchObject({ snapshotPriority: 8, snapshotLifetime: 'PT2H', snapshotStatus: 'success' });
    expect(Math.abs(Date.parse(s.expiresAt) - (Date.now() + offset + 2 * 3_600_000))).toBeLessThan(60_000);
    // §5.16.1.4 "applying the configured limit": P10Y is cut to maxLifetimeSeconds (7 days here).
    expect((await req('PATCH', `/snapshots/${sid}`, { snapshotLifetime: 'P10Y' })).statusCode).toBe(204);
    expect(Date.parse((await req('GET', `/snapshots/${sid}`)).json().expiresAt)).toBeLessThanOrEqual(Date.now() + offset + 7 * 86_400_000 + 60_000);
    for (const [body, field] of [
      [{ snapshotQueries: [query()] }, '/body/snapshotQueries'],
      [{ id: 'urn:ngsi-ld:Snapshot:x' }, '/body/id'],
      [{ snapshotPriority: 11 }, '/body/snapshotPriority'],
      [{ snapshotPriority: 2.5 }, '/body/snapshotPriority'],
      [{ snapshotLifetime: 'tomorrow' }, '/body/snapshotLifetime'],
      [{ colour: 'red' }, '/body/colour'],
      [{ type: 'Subscription' }, '/body/type'],
    ] as const) {
      const res = await req('PATCH', `/snapshots/${sid}`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().type).toBe(BAD);
      expect(res.json().errors[0].field).toBe(field);
    }
    expect((await req('PATCH', `/snapshots/${sid}`, { endpoint: 'http://example.org/n' })).statusCode).toBe(422);
    expect((await req('PATCH', '/snapshots/urn:ngsi-ld:Snapshot:none', { snapshotPriority: 2 })).statusCode).toBe(404);
  });

  it('§5.2.41: a create with bad members is 400 BadRequestData naming the member; notifications (endpoint) 422', async () => {
    const cases: [unknown, string][] = [
      [{ snapshotQueries: [query()] }, '/body/type'],
      [snapshotOf({ type: 'Entity' }), '/body/type'],
      [{ type: 'Snapshot' }, '/body/snapshotQueries'],
      [snapshotOf({ snapshotQueries: [] }), '/body/snapshotQueries'],
      [snapshotOf({ snapshotQueries: query() }), '/body/snapshotQueries'],
      [snapshotOf({ snapshotQueries: [{ entities: [{ type: 'Bin' }] }] }), '/body/snapshotQueries/0/type'],
      [snapshotOf({ snapshotQueries: [query({ temporalQ: { timerel: 'after', timeAt: '2020-01-01T00:00:00Z' } })] }), '/body/snapshotQueries/0/temporalQ'],
      [{ type: 'Snapshot', snapshotTemporalQueries: [query()] }, '/body/snapshotTemporalQueries/0/temporalQ'],
      [snapshotOf({ snapshotQueries: [query({ attrs: 'fill' })] }), '/body/snapshotQueries/0/attrs'],
      [snapshotOf({ snapshotQueries: [query({ entities: 'Bin' })] }), '/body/snapshotQueries/0/entities'],
      [snapshotOf({ snapshotPriority: 0 }), '/body/snapshotPriority'],
      [snapshotOf({ snapshotLifetime: 'P' }), '/body/snapshotLifetime'],
      [snapshotOf({ snapshotLifetime: 3600 }), '/body/snapshotLifetime'],
      [snapshotOf({ id: 'not a uri' }), '/body/id'],
      [snapshotOf({ colour: 'red' }), '/body/colour'],
      [[snapshotOf()], '/body'],
    ];
    const before = (await req('GET', '/snapshots?limit=100')).json().length;
    for (const [body, field] of cases) {
      const res = await req('POST', '/snapshots', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().type).toBe(BAD);
      expect(res.json().errors[0].field, JSON.stringify(body)).toBe(field);
    }
    const notify = await req('POST', '/snapshots', snapshotOf({ endpoint: 'http://example.org/notify' }));
    expect(notify.statusCode).toBe(422);
    expect(notify.json().type).toBe(UNSUPPORTED);
    // Output-only members are ignored; nothing else was made.
    expect((await req('GET', '/snapshots?limit=100')).json().length).toBe(before);
    const ignored = await make(snapshotOf({ snapshotStatus: 'failure', expiresAt: '2000-01-01T00:00:00Z' }));
    expect((await req('GET', `/snapshots/${encodeURIComponent(ignored)}`)).json().snapshotStatus).toBe('success');
    await req('DELETE', `/snapshots/${encodeURIComponent(ignored)}`);
  });

  it('§5.16.2, §6.38: POST /snapshots/{id}/clone copies the snapshot (its copy, queries, status) under a new id', async () => {
    const source = await make(snapshotOf({ snapshotQueries: [query({ q: 'fill>=20' })] }));
    // The live entities change after the source was made: the clone is of the source, not of the live data.
    expect((await asAdmin('PATCH', '/entities/urn:ngsi-ld:Bin:2/attrs', { fill: { type: 'Property', value: 88 } })).statusCode).toBe(204);
    const res = await req('POST', `/snapshots/${encodeURIComponent(source)}/clone`, undefined, EMPTY);
    expect(res.statusCode, res.body).toBe(201);
    const clone = idOf(res);
    expect(clone).not.toBe(source);
    const c = (await req('GET', `/snapshots/${encodeURIComponent(clone)}`)).json();
    expect(c).toMatchObject({ snapshotQueries: [query({ q: 'fill>=20' })], snapshotStatus: 'success', snapshotPriority: 5 });
    const a = (await inSnapshot(source, '/entities?type=Bin&options=keyValues')).json();
    expect((await inSnapshot(clone, '/entities?type=Bin&options=keyValues')).json()).toEqual(a);
    // Deleting the source leaves the clone whole.
    expect((await req('DELETE', `/snapshots/${encodeURIComponent(source)}`)).statusCode).toBe(204);
    expect((await inSnapshot(clone, '/entities?type=Bin&options=keyValues')).json()).toEqual(a);

    const named = await req('POST', `/snapshots/${encodeURIComponent(clone)}/clone`, { type: 'Snapshot', id: 'urn:ngsi-ld:Snapshot:cloned', snapshotPriority: 2 });
    expect(named.statusCode, named.body).toBe(201);
    expect(idOf(named)).toBe('urn:ngsi-ld:Snapshot:cloned');
    expect((await req('GET', '/snapshots/urn:ngsi-ld:Snapshot:cloned')).json().snapshotPriority).toBe(2);
    expect((await req('POST', `/snapshots/${encodeURIComponent(clone)}/clone`, { id: 'urn:ngsi-ld:Snapshot:cloned' })).statusCode).toBe(409);
    expect((await req('POST', `/snapshots/${encodeURIComponent(clone)}/clone`, { snapshotQueries: [query()] })).statusCode).toBe(400);
    expect((await req('POST', '/snapshots/urn:ngsi-ld:Snapshot:none/clone', undefined, EMPTY)).statusCode).toBe(404);
    await req('DELETE', purgeUrl('snapshotPriority==2'));
    await req('DELETE', `/snapshots/${encodeURIComponent(clone)}`);
  });

  it('§5.16.5, §6.37.3.3: DELETE /snapshots/{id} removes it and its copy (404 after); a bad id is 400', async () => {
    const sid = encodeURIComponent(await make(snapshotOf()));
    expect((await req('DELETE', `/snapshots/${sid}`)).statusCode).toBe(204);
    const gone = await req('GET', `/snapshots/${sid}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().type).toBe(NOT_FOUND);
    expect((await inSnapshot(decodeURIComponent(sid), '/entities?type=Bin')).statusCode).toBe(404);
    expect((await req('DELETE', `/snapshots/${sid}`)).statusCode).toBe(404);
    for (const method of ['GET', 'DELETE', 'PATCH']) {
      const bad = await req(method, '/snapshots/not-a-uri', method === 'PATCH' ? { snapshotPriority: 2 } : undefined);
      expect(bad.statusCode, method).toBe(400);
      expect(bad.json().type).toBe(BAD);
    }
  });

  it('§5.16.7, §6.36.3.2: DELETE /snapshots?q= purges the caller\'s snapshots the query selects; q is required and names Snapshot members only', async () => {
    const low = [await make(snapshotOf({ snapshotPriority: 1 })), await make(snapshotOf({ snapshotPriority: 2 }))];
    const high = await make(snapshotOf({ snapshotPriority: 9 }));
    const theirs = await make(snapshotOf({ snapshotPriority: 1 }), other);
    const purged = await req('DELETE', purgeUrl('snapshotPriority<3'));
    expect(purged.statusCode, purged.body).toBe(204);
    for (const sid of low) expect((await req('GET', `/snapshots/${encodeURIComponent(sid)}`)).statusCode).toBe(404);
    expect((await req('GET', `/snapshots/${encodeURIComponent(high)}`)).statusCode).toBe(200);
    // Another's snapshot is not touched by the purge.
    expect((await req('GET', `/snapshots/${encodeURIComponent(theirs)}`, undefined, {}, other)).statusCode).toBe(200);
    for (const url of ['/snapshots', purgeUrl('fill>1'), purgeUrl('snapshotPriority>>1')]) {
      const res = await req('DELETE', url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().type).toBe(BAD);
    }
    expect((await req('GET', `/snapshots/${encodeURIComponent(high)}`)).statusCode).toBe(200);
    await req('DELETE', `/snapshots/${encodeURIComponent(high)}`);
    await req('DELETE', `/snapshots/${encodeURIComponent(theirs)}`, undefined, {}, other);
  });

  it('attack: another organisation, another tenant, a user without the permission and anonymous see and change nothing of a snapshot', async () => {
    const sid = await make(snapshotOf());
    const path = `/snapshots/${encodeURIComponent(sid)}`;
    // Another organisation's user: as if it did not exist (404), and not listed.
    for (const [method, url, body] of [['GET', path], ['PATCH', path, { snapshotPriority: 1 }], ['DELETE', path], ['POST', `${path}/clone`, {}]] as const) {
      const res = await req(method, url, body, {}, other);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await inSnapshot(sid, '/entities?type=Bin', other)).statusCode).toBe(404);
    expect((await inSnapshot(sid, '/entities/urn:ngsi-ld:Bin:2', other)).statusCode).toBe(404);
    expect((await req('GET', '/snapshots', undefined, {}, other)).json().map((s: { id: string }) => s.id)).not.toContain(sid);
    expect((await req('DELETE', purgeUrl('snapshotPriority>0'), undefined, {}, other)).statusCode).toBe(204);
    // The same id in another tenant is another snapshot (none): 404.
    expect((await req('GET', path, undefined, { 'ngsild-tenant': 'snapa' })).statusCode).toBe(404);
    expect((await inSnapshot(sid, '/entities?type=Bin', owner, { 'ngsild-tenant': 'snapa' })).statusCode).toBe(404);
    // Reading entities is not enough: snapshots need context.snapshot.manage (403), anonymous is 401.
    for (const [method, url, body] of [['POST', '/snapshots', snapshotOf()], ['GET', '/snapshots'], ['GET', path], ['DELETE', path], ['DELETE', purgeUrl('snapshotPriority>0')]] as const) {
      expect((await req(method, url, body, {}, agent)).statusCode, `${method} ${url}`).toBe(403);
      expect((await req(method, url, body, {}, '')).statusCode, `${method} ${url}`).toBe(401);
    }
    expect((await inSnapshot(sid, '/entities?type=Bin', agent)).statusCode).toBe(403);
    expect((await inSnapshot(sid, '/entities?type=Bin', '')).statusCode).toBe(401);
    // Nothing of it changed; the data bureau sees it.
    expect((await req('GET', path)).json().snapshotPriority).toBe(5);
    expect((await req('GET', path, undefined, {}, admin)).statusCode).toBe(200);
    await req('DELETE', path);
  });

  it('attack: a snapshot holds only what its creator may read (access rules), per tenant; the reader\'s rules apply again', async () => {
    // Organisation C reads Bins' fill only: its snapshot holds no secret, no Lamp.
    const sid = await make({ type: 'Snapshot', snapshotQueries: [{ type: 'Query', entities: [{ type: 'Bin' }, { type: 'Lamp' }] }] }, narrow);
    const copy = (await inSnapshot(sid, '/entities?type=Bin,Lamp&options=keyValues', narrow)).json() as Record<string, unknown>[];
    expect(copy.length).toBeGreaterThan(0);
    for (const e of copy) expect(Object.keys(e).sort()).toEqual(['fill', 'id', 'type']);
    // The bureau's snapshot of everything is not C's to read.
    const all = await make(snapshotOf({ snapshotQueries: [{ type: 'Query', entities: [{ type: 'Bin' }, { type: 'Lamp' }] }] }), admin);
    expect((await inSnapshot(all, '/entities?type=Bin', narrow)).statusCode).toBe(404);
    expect((await inSnapshot(all, '/entities?type=Bin&options=keyValues', admin)).json()[0].secret).toMatch(/^code-/);
    // A tenant's snapshot holds that tenant's entities only.
    const inA = await make(snapshotOf(), owner, { 'ngsild-tenant': 'snapa' });
    expect(ids(await inSnapshot(inA, '/entities?type=Bin', owner, { 'ngsild-tenant': 'snapa' }))).toEqual(['urn:ngsi-ld:Bin:9']);
    expect((await inSnapshot(inA, '/entities?type=Bin')).statusCode).toBe(404);
    // The reader's rules as they are now apply to a copy made before: a rule given to A later hides `secret` there too.
    const before = await make(snapshotOf());
    expect((await inSnapshot(before, '/entities?type=Bin&options=keyValues')).json()[0].secret).toMatch(/^code-/);
    const rule = await asAdmin('POST', '/cityhub/accessRules', { orgId: orgA, entityType: 'Bin', attributes: ['fill'], canWrite: false });
    expect(rule.statusCode, rule.body).toBe(201);
    try {
      const later = (await inSnapshot(before, '/entities?type=Bin&options=keyValues')).json() as Record<string, unknown>[];
      expect(later.length).toBeGreaterThan(0);
      for (const e of later) expect(Object.keys(e).sort()).toEqual(['fill', 'id', 'type']);
    } finally {
      // The later tests need A unrestricted again.
      expect((await asAdmin('DELETE', `/cityhub/accessRules/${rule.json().id}`)).statusCode).toBe(204);
    }
    await req('DELETE', `/snapshots/${encodeURIComponent(before)}`);
    await req('DELETE', `/snapshots/${encodeURIComponent(sid)}`, undefined, {}, narrow);
    await req('DELETE', `/snapshots/${encodeURIComponent(all)}`, undefined, {}, admin);
    await req('DELETE', `/snapshots/${encodeURIComponent(inA)}`, undefined, { 'ngsild-tenant': 'snapa' });
  });

  it('bounds: entities per snapshot (403 TooManyResults), snapshots per tenant (403 CONTEXT_TOO_MANY_SNAPSHOTS), nothing stored when refused', async () => {
    // maxEntities is 6: seven Bins selected in tenant snapb is too many.
    const bins = [1, 2, 3, 4, 5, 6, 7].map((i) => ({ id: `urn:ngsi-ld:Bin:b${i}`, type: 'Bin', fill: i }));
    expect((await asAdmin('POST', '/entityOperations/create', bins, { 'ngsild-tenant': 'snapb' })).statusCode).toBe(201);
    const tenant = { 'ngsild-tenant': 'snapb' };
    const big = await req('POST', '/snapshots', snapshotOf(), tenant);
    expect(big.statusCode).toBe(403);
    expect(big.json()).toMatchObject({ type: 'https://uri.etsi.org/ngsi-ld/errors/TooManyResults', maxEntities: 6 });
    expect((await req('GET', '/snapshots', undefined, tenant)).json()).toEqual([]);
    // maxPerTenant is 12, over every owner of the tenant.
    for (let i = 0; i < 11; i++) await make(snapshotOf({ snapshotQueries: [query({ q: 'fill<3' })] }), owner, tenant);
    await make(snapshotOf({ snapshotQueries: [query({ q: 'fill<3' })] }), other, tenant);
    const over = await req('POST', '/snapshots', snapshotOf({ snapshotQueries: [query({ q: 'fill<3' })] }), tenant);
    expect(over.statusCode).toBe(403);
    expect(over.json()).toMatchObject({ code: 'CONTEXT_TOO_MANY_SNAPSHOTS', maxPerTenant: 12 });
    const list = (await req('GET', '/snapshots?limit=100', undefined, tenant)).json();
    expect(list).toHaveLength(11);
    const clone = await req('POST', `/snapshots/${encodeURIComponent(list[0].id)}/clone`, undefined, { ...tenant, ...EMPTY });
    expect(clone.statusCode).toBe(403);
    // A purge makes room again.
    expect((await req('DELETE', purgeUrl('snapshotPriority==5'), undefined, tenant)).statusCode).toBe(204);
    await make(snapshotOf({ snapshotQueries: [query({ q: 'fill<3' })] }), owner, tenant);
  });

  it('§5.2.41 expiresAt: a snapshot past its lifetime is gone (404), its copy with it, and no longer counts', async () => {
    const sid = await make(snapshotOf({ snapshotLifetime: 'PT1M' }));
    const s = (await req('GET', `/snapshots/${encodeURIComponent(sid)}`)).json();
    expect(Date.parse(s.expiresAt) - Date.parse(s.createdAt)).toBe(60_000);
    expect((await inSnapshot(sid, '/entities?type=Bin')).statusCode).toBe(200);
    offset += 2 * 60_000;
    expect((await req('GET', `/snapshots/${encodeURIComponent(sid)}`)).statusCode).toBe(404);
    expect((await inSnapshot(sid, '/entities?type=Bin')).statusCode).toBe(404);
    expect((await req('GET', '/snapshots?limit=100')).json().map((x: { id: string }) => x.id)).not.toContain(sid);
    // Its id is free again once expired snapshots are dropped (at the next create).
    expect(await make(snapshotOf({ id: sid }))).toBe(sid);
  });
});
