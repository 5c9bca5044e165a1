import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/platform/auth/roles.js';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { personId, populationDataset, populationRows } from './fixtures.js';
import { endOfLocalDay, localDate } from '../../src/platform/clock/local-time.js';

const setup = { kind: 'user' as const, roles: ['admin' as const] };
const DAY = 86_400_000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe.each(testEngines)('sharing and gateway [%s]', (engine) => {
  let hub: TestHub;
  let now = new Date('2026-11-26T02:00:00Z');
  const orgs: Record<string, string> = {};
  const keys: Record<string, string> = {};
  let citizenUserId: string;
  let citizenUsername: string;

  const key = async (name: string, roles: Role[], org: string | null) =>
    (keys[name] = (await hub.services.auth.createApiKey(setup, { name, roles, orgId: org })).key);
  const call = (who: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown) =>
    hub.http.inject({ method, url, headers: { authorization: `Bearer ${keys[who]}` }, ...(payload ? { payload: payload as object } : {}) });
  const until = (days: number) => new Date(now.getTime() + days * DAY).toISOString();

  beforeAll(async () => {
    hub = await createTestHub(engine, { clock: () => now });
    for (const name of ['police', 'civil', 'hrss', 'bureau']) orgs[name] = (await hub.services.auth.insertOrg(setup, { name: `org-${name}`, kind: 'department' })).id;
    await key('owner', ['dept_data_owner'], orgs.police!);
    await key('civilOwner', ['dept_data_owner'], orgs.civil!);
    await key('civil', ['handler'], orgs.civil!);
    await key('hrss', ['handler'], orgs.hrss!);
    await key('bureau', ['data_admin'], orgs.bureau!);
    const citizen = await hub.loginAs(['citizen']);
    citizenUserId = citizen.userId;
    citizenUsername = citizen.username;

    expect((await call('owner', 'POST', '/api/catalog/datasets', populationDataset())).statusCode).toBe(201);
    expect((await call('owner', 'POST', '/api/catalog/datasets/population/rows', { rows: populationRows(32) })).statusCode).toBe(201);
    expect((await call('owner', 'POST', '/api/catalog/datasets', { ...populationDataset('addresses'), shareAttr: 'unconditional' })).statusCode).toBe(201);
    expect((await call('owner', 'POST', '/api/catalog/datasets/addresses/rows', { rows: populationRows(3) })).statusCode).toBe(201);
    expect((await call('owner', 'POST', '/api/catalog/datasets', { ...populationDataset('secret'), shareAttr: 'not_shared', shareBasis: '《某条例》第十条' })).statusCode).toBe(201);
  }, 180_000);
  afterAll(async () => hub?.close());

  const ask = (who: string, body: Record<string, unknown>) =>
    call(who, 'POST', '/api/share/requests', { purpose: '低保资格核验', legalBasis: '《社会救助暂行办法》', until: until(30), ...body });

  it('refuses requests for a not-shared dataset and grants unconditional ones at once', async () => {
    const refused = await ask('civil', { dataset: 'secret', fields: ['district'] });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('SHARE_NOT_SHARED');
    const res = await ask('civil', { dataset: 'addresses', fields: ['address', 'district'] });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().request.status).toBe('granted');
    expect(res.json().grant).toMatchObject({ fields: ['address', 'district'], state: 'active', masks: { address: { fn: 'district' } } });
    const rows = (await call('civil', 'GET', '/api/share/addresses/rows')).json();
    expect(rows.rows[0]).toEqual({ address: '云川市临江区', district: '临江区' });
  });

  let grantA: string;
  it('sends conditional requests to the owner, who grants narrower or refuses with a reason', async () => {
    const res = await ask('civil', { dataset: 'population', fields: ['id_number', 'name', 'age', 'district', 'income'] });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ request: { status: 'pending', overdue: false }, grant: null });
    const id = res.json().request.id;
    const seen = (await call('owner', 'GET', '/api/share/requests?status=pending')).json();
    expect(seen.map((r: { id: string }) => r.id)).toContain(id);
    expect((await call('hrss', 'GET', `/api/share/requests/${id}`)).statusCode).toBe(404);

    const notMine = await call('civilOwner', 'POST', `/api/share/requests/${id}/decision`, { decision: 'grant' });
    expect(notMine.statusCode).toBe(403);
    const wider = await call('owner', 'POST', `/api/share/requests/${id}/decision`, { decision: 'grant', fields: ['id_number', 'phone'] });
    expect(wider.statusCode).toBe(400);
    expect(wider.json().errors[0].field).toBe('/body/fields/1');
    const longer = await call('owner', 'POST', `/api/share/requests/${id}/decision`, { decision: 'grant', until: until(60) });
    expect(longer.statusCode).toBe(400);
    const noReason = await call('owner', 'POST', `/api/share/requests/${id}/decision`, { decision: 'refuse' });
    expect(noReason.json().code).toBe('SHARE_REASON_REQUIRED');

    const granted = await call('owner', 'POST', `/api/share/requests/${id}/decision`, {
      decision: 'grant', fields: ['id_number', 'name', 'age', 'district'], masks: { name: { fn: 'redact' } },
      rowFilters: [{ field: 'district', op: 'in', value: ['临江区', '青山区'] }],
    });
    expect(granted.statusCode, granted.body).toBe(200);
    grantA = granted.json().grant.id;
    expect(granted.json().grant).toMatchObject({ fields: ['id_number', 'name', 'age', 'district'], masks: { id_number: { fn: 'hmac' }, name: { fn: 'redact' }, age: { fn: 'age_band' } } });
    const again = await call('owner', 'POST', `/api/share/requests/${id}/decision`, { decision: 'refuse', reason: 'x' });
    expect(again.json().code).toBe('SHARE_REQUEST_DECIDED');
  });

  it('serves only granted fields, masked, filtered by the grant, paged, and ledgers the exact response', async () => {
    const res = await call('civil', 'GET', '/api/share/population/rows?limit=5');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.fields).toEqual(['id_number', 'name', 'age', 'district']);
    expect(body.rows).toHaveLength(5);
    for (const row of body.rows) {
      expect(Object.keys(row)).toEqual(['id_number', 'name', 'age', 'district']);
      expect(row.id_number).toMatch(/^[0-9a-f]{64}$/);
      expect(row.name).toBe('***');
      expect(row.age).toMatch(/^\d+-\d+$/);
      expect(['临江区', '青山区']).toContain(row.district);
    }
    expect(res.body).not.toContain('income');
    // no income anywhere (3000 + i); pseudonyms and ids are hex and may hold such digits by chance, so they are left out
    expect(res.body.replace(/"[0-9a-f-]{36,64}"/g, '""')).not.toMatch(/30\d\d/);
    let after = body.next;
    let total = body.rows.length;
    while (after) {
      const page = (await call('civil', 'GET', `/api/share/population/rows?limit=5&after=${after}`)).json();
      total += page.rows.length;
      after = page.next;
    }
    expect(total).toBe(22); // 11 in 临江区 + 11 in 青山区 of 32

    const hash = sha256(res.body);
    expect(res.headers['x-response-sha256']).toBe(hash);
    const { rows } = await hub.database.pool.query(`select body from ledger_entry where kind = 'share.gateway.rows' order by idx`);
    const facts = rows.map((r: { body: string }) => JSON.parse(r.body).facts);
    expect(facts.find((f: { responseHash: string }) => f.responseHash === hash)).toMatchObject({ rows: 5, fields: ['id_number', 'name', 'age', 'district'] });
  });

  it('never shows a field not granted: not in rows, CSV exports or errors', async () => {
    const asked = await call('civil', 'GET', '/api/share/population/rows?fields=district,income');
    expect(asked.statusCode).toBe(403);
    expect(asked.json().code).toBe('SHARE_FIELD_NOT_GRANTED');
    expect(asked.body).not.toContain('income');
    const sum = await call('civil', 'GET', '/api/share/population/aggregate?groupBy=district&sum=income');
    expect(sum.statusCode).toBe(403);
    expect(sum.body).not.toContain('income');
    const csv = await call('civil', 'GET', '/api/share/population/rows?format=csv&limit=50');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n')[0]).toBe('id_number,name,age,district');
    expect(csv.body).not.toContain('income');
    expect(csv.body).not.toMatch(/(^|,)30\d\d(,|\r)/m);
    expect(csv.body).not.toContain(personId(0));
  });

  it('links pseudonyms within one consumer and not across consumers', async () => {
    const res = await ask('hrss', { dataset: 'population', fields: ['id_number', 'district'] });
    const granted = await call('owner', 'POST', `/api/share/requests/${res.json().request.id}/decision`, { decision: 'grant' });
    expect(granted.statusCode).toBe(200);
    const a1 = (await call('civil', 'GET', '/api/share/population/rows?limit=1&fields=id_number')).json().rows[0].id_number;
    const a2 = (await call('civil', 'GET', '/api/share/population/rows?limit=1&fields=id_number')).json().rows[0].id_number;
    const b = (await call('hrss', 'GET', '/api/share/population/rows?limit=1&fields=id_number')).json().rows[0].id_number;
    expect(a1).toBe(a2);
    expect(b).toMatch(/^[0-9a-f]{64}$/);
    expect(b).not.toBe(a1);
  });

  it('answers aggregate-only grants with noisy counts of large enough groups only, spending the grant\'s budget', async () => {
    const res = await ask('hrss', { dataset: 'population', fields: ['age', 'district'], aggregateOnly: true });
    const granted = await call('owner', 'POST', `/api/share/requests/${res.json().request.id}/decision`, { decision: 'grant' });
    const grant = granted.json().grant.id;
    expect(granted.json().grant).toMatchObject({ aggregateOnly: true, k: 10, epsilon: 10, sumBounds: {} });
    const rows = await call('hrss', 'GET', `/api/share/population/rows?grant=${grant}`);
    expect(rows.json().code).toBe('SHARE_AGGREGATE_ONLY');
    // 11, 10 and 11 people per district; ε = 2 puts the threshold at k = 10 and the noise's scale at 0.5
    const byDistrict = await call('hrss', 'GET', `/api/share/population/aggregate?groupBy=district&grant=${grant}&epsilon=2`);
    expect(byDistrict.statusCode, byDistrict.body).toBe(200);
    const answer = byDistrict.json();
    expect(answer.privacy).toMatchObject({ mechanism: 'discrete_laplace', epsilon: 2, countScale: 0.5, threshold: 10, budget: { epsilon: 10, spent: 2, remaining: 8 } });
    const truth: Record<string, number> = { 临江区: 11, 新湖区: 10, 青山区: 11 };
    for (const g of answer.groups as { key: { district: string }; count: number }[]) {
      expect(Math.abs(g.count - truth[g.key.district]!)).toBeLessThanOrEqual(6);
      expect(g.count).toBeGreaterThanOrEqual(10);
    }
    // age bands × districts hold at most 4 people each: with ε = 1 no group reaches the threshold (≈ 14.8)
    const both = (await call('hrss', 'GET', `/api/share/population/aggregate?groupBy=age,district&grant=${grant}`)).json();
    expect(both.groups).toEqual([]);
    expect(both.privacy.threshold).toBeGreaterThan(14);
    expect(JSON.stringify(both)).not.toContain('suppressed');
  });

  it('denies without a grant, after revocation and after expiry', async () => {
    await key('stranger', ['handler'], orgs.bureau!);
    expect((await call('stranger', 'GET', '/api/share/population/rows')).json().code).toBe('SHARE_NO_GRANT');
    await key('noorg', ['handler'], null);
    expect((await call('noorg', 'GET', '/api/share/population/rows')).statusCode).toBe(403);

    const res = await ask('civil', { dataset: 'addresses', fields: ['district'], until: until(2) });
    const grant = res.json().grant.id;
    expect((await call('civil', 'GET', `/api/share/addresses/rows?grant=${grant}`)).statusCode).toBe(200);
    const revoked = await call('owner', 'POST', `/api/share/grants/${grant}/revoke`, { reason: '用途变更' });
    expect(revoked.json()).toMatchObject({ state: 'revoked', revokeReason: '用途变更' });
    const denied = await call('civil', 'GET', `/api/share/addresses/rows?grant=${grant}`);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('SHARE_GRANT_REVOKED');

    const short = await ask('hrss', { dataset: 'addresses', fields: ['district'], until: until(2) });
    const shortGrant = short.json().grant.id;
    expect((await call('hrss', 'GET', '/api/share/addresses/rows')).statusCode).toBe(200);
    now = new Date(now.getTime() + 3 * DAY);
    expect((await call('hrss', 'GET', `/api/share/addresses/rows?grant=${shortGrant}`)).json().code).toBe('SHARE_GRANT_EXPIRED');
    expect((await call('hrss', 'GET', '/api/share/addresses/rows')).json().code).toBe('SHARE_NO_GRANT');
  });

  it('enforces the quota and the rate limit per grant', async () => {
    const res = await ask('civil', { dataset: 'population', fields: ['district'] });
    const granted = await call('owner', 'POST', `/api/share/requests/${res.json().request.id}/decision`, { decision: 'grant', maxRowsPerDay: 7, maxCallsPerMinute: 2 });
    const grant = granted.json().grant.id;
    const first = (await call('civil', 'GET', `/api/share/population/rows?grant=${grant}&limit=5`)).json();
    expect(first.rows).toHaveLength(5);
    const second = (await call('civil', 'GET', `/api/share/population/rows?grant=${grant}&limit=5&after=${first.next}`)).json();
    expect(second.rows).toHaveLength(2);
    const third = await call('civil', 'GET', `/api/share/population/rows?grant=${grant}&limit=5`);
    expect(third.statusCode).toBe(429);
    expect(third.json().code).toBe('SHARE_RATE_LIMITED');
    expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    now = new Date(now.getTime() + 61_000);
    const quota = await call('civil', 'GET', `/api/share/population/rows?grant=${grant}&limit=5`);
    expect(quota.statusCode).toBe(429);
    expect(quota.json().code).toBe('SHARE_QUOTA_EXCEEDED');
    // until the quota day turns at midnight in the city's time zone
    expect(Number(quota.headers['retry-after'])).toBe(Math.ceil((endOfLocalDay(localDate(now, hub.config.city.timeZone), hub.config.city.timeZone).getTime() + 1 - now.getTime()) / 1000));
    now = new Date(now.getTime() + DAY);
    expect((await call('civil', 'GET', `/api/share/population/rows?grant=${grant}&limit=5`)).statusCode).toBe(200);
  });

  it('shows a gateway access in the citizen\'s "who used my data" and in the ledger', async () => {
    // the clock moved past the session's lifetime: log in again
    const login = await hub.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: citizenUsername, password: 'test-password-1' } });
    const citizenCookie = login.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const before = await hub.http.inject({ url: '/api/share/my-data-usage', headers: { cookie: citizenCookie } });
    expect(before.json()).toEqual({ linked: false, accesses: [] });
    const link = await call('bureau', 'PUT', `/api/catalog/citizens/${citizenUserId}/identity`, { idNumber: personId(0) });
    expect(link.statusCode, link.body).toBe(204);
    const after = (await hub.http.inject({ url: '/api/share/my-data-usage', headers: { cookie: citizenCookie } })).json();
    expect(after.linked).toBe(true);
    // person 0 lives in 临江区: every civil and hrss page that began at the first row carried them
    const civil = after.accesses.filter((a: { unit: string }) => a.unit === 'org-civil');
    expect(civil.length).toBeGreaterThan(0);
    expect(civil[0]).toMatchObject({ purpose: '低保资格核验', dataset: '常住人口基础信息', kind: 'rows' });
    const entry = await hub.database.pool.query('select kind, subject from ledger_entry where idx = $1', [civil[0].ledgerIndex]);
    expect(entry.rows[0].kind).toBe('share.gateway.rows');
    expect(after.accesses.some((a: { unit: string }) => a.unit === 'org-hrss')).toBe(true);
    // the ledger never holds the ID number or its subject key
    const { rows } = await hub.database.pool.query(`select body from ledger_entry`);
    const all = rows.map((r: { body: string }) => r.body).join('\n');
    expect(all).not.toContain(personId(0));
  });

  it('flags requests past the deadline to the data bureau once, ledgered', async () => {
    const res = await ask('hrss', { dataset: 'population', fields: ['district'] });
    const id = res.json().request.id;
    expect((await call('bureau', 'GET', '/api/share/requests/overdue')).json().map((r: { id: string }) => r.id)).not.toContain(id);
    now = new Date(now.getTime() + 11 * DAY);
    const overdue = (await call('bureau', 'GET', '/api/share/requests/overdue')).json();
    expect(overdue.find((r: { id: string }) => r.id === id)).toMatchObject({ overdue: true, status: 'pending' });
    await call('bureau', 'GET', '/api/share/requests/overdue');
    const { rows } = await hub.database.pool.query(`select count(*)::int as n from ledger_entry where kind = 'share.request.overdue' and subject = $1`, [`share_request:${id}`]);
    expect(rows[0].n).toBe(1);
    expect((await call('owner', 'GET', '/api/share/requests/overdue')).statusCode).toBe(403);
  });
});
