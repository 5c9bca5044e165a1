/**
 * Metered product calls/s against direct gateway reads of the same rows, in the same run, on PostgreSQL (goal:
 * licence checks and metering cost under 20 % of throughput), and the p95 of a verification call (goal: under
 * 20 ms).
 *
 *   node --import tsx bench/operation/operation.bench.ts [--rows 1000] [--calls 300] [--runs 3] [--http] [--json] [--trace] [--interleave]
 *
 * Setup: a schema of its own in BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropped at
 * the end; a population dataset of `--rows` rows generated in SQL (conditionally shared); the implementing body,
 * an operator and a market user; a licence, a registered verification product (id_number + name, 10 fen a call,
 * within its cap) and the market user's access.
 *
 * direct:  what the product reads, read straight through the catalog's gateway as the in-domain organisation under
 *          the product's delivery grant: the asked person's row by key (GatewayService.lookup: grant check, the
 *          subject's keyed hash, masking, SHA-256, quota, ledger entry, access log, one transaction).
 * product: DeliveryService.call for the same people, in the same order — the access, licence, term, purpose,
 *          scope, grade (read from the catalog), use, fee cap and quota checks (on the node's copy of the call
 *          terms, checked by the metered call's insert), the same keyed gateway read, the match, and the metering
 *          (quota counters, the metered call, its ledger entry) in the read's transaction. `--http` also measures POST /api/operation/products/{id}/call with the market user's key.
 * Runs alternate direct/product; figures are medians; p95 is over every product call of every run. With
 * `--interleave` each run alternates call by call instead (a direct read, then the product call for the same
 * person), and each side's rate is its calls over the time its own calls took: on a machine whose load swings
 * from second to second both sides then meet the same load, which whole runs one after the other do not.
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { loadConfig } from '../../src/platform/config/config.js';
import { openDatabase } from '../../src/platform/db/database.js';
import { createCityHub } from '../../src/server/app.js';
import type { Actor } from '../../src/platform/auth/roles.js';
import type { FieldInput } from '../../src/catalog/index.js';
import { creditCodeCheckCharacter } from '../../src/platform/auth/auth-service.js';
import { median, percentile } from '../stats.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000' },
    calls: { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' },
    http: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    interleave: { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
const CALLS = Number(values.calls);
const RUNS = Number(values.runs);
const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (m: string): void => void process.stderr.write(`${m}\n`);

const creditCode = (first17: string): string => first17 + creditCodeCheckCharacter(first17);

const schema = `bench_operation_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`create schema ${schema}`);
const database = await openDatabase({ databaseUrl: url, searchPath: schema, poolMax: 4 });

try {
  const hub = await createCityHub({ config: loadConfig({ LOG_LEVEL: 'silent' }), database, logger: false });
  const { auth, catalog, operation } = hub.services;
  const setup: Actor = { kind: 'user', roles: ['admin'] };
  const bureau = await auth.insertOrg(setup, { name: '市数据局', kind: 'department', creditCode: creditCode('11990000MB0000001') });
  const police = await auth.insertOrg(setup, { name: '市公安局', kind: 'department', creditCode: creditCode('11990000MB0000002') });
  const operatorOrg = await auth.insertOrg(setup, { name: '云川数据运营有限公司', kind: 'operator', creditCode: creditCode('91990000MA0000001') });
  const bankOrg = await auth.insertOrg(setup, { name: '云川银行', kind: 'enterprise', creditCode: creditCode('91990000MA0000002') });
  const body: Actor = { kind: 'user', id: 'bench-body', orgId: bureau.id, roles: ['operation_admin'] };
  const operatorActor: Actor = { kind: 'user', id: 'bench-operator', orgId: operatorOrg.id, roles: ['market_operator'] };
  const owner: Actor = { kind: 'user', id: 'bench-owner', orgId: police.id, roles: ['dept_data_owner'] };

  const g = (name: string, type: FieldInput['type'], more: Partial<FieldInput> = {}): FieldInput =>
    ({ name, title: name, type, category: 'personal.profile', grade: 'general', generalLevel: '2', ...more });
  const ds = await catalog.catalog.createDataset(owner, {
    identifier: 'population', title: '常住人口', description: 'bench', shareAttr: 'conditional', openAttr: 'not_open', updateCycle: 'daily',
    fields: [
      g('id_number', 'cn_id', { grade: 'important', generalLevel: null, sensitive: true, subjectId: true, category: 'personal.identity', defaultMask: { fn: 'hmac' } }),
      g('name', 'string', { defaultMask: { fn: 'keep', first: 1, last: 0 } }), g('age', 'integer'), g('district', 'string'), g('income', 'number'),
    ],
  });
  log(`generating ${ROWS} rows in ${schema}…`);
  // The subject keys as the catalog makes them on upload (its keyed hash of the ID number), so keyed reads find them.
  const ids = Array.from({ length: ROWS }, (_, k) => `99010119${String(k + 1).padStart(10, '0')}`);
  const keys = await Promise.all(ids.map((id) => catalog.catalog.secrets.subjectKey(id)));
  await sql`
    insert into catalog_row (dataset_id, from_version, subject_key, data)
    select ${ds.id}::uuid, 1, k.key, jsonb_build_object(
      'id_number', '99010119' || lpad(i::text, 10, '0'), 'name', '测试人员' || i, 'age', 18 + i % 70,
      'district', (array['临江区','青山区','新湖区'])[1 + i % 3], 'income', 3000 + (i % 2000) * 1.5)
    from unnest(${keys}::text[]) with ordinality as k(key, i)`.execute(database.db);
  await sql`analyze catalog_row`.execute(database.db);

  const parties = operation.parties;
  await parties.register(body, { orgId: bureau.id, kind: 'implementing_body' });
  const operator = await parties.register(body, { orgId: operatorOrg.id, kind: 'operator' });
  const bank = await parties.register(body, { orgId: bankOrg.id, kind: 'market_user' });
  await operation.registry.registerResource(body, { dataset: 'population' });
  const licence = await operation.licences.apply(operatorActor, {
    operator: operator.id, title: '基准授权', mode: 'scenario', scope: [{ dataset: 'population', fields: ['id_number', 'name'] }], maxGrade: 'important',
    scenarios: [{ code: 'credit', name: '信贷风控', purposes: ['kyc'] }], validFrom: new Date(Date.now() - 86_400_000).toISOString(),
    validUntil: new Date(Date.now() + 300 * 86_400_000).toISOString(), quota: { period: 'month', calls: null, records: null },
  });
  await operation.licences.approve(body, licence.id);
  const product = await operation.registry.submitProduct(operatorActor, {
    licence: licence.id, name: '实名核验', description: 'bench', scenario: 'credit', spec: { type: 'verification', dataset: 'population', match: ['id_number', 'name'] },
  });
  await operation.registry.decideProduct(body, product.id, 'register');
  await operation.licences.setFeeCap(body, licence.id, product.id, { unit: 'per_call', capFen: 10 });
  await operation.registry.setPrice(operatorActor, product.id, { unit: 'per_call', priceFen: 10 });
  const issued = await operation.accesses.issue(operatorActor, { licence: licence.id, marketUser: bank.id, products: [product.id], purposes: ['kyc'] });
  const marketUser: Actor = { kind: 'api_key', id: issued.access.apiKeyId, orgId: bankOrg.id, roles: ['market_user'] };

  // People asked about: spread over the dataset, the same sequence for both sides.
  const targets = Array.from({ length: CALLS }, (_, k) => 1 + ((k * 7919) % ROWS));
  const ask = (i: number) => ({ purpose: 'kyc', input: { values: { id_number: `99010119${String(i).padStart(10, '0')}`, name: `测试人员${i}` } } });

  const first = await operation.delivery.call(marketUser, product.id, ask(targets[0]!)); // makes the delivery grant
  if (!first.result || (first.result as { match?: boolean }).match !== true) throw new Error('the product did not verify a known person');
  const { rows: grants } = await database.pool.query('select share_grant_id from operation_delivery_grant where status = $1', ['active']);
  const { rows: settings } = await database.pool.query('select value from operation_setting where key = $1', ['delivery_org_id']);
  const grant = grants[0].share_grant_id as string;
  const inDomain: Actor = { kind: 'system', id: 'bench-direct', orgId: settings[0].value, roles: ['handler'] };

  const direct = async (i: number): Promise<boolean> => {
    const want = ask(i).input.values;
    return catalog.gateway.lookup(inDomain, 'population', { grant, match: want, fields: ['id_number', 'name'] },
      async (answer) => answer.rows.some((r) => r.id_number === want.id_number && r.name === want.name));
  };
  const latencies: number[] = [];
  const viaService = async (i: number): Promise<boolean> => {
    const t = performance.now();
    const answer = await operation.delivery.call(marketUser, product.id, ask(i));
    latencies.push(performance.now() - t);
    return (answer.result as { match: boolean }).match;
  };
  const httpLatencies: number[] = [];
  const viaHttp = async (i: number): Promise<boolean> => {
    const t = performance.now();
    const res = await hub.http.inject({ method: 'POST', url: `/api/operation/products/${product.id}/call`, headers: { authorization: `Bearer ${issued.key}` }, payload: ask(i) });
    httpLatencies.push(performance.now() - t);
    if (res.statusCode !== 200) throw new Error(res.body);
    return res.json().result.match;
  };

  const measure = async (name: string, fn: (i: number) => Promise<boolean>) => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (const i of targets) if (!(await fn(i))) throw new Error(`${name}: person ${i} not found`);
    const seconds = (performance.now() - start) / 1000;
    const c = process.cpuUsage(cpu);
    log(`  ${name.padEnd(8)} ${(CALLS / seconds).toFixed(1).padStart(8)} calls/s  (${seconds.toFixed(2)} s wall, ${((c.user + c.system) / 1e6).toFixed(2)} s CPU)`);
    return CALLS / seconds;
  };

  if (values.trace) {
    // One call of each kind with every SQL statement it sends and its time: where a call's time goes.
    const pool = database.pool as unknown as { query: (...a: unknown[]) => Promise<unknown>; connect: () => Promise<{ query: (...a: unknown[]) => Promise<unknown> }> };
    const seen: string[] = [];
    const wrap = (q: (...a: unknown[]) => Promise<unknown>, self: unknown) => async (...a: unknown[]) => {
      const t = performance.now(); try { return await q.apply(self, a); } finally { seen.push(`${(performance.now() - t).toFixed(2)} ${String((a[0] as { text?: string })?.text ?? a[0]).slice(0, 90)}`); }
    };
    pool.query = wrap(pool.query, pool);
    const connect = pool.connect.bind(pool);
    pool.connect = async () => { const c = await connect(); if (!(c as { wrapped?: boolean }).wrapped) { c.query = wrap(c.query, c); (c as { wrapped?: boolean }).wrapped = true; } return c; };
    for (const [name, fn] of [['direct', direct], ['product', viaService]] as const) {
      await fn(targets[1]!); seen.length = 0; const t = performance.now(); await fn(targets[2]!);
      log(`${name}: ${(performance.now() - t).toFixed(1)} ms, ${seen.length} statements\n  ${seen.join('\n  ')}`);
    }
  }
  const results: Record<string, number[]> = { direct: [], product: [], http: [] };
  /** Both sides call by call, each timed on its own: direct, then the product for the same person. */
  const interleaved = async () => {
    const spent = { direct: 0, product: 0 };
    for (const i of targets) {
      for (const [side, fn] of [['direct', direct], ['product', viaService]] as const) {
        const t = performance.now();
        if (!(await fn(i))) throw new Error(`${side}: person ${i} not found`);
        spent[side] += performance.now() - t;
      }
    }
    const rate = (ms: number) => CALLS / (ms / 1000);
    log(`  direct ${rate(spent.direct).toFixed(1).padStart(8)} calls/s, product ${rate(spent.product).toFixed(1).padStart(8)} calls/s (interleaved)`);
    return { direct: rate(spent.direct), product: rate(spent.product) };
  };
  for (let run = 1; run <= RUNS; run++) {
    log(`run ${run}/${RUNS}`);
    if (values.interleave) {
      const both = await interleaved();
      results.direct!.push(both.direct);
      results.product!.push(both.product);
    } else {
      results.direct!.push(await measure('direct', direct));
      results.product!.push(await measure('product', viaService));
    }
    if (values.http) results.http!.push(await measure('http', viaHttp));
  }
  const directRate = median(results.direct!);
  const productRate = median(results.product!);
  const summary = {
    rows: ROWS, calls: CALLS, runs: RUNS, engine: 'postgres', interleaved: values.interleave,
    directCallsPerSecond: Number(directRate.toFixed(1)),
    productCallsPerSecond: Number(productRate.toFixed(1)),
    // interleaved runs are paired: the median of each run's own overhead, not the overhead of two medians
    overhead: Number((values.interleave
      ? median(results.product!.map((rate, k) => 1 - rate / results.direct![k]!))
      : 1 - productRate / directRate).toFixed(3)),
    p50Ms: Number(percentile(latencies, 50).toFixed(1)),
    p95Ms: Number(percentile(latencies, 95).toFixed(1)),
    ...(values.http ? {
      httpCallsPerSecond: Number(median(results.http!).toFixed(1)), httpOverhead: Number((1 - median(results.http!) / directRate).toFixed(3)),
      httpP95Ms: Number(percentile(httpLatencies, 95).toFixed(1)),
    } : {}),
  };
  if (values.json) console.log(JSON.stringify(summary));
  else {
    console.log(`operation bench: verification over ${ROWS} rows, ${CALLS} calls a run, median of ${RUNS} runs, PostgreSQL`);
    console.log(`  direct gateway reads of the same rows   ${summary.directCallsPerSecond} calls/s`);
    console.log(`  metered product calls                    ${summary.productCallsPerSecond} calls/s`);
    console.log(`  licence checks and metering cost         ${(summary.overhead * 100).toFixed(1)} % of throughput (goal < 20 %)`);
    console.log(`  verification call p50 / p95              ${summary.p50Ms} / ${summary.p95Ms} ms (goal p95 < 20 ms)`);
    if (values.http) console.log(`  over HTTP                                ${summary.httpCallsPerSecond} calls/s, p95 ${summary.httpP95Ms} ms`);
  }
  await hub.close();
} finally {
  await database.close();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
}
