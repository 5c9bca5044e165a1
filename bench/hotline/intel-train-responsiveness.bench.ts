/**
 * Does the server stay responsive while a classifier model trains? /healthz latency measured by a separate process
 * (so its own timers are not held up by our event loop) over real HTTP, in three phases of one run:
 *   idle (no training) → training on the main thread (`classifier.worker: false`, the baseline) → training in the
 *   worker thread (the default).
 *
 *   node --import tsx bench/hotline/intel-train-responsiveness.bench.ts [--tickets 1500] [--idle-seconds 5]
 *
 * Tickets: labelled messages of teddycup2020c/messages_details_labeled.csv in CITYHUB_SHARED_DATA (label_conflict rows
 * skipped) inserted into an in-memory PGlite. Prints p50 / p95 / max latency per phase and the ratios.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { openDatabase } from '../../src/platform/db/database.js';
import { loadConfig, type Config } from '../../src/platform/config/config.js';
import { readCsvRecords } from '../../src/platform/csv/csv-reader.js';
import type { Actor } from '../../src/platform/auth/roles.js';
import { createCityHub } from '../../src/server/app.js';
import { requireSharedData } from '../../test/support/shared-data.js';

const { values: args } = parseArgs({
  options: { tickets: { type: 'string', default: '1500' }, 'idle-seconds': { type: 'string', default: '5' } },
});
const maxTickets = Number(args.tickets);
const file = requireSharedData('teddycup2020c', 'messages_details_labeled.csv');
const admin: Actor = { kind: 'user', id: 'bench', roles: ['admin'] };

const config = (worker: boolean): Config => {
  const c = loadConfig({ LOG_LEVEL: 'silent' });
  return { ...c, modules: { intel: { refreshIntervalSeconds: 0, classifier: { worker, retrainIntervalHours: 0, minTrainingTickets: 20 } } } } as Config;
};

const database = await openDatabase({});
const inThread = await createCityHub({ config: config(false), database, logger: false });
const inWorker = await createCityHub({ config: config(true), database, logger: false });

// Tickets: categories by label, rows inserted directly (the bench measures training, not ticket intake).
const rows: { title: string; content: string; label: string }[] = [];
for await (const { values } of readCsvRecords(file)) {
  if (values.label_conflict?.trim() === '1' || !values.label?.trim()) continue;
  const content = values.detail?.trim() ?? '';
  if (!content) continue;
  rows.push({ title: values.title?.trim() || content.slice(0, 20), content, label: values.label.trim() });
}
// Every label, spread evenly: take rows round-robin by label up to maxTickets.
const byLabel = new Map<string, typeof rows>();
for (const r of rows) byLabel.set(r.label, [...(byLabel.get(r.label) ?? []), r]);
const picked: typeof rows = [];
for (let i = 0; picked.length < maxTickets && i < rows.length; i++) {
  for (const list of byLabel.values()) if (list[i] && picked.length < maxTickets) picked.push(list[i]);
}
const categories = new Map<string, string>();
for (const label of byLabel.keys()) categories.set(label, (await inThread.services.hotline.reference.createCategory(admin, { level1: label })).id);
for (let i = 0; i < picked.length; i += 500) {
  await database.db
    .insertInto('hotline_ticket')
    .values(picked.slice(i, i + 500).map((r, j) => ({
      number: `B${String(i + j).padStart(8, '0')}`, channel: 'web', title: r.title, content: r.content, urgency: 'normal',
      status: 'closed', category_id: categories.get(r.label)!, tags: [], attachments: JSON.stringify([]),
    })))
    .execute();
}
console.log(`${picked.length} tickets in ${categories.size} categories`);

await inThread.http.listen({ port: 0, host: '127.0.0.1' });
const url = `http://127.0.0.1:${(inThread.http.server.address() as AddressInfo).port}/healthz`;

// The prober: another process, one request at a time, 50 ms apart; prints "<epoch ms> <latency ms>" per answer.
const prober = spawn(process.execPath, ['-e', `
  const url = process.argv[1];
  (async () => { for (;;) {
    const t0 = performance.now();
    try { const r = await fetch(url); await r.text(); } catch { }
    try { process.stdout.write(Date.now() + ' ' + (performance.now() - t0).toFixed(2) + '\\n'); } catch { process.exit(0); }
    await new Promise((r) => setTimeout(r, 50));
  } })();`, url], { stdio: ['ignore', 'pipe', 'ignore'] });
const samples: { at: number; ms: number }[] = [];
let buffer = '';
prober.stdout.on('data', (chunk: Buffer) => {
  buffer += chunk.toString();
  const lines = buffer.split('\n');
  buffer = lines.pop()!;
  for (const l of lines) {
    const [at, ms] = l.split(' ').map(Number);
    samples.push({ at, ms });
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const phases: { name: string; from: number; to: number; seconds?: number }[] = [];
await sleep(1000);
let t = Date.now();
await sleep(Number(args['idle-seconds']) * 1000);
phases.push({ name: 'idle', from: t, to: Date.now() });
for (const [name, hub] of [['training on the main thread (baseline)', inThread], ['training in a worker thread', inWorker]] as const) {
  t = Date.now();
  const started = await hub.services.intel.models.startTraining(admin, { trigger: 'manual', activate: false });
  const outcome = await started!.done;
  // answers that were waiting when the training ended arrive just after: count them with the phase
  await sleep(300);
  phases.push({ name, from: t, to: Date.now(), seconds: outcome.model.trainSeconds });
  console.log(`${name}: v${outcome.model.version}, ${outcome.model.examples} examples, train ${outcome.model.trainSeconds.toFixed(1)} s, hold-out macro-F1 ${outcome.model.evaluation.macroF1}`);
}
prober.kill();
const sizes = await database.db.selectFrom('hotline_classifier_model').select((eb) => ['version', eb.fn<number>('octet_length', ['model_gzip']).as('bytes')]).execute();
console.log(`stored models (gzipped JSON): ${sizes.map((r) => `v${r.version} ${(r.bytes / 1e6).toFixed(1)} MB`).join(', ')}`);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const stats = phases.map((p) => {
  const xs = samples.filter((s) => s.at >= p.from && s.at <= p.to).map((s) => s.ms);
  return { ...p, n: xs.length, p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), max: Math.max(...xs) };
});
console.log('\n| phase | answers | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|');
for (const s of stats) console.log(`| ${s.name} | ${s.n} | ${s.p50.toFixed(1)} | ${s.p95.toFixed(1)} | ${s.max.toFixed(0)} |`);
const [idle, main, worker] = stats;
console.log(`\nmax latency: main thread ÷ worker = ${(main.max / worker.max).toFixed(1)}×; worker p95 ÷ idle p95 = ${(worker.p95 / idle.p95).toFixed(2)}×`);
console.log(`answers per second of training: main thread ${(main.n / ((main.to - main.from) / 1000)).toFixed(1)}, worker ${(worker.n / ((worker.to - worker.from) / 1000)).toFixed(1)} (idle ${(idle.n / ((idle.to - idle.from) / 1000)).toFixed(1)})`);

await inThread.close();
await inWorker.close();
await database.close();
