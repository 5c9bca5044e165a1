/**
 * Context layer benchmarks on PostgreSQL (docs/context.md has the figures):
 *
 *   node --import tsx bench/context/context.bench.ts [--database-url postgres://…] [--calls 30] [--runs 5]
 *        [--entities 100000] [--queries 200] [--temporal-entities 100] [--temporal-days 30] [--only upsert,query,temporal]
 *
 * 1. Upserts/s through POST /ngsi-ld/v1/entityOperations/upsert over real HTTP (100 entities × 10 attributes a
 *    call, one client, sequential) against the baseline in the same run: raw multi-row INSERTs of the same
 *    entities (same JSON) into a plain table of the same PostgreSQL, 100 rows a statement. Medians of the runs.
 *    Then the same with `--concurrency` calls in flight (as device gateways send) against raw INSERTs on as
 *    many connections at once; the sequential ratio stays the headline.
 * 2. p50/p95 of `type` + `q` + `near` over N entities (GET /entities over HTTP, random centres in the city).
 * 3. Temporal: hourly averages over a month of minute data (100 entities × 43,200 readings), one entity per
 *    request and all 100 in one request.
 * Everything runs in a schema of its own, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { sql } from 'kysely';
import { openDatabase } from '../../src/platform/db/database.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { createCityHub } from '../../src/server/app.js';
import { upsertEntities } from '../../src/context/entity-store.js';
import { rebuildHourly, rollUpHistory } from '../../src/context/history-store.js';

const { values: args } = parseArgs({
  options: {
    'database-url': { type: 'string', default: process.env.CITYHUB_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    calls: { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '4' },
    runs: { type: 'string', default: '5' },
    entities: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    'temporal-entities': { type: 'string', default: '100' },
    'temporal-days': { type: 'string', default: '30' },
    only: { type: 'string', default: 'upsert,query,temporal' },
  },
});
const url = args['database-url']!;
const only = new Set(args.only!.split(','));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const CITY = { lon: 112.9, lat: 28.2, spread: 0.18 };
const LINK = '<https://smartdatamodels.org/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"';

const schema = `ctx_bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`create schema ${schema}`);
const database = await openDatabase({ databaseUrl: url, searchPath: schema, poolMax: 10 });
const dropSchema = async () => {
  await database.close().catch(() => undefined);
  await admin.query(`drop schema if exists ${schema} cascade`);
  await admin.end();
};
process.on('SIGINT', () => void dropSchema().then(() => process.exit(130)));
const config = { ...loadConfig({ LOG_LEVEL: 'silent' }), bodyLimit: 16 * 1024 * 1024, modules: { context: { batchMax: 1000, simulator: { enabled: false }, mqtt: { ingest: false } } } };
const hub = await createCityHub({ config, database, logger: false }).catch(async (err) => {
  await dropSchema();
  throw err;
});
const base = await hub.http.listen({ port: 0, host: '127.0.0.1' });
const system = { kind: 'api_key' as const, id: 'bench', roles: ['admin' as const] };
let key = '';
try {
  key = (await hub.services.auth.createApiKey(system, { name: 'bench', roles: ['data_admin'] })).key;
} catch (err) {
  await hub.close();
  await dropSchema();
  throw err;
}
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json', link: LINK };
console.log(`PostgreSQL ${url} schema ${schema}; CityHub on ${base}`);

try {
  if (only.has('upsert')) {
    const calls = Number(args.calls);
    const runs = Number(args.runs);
    const makeBatch = (call: number, run: number) => Array.from({ length: 100 }, (_, i) => {
      const e: Record<string, unknown> = { id: `urn:ngsi-ld:Device:u${call * 100 + i}`, type: 'Device' };
      for (let a = 0; a < 10; a++) e[`m${a}`] = { type: 'Property', value: run * 1000 + a + i / 100, observedAt: new Date(Date.UTC(2026, 10, 26, 0, run, a)).toISOString() };
      return e;
    });
    await sql`create table bench_raw (id text primary key, type text not null, attrs jsonb not null)`.execute(database.db);
    const http: number[] = [];
    const raw: number[] = [];
    type Batch = ReturnType<typeof makeBatch>;
    const upsertCall = async (b: Batch) => {
      const res = await fetch(`${base}/ngsi-ld/v1/entityOperations/upsert`, { method: 'POST', headers, body: JSON.stringify(b) });
      if (res.status !== 201 && res.status !== 204) throw new Error(`upsert ${res.status}: ${await res.text()}`);
    };
    const rawInsert = async (b: Batch) => {
      const params: unknown[] = [];
      const values = b.map((e, i) => {
        params.push(e.id, e.type, JSON.stringify(e));
        return `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3}::jsonb)`;
      });
      await database.pool.query(`insert into bench_raw (id, type, attrs) values ${values.join(',')}`, params);
    };
    /** Entities (rows) per second of the calls, `inFlight` at a time (1: one after the other). */
    const rate = async (batches: Batch[], inFlight: number, call: (b: Batch) => Promise<void>) => {
      const t = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: inFlight }, async () => {
        while (next < batches.length) await call(batches[next++]);
      }));
      return (batches.length * 100) / ((performance.now() - t) / 1000);
    };
    for (let run = 0; run < runs; run++) {
      const batches = Array.from({ length: calls }, (_, c) => makeBatch(c, run));
      http.push(await rate(batches, 1, upsertCall));
      await sql`truncate bench_raw`.execute(database.db);
      raw.push(await rate(batches, 1, rawInsert));
      console.log(`  run ${run + 1}/${runs} (${run === 0 ? 'creates' : 'updates'}): HTTP batch upsert ${http[run].toFixed(0)} entities/s, raw INSERT ${raw[run].toFixed(0)} rows/s`);
    }
    const h = median(http.slice(1)), r = median(raw.slice(1));
    console.log(`UPSERT  HTTP batch upsert (100 entities × 10 attrs, with history): median ${h.toFixed(0)} entities/s = ${(h * 10).toFixed(0)} attribute updates/s`);
    console.log(`        raw multi-row INSERT of the same rows:                    median ${r.toFixed(0)} rows/s`);
    console.log(`        ratio ${(h / r * 100).toFixed(1)} % of raw (goal ≥ 50 %); first run (all creates): ${http[0].toFixed(0)} vs ${raw[0].toFixed(0)}`);
    // The same calls with several in flight (each call its own entities), and the raw baseline with as many
    // connections inserting at once: what a server with concurrent device gateways sees. Updates only.
    const inFlight = Number(args.concurrency);
    if (inFlight > 1) {
      const httpC: number[] = [];
      const rawC: number[] = [];
      for (let run = 0; run < runs; run++) {
        const batches = Array.from({ length: calls }, (_, c) => makeBatch(c, runs + run));
        httpC.push(await rate(batches, inFlight, upsertCall));
        await sql`truncate bench_raw`.execute(database.db);
        rawC.push(await rate(batches, inFlight, rawInsert));
        console.log(`  run ${run + 1}/${runs} (${inFlight} in flight): HTTP batch upsert ${httpC[run].toFixed(0)} entities/s, raw INSERT on ${inFlight} connections ${rawC[run].toFixed(0)} rows/s`);
      }
      const hc = median(httpC), rc = median(rawC);
      console.log(`        with ${inFlight} calls in flight: median ${hc.toFixed(0)} entities/s vs raw INSERT on ${inFlight} connections ${rc.toFixed(0)} rows/s = ${(hc / rc * 100).toFixed(1)} % (the sequential ratio above is the headline)`);
    }
    // The hourly rollup is folded in behind the writes (the server's background job); what that costs:
    const t = performance.now();
    let folded = 0;
    for (let n; (n = await rollUpHistory(database.db)) > 0;) folded += n;
    const s = (performance.now() - t) / 1000;
    console.log(`        background rollup of that history: ${folded} entity changes (${folded * 10} readings) in ${s.toFixed(2)} s = ${(folded / s).toFixed(0)} changes/s`);
  }

  if (only.has('query')) {
    const n = Number(args.entities);
    const types = ['https://smartdatamodels.org/dataModel.Parking/ParkingSpot', 'https://smartdatamodels.org/dataModel.Streetlighting/Streetlight',
      'https://smartdatamodels.org/dataModel.Environment/AirQualityObserved', 'https://smartdatamodels.org/dataModel.Transportation/TrafficFlowObserved',
      'https://smartdatamodels.org/dataModel.WasteManagement/WasteContainer'];
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const t0 = performance.now();
    const now = new Date().toISOString();
    for (let start = 0; start < n; start += 1000) {
      const rows = Array.from({ length: Math.min(1000, n - start) }, (_, k) => {
        const i = start + k;
        const lon = CITY.lon + (rnd() * 2 - 1) * CITY.spread, lat = CITY.lat + (rnd() * 2 - 1) * CITY.spread;
        const inst = (value: unknown) => [{ type: 'Property', value, createdAt: now, modifiedAt: now }];
        return {
          id: `urn:ngsi-ld:Thing:q${i}`, types: [types[i % types.length]], created_at: now, modified_at: now,
          box: { minLon: lon, maxLon: lon, minLat: lat, maxLat: lat },
          attrs: {
            'https://smartdatamodels.org/status': inst(rnd() < 0.5 ? 'free' : 'occupied'),
            'https://smartdatamodels.org/dataModel.Parking/width': inst(Math.round(rnd() * 50) / 10),
            'https://uri.etsi.org/ngsi-ld/location': [{ type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] }, createdAt: now, modifiedAt: now }],
          },
        };
      });
      await upsertEntities(database.db, '', rows as never, 'insert');
    }
    await sql`analyze context_entity`.execute(database.db);
    console.log(`  loaded ${n} entities in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const q = encodeURIComponent('status=="free";width>2');
    const times: number[] = [];
    let results = 0;
    const total = Number(args.queries);
    for (let i = 0; i < total + 10; i++) {
      const lon = CITY.lon + (rnd() * 2 - 1) * CITY.spread * 0.8, lat = CITY.lat + (rnd() * 2 - 1) * CITY.spread * 0.8;
      const t = performance.now();
      const res = await fetch(`${base}/ngsi-ld/v1/entities?type=ParkingSpot&q=${q}&georel=near;maxDistance==1000&geometry=Point&coordinates=[${lon.toFixed(5)},${lat.toFixed(5)}]&limit=100`, { headers });
      const body = (await res.json()) as unknown[];
      if (res.status !== 200) throw new Error(`query ${res.status}`);
      if (i >= 10) {
        times.push(performance.now() - t);
        results += body.length;
      }
    }
    console.log(`QUERY   type + q + near;maxDistance==1000 over ${n} entities (${total} queries, ${(results / total).toFixed(1)} results each): p50 ${pct(times, 50).toFixed(1)} ms, p95 ${pct(times, 95).toFixed(1)} ms (goal p95 < 50 ms)`);
  }

  if (only.has('temporal')) {
    const ents = Number(args['temporal-entities']);
    const days = Number(args['temporal-days']);
    const t0 = performance.now();
    const now = new Date().toISOString();
    await upsertEntities(database.db, '', Array.from({ length: ents }, (_, e) => ({
      id: `urn:ngsi-ld:AirQualityObserved:h${String(e).padStart(3, '0')}`, types: ['https://smartdatamodels.org/dataModel.Environment/AirQualityObserved'],
      attrs: { 'https://smartdatamodels.org/dataModel.Environment/pm25': [{ type: 'Property', value: 1, createdAt: now, modifiedAt: now }] as never },
      created_at: now, modified_at: now,
    })), 'insert');
    // Server-side generation: a reading a minute per entity for the month (no rows cross the wire), one history
    // row per reading as the write path stores it. Marked rolled up: rebuildHourly below builds the rollup once.
    for (let e = 0; e < ents; e += 10) {
      await sql`
        insert into context_history (tenant, entity_id, recorded_at, obs_min, obs_max, attrs, rolled)
        select '', 'urn:ngsi-ld:AirQualityObserved:h' || lpad(e::text, 3, '0'), t, t, t,
          jsonb_build_object('https://smartdatamodels.org/dataModel.Environment/pm25', jsonb_build_array(jsonb_build_object('type', 'Property', 'value', v,
            'observedAt', to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))), true
        from generate_series(${e}::int, ${Math.min(e + 9, ents - 1)}::int) e,
          generate_series('2026-10-01T00:00:00Z'::timestamptz, '2026-10-01T00:00:00Z'::timestamptz + ${`${days} days`}::interval - interval '1 minute', interval '1 minute') t,
          lateral (select round((30 + 20 * sin(extract(epoch from t) / 3600.0 + e))::numeric, 1)::float8 as v) x`.execute(database.db);
    }
    const rows = ents * days * 1440;
    console.log(`  loaded ${rows} history rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // The bulk load bypassed the write path; build the hourly rollup once from the raw rows.
    const t1 = performance.now();
    await rebuildHourly(database.db, '');
    await sql`analyze context_history`.execute(database.db);
    await sql`analyze context_history_hourly`.execute(database.db);
    console.log(`  hourly rollup built in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    const window = `timerel=between&timeAt=2026-10-01T00:00:00Z&endTimeAt=${new Date(Date.UTC(2026, 9, 1 + days)).toISOString()}`;
    const one: number[] = [];
    const all: number[] = [];
    for (let i = 0; i < 12; i++) {
      let t = performance.now();
      let res = await fetch(`${base}/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:AirQualityObserved:h${String(i % ents).padStart(3, '0')}?attrs=pm25&aggrMethods=avg&aggrPeriodDuration=PT1H&${window}`, { headers });
      const body = (await res.json()) as { pm25: { avg: unknown[] } };
      if (res.status !== 200 || body.pm25.avg.length !== days * 24) throw new Error(`temporal ${res.status}`);
      if (i >= 2) one.push(performance.now() - t);
      if (i < 7) {
        t = performance.now();
        res = await fetch(`${base}/ngsi-ld/v1/temporal/entities?type=AirQualityObserved&attrs=pm25&aggrMethods=avg&aggrPeriodDuration=PT1H&${window}&limit=${ents}`, { headers });
        const list = (await res.json()) as unknown[];
        if (res.status !== 200 || list.length !== ents) throw new Error(`temporal all ${res.status}`);
        if (i >= 2) all.push(performance.now() - t);
      }
    }
    const rawOne: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const res = await fetch(`${base}/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:AirQualityObserved:h000?attrs=pm25&aggrMethods=avg,totalCount&aggrPeriodDuration=PT1H&${window}`, { headers });
      if (res.status !== 200) throw new Error(`temporal raw ${res.status}`);
      await res.json();
      if (i >= 1) rawOne.push(performance.now() - t);
    }
    console.log(`TEMPORAL without the rollup (avg + totalCount read the raw rows), one entity: p50 ${pct(rawOne, 50).toFixed(0)} ms`);
    console.log(`TEMPORAL hourly avg over ${days} days of minute data: one entity (${days * 1440} readings → ${days * 24} averages) p50 ${pct(one, 50).toFixed(0)} ms, p95 ${pct(one, 95).toFixed(0)} ms`);
    console.log(`         all ${ents} entities in one request (${rows} readings → ${ents * days * 24} averages) p50 ${pct(all, 50).toFixed(0)} ms, max ${Math.max(...all).toFixed(0)} ms (goal < 200 ms)`);
  }
} finally {
  await hub.close();
  await dropSchema();
}
