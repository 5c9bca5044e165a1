/**
 * NGSI-LD upserts in a tenant with many subscriptions, on PostgreSQL (issue 20, a megacity's sensors): every
 * change is matched against the tenant's active subscriptions inside its writing transaction. Device gateways
 * send one entity a call; the city's subscriptions (dashboards, alerting, other systems) watch other types.
 *
 *   node --import tsx bench/context/subscriptions.bench.ts [--database-url postgres://…] [--subscriptions 0,100,1000,5000] [--seconds 4] [--concurrency 4] [--runs 3]
 *
 * For each count the tenant holds that many active subscriptions to other entity types (none fires), then
 * single-entity upserts over real HTTP, `--concurrency` in flight, for `--seconds`; repeated `--runs` times over
 * the counts in turn, each run in a tenant of its own. One more subscription watches the upserted type (throttled
 * to one notification a second), so every upsert is matched and may notify, as in a city with any subscription at
 * all; its notifications go to a local sink and are checked to have arrived. Printed per count: median upserts/s,
 * p50 and p99 ms, and the ratio to the first count (default 0: that one subscription alone) in the same run.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { sql } from 'kysely';
import { openDatabase } from '../../src/platform/db/database.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { createCityHub } from '../../src/server/app.js';
import { median, percentile } from '../stats.js';

const { values: args } = parseArgs({
  options: {
    'database-url': { type: 'string', default: process.env.CITYHUB_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    subscriptions: { type: 'string', default: '0,100,1000,5000' },
    seconds: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
  },
});
const counts = args.subscriptions!.split(',').map(Number);
const seconds = Number(args.seconds);
const concurrency = Number(args.concurrency);
const runs = Number(args.runs);
const LINK = '<https://smartdatamodels.org/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"';

const schema = `sub_bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: args['database-url'] });
await admin.connect();
await admin.query(`create schema ${schema}`);
const database = await openDatabase({ databaseUrl: args['database-url']!, searchPath: schema, poolMax: 10 });
const config = {
  ...loadConfig({ LOG_LEVEL: 'silent' }),
  outbound: { allow: ['127.0.0.1'] }, // the sink listens on loopback, which the outbound guard refuses unless allowed
  modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false }, subscriptions: { maxPerOwner: 100_000 } } },
};
const hub = await createCityHub({ config: config as never, database, logger: false });
let notified = 0;
const sink = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    notified++;
    res.writeHead(204).end();
  });
});
try {
  await hub.start(); // the notification dispatcher
  const base = await hub.http.listen({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}/notify`;
  const system = { kind: 'api_key' as const, id: 'bench', roles: ['admin' as const] };
  const key = (await hub.services.auth.createApiKey(system, { name: 'bench', roles: ['data_admin'] })).key;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json', link: LINK };
  console.log(`PostgreSQL schema ${schema}; single-entity upserts, ${concurrency} in flight, ${seconds} s per count, ${runs} runs`);
  const results = new Map<number, { rate: number; p50: number; p99: number }[]>();
  let k = 0;
  for (let run = 0; run < runs; run++) {
    // The counts only grow, so the subscriptions are made once; each run measures every count in turn, on a
    // tenant of its own so the earlier runs' subscriptions do not count.
    let held = 0;
    const tenant = `bench-${run}`;
    const inTenant = { ...headers, 'NGSILD-Tenant': tenant };
    const postIn = async (path: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: inTenant, body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${path} ${res.status}: ${await res.text()}`);
    };
    // One subscription watches the upserted type in every count, so each upsert is matched and notifies (the
    // baseline is the tenant with that one alone): what the counts add is subscriptions to other types.
    await postIn('/ngsi-ld/v1/subscriptions', {
      id: 'urn:ngsi-ld:Subscription:watched', type: 'Subscription', entities: [{ type: 'BenchSensor' }],
      watchedAttributes: ['reading'], throttling: 1, notification: { endpoint: { uri: sinkUrl, accept: 'application/json' } },
    });
    for (const n of counts) {
      while (held < n) {
        await postIn('/ngsi-ld/v1/subscriptions', {
          id: `urn:ngsi-ld:Subscription:other-${held}`, type: 'Subscription', entities: [{ type: `OtherSensor${held % 50}` }],
          watchedAttributes: ['reading'], notification: { endpoint: { uri: sinkUrl, accept: 'application/json' } },
        });
        held++;
      }
      const latencies: number[] = [];
      const deadline = performance.now() + seconds * 1000;
      const started = performance.now();
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const i = k++;
          const t0 = performance.now();
          await postIn('/ngsi-ld/v1/entityOperations/upsert', [{ id: `urn:ngsi-ld:BenchSensor:${i % 500}`, type: 'BenchSensor', reading: { type: 'Property', value: i } }]);
          latencies.push(performance.now() - t0);
        }
      }));
      const rate = latencies.length / ((performance.now() - started) / 1000);
      const of = results.get(n) ?? [];
      of.push({ rate, p50: percentile(latencies, 50), p99: percentile(latencies, 99) });
      results.set(n, of);
      console.log(`  run ${run + 1}: ${n} other subscriptions: ${rate.toFixed(0)} upserts/s`);
    }
  }
  const baseline = median(results.get(counts[0])!.map((r) => r.rate));
  console.log('other subscriptions  upserts/s  p50 ms  p99 ms  vs ' + counts[0]);
  for (const n of counts) {
    const of = results.get(n)!;
    const rate = median(of.map((r) => r.rate));
    console.log(`${String(n).padStart(19)}  ${rate.toFixed(0).padStart(9)}  ${median(of.map((r) => r.p50)).toFixed(1).padStart(6)}  ${median(of.map((r) => r.p99)).toFixed(1).padStart(6)}  ${(rate / baseline).toFixed(2).padStart(5)}`);
  }
  // the watched subscription's notifications (throttled to one a second) reached the sink
  const deadline = Date.now() + 10_000;
  while (notified === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const queued = Number((await sql<{ n: string }>`select count(*) as n from context_outbox`.execute(database.db)).rows[0].n);
  console.log(`notifications delivered to the sink: ${notified} (outbox rows left: ${queued})`);
  if (notified === 0) process.exitCode = 1;
} finally {
  sink.close();
  await hub.close();
  await database.close().catch(() => undefined);
  await admin.query(`drop schema if exists ${schema} cascade`);
  await admin.end();
}
