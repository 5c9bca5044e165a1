import type { ClassMetrics } from './schemas.js';

export interface ClassificationReport {
  n: number;
  /** Class order used by `perClass` and both axes of `confusion`. */
  labels: string[];
  accuracy: number;
  /** Unweighted mean of per-class F1 (the Teddy Cup's score). */
  macroF1: number;
  macroPrecision: number;
  macroRecall: number;
  /** Support-weighted mean of per-class F1. */
  weightedF1: number;
  perClass: ClassMetrics[];
  /** `confusion[i][j]` = items of gold class `labels[i]` predicted as `labels[j]`. */
  confusion: number[][];
}

/**
 * Accuracy, macro/weighted F1, per-class precision/recall/F1 and the confusion matrix.
 * Classes are the given `labels` plus any other label seen in `gold` or `pred` (sorted), so a class that is
 * predicted but never gold still counts in the macro average with F1 = 0, as scikit-learn does.
 * A class with no predictions has precision 0; with no gold items, recall 0.
 *
 * @example
 * classificationReport(['a', 'a', 'b'], ['a', 'b', 'b']).macroF1 // (2/3 + 2/3) / 2 = 0.667
 */
export function classificationReport(gold: readonly string[], pred: readonly string[], labels: readonly string[] = []): ClassificationReport {
  if (gold.length !== pred.length) throw new Error(`gold has ${gold.length} items but pred has ${pred.length}`);
  const extra = [...new Set([...gold, ...pred])].filter((l) => !labels.includes(l)).sort();
  const all = [...labels, ...extra];
  const pos = new Map(all.map((l, i) => [l, i]));
  const k = all.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    confusion[pos.get(gold[i])!][pos.get(pred[i])!]++;
    if (gold[i] === pred[i]) correct++;
  }
  const perClass: ClassMetrics[] = all.map((label, c) => {
    const tp = confusion[c][c];
    let predicted = 0;
    let support = 0;
    for (let r = 0; r < k; r++) predicted += confusion[r][c];
    for (let j = 0; j < k; j++) support += confusion[c][j];
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const mean = (f: (m: ClassMetrics) => number): number => (k > 0 ? perClass.reduce((s, m) => s + f(m), 0) / k : 0);
  const n = gold.length;
  return {
    n,
    labels: all,
    accuracy: n > 0 ? correct / n : 0,
    macroF1: mean((m) => m.f1),
    macroPrecision: mean((m) => m.precision),
    macroRecall: mean((m) => m.recall),
    weightedF1: n > 0 ? perClass.reduce((s, m) => s + m.f1 * m.support, 0) / n : 0,
    perClass,
    confusion,
  };
}

/** East-Asian wide characters take two columns in a terminal. */
const width = (s: string): number => {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
};
const padEnd = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - width(s)));
const padStart = (s: string, n: number): string => ' '.repeat(Math.max(0, n - width(s))) + s;

/** A plain-text rendering of the report: summary, per-class table, confusion matrix (rows gold, columns predicted). */
export function formatClassificationReport(r: ClassificationReport): string {
  const lw = Math.max(8, ...r.labels.map(width));
  const f = (x: number): string => x.toFixed(4);
  const lines = [
    `items ${r.n}   accuracy ${f(r.accuracy)}   macro-F1 ${f(r.macroF1)}   weighted-F1 ${f(r.weightedF1)}`,
    '',
    `${padEnd('class', lw)}  precision  recall     f1         support`,
    ...r.perClass.map(
      (m) => `${padEnd(m.label, lw)}  ${f(m.precision).padEnd(9)}  ${f(m.recall).padEnd(9)}  ${f(m.f1).padEnd(9)}  ${m.support}`,
    ),
    `${padEnd('macro', lw)}  ${f(r.macroPrecision).padEnd(9)}  ${f(r.macroRecall).padEnd(9)}  ${f(r.macroF1).padEnd(9)}  ${r.n}`,
    '',
    'confusion matrix (rows = gold, columns = predicted, in the order below)',
  ];
  const cw = Math.max(5, ...r.confusion.flat().map((v) => String(v).length + 1));
  lines.push(padEnd('', lw + 4) + r.labels.map((_, j) => padStart(`[${j + 1}]`, cw)).join(''));
  r.labels.forEach((label, i) => {
    lines.push(padEnd(`[${i + 1}] ${label}`, lw + 4) + r.confusion[i].map((v) => padStart(String(v), cw)).join(''));
  });
  return lines.join('\n');
}

/** One confidence bin of a reliability diagram. */
export interface CalibrationBin {
  /** Lower edge of the bin (confidence in [from, from + 1/bins)). */
  from: number;
  n: number;
  meanConfidence: number;
  accuracy: number;
}

export interface CalibrationReport {
  n: number;
  /** Expected calibration error: bin-weighted mean of |accuracy − mean confidence| (0 = confidence says how often it is right). */
  ece: number;
  /** The largest gap over non-empty bins. */
  maxGap: number;
  meanConfidence: number;
  accuracy: number;
  bins: CalibrationBin[];
}

/**
 * How well the top-1 confidence matches how often the top-1 label is right, over `bins` equal-width bins
 * (Guo et al. 2017, the usual ECE with 10 or 15 bins).
 *
 * @example calibrationReport([0.9, 0.9], [true, false]).ece // 0.4
 */
export function calibrationReport(confidence: readonly number[], right: readonly boolean[], bins = 10): CalibrationReport {
  if (confidence.length !== right.length) throw new Error(`confidence has ${confidence.length} items but right has ${right.length}`);
  const n = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const hits = new Array<number>(bins).fill(0);
  confidence.forEach((c, i) => {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(c * bins)));
    n[b]++;
    conf[b] += c;
    if (right[i]) hits[b]++;
  });
  const total = confidence.length;
  const out: CalibrationBin[] = n.map((nb, b) => ({ from: b / bins, n: nb, meanConfidence: nb ? conf[b] / nb : 0, accuracy: nb ? hits[b] / nb : 0 }));
  const gaps = out.filter((b) => b.n > 0).map((b) => ({ w: b.n / total, gap: Math.abs(b.accuracy - b.meanConfidence) }));
  return {
    n: total,
    ece: gaps.reduce((e, g) => e + g.w * g.gap, 0),
    maxGap: Math.max(0, ...gaps.map((g) => g.gap)),
    meanConfidence: total ? conf.reduce((a, b) => a + b, 0) / total : 0,
    accuracy: total ? hits.reduce((a, b) => a + b, 0) / total : 0,
    bins: out,
  };
}

/** A plain-text reliability table: each non-empty bin's count, mean confidence and accuracy. */
export function formatCalibrationReport(r: CalibrationReport): string {
  const f = (x: number): string => x.toFixed(4);
  const width = 1 / Math.max(1, r.bins.length);
  return [
    `calibration: expected calibration error ${f(r.ece)} (${r.bins.length} bins), largest gap ${f(r.maxGap)}, ` +
      `mean confidence ${f(r.meanConfidence)} vs accuracy ${f(r.accuracy)}`,
    'confidence      items  mean conf  accuracy',
    ...r.bins
      .filter((b) => b.n > 0)
      .map((b) => `${b.from.toFixed(2)}–${(b.from + width).toFixed(2)}  ${String(b.n).padStart(9)}  ${f(b.meanConfidence).padStart(9)}  ${f(b.accuracy).padStart(8)}`),
  ].join('\n');
}
