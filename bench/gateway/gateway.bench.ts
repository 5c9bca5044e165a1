/**
 * Masked rows/s through the sharing gateway against reading the same rows straight from the database, in the
 * same run, on PostgreSQL (goal: the gateway at least 1/3 of the raw rate).
 *
 *   node --import tsx bench/gateway/gateway.bench.ts [--rows 1000000] [--runs 3] [--page 10000] [--http] [--json]
 *
 * Setup: a schema of its own in BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropped at
 * the end; a 20-field dataset whose rows are generated in SQL (generate_series; the load path is measured by the
 * tests, not here); a grant of all 20 fields with 8 of them masked (HMAC, keep, date→year, age→band,
 * address→district, redact, nullify).
 *
 * raw:     keyset pages of `select id, subject_key, data … order by id limit <page>` on the same pool (rows parsed
 *          into JS objects by pg, nothing else).
 * gateway: GatewayService.rows page by page — grant check, the same query, masking, JSON serialisation,
 *          SHA-256 of the body, quota update, ledger entry and the "who used my data" access row, one transaction
 *          per page. `--http` also measures the HTTP route (Fastify inject with an API key).
 * Runs alternate raw/gateway; figures are medians. Wall-clock and CPU seconds are printed (the machine may be
 * shared; the ratio from the same run is the figure to read).
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
import { median } from '../stats.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    page: { type: 'string', default: '10000' },
    http: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);
const PAGE = Number(values.page);
const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (m: string): void => void process.stderr.write(`${m}\n`);

const schema = `bench_gateway_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`create schema ${schema}`);
const database = await openDatabase({ databaseUrl: url, searchPath: schema, poolMax: 4 });

try {
  const hub = await createCityHub({ config: loadConfig({ LOG_LEVEL: 'silent' }), database, logger: false });
  const { auth, catalog } = hub.services;
  const setup: Actor = { kind: 'user', roles: ['admin'] };
  const owner = await auth.insertOrg(setup, { name: '市公安局', kind: 'department' });
  const consumer = await auth.insertOrg(setup, { name: '市人社局', kind: 'department' });
  const ownerActor: Actor = { kind: 'user', id: 'bench', orgId: owner.id, roles: ['dept_data_owner'] };
  const consumerActor: Actor = { kind: 'user', id: 'bench', orgId: consumer.id, roles: ['handler'] };

  const g = (name: string, type: FieldInput['type'], more: Partial<FieldInput> = {}): FieldInput =>
    ({ name, title: name, type, category: 'personal.profile', grade: 'general', generalLevel: '2', ...more });
  const fields: FieldInput[] = [
    g('id_number', 'cn_id', { grade: 'important', generalLevel: null, sensitive: true, subjectId: true, category: 'personal.identity' }),
    g('name', 'string'), g('gender', 'string'), g('birth_date', 'date'), g('age', 'integer'), g('phone', 'string'),
    g('address', 'string'), g('district', 'string'), g('street', 'string'), g('income', 'number'),
    g('f11', 'string'), g('f12', 'string'), g('f13', 'integer'), g('f14', 'number'), g('f15', 'boolean'),
    g('f16', 'date'), g('f17', 'string'), g('f18', 'string'), g('f19', 'integer'), g('f20', 'string'),
  ];
  const ds = await catalog.catalog.createDataset(ownerActor, {
    identifier: 'bench', title: '基准人口', description: 'bench', shareAttr: 'conditional', openAttr: 'not_open', updateCycle: 'daily', fields,
  });

  log(`generating ${ROWS} rows × ${fields.length} fields in ${schema}…`);
  let t = performance.now();
  // Rows made in SQL: 20 fields, realistic string lengths; the subject key stands in for the keyed ID hash.
  for (let from = 1; from <= ROWS; from += 250_000) {
    const to = Math.min(ROWS, from + 249_999);
    await sql`
      insert into catalog_row (dataset_id, from_version, subject_key, data)
      select ${ds.id}::uuid, 1, md5(i::text) || md5((i * 7)::text), jsonb_build_object(
        'id_number', '99010119' || lpad(i::text, 10, '0'), 'name', '测试人员' || i, 'gender', case when i % 2 = 0 then '女' else '男' end,
        'birth_date', to_char(date '1950-01-01' + (i % 20000), 'YYYY-MM-DD'), 'age', 18 + i % 70, 'phone', '139' || lpad(i::text, 8, '0'),
        'address', '云川市临江区滨江街道江滨路' || (i % 300) || '号' || (i % 20) || '栋', 'district', (array['临江区','青山区','新湖区','白塔区','高新区'])[1 + i % 5],
        'street', '街道' || (i % 19), 'income', 3000 + (i % 20000) * 1.5, 'f11', 'code-' || (i % 1000), 'f12', 'note ' || i,
        'f13', i % 97, 'f14', (i % 1000) / 7.0, 'f15', i % 3 = 0, 'f16', to_char(date '2020-01-01' + (i % 1500), 'YYYY-MM-DD'),
        'f17', 'category-' || (i % 12), 'f18', md5(i::text), 'f19', i, 'f20', 'status-' || (i % 4))
      from generate_series(${from}::int, ${to}::int) as i`.execute(database.db);
  }
  await sql`analyze catalog_row`.execute(database.db);
  log(`  ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const request = await catalog.sharing.request(consumerActor, {
    dataset: 'bench', fields: fields.map((f) => f.name), purpose: '基准测试', legalBasis: 'bench', until: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  });
  await catalog.sharing.decide(ownerActor, request.request.id, {
    decision: 'grant', maxCallsPerMinute: 1_000_000, maxRowsPerDay: 1_000_000_000,
    masks: {
      id_number: { fn: 'hmac' }, name: { fn: 'keep', first: 1, last: 0 }, birth_date: { fn: 'date', unit: 'year' }, age: { fn: 'age_band' },
      phone: { fn: 'keep', first: 3, last: 4 }, address: { fn: 'district' }, f11: { fn: 'redact' }, f12: { fn: 'nullify' },
    },
  });

  const raw = async (): Promise<number> => {
    let after = 0;
    let n = 0;
    for (;;) {
      const { rows } = await database.pool.query(
        'select id, subject_key, data from catalog_row where dataset_id = $1 and to_version is null and id > $2 order by id limit $3', [ds.id, after, PAGE]);
      n += rows.length;
      if (rows.length < PAGE) break;
      after = Number(rows[rows.length - 1].id);
    }
    return n;
  };
  const gateway = async (): Promise<number> => {
    let after = 0;
    let n = 0;
    for (;;) {
      const page = await catalog.gateway.rows(consumerActor, 'bench', { after, limit: PAGE });
      n += page.rows;
      if (page.next === null) break;
      after = page.next;
    }
    return n;
  };
  const key = (await auth.createApiKey(setup, { name: 'bench', roles: ['handler'], orgId: consumer.id })).key;
  const http = async (): Promise<number> => {
    let after = 0;
    let n = 0;
    for (;;) {
      const res = await hub.http.inject({ url: `/api/share/bench/rows?limit=${PAGE}&after=${after}`, headers: { authorization: `Bearer ${key}` } });
      if (res.statusCode !== 200) throw new Error(res.body);
      const next = /"next":(\d+|null)\}$/.exec(res.body)![1]!;
      n += PAGE;
      if (next === 'null') { n -= PAGE - (res.body.match(/"id_number":/g)?.length ?? 0); break; }
      after = Number(next);
    }
    return n;
  };

  const measure = async (name: string, fn: () => Promise<number>) => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const n = await fn();
    const seconds = (performance.now() - start) / 1000;
    const c = process.cpuUsage(cpu);
    if (n !== ROWS) throw new Error(`${name} read ${n} rows, expected ${ROWS}`);
    log(`  ${name.padEnd(8)} ${(n / seconds).toFixed(0).padStart(9)} rows/s  (${seconds.toFixed(2)} s wall, ${((c.user + c.system) / 1e6).toFixed(2)} s CPU)`);
    return n / seconds;
  };

  const results: Record<string, number[]> = { raw: [], gateway: [], http: [] };
  await raw(); // warm the cache
  for (let run = 1; run <= RUNS; run++) {
    log(`run ${run}/${RUNS}`);
    results.raw!.push(await measure('raw', raw));
    results.gateway!.push(await measure('gateway', gateway));
    if (values.http) results.http!.push(await measure('http', http));
  }
  const summary = {
    rows: ROWS, fields: fields.length, maskedFields: 8, page: PAGE, runs: RUNS, engine: 'postgres',
    rawRowsPerSecond: Math.round(median(results.raw!)),
    gatewayRowsPerSecond: Math.round(median(results.gateway!)),
    ratio: Number((median(results.gateway!) / median(results.raw!)).toFixed(3)),
    ...(values.http ? { httpRowsPerSecond: Math.round(median(results.http!)), httpRatio: Number((median(results.http!) / median(results.raw!)).toFixed(3)) } : {}),
  };
  if (values.json) console.log(JSON.stringify(summary));
  else {
    console.log(`gateway bench: ${ROWS} rows × ${fields.length} fields (8 masked), pages of ${PAGE}, median of ${RUNS} runs, PostgreSQL`);
    console.log(`  raw (straight from the database)  ${summary.rawRowsPerSecond} rows/s`);
    console.log(`  gateway (masked, ledgered)        ${summary.gatewayRowsPerSecond} rows/s`);
    if (values.http) console.log(`  gateway over HTTP                 ${summary.httpRowsPerSecond} rows/s (ratio ${summary.httpRatio})`);
    console.log(`  ratio gateway/raw                 ${summary.ratio} (goal ≥ 0.333)`);
  }
  await hub.close();
} finally {
  await database.close();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
}
