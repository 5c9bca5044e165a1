import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { dropTestStream, testEventsConfig } from '../support/nats.js';
import { personId, populationRows } from '../catalog/fixtures.js';
import { DAY, OperationWorld } from './world.js';
import { systemActor } from '../../src/platform/auth/roles.js';

const ROWS = 300;
const people = populationRows(ROWS);

describe.each(testEngines)('authorized operation: in-domain delivery and the rules of a call [%s]', (engine) => {
  const w = new OperationWorld();
  // Nodes of one city share a bus (NATS), as deployed: a revoked key is dropped from every node's identity cache.
  const events = testEventsConfig();
  let L1: { id: string; number: string };
  let L2: { id: string; number: string };
  const p: Record<string, string> = {};

  beforeAll(async () => {
    await w.start(engine, { rows: ROWS, config: { events } });
    L1 = await w.licence();
    L2 = await w.licence({ title: '短期授权', validUntil: '2026-03-10', quota: { period: 'day', calls: 3, records: null } });
    p.verify = (await w.product(L1.id, { type: 'verification', dataset: 'population', match: ['id_number', 'name'] }, { price: { unit: 'per_call', priceFen: 10 } })).id;
    p.score = (await w.product(L1.id, {
      type: 'score', dataset: 'population', key: 'id_number', base: 50,
      terms: [{ field: 'income', weight: 0.01 }, { field: 'age', weight: 5, when: { op: 'gte', value: 40 } }], min: 0, max: 100,
    }, { price: { unit: 'per_record', priceFen: 3 } })).id;
    p.model = (await w.product(L1.id, {
      type: 'model_inference', dataset: 'population', key: 'id_number', intercept: -3, threshold: 0.5,
      features: [{ field: 'age', weight: 0.05 }, { field: 'income', weight: 0.0001 }],
    }, { price: { unit: 'per_call', priceFen: 20 } })).id;
    p.sandbox = (await w.product(L1.id, { type: 'sandbox_query', dataset: 'population', fields: ['district', 'age', 'income'] }, { price: { unit: 'per_call', priceFen: 500 } })).id;
    p.byDistrict = (await w.product(L1.id, {
      type: 'statistics', dataset: 'population', groupBy: ['district'], sum: [{ field: 'income', min: 0, max: 10_000 }], epsilon: 2, refresh: 'month',
    }, { price: { unit: 'per_period', priceFen: 10_000 }, name: '分区收入统计' })).id;
    p.byDistrictAge = (await w.product(L1.id, {
      type: 'statistics', dataset: 'population', groupBy: ['district', 'age'], sum: [{ field: 'income', min: 0, max: 10_000 }], epsilon: 2, refresh: 'month',
    }, { price: { unit: 'per_call', priceFen: 100 }, name: '分区分年龄收入统计' })).id;
    p.short = (await w.product(L2.id, { type: 'verification', dataset: 'population', match: ['id_number', 'name'] }, { price: { unit: 'per_call', priceFen: 10 } })).id;
    await w.access('bank', L1.id, 'bank', [p.verify!, p.score!, p.model!, p.sandbox!, p.byDistrict!, p.byDistrictAge!], ['kyc']);
    await w.access('insurer', L1.id, 'insurer', [p.verify!, p.sandbox!], ['kyc'], { publicUses: ['public_welfare'] });
    await w.access('shortUser', L2.id, 'bank', [p.short!], ['kyc']);
  }, 240_000);
  afterAll(async () => {
    await w.close();
    await dropTestStream(events.stream);
  });

  const person = people[7]!;

  it('answers a verification yes or no and never returns the record', async () => {
    const yes = await w.use('bank', p.verify!, { purpose: 'kyc', input: { values: { id_number: person.id_number, name: person.name } } });
    expect(yes.statusCode, yes.body).toBe(200);
    expect(yes.json()).toMatchObject({ result: { kind: 'verification', match: true }, use: 'commercial', fee: { billable: true, unit: 'per_call', unitPriceFen: 10, units: 1, feeFen: 10 } });
    const no = await w.use('bank', p.verify!, { purpose: 'kyc', input: { values: { id_number: person.id_number, name: '别人' } } });
    expect(no.json().result).toEqual({ kind: 'verification', match: false });
    for (const res of [yes, no]) {
      expect(Object.keys(res.json().result).sort()).toEqual(['kind', 'match']);
      // nothing of any record: no ID number, name, address, phone or income of anyone
      for (const someone of people) for (const value of [someone.id_number, someone.address, someone.phone]) expect(res.body).not.toContain(value);
      expect(res.body).not.toContain('测试');
      expect(res.body).not.toContain(String(person.income));
    }
    const missing = await w.use('bank', p.verify!, { purpose: 'kyc', input: { values: { id_number: person.id_number } } });
    expect(missing.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/body/input/values/name' }] });
  });

  it('scores and infers inside the domain without echoing the input or the record', async () => {
    const scored = await w.use('bank', p.score!, { purpose: 'kyc', input: { key: person.id_number } });
    expect(scored.statusCode, scored.body).toBe(200);
    const expected = Math.min(100, 50 + person.income * 0.01 + (person.age >= 40 ? 5 : 0));
    expect(scored.json()).toMatchObject({ result: { kind: 'score', found: true, score: Math.round(expected * 100) / 100 }, metered: { records: 1 }, fee: { unit: 'per_record', feeFen: 3 } });
    expect(scored.body).not.toContain(person.id_number);
    const unknown = await w.use('bank', p.score!, { purpose: 'kyc', input: { key: personId(999, '19700101') } });
    expect(unknown.json()).toMatchObject({ result: { found: false, score: null }, metered: { records: 0 }, fee: { feeFen: 0 } });
    const inferred = await w.use('bank', p.model!, { purpose: 'kyc', input: { key: person.id_number } });
    expect(inferred.json().result).toMatchObject({ kind: 'model_inference', found: true, probability: expect.any(Number), label: expect.any(Boolean) });
    expect(inferred.body).not.toContain(person.id_number);
  });

  it('lists in "who used my data" only the people whose records a product read by key, never everyone on a page', async () => {
    const asked = people[11]!;
    const bystander = people[12]!;
    const linker = systemActor('test-bureau', ['data_admin']);
    const citizens = await Promise.all([asked, bystander].map(async (someone) => {
      const { userId } = await w.hub.loginAs(['citizen']);
      await w.hub.services.catalog.usage.linkCitizen(linker, userId, someone.id_number);
      return { kind: 'user' as const, id: userId, roles: ['citizen' as const] };
    }));
    const verified = await w.use('bank', p.verify!, { purpose: 'kyc', input: { values: { id_number: asked.id_number, name: asked.name } } });
    expect(verified.json().result).toEqual({ kind: 'verification', match: true });
    expect((await w.use('bank', p.score!, { purpose: 'kyc', input: { key: asked.id_number } })).statusCode).toBe(200);
    const [mine, theirs] = await Promise.all(citizens.map((c) => w.hub.services.catalog.usage.myDataUsage(c)));
    expect(mine.accesses).toHaveLength(2);
    expect(mine.accesses[0]).toMatchObject({ unit: '公共数据授权运营域内计算环境', kind: 'rows' });
    expect(theirs).toEqual({ linked: true, accesses: [] });
  });

  it('refuses a purpose outside the licence or the access, naming the rule, and ledgers the refusal', async () => {
    const notLicensed = await w.use('bank', p.verify!, { purpose: 'relief_check', input: { values: { id_number: person.id_number, name: person.name } } });
    expect(notLicensed.statusCode).toBe(403);
    expect(notLicensed.json()).toMatchObject({ code: 'OPERATION_PURPOSE_NOT_LICENSED', rule: 'licence.purpose', licence: L1.number });
    const notGranted = await w.use('bank', p.verify!, { purpose: 'loan_review', input: { values: { id_number: person.id_number, name: person.name } } });
    expect(notGranted.json()).toMatchObject({ code: 'OPERATION_PURPOSE_NOT_LICENSED', rule: 'access.purpose' });
    const notMine = await w.use('insurer', p.score!, { purpose: 'kyc', input: { key: person.id_number } });
    expect(notMine.json()).toMatchObject({ code: 'OPERATION_NO_ACCESS', rule: 'access.products' });
    const { rows } = await w.hub.database.pool.query(`select body from ledger_entry where kind = 'operation.product.refused' order by idx`);
    expect(rows.map((r: { body: string }) => JSON.parse(r.body).facts.rule)).toEqual(expect.arrayContaining(['licence.purpose', 'access.purpose', 'access.products']));
  });

  it('meters public-interest use but never bills it; only an approved market user may claim it', async () => {
    const claimed = await w.use('bank', p.verify!, { purpose: 'kyc', use: 'public_welfare', input: { values: { id_number: person.id_number, name: person.name } } });
    expect(claimed.json()).toMatchObject({ code: 'OPERATION_PUBLIC_USE_NOT_APPROVED', rule: 'access.public_use' });
    const free = await w.use('insurer', p.verify!, { purpose: 'kyc', use: 'public_welfare', input: { values: { id_number: person.id_number, name: person.name } } });
    expect(free.statusCode, free.body).toBe(200);
    expect(free.json()).toMatchObject({ use: 'public_welfare', fee: { billable: false, feeFen: 0, unit: null }, metered: { records: 1, outputUnits: 1 } });
    const { rows } = await w.hub.database.pool.query(`select use, billable, fee_fen, records from operation_call where id = $1`, [free.json().callId]);
    expect(rows[0]).toMatchObject({ use: 'public_welfare', billable: false, records: 1 });
    expect(Number(rows[0].fee_fen)).toBe(0);
    // an operator cannot approve free use itself
    const byOperator = await w.call('operator', 'POST', '/api/operation/accesses', {
      licence: L1.id, marketUser: w.parties.bank, products: [p.verify], purposes: ['kyc'], publicUses: ['public_governance'],
    });
    expect(byOperator.json().code).toBe('OPERATION_NOT_IMPLEMENTING_BODY');
  });

  it('refuses a call whose price is above the licence\'s cap (the cap lowered after the price was set)', async () => {
    const lowered = await w.call('admin', 'PUT', `/api/operation/licences/${L1.id}/fee-caps/${p.verify}`, { unit: 'per_call', capFen: 8 });
    expect(lowered.statusCode).toBe(200);
    const res = await w.use('bank', p.verify!, { purpose: 'kyc', input: { values: { id_number: person.id_number, name: person.name } } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'OPERATION_PRICE_ABOVE_CAP', rule: 'licence.fee_cap', priceFen: 10, capFen: 8 });
    // public-interest use is free, so no price applies to it
    const free = await w.use('insurer', p.verify!, { purpose: 'kyc', use: 'public_welfare', input: { values: { id_number: person.id_number, name: person.name } } });
    expect(free.statusCode).toBe(200);
    await w.call('admin', 'PUT', `/api/operation/licences/${L1.id}/fee-caps/${p.verify}`, { unit: 'per_call', capFen: 10 });
  });

  it('refuses a call outside the licence\'s scope once an amendment narrows it', async () => {
    const narrowed = await w.call('admin', 'PATCH', `/api/operation/licences/${L1.id}`, {
      scope: [{ dataset: 'population', fields: ['id_number', 'age', 'district', 'income'] }],
    });
    expect(narrowed.statusCode, narrowed.body).toBe(200);
    const res = await w.use('bank', p.verify!, { purpose: 'kyc', input: { values: { id_number: person.id_number, name: person.name } } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'OPERATION_OUTSIDE_SCOPE', rule: 'licence.scope', fields: ['name'] });
    const restored = await w.call('admin', 'PATCH', `/api/operation/licences/${L1.id}`, { scope: w.licenceInput().scope });
    expect(restored.statusCode).toBe(200);
    const again = await w.use('bank', p.verify!, { purpose: 'kyc', input: { values: { id_number: person.id_number, name: person.name } } });
    expect(again.json().result.match).toBe(true);
  });

  it('refuses calls over the quota until the next period, and outside the term', async () => {
    const ask = () => w.use('shortUser', p.short!, { purpose: 'kyc', input: { values: { id_number: person.id_number, name: person.name } } });
    for (let i = 0; i < 3; i++) expect((await ask()).statusCode).toBe(200);
    const over = await ask();
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ code: 'OPERATION_QUOTA_EXCEEDED', rule: 'licence.quota.calls', licence: L2.number, limit: 3, period: '2026-03-02' });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    const saved = w.now;
    w.now = new Date(saved.getTime() + DAY);
    expect((await ask()).statusCode).toBe(200);
    w.now = new Date('2026-03-11T02:00:00Z');
    const late = await ask();
    expect(late.statusCode).toBe(403);
    expect(late.json()).toMatchObject({ code: 'OPERATION_LICENCE_TERM', rule: 'licence.term', licence: L2.number });
    w.now = saved;
  });

  it('holds a market user to its own quota of records, naming the access\'s rule', async () => {
    const access = await w.access('capped', L1.id, 'insurer', [p.score!], ['kyc'], { quota: { period: 'month', records: 2 } });
    expect(access).toBeTruthy();
    const score = (key: string) => w.use('capped', p.score!, { purpose: 'kyc', input: { key } });
    expect((await score(people[1]!.id_number)).statusCode).toBe(200);
    expect((await score(personId(998, '19700101'))).json().metered.records).toBe(0); // not found: no record touched
    expect((await score(people[2]!.id_number)).statusCode).toBe(200);
    const over = await score(people[3]!.id_number);
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ code: 'OPERATION_QUOTA_EXCEEDED', rule: 'access.quota.records', period: '2026-03', limit: 2 });
  });

  it('holds a sandbox result for output review: it cannot leave before a reviewer approves it', async () => {
    const run = await w.use('bank', p.sandbox!, { purpose: 'kyc', input: { groupBy: ['district'], sum: ['income'] } });
    expect(run.statusCode, run.body).toBe(200);
    expect(run.json().result).toEqual({ kind: 'sandbox_query', runId: expect.any(String), status: 'pending' });
    expect(run.body).not.toMatch(/"count"|"sums"|临江区/);
    const id = run.json().result.runId;
    const early = await w.call('bank', 'GET', `/api/operation/sandbox-runs/${id}`);
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('OPERATION_OUTPUT_UNDER_REVIEW');
    expect(early.body).not.toMatch(/"count"|临江区/);
    expect((await w.call('insurer', 'GET', `/api/operation/sandbox-runs/${id}`)).statusCode).toBe(404);

    const queue = (await w.call('admin', 'GET', '/api/operation/reviews?status=pending')).json();
    const held = queue.find((r: { id: string }) => r.id === id);
    expect(held.result.groups).toHaveLength(3);
    expect(held.result.groups.reduce((a: number, g: { count: number }) => a + g.count, 0)).toBe(ROWS);
    expect((await w.call('operator', 'POST', `/api/operation/reviews/${id}/decision`, { decision: 'approve' })).statusCode).toBe(403);
    const noReason = await w.call('admin', 'POST', `/api/operation/reviews/${id}/decision`, { decision: 'refuse' });
    expect(noReason.json().code).toBe('OPERATION_REASON_REQUIRED');
    expect((await w.call('admin', 'POST', `/api/operation/reviews/${id}/decision`, { decision: 'approve' })).json().status).toBe('approved');
    const out = await w.call('bank', 'GET', `/api/operation/sandbox-runs/${id}`);
    expect(out.statusCode).toBe(200);
    expect(out.json().result.groups.map((g: { key: { district: string } }) => g.key.district).sort()).toEqual(['临江区', '新湖区', '青山区']);

    const small = await w.use('bank', p.sandbox!, { purpose: 'kyc', input: { groupBy: ['district', 'age'], where: [{ field: 'age', op: 'gte', value: 60 }] } });
    const smallId = small.json().result.runId;
    const refused = await w.call('admin', 'POST', `/api/operation/reviews/${smallId}/decision`, { decision: 'refuse', reason: '分组过细，存在识别风险' });
    expect(refused.json()).toMatchObject({ status: 'refused', result: { groups: [], withheldGroups: expect.any(Number) } });
    const denied = await w.call('bank', 'GET', `/api/operation/sandbox-runs/${smallId}`);
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ code: 'OPERATION_OUTPUT_REFUSED', reason: '分组过细，存在识别风险' });
  });

  it('publishes statistics only through the disclosure control: one noisy release a period, nothing from subtracting groupings', async () => {
    const first = await w.use('bank', p.byDistrict!, { purpose: 'kyc' });
    expect(first.statusCode, first.body).toBe(200);
    const release = first.json().result.release;
    expect(release.groups).toHaveLength(3);
    for (const g of release.groups) expect(Math.abs(g.count - ROWS / 3)).toBeLessThan(40);
    expect(first.json().fee).toMatchObject({ unit: 'per_period', units: 1, feeFen: 10_000 });
    // the same question again: the same release (no fresh noise to average away, no budget spent), no second period fee
    const second = await w.use('bank', p.byDistrict!, { purpose: 'kyc' });
    expect(second.json().result.release).toEqual(release);
    expect(second.json().fee).toMatchObject({ units: 0, feeFen: 0 });
    // #9's differencing attack: district minus (district, age). Every (district, age) cell holds two people here,
    // so the finer grouping publishes no cell at all, and the difference tells nothing about anyone.
    const finer = await w.use('bank', p.byDistrictAge!, { purpose: 'kyc' });
    expect(finer.statusCode, finer.body).toBe(200);
    expect(finer.json().result.release.groups).toEqual([]);
    expect(finer.json().result.release.threshold).toBeGreaterThanOrEqual(10);
    // and the published sums are noisy: none equals the exact sum of its district
    const exact = new Map<string, number>();
    for (const row of people) exact.set(row.district, (exact.get(row.district) ?? 0) + row.income);
    expect(release.groups.every((g: { key: { district: string }; sums: { income: number } }) => g.sums.income !== exact.get(g.key.district))).toBe(true);
    // the product reads through its own aggregate-only delivery grant: rows are refused there
    const grants = await w.hub.services.catalog.sharing.listGrants(systemActor('test', ['data_admin']));
    const delivery = grants.filter((g) => g.purpose.includes(L1.number));
    expect(delivery.filter((g) => g.aggregateOnly)).toHaveLength(2);
  });

  it('leaks no single record under #9\'s differencing attack: two releases one person apart, subtracted, miss that person\'s income', async () => {
    // A product's callers cannot filter, so the two questions that differ by exactly one person are two releases:
    // 临江区's income summed the day before one person (the victim) is added and the day after. On exact sums the
    // difference is the victim's income; the catalog's disclosure control (the product's only way to the data)
    // adds fresh noise to each release, of scale clip bound / ε of the sum (10,000 / 0.5 here).
    const daily = (await w.product(L1.id, {
      type: 'statistics', dataset: 'population', groupBy: ['district'], sum: [{ field: 'income', min: 0, max: 10_000 }], epsilon: 1, refresh: 'day',
    }, { price: { unit: 'per_call', priceFen: 100 }, name: '分区收入日统计' })).id;
    await w.access('statsUser', L1.id, 'insurer', [daily], ['kyc']);
    const victim = { ...populationRows(1, 9_000)[0]!, district: '临江区', income: 7_654 };
    const load = async (rows: typeof people) => expect((await w.call('owner', 'POST', '/api/catalog/datasets/population/rows', { mode: 'replace', rows })).statusCode).toBe(201);
    const district = async () => {
      const res = await w.use('statsUser', daily, { purpose: 'kyc' });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().result.release.groups.find((g: { key: { district: string } }) => g.key.district === '临江区') as { count: number; sums: { income: number } };
    };
    const exact = () => people.filter((r) => r.district === '临江区').reduce((a, r) => a + r.income, 0);
    const saved = w.now;
    const errors: number[] = [];
    try {
      for (let pair = 0; pair < 4; pair++) {
        w.now = new Date(saved.getTime() + (2 * pair + 1) * DAY);
        const before = await district();
        await load([...people, victim]);
        w.now = new Date(saved.getTime() + (2 * pair + 2) * DAY);
        const after = await district();
        await load(people);
        errors.push(after.sums.income - before.sums.income - victim.income);
        // and neither release is the exact sum it stands for
        expect(before.sums.income).not.toBe(exact());
        expect(after.sums.income).not.toBe(exact() + victim.income);
      }
    } finally {
      w.now = saved;
    }
    // the attack recovers nothing: on exact sums every error would be 0; here they are of the noise's scale (RMS
    // above 2,000: within 100 of 0 in a few percent of pairs at most, so 3 of 4 would be a leak, not bad luck)
    expect(errors.filter((e) => Math.abs(e) < 100).length, JSON.stringify(errors)).toBeLessThanOrEqual(2);
    const rms = Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length);
    expect(rms, JSON.stringify(errors)).toBeGreaterThan(2_000);
  });

  it('stops a product whose data the providing department withdrew, until the implementing body restarts it', async () => {
    const ask = () => w.use('bank', p.verify!, { purpose: 'kyc', input: { values: { id_number: person.id_number, name: person.name } } });
    expect((await ask()).statusCode).toBe(200);
    // the department sees the delivery grant among its own and revokes it
    const grants = (await w.call('owner', 'GET', '/api/share/grants')).json() as Array<{ id: string; purpose: string; state: string; fields: string[]; aggregateOnly: boolean }>;
    const grant = grants.find((g) => g.purpose.includes(L1.number) && g.state === 'active' && !g.aggregateOnly && g.fields.join() === 'id_number,name' && g.purpose.includes('verification'));
    expect(grant, JSON.stringify(grants.map((g) => g.purpose))).toBeTruthy();
    expect((await w.call('owner', 'POST', `/api/share/grants/${grant!.id}/revoke`, { reason: '数据提供单位暂停供数' })).statusCode).toBe(200);
    const stopped = await ask();
    expect(stopped.statusCode).toBe(403);
    expect(stopped.json()).toMatchObject({ code: 'OPERATION_SUPPLY_WITHDRAWN', rule: 'catalog.grant', catalogCode: 'SHARE_GRANT_REVOKED' });
    expect((await w.call('admin', 'POST', `/api/operation/products/${p.verify}/suspend`, { reason: '待数据提供单位恢复供数' })).statusCode).toBe(200);
    expect((await ask()).json()).toMatchObject({ code: 'OPERATION_PRODUCT_NOT_AVAILABLE', rule: 'product.status' });
    expect((await w.call('admin', 'POST', `/api/operation/products/${p.verify}/resume`)).statusCode).toBe(200);
    expect((await ask()).json().result.match).toBe(true);
  });

  it('decides each call on the terms in force on every node, even one that hears nothing of the change (its copy is checked when metering)', async () => {
    // Node B shares the database only, no bus: what it keeps of the call terms must not outlive a change made on A.
    const nodeB: TestHub = await createTestHub(engine, { database: w.hub.database, clock: () => w.now });
    const calls = async () => Number((await w.hub.database.pool.query(`select count(*) as n from operation_call where product_id = $1`, [p.verify])).rows[0].n);
    // the calls the catalog's per-minute limits of the delivery grants counted (this test's clock stands still)
    const counted = async () => Number((await w.hub.database.pool.query(
      `select count(*) as n from throttle_failure where scope = 'catalog.grant-call' and at >= $1`, [new Date(w.now.getTime() - 30_000)])).rows[0].n);
    try {
      const onB = () => nodeB.http.inject({
        method: 'POST', url: `/api/operation/products/${p.verify}/call`, headers: { authorization: `Bearer ${w.keys.bank}` },
        payload: { purpose: 'kyc', input: { values: { id_number: person.id_number, name: person.name } } },
      });
      const before = await calls();
      const countedBefore = await counted();
      expect((await onB()).json().fee).toMatchObject({ unitPriceFen: 10, feeFen: 10 });
      expect((await onB()).json().fee).toMatchObject({ unitPriceFen: 10, feeFen: 10 });
      // a new price within the cap: billed from the next call on B
      expect((await w.call('operator', 'PUT', `/api/operation/products/${p.verify}/price`, { unit: 'per_call', priceFen: 9 })).statusCode).toBe(200);
      expect((await onB()).json().fee).toMatchObject({ unitPriceFen: 9, feeFen: 9 });
      // the cap lowered below the price, the scope narrowed, the product suspended: each stops B's next call
      expect((await w.call('admin', 'PUT', `/api/operation/licences/${L1.id}/fee-caps/${p.verify}`, { unit: 'per_call', capFen: 8 })).statusCode).toBe(200);
      expect((await onB()).json()).toMatchObject({ code: 'OPERATION_PRICE_ABOVE_CAP', rule: 'licence.fee_cap' });
      expect((await w.call('admin', 'PUT', `/api/operation/licences/${L1.id}/fee-caps/${p.verify}`, { unit: 'per_call', capFen: 10 })).statusCode).toBe(200);
      expect((await onB()).statusCode).toBe(200);
      expect((await w.call('admin', 'PATCH', `/api/operation/licences/${L1.id}`, { scope: [{ dataset: 'population', fields: ['id_number', 'age', 'district', 'income'] }] })).statusCode).toBe(200);
      expect((await onB()).json()).toMatchObject({ code: 'OPERATION_OUTSIDE_SCOPE', rule: 'licence.scope' });
      expect((await w.call('admin', 'PATCH', `/api/operation/licences/${L1.id}`, { scope: w.licenceInput().scope })).statusCode).toBe(200);
      expect((await onB()).statusCode).toBe(200);
      expect((await w.call('admin', 'POST', `/api/operation/products/${p.verify}/suspend`, { reason: '例行检查' })).statusCode).toBe(200);
      expect((await onB()).json()).toMatchObject({ code: 'OPERATION_PRODUCT_NOT_AVAILABLE', rule: 'product.status' });
      expect((await w.call('admin', 'POST', `/api/operation/products/${p.verify}/resume`)).statusCode).toBe(200);
      expect((await onB()).json().result.match).toBe(true);
      // every answered call metered once, none of the refused ones — and counted once against the delivery grant's
      // per-minute limit, though B read on its stale copy first (rolled back) and then again on fresh terms
      expect(await calls()).toBe(before + 6);
      expect(await counted()).toBe(countedBefore + 6);
    } finally {
      await w.call('operator', 'PUT', `/api/operation/products/${p.verify}/price`, { unit: 'per_call', priceFen: 10 });
      await nodeB.close();
    }
  });

  it('stops a suspended licence\'s keys at once, on every node, and withdraws its data', async () => {
    const nodeB: TestHub = await createTestHub(engine, { database: w.hub.database, clock: () => w.now, config: { events } });
    try {
      const onB = (who: string) => nodeB.http.inject({
        method: 'POST', url: `/api/operation/products/${p.verify}/call`, headers: { authorization: `Bearer ${w.keys[who]}` },
        payload: { purpose: 'kyc', input: { values: { id_number: person.id_number, name: person.name } } },
      });
      expect((await onB('bank')).statusCode).toBe(200);
      const suspended = await w.call('admin', 'POST', `/api/operation/licences/${L1.id}/suspend`, { reason: '安全检查发现违规' });
      expect(suspended.json()).toMatchObject({ status: 'suspended', statusReason: '安全检查发现违规' });
      expect((await w.use('bank', p.verify!, { purpose: 'kyc', input: { values: { id_number: person.id_number, name: person.name } } })).statusCode).toBe(401);
      expect((await onB('bank')).statusCode).toBe(401);
      expect((await onB('insurer')).statusCode).toBe(401);
      const products = (await w.call('admin', 'GET', '/api/operation/products')).json();
      expect(products.filter((x: { licenceId: string }) => x.licenceId === L1.id).every((x: { status: string }) => x.status === 'suspended')).toBe(true);
      const grants = await w.hub.services.catalog.sharing.listGrants(systemActor('test', ['data_admin']));
      const delivery = grants.filter((g) => g.purpose.includes(L1.number));
      expect(delivery.length).toBeGreaterThan(0);
      expect(delivery.every((g) => g.state === 'revoked')).toBe(true);
      // the other licence goes on (on a day whose quota is not used up yet)
      const saved = w.now;
      w.now = new Date(saved.getTime() + 2 * DAY);
      expect((await w.use('shortUser', p.short!, { purpose: 'kyc', input: { values: { id_number: person.id_number, name: person.name } } })).statusCode).toBe(200);
      w.now = saved;

      const resumed = await w.call('admin', 'POST', `/api/operation/licences/${L1.id}/resume`);
      expect(resumed.json().status).toBe('active');
      const fresh = await w.access('bank2', L1.id, 'bank', [p.verify!], ['kyc']);
      expect(fresh).toBeTruthy();
      expect((await w.use('bank2', p.verify!, { purpose: 'kyc', input: { values: { id_number: person.id_number, name: person.name } } })).json().result.match).toBe(true);

      const terminated = await w.call('admin', 'POST', `/api/operation/licences/${L1.id}/terminate`, { reason: '运营机构申请退出' });
      expect(terminated.json().status).toBe('terminated');
      expect((await onB('bank2')).statusCode).toBe(401);
      const attested = await w.call('operator', 'POST', `/api/operation/licences/${L1.id}/deletion-attestation`, {
        statement: '已删除授权期间形成的全部中间数据与模型缓存', deletedAt: '2026-03-02', evidenceSha256: 'a'.repeat(64),
      });
      expect(attested.statusCode, attested.body).toBe(200);
      expect(attested.json().deletionAttestation).toMatchObject({ evidenceSha256: 'a'.repeat(64) });
      const kinds = (await w.hub.database.pool.query(`select kind from ledger_entry where subject = $1 order by idx`, [`operation_licence:${L1.id}`])).rows.map((r: { kind: string }) => r.kind);
      expect(kinds).toEqual(expect.arrayContaining(['operation.licence.suspended', 'operation.licence.products_suspended', 'operation.licence.resumed',
        'operation.licence.terminated', 'operation.licence.products_withdrawn', 'operation.licence.deletion_attested']));
    } finally {
      await nodeB.close();
    }
  });
});
