/**
 * Mixed-load throughput of 1, 2 and 3 `cityhub serve` nodes on one PostgreSQL, in one run (issue 20). The nodes are
 * real processes on loopback ports against a database of the bench's own (dropped at the end), with the NATS bus;
 * the load goes round-robin over the first n nodes: ticket intake, NGSI-LD upserts, ticket list and entity query
 * reads. Each phase is bounded in time and count. The phases run in the order 1, 2, 3, 3, 2, 1 nodes: the data
 * grows during the run and reads may get slower with it, so a plain 1, 2, 3 would charge that growth to the larger
 * clusters; in this order each count sits on average at the same point of the run. `--rounds` repeats the order:
 * this machine's speed drifts by a fifth from minute to minute, more phases wash that out. Printed: each phase, then
 * per count the median of its phases (requests/s, p50 and p99, errors) and its ratio to one node; afterwards every
 * acknowledged ticket and entity is checked to be in the database (no work lost). Beside each count, how many of
 * the machine's cores were busy (everything on it: PostgreSQL, the nodes, the load generator), to tell a saturated
 * machine from a serial wait, and the CPU milliseconds per request spent by the nodes, PostgreSQL and the load
 * generator (which part grows when nodes are added).
 *
 *   CITYHUB_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/cluster/cluster.bench.ts [--seconds 10] [--connections 12,48] [--max 20000] [--rounds 1] [--mix intake,upsert,list,query] [--pool-max 10]
 *
 * On a 2-core machine the point is that adding nodes loses no work and does not slow the system, not a linear
 * speed-up: the nodes share the cores with PostgreSQL and the load generator. The whole order runs once per client
 * count (`--connections`, default 12 and 48 concurrent clients): with few clients each of three nodes serves a few at
 * a time and spends part of its CPU waking up between them, which many clients (a city's real traffic) amortize.
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { runCli, spawnCli } from '../../test/support/cli.js';
import { median as medianOf, percentile } from '../stats.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '12,48' }, max: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '1' }, mix: { type: 'string', default: 'intake,upsert,list,query' }, 'pool-max': { type: 'string', default: '10' } } });
const seconds = Number(values.seconds);
const clientCounts = values.connections.split(',').map(Number);
if (clientCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 500)) throw new Error('--connections: a list of client counts from 1 to 500, e.g. 12,48');
const maxRequests = Number(values.max);
const rounds = Number(values.rounds);
/** Each node's connections to PostgreSQL (`--pool-max`, the product's `database.poolMax`, default 10). */
const poolMax = Number(values['pool-max']);
if (!Number.isInteger(poolMax) || poolMax < 1 || poolMax > 100) throw new Error('--pool-max: a whole number from 1 to 100');
/** The request kinds sent in turn (`--mix`, default all four: a quarter each); fewer tell which kind loses with more nodes. */
const KINDS = ['intake', 'upsert', 'list', 'query'] as const;
const mix = values.mix.split(',') as (typeof KINDS)[number][];
if (mix.length === 0 || mix.some((m) => !KINDS.includes(m))) throw new Error(`--mix: a list of ${KINDS.join(', ')}`);
const serverUrl = process.env.CITYHUB_BENCH_DATABASE_URL ?? process.env.CITYHUB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const LINK = '<https://smartdatamodels.org/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"';

const tag = randomBytes(4).toString('hex');
const dbName = `cityhub_bench_cluster_${tag}`;
const dbUrl = (() => { const u = new URL(serverUrl); u.pathname = `/${dbName}`; return u.toString(); })();
const dir = mkdtempSync(path.join(tmpdir(), 'cityhub-bench-cluster-'));
const basePort = 24_000 + Math.floor(Math.random() * 3000);
const children: ChildProcess[] = [];

const admin = async (query: string) => {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    await c.query(query);
  } finally {
    await c.end();
  }
};

const startNode = async (i: number): Promise<string> => {
  const base = `http://127.0.0.1:${basePort + i}`;
  const child = spawnCli(['serve', '--no-demo', '--port', String(basePort + i), '--host', '127.0.0.1', '--data-dir', path.join(dir, `n${i}`)], { ...env, CITYHUB_NODE_ID: `bench-${i}` });
  children.push(child);
  const end = Date.now() + 180_000;
  while ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok !== true) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`node ${i} did not become ready`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return base;
};

interface Phase { connections: number; nodes: number; requests: number; rate: number; p50: number; p99: number; errors: number; coresBusy: number; cpuPerRequest: CpuShare; seqRowsPerRequest: number }

/**
 * Rows PostgreSQL has read by sequential scans in the bench's database so far: a read that grows with the data
 * shows here first (the ticket list's exact count did). Backends flush their statistics about once a second, so
 * the figure lags by about that much.
 */
const seqRowsRead = async (): Promise<number> => {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    return Number((await c.query('select coalesce(sum(seq_tup_read), 0) as n from pg_stat_user_tables')).rows[0].n);
  } finally {
    await c.end();
  }
};
/** CPU milliseconds per request spent by the nodes, PostgreSQL (every backend) and this load generator. */
interface CpuShare { nodes: number; postgres: number; load: number }

const TICK_MS = 10; // Linux USER_HZ is 100 on every architecture it runs on

/** utime + stime of one process in clock ticks (Linux /proc), 0 when it is gone or elsewhere. */
const processTicks = (pid: number | string): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the command name may hold spaces
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
};

/** The CPU ticks so far of the node processes given and of every PostgreSQL process on the machine. */
const componentTicks = (nodePids: number[]): { nodes: number; postgres: number; load: number } => {
  let postgres = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') postgres += processTicks(pid);
      } catch { /* gone meanwhile */ }
    }
  } catch { /* not Linux */ }
  const own = process.cpuUsage();
  return { nodes: nodePids.reduce((a, pid) => a + processTicks(pid), 0), postgres, load: (own.user + own.system) / 1000 / TICK_MS };
};

/** The machine's busy and total CPU time so far (Linux /proc/stat, in clock ticks); zeros elsewhere. */
const cpuTicks = (): { busy: number; total: number } => {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - fields[3] - fields[4], total }; // idle and iowait are not busy
  } catch {
    return { busy: 0, total: 0 };
  }
};

/** One phase: `connections` loops, each sending the next request of the mix to the next node, until time or count runs out. */
async function phase(bases: string[], connections: number, cookie: string, label: string, acked: { tickets: string[]; entities: string[] }): Promise<Phase> {
  const nodePids = children.map((c) => c.pid!); // every node, idle ones too: their background work is part of the cost
  const ticksBefore = componentTicks(nodePids);
  const seqBefore = await seqRowsRead();
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const cpuBefore = cpuTicks();
  const send = (base: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(`${base}${url}`, { method, agent, headers: { cookie, ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end(payload);
    });
  const worker = async () => {
    while (performance.now() < deadline && sent < maxRequests) {
      const k = sent++;
      const base = bases[k % bases.length];
      const name = `${label}-${k}`;
      const t0 = performance.now();
      let status: number;
      switch (mix[k % mix.length]) {
        case 'intake':
          status = await send(base, 'POST', '/api/hotline/tickets', { title: `压测 ${name}`, content: `第 ${name} 件：路灯不亮` });
          if (status === 201) acked.tickets.push(`压测 ${name}`);
          break;
        case 'upsert': {
          const id = `urn:ngsi-ld:BenchSensor:${name}`;
          status = await send(base, 'POST', '/ngsi-ld/v1/entityOperations/upsert', [{ id, type: 'BenchSensor', reading: { type: 'Property', value: k } }], { link: LINK });
          if (status >= 200 && status < 300) acked.entities.push(id);
          break;
        }
        case 'list':
          status = await send(base, 'GET', '/api/hotline/tickets?limit=10');
          break;
        case 'query':
          status = await send(base, 'GET', '/ngsi-ld/v1/entities?type=BenchSensor&limit=10', undefined, { link: LINK });
      }
      latencies.push(performance.now() - t0);
      if (status < 200 || status >= 300) errors++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  const cpu = cpuTicks();
  const coresBusy = cpu.total > cpuBefore.total ? ((cpu.busy - cpuBefore.busy) / (cpu.total - cpuBefore.total)) * cpus().length : NaN;
  const ticks = componentTicks(nodePids);
  await new Promise((r) => setTimeout(r, 1100)); // the backends' last second of statistics
  const seqRowsPerRequest = ((await seqRowsRead()) - seqBefore) / latencies.length;
  const perRequest = (k: keyof CpuShare) => ((ticks[k] - ticksBefore[k]) * TICK_MS) / latencies.length;
  const cpuPerRequest = { nodes: perRequest('nodes'), postgres: perRequest('postgres'), load: perRequest('load') };
  return { connections, nodes: bases.length, requests: latencies.length, rate: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, coresBusy, cpuPerRequest, seqRowsPerRequest };
}

let env: Record<string, string>;
try {
  await admin(`create database ${dbName}`);
  env = { CITYHUB_DEMO: 'false', DATABASE_URL: dbUrl, CITYHUB_CONFIG_FILE: path.join(dir, 'config.json'), LOG_LEVEL: 'warn' };
  const events = { natsUrl: process.env.CITYHUB_TEST_NATS_URL ?? 'nats://127.0.0.1:4222', stream: `BENCH_${tag}`, subjectPrefix: `bench${tag}`, maxAgeSeconds: 300 };
  writeFileSync(env.CITYHUB_CONFIG_FILE, JSON.stringify({
    auth: { totp: { requiredForRoles: [] } },
    ledger: { signingKeyFile: path.join(dir, 'ledger-key.pem') },
    log: { access: 'off' },
    database: { poolMax },
    events,
    modules: { intel: { classifier: { trainAtStart: false } }, context: { simulator: { enabled: false }, mqtt: { ingest: false } } },
  }));
  const created = await runCli(['admin', 'create', '--username', 'bench', '--password', 'mixed-load-secret-7', '--data-dir', path.join(dir, 'cli')], env);
  if (created.code !== 0) throw new Error(created.stderr);
  const bases = await Promise.all([0, 1, 2].map(startNode));
  const login = await fetch(`${bases[0]}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench', password: 'mixed-load-secret-7' }) });
  if (login.status !== 200) throw new Error(`login: ${login.status}`);
  const cookie = login.headers.get('set-cookie')!.split(';')[0];

  const acked = { tickets: [] as string[], entities: [] as string[] };
  await phase(bases, clientCounts[0], cookie, 'warm', acked); // warm-up on every node (JIT, pools, caches), not reported
  // A database in service has its planner statistics; this one was created empty a minute ago, and autovacuum
  // would analyze it at some point of the run (before, the entity query sorted every entity for its page of 10).
  const analyze = new pg.Client({ connectionString: dbUrl });
  await analyze.connect();
  await analyze.query('analyze');
  await analyze.end();
  const runs: Phase[] = [];
  const order = Array.from({ length: rounds }, () => [1, 2, 3, 3, 2, 1]).flat();
  for (const connections of clientCounts) {
    for (const [i, n] of order.entries()) runs.push(await phase(bases.slice(0, n), connections, cookie, `c${connections}n${n}p${i}`, acked));
  }
  const median = (of: Phase[], value: (r: Phase) => number) => medianOf(of.map(value));
  const results: Phase[] = clientCounts.flatMap((connections) => [1, 2, 3].map((n) => {
    const of = runs.filter((r) => r.connections === connections && r.nodes === n);
    const cpuPerRequest = { nodes: median(of, (r) => r.cpuPerRequest.nodes), postgres: median(of, (r) => r.cpuPerRequest.postgres), load: median(of, (r) => r.cpuPerRequest.load) };
    return { connections, nodes: n, requests: of.reduce((a, r) => a + r.requests, 0), rate: median(of, (r) => r.rate), p50: median(of, (r) => r.p50), p99: median(of, (r) => r.p99), errors: of.reduce((a, r) => a + r.errors, 0), coresBusy: median(of, (r) => r.coresBusy), cpuPerRequest, seqRowsPerRequest: median(of, (r) => r.seqRowsPerRequest) };
  }));

  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  const tickets = Number((await db.query(`select count(*) as n from hotline_ticket where title = any($1)`, [acked.tickets])).rows[0].n);
  const entities = Number((await db.query(`select count(*) as n from context_entity where id = any($1)`, [acked.entities])).rows[0].n);
  await db.end();

  console.log(`cluster mixed load (${mix.join(', ')}) on one PostgreSQL, ${seconds} s per phase (max ${maxRequests} requests), clients ${clientCounts.join(' and ')}, ${poolMax} connections per node`);
  console.log('phases in run order: ' + runs.map((r) => `${r.connections} clients ${r.nodes} node(s) ${r.rate.toFixed(1)} req/s`).join(', '));
  console.log('rows read by sequential scans per request, per phase: ' + runs.map((r) => r.seqRowsPerRequest.toFixed(0)).join(', '));
  console.log(`clients  nodes  requests   req/s    p50 ms   p99 ms  errors  req/s vs 1 node  p99 vs 1 node  cores busy (of ${cpus().length})   (medians of the phases of each count)`);
  for (const r of results) {
    const one = results.find((x) => x.connections === r.connections && x.nodes === 1)!;
    console.log(`${String(r.connections).padStart(7)}  ${String(r.nodes).padStart(5)}  ${String(r.requests).padStart(8)}  ${r.rate.toFixed(1).padStart(6)}  ${r.p50.toFixed(1).padStart(8)}  ${r.p99.toFixed(1).padStart(7)}  ${String(r.errors).padStart(6)}  ${(r.rate / one.rate).toFixed(2).padStart(15)}  ${(r.p99 / one.p99).toFixed(2).padStart(13)}  ${r.coresBusy.toFixed(2).padStart(10)}`);
  }
  console.log('clients  CPU ms per request   nodes  PostgreSQL  load generator   (Linux /proc; all three nodes counted, idle or not)   rows read by sequential scans per request');
  for (const r of results) {
    const c = r.cpuPerRequest;
    console.log(`${String(r.connections).padStart(7)}  ${String(r.nodes).padStart(5)} node(s)    ${c.nodes.toFixed(2).padStart(9)}  ${c.postgres.toFixed(2).padStart(10)}  ${c.load.toFixed(2).padStart(14)}  ${r.seqRowsPerRequest.toFixed(1).padStart(70)}`);
  }
  console.log(`acknowledged and stored: tickets ${tickets}/${acked.tickets.length}, entities ${entities}/${acked.entities.length}`);
  if (tickets !== acked.tickets.length || entities !== acked.entities.length) process.exitCode = 1;
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 3000));
  for (const c of children) c.kill('SIGKILL');
  await admin(`drop database if exists ${dbName} with (force)`).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
