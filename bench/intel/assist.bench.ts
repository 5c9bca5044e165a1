/**
 * Intake assist and similar-case latency at 100,000 tickets.
 *
 *   node --import tsx bench/intel/assist.bench.ts [--tickets 100000] [--queries 300] [--brute 30] [--runs 3] [--data <folder>]
 *   (--data default: teddycup2020c in CITYHUB_SHARED_DATA)
 *
 * A whole CityHub on an embedded PGlite (reference data: one district, one street, the categories and a rule), its
 * ticket index (hub.services.intel.index) filled with N generated tickets (the shared Teddy Cup messages, each with a random place
 * prefix and a random tail from another message, so texts differ), a classifier trained on the labelled
 * messages; then, per run:
 * - similar cases: `index.search` (BM25 over the inverted index + cosine re-rank) for `queries` held-out messages;
 * - the baseline in the same run: brute-force cosine against every indexed ticket, for `brute` queries;
 * - the whole assist (`intel.assist` as an agent, offline): classifier top-3, area, routing (one SQL round trip),
 *   duplicates, similar cases, summary.
 * Prints p50/p95 per run and the median over runs, and the baseline ÷ index ratio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/platform/config/config.js';
import { createCityHub } from '../../src/server/app.js';
import { readCsvRecords } from '../../src/platform/csv/csv-reader.js';
import { TextClassifier } from '../../src/hotline/intel/text-classifier.js';
import type { Actor } from '../../src/platform/auth/roles.js';
import { requireSharedData } from '../../test/support/shared-data.js';

const { values: args } = parseArgs({
  options: {
    tickets: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '300' },
    brute: { type: 'string', default: '30' },
    runs: { type: 'string', default: '3' },
    data: { type: 'string' },
  },
});
const N = Number(args.tickets);
const Q = Number(args.queries);
const B = Number(args.brute);
const RUNS = Number(args.runs);
const teddyDir = args.data ?? requireSharedData('teddycup2020c');

const read = async (file: string) => {
  const out: Record<string, string>[] = [];
  for await (const r of readCsvRecords(createReadStream(join(teddyDir, file)))) out.push(r.values);
  return out;
};

let seed = 42;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)];
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const median = (xs: number[]) => pct(xs, 0.5);
const ms = (x: number) => x.toFixed(2);

const labelled = await read('messages_details_labeled.csv');
const texts = [...labelled, ...(await read('messages_hot.csv')), ...(await read('messages_replies.csv'))].map((r) => ({
  title: r.title ?? '',
  detail: (r.detail ?? '').slice(0, 400),
  reply: r.reply ?? null,
}));
// hold out queries from the generated corpus's sources
const queries = texts.splice(0, Q);
const places = ['A市A1区', 'A市A2区', 'A市A3区', 'A4区', 'A5区', 'A6区', 'A7县', 'B市', 'C市'].flatMap((c) =>
  ['星沙街道', '暮云街道', '洞井街道', '泉塘街道', '楚龙街道', '桂花坪街道', '雨花亭街道'].map((s) => c + s),
);

const dataDir = mkdtempSync(join(tmpdir(), 'cityhub-intel-bench-'));
const hub = await createCityHub({ config: { ...loadConfig({ LOG_LEVEL: 'silent', CITYHUB_DATA_DIR: dataDir }), dataDir }, logger: false });
const admin: Actor = { kind: 'user', id: 'bench', roles: ['admin'] };
const agent: Actor = { kind: 'user', id: 'agent', roles: ['agent'] };
try {
  const { intel, hotline: { reference: ref }, auth } = hub.services;
  const gov = (await auth.insertOrg(admin, { name: '市政府', kind: 'government', parentId: null })).id;
  const district = (await ref.createArea(admin, { name: 'A2区', orgId: gov, centerLon: 112.98, centerLat: 28.2 })).id;
  await ref.createArea(admin, { name: '暮云街道', parentId: district, orgId: gov, centerLon: 112.98, centerLat: 28.1 });
  const labels = [...new Set(labelled.map((r) => r.label))];
  const cats = new Map<string, string>();
  for (const l of labels) cats.set(l, (await ref.createCategory(admin, { level1: l })).id);
  await ref.createRule(admin, { categoryId: cats.get(labels[0])!, areaId: district, unitId: gov });
  await intel.index.refresh(); // empty table: loads the areas and categories

  let t = performance.now();
  const trainRows = labelled.slice(Q).slice(0, 1500);
  intel.classifier.use(TextClassifier.train({ examples: trainRows.map((r) => ({ title: r.title, detail: r.detail, label: r.label })), options: { selfTraining: false } }));
  const trainSeconds = (performance.now() - t) / 1000;

  t = performance.now();
  const start = Date.now() - 90 * 86_400_000;
  for (let i = 0; i < N; i++) {
    const a = pick(texts);
    const b = pick(texts);
    intel.index.current.add({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      number: `B-${i}`,
      title: `${pick(places)}${a.title}`,
      content: `${a.detail}${b.detail.slice(0, 80)}`,
      createdAt: start + rand() * 90 * 86_400_000,
      areaId: null,
      districtId: null,
      lon: 112.9 + rand() * 0.2,
      lat: 28.1 + rand() * 0.2,
      replyText: a.reply,
      status: a.reply ? 'closed' : 'received',
      mainTicketId: null,
      categoryId: null,
      likes: 0,
      citizen: `u${Math.floor(rand() * N)}`,
    });
  }
  const loadSeconds = (performance.now() - t) / 1000;
  console.log(`tickets indexed: ${intel.index.size} in ${loadSeconds.toFixed(1)} s (${Math.round(N / loadSeconds)}/s); classifier trained on ${trainRows.length} in ${trainSeconds.toFixed(1)} s`);
  console.log(`process RSS: ${Math.round(process.memoryUsage().rss / 1e6)} MB`);

  const tokenized = queries.map((q) => intel.index.tokenize(q.title, q.detail));
  const runs: { simP50: number; simP95: number; bruteP50: number; bruteP95: number; assistP50: number; assistP95: number }[] = [];
  let agree = 0;
  for (let r = 0; r < RUNS; r++) {
    const sim: number[] = [];
    for (const q of tokenized) {
      const s = performance.now();
      intel.index.current.search(q, 5);
      sim.push(performance.now() - s);
    }
    const brute: number[] = [];
    for (let i = 0; i < B; i++) {
      const s = performance.now();
      const bf = intel.index.current.bruteForce(tokenized[i], 5);
      brute.push(performance.now() - s);
      if (r === 0 && bf[0]?.ticket.id === intel.index.current.search(tokenized[i], 5)[0]?.ticket.id) agree++;
    }
    const assist: number[] = [];
    for (const q of queries) {
      const s = performance.now();
      await intel.intake.assist(agent, { title: q.title, content: q.detail, lon: 112.95, lat: 28.15, address: 'A2区暮云街道' });
      assist.push(performance.now() - s);
    }
    const row = { simP50: median(sim), simP95: pct(sim, 0.95), bruteP50: median(brute), bruteP95: pct(brute, 0.95), assistP50: median(assist), assistP95: pct(assist, 0.95) };
    runs.push(row);
    console.log(`run ${r + 1}: similar p50 ${ms(row.simP50)} ms p95 ${ms(row.simP95)} ms | brute force p50 ${ms(row.bruteP50)} ms p95 ${ms(row.bruteP95)} ms | assist p50 ${ms(row.assistP50)} ms p95 ${ms(row.assistP95)} ms`);
  }
  const m = (k: keyof (typeof runs)[number]) => median(runs.map((x) => x[k]));
  console.log(`\nmedian of ${RUNS} runs at ${N} tickets (${Q} queries; brute force ${B} queries):`);
  console.log(`  similar cases  p50 ${ms(m('simP50'))} ms  p95 ${ms(m('simP95'))} ms   (target p95 < 50 ms)`);
  console.log(`  brute force    p50 ${ms(m('bruteP50'))} ms  p95 ${ms(m('bruteP95'))} ms`);
  console.log(`  ratio brute/index p50 ${(m('bruteP50') / m('simP50')).toFixed(1)}x  p95 ${(m('bruteP95') / m('simP95')).toFixed(1)}x`);
  console.log(`  assist (offline) p50 ${ms(m('assistP50'))} ms  p95 ${ms(m('assistP95'))} ms   (target p95 < 100 ms)`);
  console.log(`  top-1 agreement index vs brute force: ${agree}/${B}`);
} finally {
  await hub.close();
  rmSync(dataDir, { recursive: true, force: true });
}
