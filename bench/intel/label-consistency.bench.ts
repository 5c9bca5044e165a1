/**
 * How far the Teddy Cup labels let any classifier go: measures, on the leakage-free split of
 * bench/intel/teddycup-split.ts, whether the training texts nearest to each held-out message carry its label.
 *
 *   node --import tsx bench/intel/label-consistency.bench.ts [--folds 5] [--k 10]
 *
 * 1. Near-duplicate pairs inside the training files (character-bigram Jaccard): how often their labels agree.
 * 2. For every held-out message (title + body), its k nearest training texts (TF-IDF cosine over character
 *    1–3-grams of title and body together): a cosine-weighted k-NN vote (a simpler method, for comparison) and
 *    the neighbourhoods' purity. Where nearly all neighbours share one label and the gold label is another, a
 *    model that generalises from the training texts must err: the share of such messages bounds what the labels
 *    allow.
 * 3. The classifier's errors (TextClassifier, trained per fold): how many sit in a neighbourhood whose majority
 *    is the label the model predicted.
 */
import { parseArgs } from 'node:util';
import { classificationReport } from '../../src/hotline/intel/classification-metrics.js';
import type { SparseVector } from '../../src/hotline/intel/feature-hashing.js';
import { TextClassifier, type LabeledText } from '../../src/hotline/intel/text-classifier.js';
import { TextFeaturizer, defaultTextFeatureConfig, prepareText } from '../../src/hotline/intel/text-features.js';
import { loadTeddyData, makeSplit, textKey } from './teddycup-split.js';

const { values } = parseArgs({ options: { folds: { type: 'string', default: '5' }, k: { type: 'string', default: '10' } } });
const folds = Number(values.folds);
const k = Number(values.k);
const log = (m: string): void => void process.stderr.write(`${m}\n`);
const pct = (a: number, b: number): string => (b ? `${((100 * a) / b).toFixed(1)} %` : '—');

const bigrams = (s: string): Set<string> => {
  const key = textKey(s);
  const g = new Set<string>();
  for (let i = 0; i + 1 < key.length; i++) g.add(key.slice(i, i + 2));
  return g;
};

/** Each text's most similar other text (distinct after normalisation) by bigram Jaccard; bigrams in > 400 texts are skipped. */
function nearestPairs(texts: readonly string[]): { jaccard: number; j: number }[] {
  const grams = texts.map(bigrams);
  const postings = new Map<string, number[]>();
  grams.forEach((g, i) => {
    for (const x of g) (postings.get(x) ?? postings.set(x, []).get(x)!).push(i);
  });
  const keys = texts.map(textKey);
  return grams.map((g, i) => {
    const shared = new Map<number, number>();
    for (const x of g) {
      const list = postings.get(x)!;
      if (list.length <= 400) for (const j of list) if (j !== i) shared.set(j, (shared.get(j) ?? 0) + 1);
    }
    let best = { jaccard: 0, j: -1 };
    for (const [j, c] of shared) {
      const jaccard = c / (g.size + grams[j].size - c);
      if (jaccard > best.jaccard && keys[j] !== keys[i]) best = { jaccard, j };
    }
    return best;
  });
}

function nearDuplicateAgreement(name: string, items: readonly { text: string; label: string }[]): void {
  const pairs = nearestPairs(items.map((i) => i.text));
  for (const min of [0.5, 0.7, 0.8]) {
    const hits = pairs.map((p, i) => ({ p, i })).filter(({ p }) => p.jaccard >= min);
    const agree = hits.filter(({ p, i }) => items[p.j].label === items[i].label).length;
    console.log(`${name.padEnd(8)} Jaccard ≥ ${min}: ${String(hits.length).padStart(4)} texts, label agrees with the nearest ${pct(agree, hits.length)}`);
  }
}

const norm = (v: SparseVector): number => Math.sqrt(v.val.reduce((s, x) => s + x * x, 0));

interface Neighbourhood {
  gold: string;
  /** Cosine-weighted vote. */
  knn: string;
  /** Most frequent label among the k neighbours, and its share. */
  majority: string;
  purity: number;
}

function neighbourhoods(train: readonly LabeledText[], test: readonly LabeledText[]): Neighbourhood[] {
  const featurizer = new TextFeaturizer({ ...defaultTextFeatureConfig, wordMax: 0, blocks: { title: 0, body: 0, joint: 1 } });
  const docs = train.map((t) => prepareText(undefined, t));
  featurizer.fit(docs);
  const X = docs.map((d) => featurizer.transform(d));
  const norms = X.map(norm);
  const dense = new Float32Array(featurizer.dim);
  log(`  ${train.length} training texts, ${test.length} held-out messages`);
  return test.map((m) => {
    const q = featurizer.transform(prepareText(undefined, m));
    for (let i = 0; i < q.idx.length; i++) dense[q.idx[i]] = q.val[i];
    const qn = norm(q);
    const scored = X.map((x, i) => {
      let s = 0;
      for (let j = 0; j < x.idx.length; j++) s += x.val[j] * dense[x.idx[j]];
      return { i, cos: s / (qn * norms[i] || 1) };
    });
    for (let i = 0; i < q.idx.length; i++) dense[q.idx[i]] = 0;
    const top = scored.sort((a, b) => b.cos - a.cos).slice(0, k);
    const votes = new Map<string, number>();
    const counts = new Map<string, number>();
    for (const t of top) {
      const l = train[t.i].label;
      votes.set(l, (votes.get(l) ?? 0) + t.cos);
      counts.set(l, (counts.get(l) ?? 0) + 1);
    }
    const best = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1])[0];
    const [majority, n] = best(counts);
    return { gold: m.label, knn: best(votes)[0], majority, purity: n / top.length };
  });
}

const data = await loadTeddyData();
console.log('== 1. near-duplicate texts inside the training files ==');
nearDuplicateAgreement('titles', data.titles.map((t) => ({ text: t.title!, label: t.label })));
nearDuplicateAgreement('bodies', data.bodies.map((t) => ({ text: t.detail!, label: t.label })));

const hoods: Neighbourhood[] = [];
const predicted: string[] = [];
for (let f = 0; f < folds; f++) {
  const split = makeSplit(data, f, folds);
  log(`fold ${f}`);
  hoods.push(...neighbourhoods(split.train, split.test));
  const model = TextClassifier.train({ examples: split.train });
  for (const m of split.test) predicted.push(model.predict(m).label);
}

console.log(`\n== 2. the ${k} nearest training texts of each of ${hoods.length} held-out messages ==`);
const knn = classificationReport(hoods.map((h) => h.gold), hoods.map((h) => h.knn));
console.log(`cosine-weighted ${k}-NN vote: accuracy ${knn.accuracy.toFixed(4)}, macro-F1 ${knn.macroF1.toFixed(4)}`);
for (const min of [0.7, 0.8, 0.9, 1]) {
  const pure = hoods.filter((h) => h.purity >= min);
  const against = pure.filter((h) => h.majority !== h.gold).length;
  console.log(
    `neighbours ≥ ${(min * 100).toFixed(0).padStart(3)} % one label: ${String(pure.length).padStart(3)} messages, ` +
      `gold is another label in ${String(against).padStart(2)} (${pct(against, pure.length)}; ${pct(against, hoods.length)} of all)`,
  );
}

console.log('\n== 3. the classifier\'s errors ==');
const model = classificationReport(hoods.map((h) => h.gold), predicted);
const errors = hoods.map((h, i) => ({ h, p: predicted[i] })).filter(({ h, p }) => p !== h.gold);
const backed = errors.filter(({ h, p }) => h.majority === p);
const backedPure = backed.filter(({ h }) => h.purity >= 0.7);
console.log(`classifier: accuracy ${model.accuracy.toFixed(4)}, macro-F1 ${model.macroF1.toFixed(4)}, ${errors.length} errors`);
console.log(`errors where the neighbours' majority is the label the model predicted: ${backed.length} (${pct(backed.length, errors.length)})`);
console.log(`  … with ≥ 70 % of the neighbours on it: ${backedPure.length} (${pct(backedPure.length, errors.length)})`);
const errorsNeeded = Math.round(hoods.length * 0.05);
console.log(`for about 0.95 (accuracy ≈ macro-F1 here) at most ~${errorsNeeded} errors are allowed`);
