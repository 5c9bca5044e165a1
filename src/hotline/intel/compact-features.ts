import type { SparseVector } from './feature-hashing.js';

/**
 * Maps the hash buckets that training actually used onto 0…n-1, most frequent first. Training on the compact
 * space keeps the weight vectors small and cache-friendly (frequent features share cache lines), and the
 * saved model holds only the buckets it needs.
 */
export class CompactFeatureMap {
  /** `buckets[j]` is the hash bucket of compact feature j. */
  readonly buckets: Int32Array;
  private readonly lookup: Map<number, number> | Int32Array;
  /** A dense copy of `lookup` when that is a Map (very large spaces), made on first `denseLookup()`. */
  private dense?: Int32Array;

  constructor(buckets: Int32Array, private readonly dim: number) {
    this.buckets = buckets;
    // A dense table is the fastest lookup; it costs 4 bytes per bucket, so only when the space is moderate.
    if (dim <= 1 << 22) {
      this.lookup = denseTable(buckets, dim);
    } else {
      const m = new Map<number, number>();
      for (let j = 0; j < buckets.length; j++) m.set(buckets[j], j);
      this.lookup = m;
    }
  }

  get size(): number {
    return this.buckets.length;
  }

  /** The bucket → feature table as a dense array (-1 = unused), for prediction's hot loop; built once if needed. */
  denseLookup(): Int32Array {
    if (this.lookup instanceof Int32Array) return this.lookup;
    return (this.dense ??= denseTable(this.buckets, this.dim));
  }

  /** Builds the map from training vectors, keeping buckets used by at least `minCount` of them. */
  static fromVectors(X: SparseVector[], dim: number, minCount = 1): CompactFeatureMap {
    const count = new Int32Array(dim);
    for (const x of X) for (let k = 0; k < x.idx.length; k++) count[x.idx[k]]++;
    const used: number[] = [];
    for (let i = 0; i < dim; i++) if (count[i] >= minCount) used.push(i);
    used.sort((a, b) => count[b] - count[a] || a - b);
    return new CompactFeatureMap(Int32Array.from(used), dim);
  }

  /** Re-indexes a hashed vector into the compact space, dropping unknown buckets (result sorted by index). */
  map(x: SparseVector): SparseVector {
    const t = this.lookup;
    const pairs: number[] = [];
    for (let k = 0; k < x.idx.length; k++) {
      const j = t instanceof Int32Array ? t[x.idx[k]] : (t.get(x.idx[k]) ?? -1);
      if (j >= 0) pairs.push(j, k);
    }
    const n = pairs.length / 2;
    const order = new Int32Array(n);
    for (let p = 0; p < n; p++) order[p] = p;
    order.sort((a, b) => pairs[2 * a] - pairs[2 * b]);
    const idx = new Int32Array(n);
    const val = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      idx[p] = pairs[2 * order[p]];
      val[p] = x.val[pairs[2 * order[p] + 1]];
    }
    return { idx, val };
  }

  /** Like `map`, without sorting: enough for dot products at prediction time. */
  mapUnsorted(x: SparseVector): SparseVector {
    const t = this.lookup;
    const idx = new Int32Array(x.idx.length);
    const val = new Float32Array(x.idx.length);
    let n = 0;
    for (let k = 0; k < x.idx.length; k++) {
      const j = t instanceof Int32Array ? t[x.idx[k]] : (t.get(x.idx[k]) ?? -1);
      if (j >= 0) {
        idx[n] = j;
        val[n++] = x.val[k];
      }
    }
    return { idx: idx.subarray(0, n), val: val.subarray(0, n) };
  }
}

function denseTable(buckets: Int32Array, dim: number): Int32Array {
  const t = new Int32Array(dim).fill(-1);
  for (let j = 0; j < buckets.length; j++) t[buckets[j]] = j;
  return t;
}
