import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Role } from '../../src/platform/auth/roles.js';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { populationDataset } from './fixtures.js';

const setup = { kind: 'user' as const, roles: ['admin' as const] };
const HOUR = 3_600_000;

/**
 * Conditional requests the owner leaves undecided past `decisionDeadlineHours` are flagged to the data bureau by
 * the module's background job (run from `hub.start()`), once each, ledgered, and show as overdue in the bureau's
 * list of requests.
 */
describe.each(testEngines)('overdue sharing requests [%s]', (engine) => {
  let hub: TestHub;
  let now = new Date('2026-11-26T02:00:00Z');
  const orgs: Record<string, string> = {};
  const keys: Record<string, string> = {};
  const call = (who: string, url: string, method: 'GET' | 'POST' = 'GET', payload?: object) =>
    hub.http.inject({ method, url, headers: { authorization: `Bearer ${keys[who]}` }, ...(payload ? { payload } : {}) });
  const ask = (who: string) => call(who, '/api/share/requests', 'POST', {
    dataset: 'population', fields: ['district'], purpose: '统计', legalBasis: '《统计法》', until: new Date(now.getTime() + 30 * 24 * HOUR).toISOString(),
  });
  const overdueLedger = async () =>
    (await hub.database.pool.query(`select actor, subject from ledger_entry where kind = 'share.request.overdue' order by idx`)).rows as { actor: string; subject: string }[];

  beforeAll(async () => {
    hub = await createTestHub(engine, {
      clock: () => now,
      config: { modules: { catalog: { decisionDeadlineHours: 24, overdueJobIntervalSeconds: 1 } } },
    });
    for (const name of ['police', 'civil', 'edu', 'bureau']) orgs[name] = (await hub.services.auth.insertOrg(setup, { name: `org-${name}`, kind: 'department' })).id;
    const key = async (name: string, roles: Role[], org: string) => (keys[name] = (await hub.services.auth.createApiKey(setup, { name, roles, orgId: org })).key);
    await key('owner', ['dept_data_owner'], orgs.police!);
    await key('civil', ['handler'], orgs.civil!);
    await key('edu', ['handler'], orgs.edu!);
    await key('bureau', ['data_admin'], orgs.bureau!);
    expect((await call('owner', '/api/catalog/datasets', 'POST', populationDataset())).statusCode).toBe(201);
  }, 120_000);
  afterAll(async () => hub?.close());

  let late: string;
  let decided: string;
  it('is not overdue before the deadline', async () => {
    late = (await ask('civil')).json().request.id;
    decided = (await ask('edu')).json().request.id;
    now = new Date(now.getTime() + 23 * HOUR);
    const list = (await call('bureau', '/api/share/requests')).json();
    expect(list.map((r: { id: string }) => r.id).sort()).toEqual([late, decided].sort());
    for (const r of list) expect(r).toMatchObject({ status: 'pending', overdue: false, overdueFlaggedAt: null });
    expect((await call('bureau', '/api/share/requests?overdue=true')).json()).toEqual([]);
    expect(await hub.services.catalog.sharing.flagOverdue()).toBe(0);
  });

  it('the background job flags an undecided request past the deadline once, ledgered, and the bureau sees it', async () => {
    // the owner decides one in time; the other is left waiting
    expect((await call('owner', `/api/share/requests/${decided}/decision`, 'POST', { decision: 'refuse', reason: '用途不明确' })).statusCode).toBe(200);
    now = new Date(now.getTime() + 2 * HOUR); // 25 h after the requests
    await hub.start(); // the module's jobs, the overdue flagging among them, run until the hub closes
    await vi.waitFor(async () => expect(await overdueLedger()).toHaveLength(1), { timeout: 10_000, interval: 200 });
    // the job keeps running: later ticks must not flag it again
    await new Promise((r) => setTimeout(r, 1500));
    const entries = await overdueLedger();
    expect(entries).toEqual([{ actor: 'system:catalog-overdue', subject: `share_request:${late}` }]);

    const overdue = (await call('bureau', '/api/share/requests?overdue=true')).json();
    expect(overdue).toHaveLength(1);
    expect(overdue[0]).toMatchObject({ id: late, status: 'pending', overdue: true, overdueFlaggedAt: now.toISOString() });
    const all = (await call('bureau', '/api/share/requests')).json();
    expect(all.find((r: { id: string }) => r.id === decided)).toMatchObject({ status: 'refused', overdue: false, overdueFlaggedAt: null });
    expect((await call('bureau', '/api/share/requests?overdue=false')).json().map((r: { id: string }) => r.id)).toEqual([decided]);
    // the bureau's overdue list says the same and flags nothing twice
    expect((await call('bureau', '/api/share/requests/overdue')).json().map((r: { id: string }) => r.id)).toEqual([late]);
    expect(await overdueLedger()).toHaveLength(1);
  });

  it('shows the owner and the consumer their own overdue request, and others nothing', async () => {
    expect((await call('owner', '/api/share/requests?overdue=true')).json().map((r: { id: string }) => r.id)).toEqual([late]);
    expect((await call('civil', '/api/share/requests?overdue=true')).json().map((r: { id: string }) => r.id)).toEqual([late]);
    expect((await call('edu', '/api/share/requests?overdue=true')).json()).toEqual([]);
    expect((await call('civil', '/api/share/requests/overdue')).statusCode).toBe(403);
  });

  it('a late decision clears the overdue state', async () => {
    expect((await call('owner', `/api/share/requests/${late}/decision`, 'POST', { decision: 'grant' })).statusCode).toBe(200);
    expect((await call('bureau', '/api/share/requests?overdue=true')).json()).toEqual([]);
    const r = (await call('bureau', `/api/share/requests/${late}`)).json();
    expect(r).toMatchObject({ status: 'granted', overdue: false });
    expect(r.overdueFlaggedAt).not.toBeNull();
  });
});
