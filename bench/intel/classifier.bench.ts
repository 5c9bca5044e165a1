/**
 * Hotline category classifier vs the multinomial naive Bayes baseline (character 1–3-grams), measured in the
 * same run on the leakage-free split of bench/intel/teddycup-split.ts.
 *
 *   node --import tsx bench/intel/classifier.bench.ts [--folds 5] [--fold 0] [--unlabeled] [--json]
 *
 * With all folds (the default) every labelled message that has a title and a body is predicted once, by a
 * model that never saw its title or body, and the figures are pooled over the folds. `--fold i` runs one fold
 * (faster). `--unlabeled` also gives the model the unlabelled messages (IDF and self-training).
 * Times: wall-clock and CPU seconds (the machine may be shared; CPU seconds are the steadier figure).
 */
import { parseArgs } from 'node:util';
import { calibrationReport, classificationReport, formatClassificationReport } from '../../src/hotline/intel/classification-metrics.js';
import { MultinomialNaiveBayes, defaultNaiveBayesOptions } from '../../src/hotline/intel/naive-bayes.js';
import { TextClassifier } from '../../src/hotline/intel/text-classifier.js';
import { confidentShare } from '../../src/hotline/intel/model-training.js';
import { loadTeddyData, makeSplit } from './teddycup-split.js';

const { values } = parseArgs({
  options: {
    folds: { type: 'string', default: '5' },
    fold: { type: 'string' },
    unlabeled: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'timing-runs': { type: 'string', default: '5' },
  },
});
const folds = Number(values.folds);
const onlyFold = values.fold === undefined ? undefined : Number(values.fold);
const timingRuns = Number(values['timing-runs']);
const log = (m: string): void => void process.stderr.write(`${m}\n`);

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const data = await loadTeddyData();
log(
  `data: ${data.full.length} labelled messages with title and body, ${data.titles.length} titles, ` +
    `${data.bodies.length} bodies, ${data.unlabeled.length} unlabelled`,
);

const gold: string[] = [];
const nbPred: string[] = [];
const modelPred: string[] = [];
const modelConfidence: number[] = [];
const nbTrain: number[] = [];
const modelTrain: number[] = [];
const modelTrainCpu: number[] = [];
const nbRates: number[] = [];
const modelRates: number[] = [];
const modelCpuRates: number[] = [];
let lastModel: TextClassifier | undefined;

for (let f = 0; f < folds; f++) {
  if (onlyFold !== undefined && f !== onlyFold) continue;
  const split = makeSplit(data, f, folds);
  log(`fold ${f}: train ${split.train.length} (dropped ${split.removedForLeakage} equal to a test text), test ${split.test.length}`);

  let t = performance.now();
  const nb = MultinomialNaiveBayes.train(split.train);
  nbTrain.push((performance.now() - t) / 1000);

  t = performance.now();
  const c0 = process.cpuUsage();
  const model = TextClassifier.train({
    examples: split.train,
    unlabeled: values.unlabeled ? split.unlabeled : undefined,
    onProgress: (m) => log(`  ${m}`),
  });
  modelTrain.push((performance.now() - t) / 1000);
  modelTrainCpu.push(cpuSeconds(c0));
  lastModel = model;

  for (const m of split.test) {
    gold.push(m.label);
    nbPred.push(nb.predict(m));
    const p = model.predict(m);
    modelPred.push(p.label);
    modelConfidence.push(p.confidence);
  }
  // Prediction throughput: the test messages, several runs, median.
  for (let r = 0; r < timingRuns; r++) {
    let p = performance.now();
    for (const m of split.test) nb.predict(m);
    nbRates.push(split.test.length / ((performance.now() - p) / 1000));
    p = performance.now();
    const pc = process.cpuUsage();
    for (const m of split.test) model.predict(m);
    modelRates.push(split.test.length / ((performance.now() - p) / 1000));
    modelCpuRates.push(split.test.length / cpuSeconds(pc));
  }
  const foldGold = gold.slice(-split.test.length);
  log(
    `  fold ${f}: NB macro-F1 ${classificationReport(foldGold, nbPred.slice(-split.test.length)).macroF1.toFixed(4)}, ` +
      `model ${classificationReport(foldGold, modelPred.slice(-split.test.length)).macroF1.toFixed(4)}, ` +
      `train ${modelTrain.at(-1)!.toFixed(1)} s (${modelTrainCpu.at(-1)!.toFixed(1)} s CPU)`,
  );
}

const labels = lastModel?.labels ?? [];
const nbReport = classificationReport(gold, nbPred, labels);
const modelReport = classificationReport(gold, modelPred, labels);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const result = {
  split: onlyFold === undefined ? `${folds}-fold, pooled` : `fold ${onlyFold} of ${folds}`,
  testItems: gold.length,
  baseline: {
    name: `multinomial NB, char 1-3-grams, alpha ${defaultNaiveBayesOptions.alpha}`,
    macroF1: nbReport.macroF1,
    accuracy: nbReport.accuracy,
    trainSeconds: mean(nbTrain),
    predictPerSecond: median(nbRates),
  },
  model: {
    name: 'TextClassifier (SVM ensemble)',
    macroF1: modelReport.macroF1,
    accuracy: modelReport.accuracy,
    trainSeconds: mean(modelTrain),
    trainCpuSeconds: mean(modelTrainCpu),
    predictPerSecond: median(modelRates),
    predictPerCpuSecond: median(modelCpuRates),
    unlabeled: values.unlabeled,
  },
  ratio: modelReport.macroF1 / nbReport.macroF1,
  /** Expected calibration error over 10 equal-width confidence bins (0 = confidence says how often it is right). */
  ece: calibrationReport(modelConfidence, modelPred.map((p, i) => p === gold[i])).ece,
  meanConfidence: modelConfidence.reduce((a, b) => a + b, 0) / Math.max(1, modelConfidence.length),
  /** What auto-categorisation (classifier.autoCategorize) would do at each threshold: share decided, accuracy there. */
  confident: [0.5, 0.7, 0.8, 0.9, 0.95].map((minConfidence) =>
    confidentShare(gold.map((label) => ({ label })), modelPred.map((label, i) => ({ label, confidence: modelConfidence[i] })), minConfidence)),
};

console.log('== multinomial naive Bayes, char 1-3-grams (baseline) ==');
console.log(formatClassificationReport(nbReport));
console.log('\n== TextClassifier ==');
console.log(formatClassificationReport(modelReport));
console.log(`
split                 ${result.split}, ${result.testItems} held-out messages with title and body
baseline macro-F1     ${result.baseline.macroF1.toFixed(4)}   (accuracy ${result.baseline.accuracy.toFixed(4)})
model macro-F1        ${result.model.macroF1.toFixed(4)}   (accuracy ${result.model.accuracy.toFixed(4)})
ratio model/baseline  ${result.ratio.toFixed(3)}
train seconds         baseline ${result.baseline.trainSeconds.toFixed(1)}, model ${result.model.trainSeconds.toFixed(1)} (${result.model.trainCpuSeconds.toFixed(1)} CPU) per fold
predictions/s         baseline ${result.baseline.predictPerSecond.toFixed(0)}, model ${result.model.predictPerSecond.toFixed(0)} (median of ${timingRuns} runs per fold; ${result.model.predictPerCpuSecond.toFixed(0)} per CPU second)`);
console.log(`calibration           expected calibration error ${result.ece.toFixed(4)} (10 bins), mean confidence ${result.meanConfidence.toFixed(4)} vs accuracy ${modelReport.accuracy.toFixed(4)}`);
for (const c of result.confident) {
  console.log(`confidence ≥ ${c.minConfidence.toFixed(2)}      ${(c.share * 100).toFixed(1)} % of messages, accuracy ${c.accuracy === null ? '—' : c.accuracy.toFixed(4)} (the rest go to a person)`);
}
if (values.json) console.log(JSON.stringify(result));
