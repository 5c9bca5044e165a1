import type { SparseVector } from './feature-hashing.js';

/** A linear multi-class scorer: `score[c] = w[c]·x + b[c]`, weights row-major (`classes × dim`). */
export interface LinearModel {
  classes: number;
  dim: number;
  w: Float32Array;
  b: Float32Array;
}

export interface SvmOptions {
  /** Inverse regularisation strength (liblinear's C). */
  C: number;
  /** Upper bound on passes over the data per class. */
  maxEpochs: number;
  /** Stop when the projected-gradient spread falls below this (liblinear's default 0.1). */
  eps: number;
  /** Scale C per class by n / (classes · n_c), so small classes weigh as much as large ones (macro-F1). */
  balanced: boolean;
  /** Per-example multiplier of C (e.g. a lower weight for pseudo-labelled examples). */
  exampleWeight?: Float32Array;
  seed: number;
}

export const defaultSvmOptions: SvmOptions = { C: 0.5, maxEpochs: 40, eps: 0.1, balanced: true, seed: 1 };

/** A small seeded PRNG (mulberry32) so training is reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One-vs-rest L2-regularised L2-loss linear SVM trained by dual coordinate descent
 * (Hsieh et al. 2008, liblinear's `-s 1`), with the bias as an extra regularised feature of value 1.
 * Fast and strong on sparse TF-IDF text features.
 *
 * @example
 * const model = trainLinearSvm(vectors, labels, 7, 1 << 20, { ...defaultSvmOptions, C: 1 });
 */
export function trainLinearSvm(
  X: SparseVector[],
  y: ArrayLike<number>,
  classes: number,
  dim: number,
  options: Partial<SvmOptions> = {},
): LinearModel {
  const opt = { ...defaultSvmOptions, ...options };
  const n = X.length;
  const W = new Float32Array(classes * dim);
  const B = new Float32Array(classes);
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 1; // the bias feature
    const v = X[i].val;
    for (let k = 0; k < v.length; k++) s += v[k] * v[k];
    sq[i] = s;
  }
  const counts = new Float64Array(classes);
  for (let i = 0; i < n; i++) counts[y[i]]++;
  const rand = mulberry32(opt.seed);
  const order = new Int32Array(n);
  const w = new Float64Array(dim);
  const alpha = new Float64Array(n);
  const Ci = new Float64Array(n);

  for (let c = 0; c < classes; c++) {
    w.fill(0);
    alpha.fill(0);
    let b = 0;
    // Balanced weights for the binary problem c vs rest: each side weighs as much as the other.
    const pos = counts[c];
    const neg = n - pos;
    const wPos = opt.balanced && pos > 0 ? n / (2 * pos) : 1;
    const wNeg = opt.balanced && neg > 0 ? n / (2 * neg) : 1;
    for (let i = 0; i < n; i++) {
      Ci[i] = opt.C * (y[i] === c ? wPos : wNeg) * (opt.exampleWeight ? opt.exampleWeight[i] : 1);
    }
    for (let i = 0; i < n; i++) order[i] = i;
    for (let epoch = 0; epoch < opt.maxEpochs; epoch++) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      let maxPG = -Infinity;
      let minPG = Infinity;
      for (let t = 0; t < n; t++) {
        const i = order[t];
        const yi = y[i] === c ? 1 : -1;
        const { idx, val } = X[i];
        const D = 0.5 / Ci[i];
        let dot = b;
        for (let k = 0; k < idx.length; k++) dot += w[idx[k]] * val[k];
        const G = yi * dot - 1 + D * alpha[i];
        const PG = alpha[i] === 0 ? Math.min(G, 0) : G;
        if (PG > maxPG) maxPG = PG;
        if (PG < minPG) minPG = PG;
        if (Math.abs(PG) > 1e-12) {
          const old = alpha[i];
          const a = Math.max(old - G / (sq[i] + D), 0);
          alpha[i] = a;
          const d = (a - old) * yi;
          if (d !== 0) {
            for (let k = 0; k < idx.length; k++) w[idx[k]] += d * val[k];
            b += d;
          }
        }
      }
      if (maxPG - minPG < opt.eps) break;
    }
    const off = c * dim;
    for (let j = 0; j < dim; j++) W[off + j] = w[j];
    B[c] = b;
  }
  return { classes, dim, w: W, b: B };
}

/** Writes the class scores of `x` into `out` (length = classes). */
export function linearScores(model: LinearModel, x: SparseVector, out: Float64Array): Float64Array {
  const { classes, dim, w, b } = model;
  const { idx, val } = x;
  for (let c = 0; c < classes; c++) {
    const off = c * dim;
    let s = b[c];
    for (let k = 0; k < idx.length; k++) s += val[k] * w[off + idx[k]];
    out[c] = s;
  }
  return out;
}
