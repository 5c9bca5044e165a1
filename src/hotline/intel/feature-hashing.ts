/**
 * The hashing trick for text features: every n-gram is hashed into one of 2^bits buckets, so a model needs
 * no vocabulary (it serialises as fixed-size arrays) and unseen words cost nothing at prediction time.
 */

/** A sparse vector with strictly increasing indices. */
export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** murmur3's finaliser: spreads FNV's weak low bits before masking. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, seeded, finalised. */
export function hashString(s: string, seed = 0): number {
  let h = (FNV_OFFSET ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return fmix32(h);
}

/** Combines two hashes into one (order-sensitive), for word bigrams. */
export function combineHashes(a: number, b: number): number {
  return fmix32((Math.imul(a, 0x9e3779b1) ^ (b + 0x7f4a7c15)) >>> 0);
}

/**
 * Collects weighted feature indices into a dense scratch array and hands them back as a sorted sparse
 * vector. Reused across documents so featurising allocates only the output.
 */
export class FeatureAccumulator {
  private readonly dense: Float64Array;
  private touched: Int32Array;
  private n = 0;

  constructor(readonly dim: number) {
    this.dense = new Float64Array(dim);
    this.touched = new Int32Array(1024);
  }

  add(index: number, weight = 1): void {
    if (this.dense[index] === 0) {
      if (this.n === this.touched.length) {
        const grown = new Int32Array(this.touched.length * 2);
        grown.set(this.touched);
        this.touched = grown;
      }
      this.touched[this.n++] = index;
    }
    this.dense[index] += weight;
    // A sum that lands exactly on 0 would be re-registered; nudge it so the index stays touched once.
    if (this.dense[index] === 0) this.dense[index] = Number.MIN_VALUE;
  }

  get size(): number {
    return this.n;
  }

  /** Applies `fn(index, value)` to every collected entry, replacing its value. */
  map(fn: (index: number, value: number) => number): void {
    for (let k = 0; k < this.n; k++) {
      const i = this.touched[k];
      this.dense[i] = fn(i, this.dense[i]) || Number.MIN_VALUE;
    }
  }

  /** Sum of squared values. */
  squaredNorm(): number {
    let s = 0;
    for (let k = 0; k < this.n; k++) {
      const v = this.dense[this.touched[k]];
      s += v * v;
    }
    return s;
  }

  /** Emits every entry scaled by `scale` into `target` and clears this accumulator. */
  drainInto(target: FeatureAccumulator, scale = 1): void {
    for (let k = 0; k < this.n; k++) {
      const i = this.touched[k];
      target.add(i, this.dense[i] * scale);
      this.dense[i] = 0;
    }
    this.n = 0;
  }

  /** Calls `fn(index, value * scale)` for every entry (in no particular order) and clears. */
  drainEach(fn: (index: number, value: number) => void, scale = 1): void {
    for (let k = 0; k < this.n; k++) {
      const i = this.touched[k];
      fn(i, this.dense[i] * scale);
      this.dense[i] = 0;
    }
    this.n = 0;
  }

  /** Returns the collected entries sorted by index, and clears. */
  take(): SparseVector {
    const idx = this.touched.slice(0, this.n).sort();
    const val = new Float32Array(this.n);
    for (let k = 0; k < idx.length; k++) {
      val[k] = this.dense[idx[k]];
      this.dense[idx[k]] = 0;
    }
    this.n = 0;
    return { idx, val };
  }

  /** Clears without emitting. */
  clear(): void {
    for (let k = 0; k < this.n; k++) this.dense[this.touched[k]] = 0;
    this.n = 0;
  }
}

/** Dot product of a sparse vector with row `row` of a dense row-major matrix of width `dim`. */
export function sparseDot(x: SparseVector, w: Float32Array | Float64Array, row = 0, dim = 0): number {
  const off = row * dim;
  let s = 0;
  const { idx, val } = x;
  for (let k = 0; k < idx.length; k++) s += val[k] * w[off + idx[k]];
  return s;
}
