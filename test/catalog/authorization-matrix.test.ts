import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/platform/auth/roles.js';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { personId, populationDataset, populationRows } from './fixtures.js';

const setup = { kind: 'user' as const, roles: ['admin' as const] };
const DAY = 86_400_000;

/** Who asks, in the column order of the matrix below. */
const actors = ['anon', 'citizen', 'agent', 'handler', 'supervisor', 'leader', 'owner', 'dataAdmin', 'operator', 'admin', 'foreign', 'revoked', 'expired'] as const;
type ActorName = (typeof actors)[number];

/**
 * Every catalog, request and gateway endpoint against every role and a foreign unit: A = allowed (2xx), D = denied
 * (401/403, or 404 where the thing is hidden from the caller). Columns:
 * anon = no credentials; citizen = citizen session; agent/handler/supervisor/leader = staff of the consumer unit,
 * which holds a live grant on `pop`; owner = data owner of the unit owning `pop`; dataAdmin / admin = data bureau;
 * operator = market operator; foreign = data owner of an unrelated unit; revoked / expired = handlers of units whose
 * grant on `pop` was revoked / has expired.
 */
const matrix: Array<[string, string]> = [
  //                                                  anon citz agnt hndl supv lead ownr dadm oper admn frgn revk expd
  ['GET /api/catalog/vocabulary',                     'D    D    A    A    A    A    A    A    A    A    A    A    A'],
  ['GET /api/catalog/datasets',                       'D    D    A    A    A    A    A    A    A    A    A    A    A'],
  ['GET /api/catalog/datasets/pop',                   'D    D    A    A    A    A    A    A    A    A    A    A    A'],
  ['GET /api/catalog/datasets/pop/versions',          'D    D    A    A    A    A    A    A    A    A    A    A    A'],
  ['GET /api/catalog/datasets/pop/loads',             'D    D    A    A    A    A    A    A    A    A    A    A    A'],
  ['POST /api/catalog/datasets',                      'D    D    D    D    D    D    A    A    D    A    D    D    D'],
  ['PATCH /api/catalog/datasets/pop',                 'D    D    D    D    D    D    A    A    D    A    D    D    D'],
  ['POST /api/catalog/datasets/pop/rows',             'D    D    D    D    D    D    A    A    D    A    D    D    D'],
  ['POST /api/catalog/datasets/pop/upload',           'D    D    D    D    D    D    A    A    D    A    D    D    D'],
  ['GET /api/catalog/dcat',                           'A    A    A    A    A    A    A    A    A    A    A    A    A'],
  ['GET /api/catalog/public/datasets',                'A    A    A    A    A    A    A    A    A    A    A    A    A'],
  ['PUT /api/catalog/citizens/:citizen/identity',     'D    D    D    D    D    D    D    A    D    A    D    D    D'],
  ['POST /api/share/requests',                        'D    D    D    A    D    D    A    A    D    A    A    A    A'],
  ['GET /api/share/requests',                         'D    D    D    A    A    A    A    A    D    A    A    A    A'],
  ['GET /api/share/requests?overdue=true',            'D    D    D    A    A    A    A    A    D    A    A    A    A'],
  ['GET /api/share/requests/:request',                'D    D    D    A    A    A    A    A    D    A    D    D    D'],
  ['POST /api/share/requests/:request/decision',      'D    D    D    D    D    D    A    D    D    A    D    D    D'],
  ['GET /api/share/requests/overdue',                 'D    D    D    D    D    D    D    A    D    A    D    D    D'],
  ['GET /api/share/grants',                           'D    D    D    A    A    A    A    A    D    A    A    A    A'],
  ['POST /api/share/grants/:grant/revoke',            'D    D    D    D    D    D    A    A    D    A    D    D    D'],
  ['GET /api/share/my-data-usage',                    'D    A    D    D    D    D    D    D    D    A    D    D    D'], // admin: a person now, who reads their own
  ['GET /api/share/pop/rows',                         'D    D    A    A    A    A    D    D    D    D    D    D    D'],
  ['GET /api/share/pop/aggregate?groupBy=district',   'D    D    A    A    A    A    D    D    D    D    D    D    D'],
];

describe.each(testEngines)('catalog authorization matrix [%s]', (engine) => {
  let hub: TestHub;
  let now = new Date('2026-11-26T02:00:00Z');
  const org: Record<string, string> = {};
  const headers: Record<ActorName, Record<string, string>> = {} as never;
  let citizenUserId: string;

  const as = (who: ActorName, method: string, url: string, payload?: unknown, extra: Record<string, string> = {}) =>
    hub.http.inject({ method: method as 'GET', url, headers: { ...headers[who], ...extra }, ...(payload !== undefined ? { payload: payload as string } : {}) });
  const ask = (who: ActorName, dataset: string, days = 30) =>
    as(who, 'POST', '/api/share/requests', { dataset, fields: ['district', 'age'], purpose: '核验', legalBasis: '依据', until: new Date(now.getTime() + days * DAY).toISOString() });

  beforeAll(async () => {
    // the clock moves two days below; the administrator's session (API keys may not hold admin) must outlast it
    const defaults = loadConfig({ LOG_LEVEL: 'silent' });
    hub = await createTestHub(engine, { clock: () => now, config: { auth: { ...defaults.auth, sessionTtlHours: 24 * 30, sessionIdleMinutes: 60 * 24 * 30 } } });
    for (const name of ['owner', 'consumer', 'bureau', 'operator', 'foreign', 'revoked', 'expired']) {
      org[name] = (await hub.services.auth.insertOrg(setup, { name: `unit-${name}`, kind: 'department' })).id;
    }
    const keyOf = async (roles: Role[], orgId: string | null) =>
      ({ authorization: `Bearer ${(await hub.services.auth.createApiKey(setup, { name: 'm', roles, orgId })).key}` });
    headers.anon = {};
    headers.agent = await keyOf(['agent'], org.consumer!);
    headers.handler = await keyOf(['handler'], org.consumer!);
    headers.supervisor = await keyOf(['supervisor'], org.consumer!);
    headers.leader = await keyOf(['leader'], org.consumer!);
    headers.owner = await keyOf(['dept_data_owner'], org.owner!);
    headers.dataAdmin = await keyOf(['data_admin'], org.bureau!);
    headers.operator = await keyOf(['market_operator'], org.operator!);
    // API keys may not hold the 三员 roles (issue 21): the administrator signs in
    headers.admin = { cookie: (await hub.loginAs(['admin'], org.bureau!)).cookie };
    headers.foreign = await keyOf(['dept_data_owner'], org.foreign!);
    headers.revoked = await keyOf(['handler'], org.revoked!);
    headers.expired = await keyOf(['handler'], org.expired!);

    const pop = { ...populationDataset('pop') };
    expect((await as('owner', 'POST', '/api/catalog/datasets', pop)).statusCode).toBe(201);
    expect((await as('owner', 'POST', '/api/catalog/datasets/pop/rows', { rows: populationRows(12) })).statusCode).toBe(201);
    expect((await as('owner', 'POST', '/api/catalog/datasets', { ...populationDataset('open-ds'), shareAttr: 'unconditional' })).statusCode).toBe(201);
    const grantTo = async (who: ActorName, days = 30) => {
      const id = (await ask(who, 'pop', days)).json().request.id;
      const res = await as('owner', 'POST', `/api/share/requests/${id}/decision`, { decision: 'grant' });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().grant.id as string;
    };
    await grantTo('handler');
    const revoked = await grantTo('revoked');
    expect((await as('owner', 'POST', `/api/share/grants/${revoked}/revoke`, { reason: '撤销' })).statusCode).toBe(200);
    await grantTo('expired', 1);
    now = new Date(now.getTime() + 2 * DAY); // the "expired" unit's grant lapses; API keys do not

    const citizen = await hub.loginAs(['citizen']);
    headers.citizen = { cookie: citizen.cookie };
    citizenUserId = citizen.userId;
  }, 240_000);
  afterAll(async () => hub?.close());

  /** Makes the call of a matrix row for one actor, preparing what the call needs (a fresh request, a fresh grant). */
  async function perform(endpoint: string, who: ActorName) {
    const [method, path] = endpoint.split(' ') as [string, string];
    if (endpoint === 'POST /api/catalog/datasets') {
      return as(who, method, path, { ...populationDataset(`m-${who.toLowerCase()}`), ownerOrgId: org.owner });
    }
    if (endpoint === 'PATCH /api/catalog/datasets/pop') return as(who, method, path, { description: `edited by ${who}` });
    if (endpoint === 'POST /api/catalog/datasets/pop/rows') return as(who, method, path, { rows: populationRows(1, 500) });
    if (endpoint === 'POST /api/catalog/datasets/pop/upload') {
      const r = populationRows(1, 600)[0]!;
      const csv = `id_number,name,birth_date,age,address,district,income,phone\r\n${Object.values(r).join(',')}\r\n`;
      return as(who, method, path, csv, { 'content-type': 'text/csv' });
    }
    if (endpoint.includes(':citizen')) return as(who, method, path.replace(':citizen', citizenUserId), { idNumber: personId(3) });
    if (endpoint === 'POST /api/share/requests') return ask(who, 'pop');
    if (endpoint.includes(':request')) {
      const id = (await ask('handler', 'pop')).json().request.id;
      const payload = method === 'POST' ? { decision: 'refuse', reason: '不符合条件' } : undefined;
      return as(who, method, path.replace(':request', id), payload);
    }
    if (endpoint.includes(':grant')) {
      const id = (await ask('handler', 'open-ds')).json().grant.id;
      return as(who, method, path.replace(':grant', id), { reason: '到期收回' });
    }
    return as(who, method, path);
  }

  it.each(matrix)('%s', async (endpoint, row) => {
    const expected = row.trim().split(/\s+/);
    expect(expected).toHaveLength(actors.length);
    const outcome: string[] = [];
    for (const who of actors) {
      const res = await perform(endpoint, who);
      const verdict = res.statusCode < 300 ? 'A' : [401, 403, 404].includes(res.statusCode) ? 'D' : `?${res.statusCode}`;
      outcome.push(verdict === '?' ? verdict : verdict);
      if (verdict.startsWith('?')) throw new Error(`${endpoint} as ${who}: unexpected ${res.statusCode} ${res.body}`);
    }
    expect(Object.fromEntries(actors.map((a, i) => [a, outcome[i]]))).toEqual(Object.fromEntries(actors.map((a, i) => [a, expected[i]])));
  });
});
