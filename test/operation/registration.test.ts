import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { OperationWorld } from './world.js';
import { populationDataset } from '../catalog/fixtures.js';

describe.each(testEngines)('authorized operation: parties, registration, licences [%s]', (engine) => {
  const w = new OperationWorld();
  beforeAll(async () => { await w.start(engine); }, 180_000);
  afterAll(() => w.close());

  it('registers parties: one implementing body; operators and market users need a 统一社会信用代码', async () => {
    const second = await w.call('admin', 'POST', '/api/operation/parties', { orgId: w.orgs.police, kind: 'implementing_body' });
    expect(second.statusCode).toBe(409);
    const noCode = await w.call('admin', 'POST', '/api/operation/parties', { orgId: w.orgs.nocode, kind: 'market_user' });
    expect(noCode.statusCode).toBe(400);
    expect(noCode.json()).toMatchObject({ code: 'OPERATION_CREDIT_CODE_REQUIRED', errors: [{ field: '/body/orgId' }] });
    // a wrong check character is refused by identity when the organisation is made
    const bad = await w.hub.http.inject({ method: 'POST', url: '/api/orgs', headers: { authorization: `Bearer ${w.keys.admin}` }, payload: { name: 'x', kind: 'enterprise', creditCode: '91990000MA00000010' } });
    expect([400, 403]).toContain(bad.statusCode);
    const list = (await w.call('supervisor', 'GET', '/api/operation/parties')).json();
    expect(list.map((p: { kind: string }) => p.kind).sort()).toEqual(['implementing_body', 'market_user', 'market_user', 'operator']);
    expect(list.find((p: { kind: string }) => p.kind === 'operator').creditCode).toMatch(/^91990000MA0000001.$/);
    // only the implementing body's staff register parties once it exists
    const foreign = await w.call('strangerOperator', 'POST', '/api/operation/parties', { orgId: w.orgs.nocode, kind: 'operator' });
    expect(foreign.statusCode).toBe(403);
  });

  it('registers a catalog dataset as a resource with its grading read from the catalog', async () => {
    const [r] = (await w.call('operator', 'GET', '/api/operation/resources')).json();
    expect(r).toMatchObject({ number: 'YC-DR-2026-000001', identifier: 'population', grade: 'important', version: 1 });
    expect(r.fields.find((f: { name: string }) => f.name === 'id_number')).toMatchObject({ grade: 'important' });
    expect(r.fields.find((f: { name: string }) => f.name === 'district')).toMatchObject({ grade: 'general', generalLevel: '1' });
    const again = await w.call('admin', 'POST', '/api/operation/resources', { dataset: 'population' });
    expect(again.json().code).toBe('OPERATION_RESOURCE_EXISTS');
    const cert = await w.hub.http.inject({ method: 'GET', url: '/api/operation/registrations/YC-DR-2026-000001' });
    expect(cert.statusCode).toBe(200);
    expect(cert.json()).toMatchObject({ kind: 'resource', name: '常住人口基础信息', snapshotHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('refuses licences for core data, for unregistered datasets, and an operator applying for another', async () => {
    const core = await w.call('operator', 'POST', '/api/operation/licences', w.licenceInput({ maxGrade: 'core' }));
    expect(core.statusCode).toBe(422);
    expect(core.json().code).toBe('OPERATION_GRADE_NOT_LICENSABLE');
    const unregistered = await w.call('operator', 'POST', '/api/operation/licences', w.licenceInput({ scope: [{ dataset: 'nothing-here', fields: ['a'] }] }));
    expect(unregistered.json()).toMatchObject({ code: 'OPERATION_RESOURCE_NOT_FOUND', errors: [{ field: '/body/scope/0/dataset' }] });
    const notMine = await w.call('strangerOperator', 'POST', '/api/operation/licences', w.licenceInput());
    expect(notMine.statusCode).toBe(403);
    const domainless = await w.call('operator', 'POST', '/api/operation/licences', w.licenceInput({ mode: 'domain' }));
    expect(domainless.json().errors[0].field).toBe('/body/domain');
  });

  let licence: { id: string; number: string };
  it('refuses to register a product over a field graded above its licence, naming the field and grade', async () => {
    licence = await w.licence({ maxGrade: 'general', maxGeneralLevel: '3' });
    expect(licence.number).toBe('YC-LA-2026-000001');
    const res = await w.call('operator', 'POST', '/api/operation/products', {
      licence: licence.id, name: '身份核验', description: 'x', scenario: 'credit', spec: { type: 'verification', dataset: 'population', match: ['id_number', 'name'] },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'OPERATION_GRADE_ABOVE_LICENCE', rule: 'licence.grade', field: 'id_number', grade: 'important', licenceMaxGrade: 'general', licenceMaxGeneralLevel: '3',
    });
    expect(res.json().detail).toContain('"id_number"');
    expect(res.json().detail).toContain('important');
    // a general field above the licence's general sub-level is refused too: income is general level 4
    const income = await w.call('operator', 'POST', '/api/operation/products', {
      licence: licence.id, name: '收入评分', description: 'x', scenario: 'credit',
      spec: { type: 'score', dataset: 'population', key: 'name', terms: [{ field: 'income', weight: 0.01 }], min: 0, max: 100 },
    });
    expect(income.json()).toMatchObject({ code: 'OPERATION_GRADE_ABOVE_LICENCE', field: 'income', generalLevel: '4' });
    expect(income.json().detail).toContain('general (level 4)');
  });

  it('refuses products outside the licence\'s scope or scenarios', async () => {
    const outside = await w.call('operator', 'POST', '/api/operation/products', {
      licence: licence.id, name: 'x', description: 'x', scenario: 'credit', spec: { type: 'verification', dataset: 'population', match: ['phone'] },
    });
    expect(outside.statusCode).toBe(422);
    expect(outside.json()).toMatchObject({ code: 'OPERATION_FIELD_OUTSIDE_LICENCE', fields: ['phone'] });
    const scenario = await w.call('operator', 'POST', '/api/operation/products', {
      licence: licence.id, name: 'x', description: 'x', scenario: 'marketing', spec: { type: 'verification', dataset: 'population', match: ['name'] },
    });
    expect(scenario.json()).toMatchObject({ code: 'OPERATION_SCENARIO_NOT_LICENSED', errors: [{ field: '/body/scenario' }] });
  });

  it('registers a product with a number, versions every change, and ledgers each version', async () => {
    const submitted = await w.call('operator', 'POST', '/api/operation/products', {
      licence: licence.id, name: '姓名区域核验', description: '核验姓名与所属区是否一致', scenario: 'credit',
      spec: { type: 'verification', dataset: 'population', match: ['name', 'district'] },
    });
    expect(submitted.statusCode, submitted.body).toBe(201);
    const product = submitted.json();
    expect(product).toMatchObject({ number: null, status: 'pending', fields: ['name', 'district'], disclosureRule: { kind: 'yes_no' } });
    expect(product.outputSchema.properties).toEqual({ match: { type: 'boolean' } });
    const byOperator = await w.call('operator', 'POST', `/api/operation/products/${product.id}/register`);
    expect(byOperator.statusCode).toBe(403);
    const registered = (await w.call('admin', 'POST', `/api/operation/products/${product.id}/register`)).json();
    expect(registered).toMatchObject({ number: 'YC-DP-2026-000001', status: 'registered', version: 2 });

    const changed = await w.call('operator', 'PATCH', `/api/operation/products/${product.id}`, { description: '新说明' });
    expect(changed.json()).toMatchObject({ number: 'YC-DP-2026-000001', status: 'pending', version: 3 });
    const again = (await w.call('admin', 'POST', `/api/operation/products/${product.id}/register`)).json();
    expect(again).toMatchObject({ number: 'YC-DP-2026-000001', status: 'registered', version: 4 });
    const versions = (await w.call('supervisor', 'GET', `/api/operation/products/${product.id}/versions`)).json();
    expect(versions.map((v: { change: string }) => v.change)).toEqual(['submitted', 'registered', 'changed', 'registered']);
    const { rows } = await w.hub.database.pool.query(
      `select kind, body from ledger_entry where subject = $1 order by idx`, [`operation_product:${product.id}`]);
    expect(rows.map((r: { kind: string }) => r.kind)).toEqual(['operation.product.submitted', 'operation.product.registered', 'operation.product.changed', 'operation.product.registered']);
    expect(JSON.parse(rows[3].body).facts.snapshotHash).toBe(versions[3].snapshotHash);

    const cert = (await w.hub.http.inject({ method: 'GET', url: '/api/operation/registrations/YC-DP-2026-000001' })).json();
    expect(cert).toMatchObject({ kind: 'product', type: 'verification', datasets: ['YC-DR-2026-000001'], status: 'registered', version: 4 });
  });

  it('refuses a row product over a field the catalog delivers masked (an unconditionally shared dataset)', async () => {
    const open = await w.call('owner', 'POST', '/api/catalog/datasets', { ...populationDataset('open-population'), shareAttr: 'unconditional' });
    expect(open.statusCode).toBe(201);
    expect((await w.call('admin', 'POST', '/api/operation/resources', { dataset: 'open-population' })).statusCode).toBe(201);
    const l = await w.licence({ scope: [{ dataset: 'open-population', fields: ['id_number', 'district', 'age'] }] });
    const masked = await w.call('operator', 'POST', '/api/operation/products', {
      licence: l.id, name: 'x', description: 'x', scenario: 'credit', spec: { type: 'verification', dataset: 'open-population', match: ['id_number'] },
    });
    expect(masked.statusCode).toBe(422);
    expect(masked.json()).toMatchObject({ code: 'OPERATION_FIELD_MASKED_IN_DELIVERY' });
    expect(masked.json().detail).toContain('"id_number"');
    // grouping by a value as delivered is fine for statistics
    const stats = await w.call('operator', 'POST', '/api/operation/products', {
      licence: l.id, name: 'x', description: 'x', scenario: 'credit', spec: { type: 'statistics', dataset: 'open-population', groupBy: ['district'], epsilon: 1, refresh: 'month' },
    });
    expect(stats.statusCode, stats.body).toBe(201);
  });

  it('refuses a price without a fee cap or above it; the implementing body sets caps', async () => {
    const product = (await w.call('operator', 'GET', '/api/operation/products')).json().find((x: { number: string }) => x.number === 'YC-DP-2026-000001');
    const noCap = await w.call('operator', 'PUT', `/api/operation/products/${product.id}/price`, { unit: 'per_call', priceFen: 50 });
    expect(noCap.json()).toMatchObject({ code: 'OPERATION_NO_FEE_CAP', rule: 'licence.fee_cap' });
    const capByOperator = await w.call('operator', 'PUT', `/api/operation/licences/${licence.id}/fee-caps/${product.id}`, { unit: 'per_call', capFen: 80 });
    expect(capByOperator.statusCode).toBe(403);
    const cap = await w.call('admin', 'PUT', `/api/operation/licences/${licence.id}/fee-caps/${product.id}`, { unit: 'per_call', capFen: 80 });
    expect(cap.json().feeCaps).toEqual([{ productId: product.id, productNumber: 'YC-DP-2026-000001', unit: 'per_call', capFen: 80 }]);
    const above = await w.call('operator', 'PUT', `/api/operation/products/${product.id}/price`, { unit: 'per_call', priceFen: 81 });
    expect(above.statusCode).toBe(403);
    expect(above.json()).toMatchObject({ code: 'OPERATION_PRICE_ABOVE_CAP', capFen: 80, errors: [{ field: '/body/priceFen' }] });
    const otherUnit = await w.call('operator', 'PUT', `/api/operation/products/${product.id}/price`, { unit: 'per_record', priceFen: 1 });
    expect(otherUnit.json()).toMatchObject({ code: 'OPERATION_PRICE_ABOVE_CAP', errors: [{ field: '/body/unit' }] });
    const ok = await w.call('operator', 'PUT', `/api/operation/products/${product.id}/price`, { unit: 'per_call', priceFen: 80 });
    expect(ok.json().price).toEqual({ unit: 'per_call', priceFen: 80 });
    const licenceVersions = (await w.call('admin', 'GET', `/api/operation/licences/${licence.id}/versions`)).json();
    expect(licenceVersions.map((v: { change: string }) => v.change)).toEqual(['applied', 'approved', 'fee_cap_set']);
  });
});
