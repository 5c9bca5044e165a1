/**
 * Per-request cost of identity (issue 20 item 6): throughput and p99 of the main read routes with an API key and
 * with a session, against the same route anonymously where allowed (/healthz), and against the same node with
 * the identity cache off (`auth.identityCache.ttlSeconds: 0`: every request looks its identity up, the behaviour
 * before the cache) — on BOTH engines in one run. Goal: an authenticated trivial route within 2× of anonymous.
 * Baseline from the issue (PGlite, 20 connections, before): /healthz anonymous 25.9k/s, with a key 1.9k/s,
 * /api/auth/me with a session 766/s.
 *
 *   node --import tsx bench/http/http.bench.ts [--seconds 2] [--runs 3] [--connections 20] [--engines pglite,postgres]
 *
 * Two nodes (cached, uncached) listen on 127.0.0.1 on one database: an in-memory PGlite, or a schema of its own
 * in BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropped at the end. The load generator
 * (bench/http/load.ts) keeps `connections` keep-alive connections busy for `seconds` (at most 200k requests);
 * cases alternate within a run, figures are medians of `runs`. Logging is off (logger: false).
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { loadConfig } from '../../src/platform/config/config.js';
import { openDatabase, type DatabaseHandle, type Engine } from '../../src/platform/db/database.js';
import { createCityHub, type CityHub } from '../../src/server/app.js';
import type { Actor } from '../../src/platform/auth/roles.js';
import { median } from '../stats.js';
import { load, type LoadResult } from './load.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    runs: { type: 'string', default: '3' },
    connections: { type: 'string', default: '20' },
    engines: { type: 'string', default: 'pglite,postgres' },
  },
});
const SECONDS = Number(values.seconds);
const RUNS = Number(values.runs);
const CONNECTIONS = Number(values.connections);
const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (m: string): void => void process.stderr.write(`${m}\n`);
const setup: Actor = { kind: 'user', roles: ['admin'] };

type Who = 'anonymous' | 'key' | 'session';
interface Case { route: string; path: string; who: Who; cache: boolean }

const routes: { route: string; path: string; anonymous: boolean }[] = [
  { route: '/healthz', path: '/healthz', anonymous: true },
  { route: '/api/auth/me', path: '/api/auth/me', anonymous: false },
  { route: 'ticket list', path: '/api/hotline/tickets?limit=20', anonymous: false },
  { route: 'NGSI-LD query', path: '/ngsi-ld/v1/entities?type=AirQualityObserved&limit=20', anonymous: false },
  { route: 'KPI', path: '/api/hotline/kpi', anonymous: false },
];
const cases: Case[] = routes.flatMap((r) => [
  ...(r.anonymous ? [{ route: r.route, path: r.path, who: 'anonymous' as const, cache: true }] : []),
  ...(['key', 'session'] as const).flatMap((who) => [true, false].map((cache) => ({ route: r.route, path: r.path, who, cache }))),
]);

async function openBenchDatabase(engine: Engine): Promise<DatabaseHandle> {
  if (engine === 'pglite') return openDatabase({});
  const schema = `bench_http_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const handle = await openDatabase({ databaseUrl: url, searchPath: schema, poolMax: 10 });
  return {
    ...handle,
    async close() {
      await handle.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}

const listen = async (hub: CityHub): Promise<string> => {
  await hub.http.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(hub.http.server.address() as AddressInfo).port}`;
};

/**
 * Twenty tickets, so the list returns rows. The NGSI-LD query runs its query but answers an empty list (an actor of
 * no organisation sees no context data): the figures are about the per-request cost.
 */
async function seed(hub: CityHub, key: (roles: string[]) => Promise<string>): Promise<void> {
  const agent = await key(['agent']);
  for (let i = 0; i < 20; i++) {
    const t = await hub.http.inject({ method: 'POST', url: '/api/hotline/tickets', headers: { authorization: `Bearer ${agent}` }, payload: { title: `路灯不亮 ${i}`, content: `第 ${i} 号路灯不亮`, citizenPhone: '13900000000' } });
    if (t.statusCode !== 201) throw new Error(`seed ticket: ${t.statusCode} ${t.body}`);
  }
}

async function benchEngine(engine: Engine): Promise<Map<string, { rate: number; p99: number }>> {
  const database = await openBenchDatabase(engine);
  const base = loadConfig({ LOG_LEVEL: 'silent' });
  const cached = await createCityHub({ config: base, database, logger: false });
  const uncached = await createCityHub({ config: { ...base, auth: { ...base.auth, identityCache: { ttlSeconds: 0, maxEntries: 1 } } }, database, logger: false });
  try {
    const { auth } = cached.services;
    const key = async (roles: string[]) => (await auth.createApiKey(setup, { name: `bench-${roles.join('-')}-${randomBytes(3).toString('hex')}`, roles: roles as never, orgId: null })).key;
    await seed(cached, key);
    const reader = await key(['supervisor']);
    await auth.insertUser(setup, { username: 'bench-supervisor', password: 'Bench-password-1', roles: ['supervisor'], orgId: null });
    const login = await cached.http.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'bench-supervisor', password: 'Bench-password-1' } });
    if (login.statusCode !== 200) throw new Error(`login: ${login.body}`);
    const cookie = login.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const urls = { true: await listen(cached), false: await listen(uncached) };
    const headers = (who: Who): Record<string, string> =>
      who === 'key' ? { authorization: `Bearer ${reader}` } : who === 'session' ? { cookie } : {};
    const results = new Map<string, LoadResult[]>();
    for (let run = 0; run < RUNS; run++) {
      for (const c of cases) {
        const r = await load({ url: `${urls[`${c.cache}`]}${c.path}`, headers: headers(c.who), connections: CONNECTIONS, seconds: SECONDS, maxRequests: 200_000 });
        if (r.non2xx > 0) throw new Error(`${engine} ${c.route} ${c.who}: ${r.non2xx} answers were not 2xx`);
        const id = caseId(c);
        results.set(id, [...(results.get(id) ?? []), r]);
      }
      log(`${engine}: run ${run + 1}/${RUNS} done`);
    }
    return new Map([...results].map(([id, rs]) => [id, { rate: median(rs.map((r) => r.rate)), p99: median(rs.map((r) => r.p99Ms)) }]));
  } finally {
    await cached.close();
    await uncached.close();
    await database.close();
  }
}

const caseId = (c: Case): string => `${c.route}|${c.who}|${c.cache ? 'cache' : 'no cache'}`;
const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(1));

const engines = values.engines.split(',') as Engine[];
const figures = new Map<Engine, Map<string, { rate: number; p99: number }>>();
for (const engine of engines) {
  log(`${engine}: seeding and measuring (${RUNS} runs × ${cases.length} cases × ${SECONDS} s, ${CONNECTIONS} connections)…`);
  figures.set(engine, await benchEngine(engine));
}

const lines = [`| engine | route | caller | identity cache | req/s | p99 ms | vs anonymous | cache vs none |`, `|---|---|---|---|---:|---:|---:|---:|`];
for (const [engine, f] of figures) {
  for (const c of cases) {
    const m = f.get(caseId(c))!;
    const anon = f.get(caseId({ ...c, who: 'anonymous', cache: true }));
    const none = f.get(caseId({ ...c, cache: false }));
    const vsAnon = anon && c.who !== 'anonymous' ? `${(anon.rate / m.rate).toFixed(2)}× slower` : '';
    const vsNone = c.cache && c.who !== 'anonymous' && none ? `${(m.rate / none.rate).toFixed(2)}× faster` : '';
    lines.push(`| ${engine} | ${c.route} | ${c.who} | ${c.who === 'anonymous' ? '' : c.cache ? 'on' : 'off'} | ${fmt(m.rate)} | ${fmt(m.p99)} | ${vsAnon} | ${vsNone} |`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
for (const [engine, f] of figures) {
  const anon = f.get(caseId({ route: '/healthz', path: '', who: 'anonymous', cache: true }))!.rate;
  const keyed = f.get(caseId({ route: '/healthz', path: '', who: 'key', cache: true }))!.rate;
  const ratio = anon / keyed;
  process.stdout.write(`${engine}: /healthz with a key is ${ratio.toFixed(2)}× slower than anonymous (goal ≤ 2×: ${ratio <= 2 ? 'met' : 'NOT met'})\n`);
}
