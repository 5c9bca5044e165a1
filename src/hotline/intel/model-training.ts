import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { createGunzip, gunzip, gunzipSync, gzipSync } from 'node:zlib';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { classificationReport } from './classification-metrics.js';
import type { ConfidentShare, ModelEvaluation } from './schemas.js';
import { level1Of } from './category-labels.js';
import { MODEL_FORMAT, TextClassifier, type LabeledText, type Prediction } from './text-classifier.js';

/** What one training run needs: plain data, so it can cross to a worker thread. */
export interface TrainingInput {
  examples: LabeledText[];
  /** Share of the examples held out for the evaluation (by a hash of the text: the same texts every time). */
  holdoutFraction: number;
  /** The auto-categorisation threshold: the evaluation reports the share and accuracy of predictions above it. */
  autoCategorizeConfidence?: number;
  /** The active model (gzipped JSON), scored on the same hold-out so the two are compared on equal terms. */
  baseline?: { version: number; modelGzip: Uint8Array } | null;
  userWords?: string[];
}

export interface TrainingResult {
  /** TextClassifier.toJSON() as gzipped JSON (compressed in the worker: the main thread only stores the bytes) */
  modelGzip: Uint8Array;
  labels: string[];
  /** examples trained on (hold-out excluded) */
  examples: number;
  trainSeconds: number;
  evaluation: ModelEvaluation;
}

/**
 * Whether an example belongs to the evaluation hold-out: the first 32 bits of SHA-1 over its title and body,
 * as a fraction of 2^32, below `fraction`. Depends on the text only, so the hold-out is the same texts for every
 * version (two versions are compared on texts neither was trained on) and identical texts fall on one side.
 */
export function inHoldout(e: { title?: string; detail?: string }, fraction: number): boolean {
  if (fraction <= 0) return false;
  const h = createHash('sha1').update(`${e.title ?? ''}\u0002${e.detail ?? ''}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < fraction;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Scores on the classes seen in the hold-out (gold or predicted), as scikit-learn does without `labels`: a class
 * with no held-out example would otherwise count with F1 = 0 and sink the macro average of a small hold-out.
 */
const predictAll = (model: TextClassifier, test: LabeledText[]) => test.map((e) => model.predict({ title: e.title, detail: e.detail }));

const score = (test: LabeledText[], predicted: Prediction[], cut: (label: string) => string = (l) => l) =>
  classificationReport(test.map((e) => cut(e.label)), predicted.map((p) => cut(p.label)));

/** Share of the hold-out predicted with at least `minConfidence`, and how often those predictions are right. */
export function confidentShare(test: readonly Pick<LabeledText, 'label'>[], predicted: readonly Pick<Prediction, 'label' | 'confidence'>[], minConfidence: number): ConfidentShare {
  let n = 0;
  let right = 0;
  predicted.forEach((p, i) => {
    if (p.confidence < minConfidence) return;
    n++;
    if (p.label === test[i].label) right++;
  });
  return { minConfidence, share: round4(n / Math.max(1, test.length)), accuracy: n ? round4(right / n) : null };
}

/**
 * Trains on every example outside the hold-out and evaluates on the hold-out (the stored model is this one: it
 * never saw its test texts). CPU-bound: call it in a worker thread (`trainInWorker`) on a server.
 */
export function trainAndEvaluate(input: TrainingInput, onProgress: (message: string) => void = () => {}): TrainingResult {
  const started = performance.now();
  const train: LabeledText[] = [];
  const test: LabeledText[] = [];
  for (const e of input.examples) (inHoldout(e, input.holdoutFraction) ? test : train).push(e);
  if (new Set(train.map((e) => e.label)).size < 2) throw new Error('the training share holds fewer than two categories');
  onProgress(`training on ${train.length} examples, ${test.length} held out for the evaluation…`);
  const model = TextClassifier.train({ examples: train, userWords: input.userWords, onProgress });
  const trainSeconds = (performance.now() - started) / 1000;
  const evaluation: ModelEvaluation = { method: 'holdout-sha1', holdoutFraction: input.holdoutFraction, heldOut: test.length, baseline: null };
  if (test.length > 0) {
    const predicted = predictAll(model, test);
    const r = score(test, predicted);
    evaluation.accuracy = round4(r.accuracy);
    evaluation.macroF1 = round4(r.macroF1);
    evaluation.perClass = r.perClass.map((m) => ({ ...m, precision: round4(m.precision), recall: round4(m.recall), f1: round4(m.f1) }));
    onProgress(`hold-out: accuracy ${r.accuracy.toFixed(4)}, macro-F1 ${r.macroF1.toFixed(4)} on ${test.length} examples`);
    const l1 = score(test, predicted, level1Of);
    evaluation.level1 = { accuracy: round4(l1.accuracy), macroF1: round4(l1.macroF1) };
    if (input.autoCategorizeConfidence !== undefined) evaluation.confident = confidentShare(test, predicted, input.autoCategorizeConfidence);
    if (input.baseline) {
      const active = TextClassifier.fromJSON(JSON.parse(gunzipSync(input.baseline.modelGzip).toString('utf8')));
      const b = score(test, predictAll(active, test), level1Of);
      evaluation.baseline = { version: input.baseline.version, accuracy: round4(b.accuracy), macroF1: round4(b.macroF1) };
      onProgress(`active model v${input.baseline.version} on the same hold-out: accuracy ${b.accuracy.toFixed(4)}, macro-F1 ${b.macroF1.toFixed(4)}`);
    }
  }
  model.summary.evaluation = { ...evaluation, perClass: undefined };
  const modelGzip = gzipSync(JSON.stringify(model.toJSON()), { level: 6 });
  return { modelGzip, labels: model.labels, examples: train.length, trainSeconds, evaluation };
}

const gunzipAsync = promisify(gunzip);

/**
 * The serialisation version of a stored model (TextClassifier.toJSON's `version`, written right after `format`),
 * read from the first inflated bytes only: a node compares it with its own MODEL_VERSION before using or replacing
 * a model written by other code, without inflating and parsing the whole model on its event loop.
 */
export async function storedModelVersion(bytes: Uint8Array): Promise<number | null> {
  const m = /^\{"format":"([^"]*)","version":(\d+)[,}]/.exec(await gunzipHead(bytes, 256));
  return m && m[1] === MODEL_FORMAT ? Number(m[2]) : null;
}

/** At least the first `length` characters of gzipped text (all of it when shorter); stops inflating there. */
function gunzipHead(bytes: Uint8Array, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const inflate = createGunzip();
    let head = '';
    inflate.on('data', (chunk: Buffer) => {
      head += chunk.toString('utf8');
      if (head.length < length) return;
      inflate.destroy();
      resolve(head);
    });
    inflate.on('end', () => resolve(head));
    inflate.on('error', reject);
    inflate.end(bytes);
  });
}

/** A stored model back as a classifier (the inflation runs in libuv's thread pool, not on the event loop). */
export async function modelFromGzip(bytes: Uint8Array): Promise<TextClassifier> {
  return TextClassifier.fromJSON(JSON.parse((await gunzipAsync(bytes)).toString('utf8')));
}

/** Messages between `trainInWorker` and `classifier-worker.ts`. */
export type WorkerMessage =
  | { type: 'progress'; message: string }
  | { type: 'done'; result: TrainingResult }
  | { type: 'error'; message: string };

/** tsx's ESM API file (the package's `import` export: require.resolve would give the CommonJS one). */
function tsxEsmApi(): string {
  const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return path.join(path.dirname(pkgFile), pkg.exports['./esm/api'].import.default);
}

/**
 * The worker module: the compiled `.js` next to this file in dist/, or the `.ts` source under tsx/vitest, where
 * a small bootstrap registers tsx's loader in the worker first (Node 20 workers ignore `--import` in execArgv).
 */
function startWorker(workerData: TrainingInput): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './classifier-worker.ts' : './classifier-worker.js', import.meta.url);
  if (!fromSource) return new Worker(url, { workerData });
  const tsx = pathToFileURL(tsxEsmApi()).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/**
 * `trainAndEvaluate` in a `node:worker_threads` worker, so the server keeps answering while a model trains.
 * Progress messages arrive through `onProgress`; the promise settles when the worker is done.
 */
export function trainInWorker(input: TrainingInput, onProgress: (message: string) => void = () => {}): Promise<TrainingResult> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(input);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress(m.message);
      else if (m.type === 'done') settle(() => resolve(m.result));
      else settle(() => reject(new Error(m.message)));
    });
    worker.once('error', (err) => settle(() => reject(err)));
    worker.once('exit', (code) => settle(() => reject(new Error(`the training worker exited with code ${code} before finishing`))));
  });
}
