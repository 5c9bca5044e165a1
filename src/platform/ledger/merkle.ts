import { createHash } from 'node:crypto';

/**
 * RFC 6962 §2.1 Merkle hash trees (the same trees as RFC 9162 §2.1), over SHA-256 (or SM3, see HashAlg):
 *
 *   MTH({})      = SHA-256()
 *   MTH({d(0)})  = SHA-256(0x00 || d(0))
 *   MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   k = the largest power of two < n
 *
 * The distinct 0x00 / 0x01 prefixes keep a leaf from ever being read as an inner node (second-preimage defence).
 * Everything here works on hashes, never on the entries, so it has no idea what a ledger entry is.
 */

export type Hash = Buffer;

/**
 * The hash a ledger's tree uses: SHA-256 (RFC 6962) or, in 国密 mode, SM3 (GB/T 32905) in the same tree shape.
 * Both digests are 32 bytes, so everything below is the same for either.
 */
export type HashAlg = 'sha256' | 'sm3';

const digest = (alg: HashAlg, ...parts: Uint8Array[]): Hash => {
  const h = createHash(alg);
  for (const part of parts) h.update(part);
  return h.digest();
};

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** SHA-256(0x00 || data): the hash of one leaf. */
export const leafHash = (data: Uint8Array | string, alg: HashAlg = 'sha256'): Hash =>
  digest(alg, LEAF_PREFIX, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

/** SHA-256(0x01 || left || right): the hash of an inner node. */
export const nodeHash = (left: Uint8Array, right: Uint8Array, alg: HashAlg = 'sha256'): Hash => digest(alg, NODE_PREFIX, left, right);

/** The root of the empty tree, SHA-256 of the empty string. */
export const emptyRoot = (alg: HashAlg = 'sha256'): Hash => digest(alg);

/** The largest power of two strictly less than n (n ≥ 2): where RFC 6962 splits a tree. */
export const splitPoint = (n: number): number => {
  if (n < 2) throw new RangeError(`splitPoint needs n ≥ 2, got ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

const isPowerOfTwo = (n: number): boolean => {
  let p = 1;
  while (p < n) p *= 2;
  return p === n;
};

/**
 * MTH(D[start:end]) over leaf hashes, by the RFC's recursion. O(n); for repeated queries over a large log use
 * {@link MerkleTree}, which answers the same question in O(log n).
 *
 * @example merkleRoot([leafHash('a'), leafHash('b')]).toString('hex')
 */
export function merkleRoot(leaves: readonly Hash[], start = 0, end = leaves.length, alg: HashAlg = 'sha256'): Hash {
  const n = end - start;
  if (n < 0 || start < 0 || end > leaves.length) throw new RangeError(`bad range [${start}, ${end}) of ${leaves.length} leaves`);
  if (n === 0) return emptyRoot(alg);
  if (n === 1) return leaves[start];
  const k = splitPoint(n);
  return nodeHash(merkleRoot(leaves, start, start + k, alg), merkleRoot(leaves, start + k, end, alg), alg);
}

// ---------------------------------------------------------------------------------------------------------------
// Incremental roots: the "peaks" of a log of n leaves are the roots of its perfect subtrees, one per set bit of n,
// largest (leftmost) first. Appending a leaf merges equal-sized peaks like a binary counter carries: O(log n).
// The root folds the peaks from the right, which is exactly MTH's split at the largest power of two.
// ---------------------------------------------------------------------------------------------------------------

/** The sizes of the perfect subtrees of a log of n leaves, largest first (the set bits of n). */
export const peakSizes = (n: number): number[] => {
  const sizes: number[] = [];
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(n, 1))); bit >= 1; bit /= 2) {
    if (Math.floor(n / bit) % 2 === 1) sizes.push(bit);
  }
  return sizes;
};

/**
 * The peaks after appending one leaf to a log of `size` leaves whose peaks are `peaks` (largest first).
 *
 * @example let peaks: Hash[] = []; peaks = appendToPeaks(peaks, 0, leafHash('a'));
 */
export function appendToPeaks(peaks: readonly Hash[], size: number, leaf: Hash, alg: HashAlg = 'sha256'): Hash[] {
  const expected = peakSizes(size).length;
  if (peaks.length !== expected) throw new RangeError(`a log of ${size} leaves has ${expected} peaks, got ${peaks.length}`);
  const next = [...peaks];
  let carry = leaf;
  // Each trailing 1-bit of `size` is a peak of the same size as the carry: merge it (left sibling first).
  for (let s = size; s % 2 === 1; s = Math.floor(s / 2)) carry = nodeHash(next.pop()!, carry, alg);
  next.push(carry);
  return next;
}

/** The tree root of a log given its peaks (largest first). */
export function rootFromPeaks(peaks: readonly Hash[], alg: HashAlg = 'sha256'): Hash {
  if (peaks.length === 0) return emptyRoot(alg);
  let root = peaks[peaks.length - 1];
  for (let i = peaks.length - 2; i >= 0; i--) root = nodeHash(peaks[i], root, alg);
  return root;
}

// ---------------------------------------------------------------------------------------------------------------
// Proof generation, RFC 6962 §2.1.1 (PATH) and §2.1.2 (SUBPROOF), over anything that can hash a range of leaves.
// ---------------------------------------------------------------------------------------------------------------

/** Something that knows MTH(D[start:end]) of a log: an array of leaf hashes, or a {@link MerkleTree}. */
export interface RangeHasher {
  readonly size: number;
  rangeHash(start: number, end: number): Hash;
}

const asHasher = (leaves: readonly Hash[] | RangeHasher): RangeHasher =>
  Array.isArray(leaves)
    ? { size: leaves.length, rangeHash: (start, end) => merkleRoot(leaves as readonly Hash[], start, end) }
    : (leaves as RangeHasher);

/**
 * The audit path (RFC 6962 §2.1.1 PATH(m, D[n])) of leaf `index` in the tree of the first `treeSize` leaves,
 * ordered from the leaf up, as RFC 9162 §2.1.3.1 returns it.
 *
 * @example inclusionProof(leaves, 2, 5) // the hashes needed to go from leaf 2 to the root of 5 leaves
 */
export function inclusionProof(leaves: readonly Hash[] | RangeHasher, index: number, treeSize: number): Hash[] {
  const tree = asHasher(leaves);
  if (!(Number.isInteger(index) && Number.isInteger(treeSize)) || index < 0 || index >= treeSize || treeSize > tree.size) {
    throw new RangeError(`no inclusion proof for leaf ${index} in a tree of ${treeSize} (log has ${tree.size})`);
  }
  const path = (m: number, start: number, end: number): Hash[] => {
    const n = end - start;
    if (n === 1) return [];
    const k = splitPoint(n);
    return m < k
      ? [...path(m, start, start + k), tree.rangeHash(start + k, end)]
      : [...path(m - k, start + k, end), tree.rangeHash(start, start + k)];
  };
  return path(index, 0, treeSize);
}

/**
 * The consistency proof (RFC 6962 §2.1.2 PROOF(m, D[n]) = SUBPROOF(m, D[n], true)) that the tree of the first
 * `from` leaves is a prefix of the tree of the first `to` leaves. Empty when from = to or from = 0.
 *
 * @example consistencyProof(leaves, 3, 7)
 */
export function consistencyProof(leaves: readonly Hash[] | RangeHasher, from: number, to: number): Hash[] {
  const tree = asHasher(leaves);
  if (!(Number.isInteger(from) && Number.isInteger(to)) || from < 0 || from > to || to > tree.size) {
    throw new RangeError(`no consistency proof from ${from} to ${to} (log has ${tree.size})`);
  }
  if (from === 0 || from === to) return [];
  const subproof = (m: number, start: number, end: number, complete: boolean): Hash[] => {
    const n = end - start;
    if (m === n) return complete ? [] : [tree.rangeHash(start, end)];
    const k = splitPoint(n);
    return m <= k
      ? [...subproof(m, start, start + k, complete), tree.rangeHash(start + k, end)]
      : [...subproof(m - k, start + k, end, false), tree.rangeHash(start, start + k)];
  };
  return subproof(from, 0, to, true);
}

// ---------------------------------------------------------------------------------------------------------------
// Verification, RFC 9162 §2.1.3.2 and §2.1.4.2, step by step.
// ---------------------------------------------------------------------------------------------------------------

const equal = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

/**
 * Whether `proof` shows the leaf with hash `leaf` at `index` is in the tree of `treeSize` leaves with `root`.
 *
 * @example verifyInclusion(leafHash(body), 2, 5, proof, root) // → true
 */
export function verifyInclusion(
  leaf: Uint8Array, index: number, treeSize: number, proof: readonly Uint8Array[], root: Uint8Array, alg: HashAlg = 'sha256',
): boolean {
  if (!(Number.isInteger(index) && Number.isInteger(treeSize)) || index < 0 || index >= treeSize) return false;
  // fn / sn as numbers, not 32-bit ints: sizes may pass 2^31. Halving is floor(x / 2); LSB is x % 2.
  let fn = index;
  let sn = treeSize - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r, alg);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p, alg);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/**
 * Whether `proof` shows the tree of `from` leaves with `fromRoot` is a prefix of the tree of `to` leaves with
 * `toRoot`. Trivial cases (from = 0, from = to) need an empty proof (and equal roots for from = to).
 *
 * @example verifyConsistency(3, 7, proof, checkpoint3.root, checkpoint7.root) // → true
 */
export function verifyConsistency(
  from: number,
  to: number,
  proof: readonly Uint8Array[],
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
  alg: HashAlg = 'sha256',
): boolean {
  if (!(Number.isInteger(from) && Number.isInteger(to)) || from < 0 || from > to) return false;
  if (from === to) return proof.length === 0 && equal(fromRoot, toRoot);
  if (from === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  // Step 2: when the old tree is a perfect subtree, its root is the first node of the walk.
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0];
  let sr: Uint8Array = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr, alg);
      sr = nodeHash(c, sr, alg);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c, alg);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, fromRoot) && equal(sr, toRoot);
}

// ---------------------------------------------------------------------------------------------------------------
// An in-memory tree for serving proofs: every perfect, aligned subtree hash is kept by level, so MTH of any range
// the RFC recursion asks for costs O(log n) and a proof O(log² n) hashes, instead of rehashing the whole log.
// Memory is about 2 × 32 bytes per leaf (level 0 holds the leaves, each level above half as many).
// ---------------------------------------------------------------------------------------------------------------

/** A growable array of 32-byte hashes in one buffer (an array of a million Buffers would cost far more). */
class HashList {
  private buf = Buffer.alloc(32 * 64);
  length = 0;

  push(hash: Uint8Array): void {
    if ((this.length + 1) * 32 > this.buf.length) {
      const bigger = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(bigger);
      this.buf = bigger;
    }
    this.buf.set(hash, this.length * 32);
    this.length++;
  }

  at(i: number): Hash {
    return this.buf.subarray(i * 32, i * 32 + 32);
  }
}

/**
 * An append-only Merkle tree in memory that answers range hashes, roots and proofs quickly.
 *
 * @example
 * const tree = new MerkleTree();
 * for (const body of bodies) tree.append(leafHash(body));
 * const proof = inclusionProof(tree, 3, tree.size);
 */
export class MerkleTree implements RangeHasher {
  /** levels[h][i] = hash of the perfect subtree of 2^h leaves starting at leaf i·2^h. */
  private readonly levels: HashList[] = [new HashList()];

  constructor(private readonly alg: HashAlg = 'sha256') {}

  get size(): number {
    return this.levels[0].length;
  }

  append(leaf: Hash): void {
    if (leaf.length !== 32) throw new RangeError('a leaf hash is 32 bytes');
    this.levels[0].push(leaf);
    // Completing a left/right pair at one level completes a node on the next.
    for (let h = 0; this.levels[h].length % 2 === 0; h++) {
      const level = this.levels[h];
      const parent = nodeHash(level.at(level.length - 2), level.at(level.length - 1), this.alg);
      if (!this.levels[h + 1]) this.levels.push(new HashList());
      this.levels[h + 1].push(parent);
    }
  }

  /** MTH(D[start:end]). */
  rangeHash(start: number, end: number): Hash {
    if (start < 0 || end > this.size || start > end) throw new RangeError(`bad range [${start}, ${end}) of ${this.size} leaves`);
    const n = end - start;
    if (n === 0) return emptyRoot(this.alg);
    // A perfect subtree aligned on its own size is stored.
    if (isPowerOfTwo(n) && start % n === 0) {
      const h = Math.log2(n);
      const level = this.levels[h];
      if (level && start / n < level.length) return Buffer.from(level.at(start / n));
    }
    const k = splitPoint(n);
    return nodeHash(this.rangeHash(start, start + k), this.rangeHash(start + k, end), this.alg);
  }

  /** MTH of the first `size` leaves (default: all). */
  root(size = this.size): Hash {
    return this.rangeHash(0, size);
  }
}
