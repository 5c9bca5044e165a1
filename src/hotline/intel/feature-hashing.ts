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
 * Collects weighted feature indices and hands them back as a sparse vector. A small open-addressing table
 * (grown as needed) rather than a dense array over every bucket: one document touches a few thousand buckets,
 * and a table that size stays in cache where a dense array of 2^18+ doubles does not. Reused across documents
 * so featurising allocates only the output.
 */
export class FeatureAccumulator {
  private keys: Int32Array;
  private vals: Float64Array;
  /** Occupied slots in insertion order. */
  private slots: Int32Array;
  private n = 0;
  private mask: number;

  /** `dim`: indices are in [0, dim). */
  constructor(readonly dim: number) {
    this.keys = new Int32Array(4096).fill(-1);
    this.vals = new Float64Array(4096);
    this.slots = new Int32Array(2048);
    this.mask = 4095;
  }

  private slotOf(index: number): number {
    const keys = this.keys;
    let s = Math.imul(index, 0x9e3779b1) >>> 0 & this.mask;
    while (keys[s] !== index && keys[s] !== -1) s = (s + 1) & this.mask;
    return s;
  }

  add(index: number, weight = 1): void {
    let s = this.slotOf(index);
    if (this.keys[s] === -1) {
      if (this.n >= this.slots.length) {
        this.grow();
        s = this.slotOf(index);
      }
      this.keys[s] = index;
      this.slots[this.n++] = s;
    }
    this.vals[s] += weight;
  }

  /** Doubles the table (kept at most half full) and re-inserts what it holds. */
  private grow(): void {
    const { keys, vals, slots, n } = this;
    this.keys = new Int32Array(keys.length * 2).fill(-1);
    this.vals = new Float64Array(keys.length * 2);
    this.slots = new Int32Array(slots.length * 2);
    this.mask = this.keys.length - 1;
    for (let k = 0; k < n; k++) {
      const s = this.slotOf(keys[slots[k]]);
      this.keys[s] = keys[slots[k]];
      this.vals[s] = vals[slots[k]];
      this.slots[k] = s;
    }
  }

  get size(): number {
    return this.n;
  }

  /** Applies `fn(index, value)` to every collected entry, replacing its value. */
  map(fn: (index: number, value: number) => number): void {
    for (let k = 0; k < this.n; k++) {
      const s = this.slots[k];
      this.vals[s] = fn(this.keys[s], this.vals[s]);
    }
  }

  /** Sum of squared values. */
  squaredNorm(): number {
    let sum = 0;
    for (let k = 0; k < this.n; k++) {
      const v = this.vals[this.slots[k]];
      sum += v * v;
    }
    return sum;
  }

  /** Calls `fn(index, value * scale)` for every entry (in no particular order) and clears. */
  drainEach(fn: (index: number, value: number) => void, scale = 1): void {
    for (let k = 0; k < this.n; k++) {
      const s = this.slots[k];
      fn(this.keys[s], this.vals[s] * scale);
    }
    this.clear();
  }

  /** Emits every entry scaled by `scale` into `target` and clears this accumulator. */
  drainInto(target: FeatureAccumulator, scale = 1): void {
    this.drainEach((i, v) => target.add(i, v), scale);
  }

  /** Returns the collected entries sorted by index, and clears. */
  take(): SparseVector {
    const idx = new Int32Array(this.n);
    for (let k = 0; k < this.n; k++) idx[k] = this.keys[this.slots[k]];
    idx.sort();
    const val = new Float32Array(this.n);
    for (let k = 0; k < idx.length; k++) val[k] = this.vals[this.slotOf(idx[k])];
    this.clear();
    return { idx, val };
  }

  /** Clears without emitting. */
  clear(): void {
    for (let k = 0; k < this.n; k++) {
      const s = this.slots[k];
      this.keys[s] = -1;
      this.vals[s] = 0;
    }
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
