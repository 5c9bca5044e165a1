import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { testEngines } from '../support/engines.js';
import { populationRows } from '../catalog/fixtures.js';
import { OperationWorld } from './world.js';
import { insertCalls } from '../../src/operation/meter-store.js';

const people = populationRows(40);

describe.each(testEngines)('authorized operation: the product marketplace and statements as XLSX [%s]', (engine) => {
  const w = new OperationWorld();
  let licence: { id: string; number: string };
  let other: { id: string; number: string };
  let verify = '';
  let elsewhere = '';
  const cookies: Record<string, string> = {};
  const as = (who: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    w.hub.http.inject({ method, url, headers: { cookie: cookies[who]! }, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    await w.start(engine);
    licence = await w.licence();
    other = await w.licence({ title: '另一授权' });
    verify = (await w.product(licence.id, { type: 'verification', dataset: 'population', match: ['id_number', 'name'] }, { price: { unit: 'per_call', priceFen: 10 }, name: '实名核验' })).id;
    elsewhere = (await w.product(other.id, { type: 'verification', dataset: 'population', match: ['id_number'] }, { price: { unit: 'per_call', priceFen: 5 } })).id;
    cookies.bank = (await w.hub.loginAs(['market_user'], w.orgs.bank)).cookie;
    cookies.insurer = (await w.hub.loginAs(['market_user'], w.orgs.insurer)).cookie;
    await w.access('bankKey', licence.id, 'bank', [verify], ['kyc']);
  }, 120_000);
  afterAll(() => w.close());

  it('lets a market user apply, its operator accept, and the market user collect its key once; then usage and spending', async () => {
    const listed = await as('bank', 'GET', '/api/operation/market/products');
    expect(listed.statusCode, listed.body).toBe(200);
    const product = listed.json().find((p: { id: string }) => p.id === verify);
    expect(product).toMatchObject({
      type: 'verification', name: '实名核验', scenario: { code: 'credit', name: '信贷风控', purposes: ['kyc', 'loan_review'] }, price: { unit: 'per_call', priceFen: 10 },
      provider: { id: w.parties.operator, name: 'operator-org' }, inputFields: ['id_number', 'name'], datasetIdentifier: 'population',
      licence: { number: licence.number, status: 'active' }, mine: { application: null, access: true },
    });

    // refused before anything is stored: products of two licences, a purpose outside the scenario, a product key applying
    const mixed = await as('bank', 'POST', '/api/operation/market/applications', { products: [verify, elsewhere], purposes: ['kyc'], statement: '贷前核验' });
    expect(mixed.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/body/products/1' }] });
    const purpose = await as('bank', 'POST', '/api/operation/market/applications', { products: [verify], purposes: ['relief_check'], statement: '贷前核验' });
    expect(purpose.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/body/purposes/0' }] });
    const byKey = await w.call('bankKey', 'POST', '/api/operation/market/applications', { products: [verify], purposes: ['kyc'], statement: '贷前核验' });
    expect(byKey.json()).toMatchObject({ code: 'OPERATION_NOT_MARKET_USER' });

    const applied = await as('bank', 'POST', '/api/operation/market/applications', { products: [verify], purposes: ['loan_review'], statement: '贷款审批前核验借款人身份', quota: { period: 'month', calls: 100, records: null } });
    expect(applied.statusCode, applied.body).toBe(201);
    const id = applied.json().id as string;
    expect(applied.json()).toMatchObject({ status: 'pending', marketUser: { id: w.parties.bank }, operator: { id: w.parties.operator }, products: [{ id: verify, name: '实名核验' }] });

    // nobody else sees or takes it: another market user, an operator of no licence, a key before acceptance
    expect((await as('insurer', 'GET', '/api/operation/market/applications')).json()).toEqual([]);
    expect((await as('insurer', 'POST', `/api/operation/market/applications/${id}/key`)).json()).toMatchObject({ code: 'OPERATION_APPLICATION_NOT_FOUND' });
    expect((await as('bank', 'POST', `/api/operation/market/applications/${id}/key`)).json()).toMatchObject({ code: 'OPERATION_APPLICATION_STATE' });
    expect((await w.call('strangerOperator', 'POST', `/api/operation/market/applications/${id}/decide`, { decision: 'accept' })).json()).toMatchObject({ code: 'OPERATION_NOT_OPERATOR' });
    expect((await w.call('operator', 'POST', `/api/operation/market/applications/${id}/decide`, { decision: 'refuse' })).json()).toMatchObject({ code: 'OPERATION_REASON_REQUIRED', errors: [{ field: '/body/reason' }] });

    const queue = await w.call('operator', 'GET', '/api/operation/market/applications?status=pending');
    expect(queue.json().map((a: { id: string }) => a.id)).toEqual([id]);
    const accepted = await w.call('operator', 'POST', `/api/operation/market/applications/${id}/decide`, { decision: 'accept', quota: { period: 'month', calls: 50, records: null } });
    expect(accepted.json()).toMatchObject({ status: 'accepted', quota: { calls: 50 } });
    expect((await w.call('operator', 'POST', `/api/operation/market/applications/${id}/decide`, { decision: 'refuse', reason: 'late' })).json()).toMatchObject({ code: 'OPERATION_APPLICATION_STATE' });

    const collected = await as('bank', 'POST', `/api/operation/market/applications/${id}/key`);
    expect(collected.statusCode, collected.body).toBe(201);
    expect(collected.json().access).toMatchObject({ purposes: ['loan_review'], quota: { calls: 50 }, status: 'active', marketUser: { id: w.parties.bank } });
    expect((await as('bank', 'POST', `/api/operation/market/applications/${id}/key`)).json()).toMatchObject({ code: 'OPERATION_APPLICATION_STATE' });
    w.keys.marketKey = collected.json().key;
    const someone = people[3]!;
    const used = await w.use('marketKey', verify, { purpose: 'loan_review', input: { values: { id_number: someone.id_number, name: someone.name } } });
    expect(used.json()).toMatchObject({ result: { match: true }, fee: { feeFen: 10 } });
    expect((await w.use('marketKey', verify, { purpose: 'loan_review', input: { values: { id_number: someone.id_number, name: '别人' } } })).json().result.match).toBe(false);

    const usage = await as('bank', 'GET', '/api/operation/market/usage?year=2026');
    expect(usage.json()).toMatchObject({ marketUser: { id: w.parties.bank }, totals: { calls: 2, feeFen: 20 }, months: [{ month: '2026-03', productName: '实名核验', calls: 2, billableCalls: 2, feeFen: 20 }] });
    // a market user reads only its own usage
    expect((await as('insurer', 'GET', `/api/operation/market/usage?year=2026&party=${w.parties.bank}`)).statusCode).toBe(404);
    const ledger = await w.hub.database.pool.query(`select kind from ledger_entry where kind like 'operation.application.%' order by idx`);
    expect(ledger.rows.map((r: { kind: string }) => r.kind)).toEqual(['operation.application.submitted', 'operation.application.accepted']);
  });

  it('gives a month\'s statement as XLSX agreeing with its JSON to the fen', async () => {
    const url = `/api/operation/statements?month=2026-03&party=${w.parties.bank}`;
    const json = (await w.call('admin', 'GET', url)).json();
    const res = await w.call('admin', 'GET', `${url}&format=xlsx`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    const last = sheet.getRow(sheet.rowCount);
    expect(last.getCell(1).value).toBe('合计 Total');
    expect(Math.round(Number(last.getCell(13).value) * 100)).toBe(json.totals.feeFen);
    expect(last.getCell(8).value).toBe(json.totals.calls);
  });

  it('shows the supervisor a market user\'s spike in calls, and the end-of-March disclosure reminder', async () => {
    const { rows: [call] } = await w.hub.database.pool.query('select * from operation_call limit 1');
    const month = (m: number, n: number) => Array.from({ length: n }, (_, k) => ({
      ...call, id: undefined, month: `2025-${String(m).padStart(2, '0')}`, day: `2025-${String(m).padStart(2, '0')}-10`, called_at: new Date(`2025-${String(m).padStart(2, '0')}-10T02:00:00Z`),
      response_hash: `h${m}-${k}`,
    }));
    await insertCalls(w.hub.database.db, [...month(1, 20), ...month(2, 25), ...month(3, 22), ...month(4, 180)]);
    const spikes = await w.call('supervisor', 'GET', '/api/operation/anomalies?year=2025');
    expect(spikes.statusCode, spikes.body).toBe(200);
    expect(spikes.json()).toEqual([expect.objectContaining({ kind: 'call_spike', month: '2025-04', calls: 180, usualCalls: 22, ratio: 8.2, marketUser: expect.objectContaining({ id: w.parties.bank }) })]);
    expect((await w.call('operator', 'GET', '/api/operation/anomalies?year=2025')).statusCode).toBe(403);
    const reminder = await w.call('supervisor', 'GET', '/api/operation/disclosure-reminder');
    expect(reminder.json()).toEqual({ year: 2025, due: '2026-03-31', published: false, publishedAt: null, daysLeft: 30, overdue: false });
  });
});
