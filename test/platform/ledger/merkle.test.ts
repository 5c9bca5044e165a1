import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  appendToPeaks,
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  merkleRoot,
  MerkleTree,
  nodeHash,
  peakSizes,
  rootFromPeaks,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from '../../../src/platform/ledger/merkle.js';

// Hashes computed here straight from node:crypto, by hand, so the module is checked against the RFC's formulas.
const sha = (...hexParts: string[]): Buffer => createHash('sha256').update(Buffer.from(hexParts.join(''), 'hex')).digest();
const H = (b: Buffer): string => b.toString('hex');

// The leaves of the Certificate Transparency reference tests (certificate-transparency-go merkle tests).
const ctLeaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) =>
  Buffer.from(h, 'hex'),
);
// Their roots for sizes 1..8, as published with those tests; our hand-built trees below agree with them.
const ctRoots = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const leavesOf = (n: number): Hash[] => Array.from({ length: n }, (_, i) => leafHash(`leaf ${i}`));

describe('RFC 6962 hashing', () => {
  it('hashes leaves with 0x00 and nodes with 0x01, and the empty tree as SHA-256 of nothing', () => {
    expect(H(leafHash(Buffer.from('616263', 'hex')))).toBe(H(sha('00616263')));
    const a = leafHash('a');
    const b = leafHash('b');
    expect(H(nodeHash(a, b))).toBe(H(sha('01', H(a), H(b))));
    expect(H(emptyRoot())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(H(merkleRoot([]))).toBe(H(emptyRoot()));
  });

  it('builds small trees as computed by hand (split at the largest power of two below n)', () => {
    const [l0, l1, l2, l3, l4] = ['a', 'b', 'c', 'd', 'e'].map((s) => leafHash(s));
    const n01 = sha('01', H(l0), H(l1));
    const n23 = sha('01', H(l2), H(l3));
    const n0123 = sha('01', H(n01), H(n23));
    expect(H(merkleRoot([l0]))).toBe(H(l0));
    expect(H(merkleRoot([l0, l1]))).toBe(H(n01));
    // 3 leaves: k = 2 → node(node(l0, l1), l2) — not node(l0, node(l1, l2))
    expect(H(merkleRoot([l0, l1, l2]))).toBe(H(sha('01', H(n01), H(l2))));
    expect(H(merkleRoot([l0, l1, l2, l3]))).toBe(H(n0123));
    // 5 leaves: k = 4 → node(MTH(0..3), l4)
    expect(H(merkleRoot([l0, l1, l2, l3, l4]))).toBe(H(sha('01', H(n0123), H(l4))));
  });

  it('matches the Certificate Transparency reference roots for sizes 1..8', () => {
    const leaves = ctLeaves.map((d) => leafHash(d));
    expect(H(leaves[0])).toBe(H(sha('00'))); // the empty leaf
    for (let n = 1; n <= 8; n++) expect(H(merkleRoot(leaves.slice(0, n))), `size ${n}`).toBe(ctRoots[n - 1]);
  });

  it('keeps roots incrementally with peaks, equal to MTH at every size', () => {
    const leaves = leavesOf(130);
    let peaks: Hash[] = [];
    for (let n = 0; n < leaves.length; n++) {
      expect(peaks.length).toBe(peakSizes(n).length);
      expect(H(rootFromPeaks(peaks)), `size ${n}`).toBe(H(merkleRoot(leaves.slice(0, n))));
      peaks = appendToPeaks(peaks, n, leaves[n]);
    }
    expect(peakSizes(13)).toEqual([8, 4, 1]);
    expect(peakSizes(0)).toEqual([]);
    expect(() => appendToPeaks([], 3, leaves[0])).toThrow(/peaks/);
  });

  it('answers range hashes from the in-memory tree like the recursive MTH', () => {
    const leaves = leavesOf(77);
    const tree = new MerkleTree();
    leaves.forEach((l) => tree.append(l));
    for (let start = 0; start < 77; start += 5) {
      for (let end = start; end <= 77; end += 3) expect(H(tree.rangeHash(start, end))).toBe(H(merkleRoot(leaves, start, end)));
    }
    expect(H(tree.root())).toBe(H(merkleRoot(leaves)));
  });
});

describe('RFC 6962 proofs', () => {
  // The RFC's 7-leaf example tree (§2.1.3): leaves d0..d6, a..f their leaf hashes, g = node(a, b) and so on.
  const d = Array.from({ length: 7 }, (_, i) => leafHash(`d${i}`));
  const [a, b, c, dd, e, f, j] = d;
  const g = nodeHash(a, b);
  const h = nodeHash(c, dd);
  const i = nodeHash(e, f);
  const k = nodeHash(g, h);
  const l = nodeHash(i, j);
  const hex = (xs: Hash[]) => xs.map(H);

  it('gives the audit paths of the RFC example', () => {
    expect(hex(inclusionProof(d, 0, 7))).toEqual(hex([b, h, l]));
    expect(hex(inclusionProof(d, 3, 7))).toEqual(hex([c, g, l]));
    expect(hex(inclusionProof(d, 4, 7))).toEqual(hex([f, j, k]));
    expect(hex(inclusionProof(d, 6, 7))).toEqual(hex([i, k]));
  });

  it('gives the consistency proofs of the RFC example', () => {
    expect(hex(consistencyProof(d, 3, 7))).toEqual(hex([c, dd, g, l]));
    expect(hex(consistencyProof(d, 4, 7))).toEqual(hex([l]));
    expect(hex(consistencyProof(d, 6, 7))).toEqual(hex([i, j, k]));
    expect(consistencyProof(d, 7, 7)).toEqual([]);
    expect(consistencyProof(d, 0, 7)).toEqual([]);
  });

  it('verifies every inclusion proof up to 40 leaves, and refuses altered ones', () => {
    const leaves = leavesOf(40);
    const tree = new MerkleTree();
    leaves.forEach((x) => tree.append(x));
    for (let n = 1; n <= 40; n++) {
      const root = merkleRoot(leaves.slice(0, n));
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(tree, m, n);
        expect(hex(proof)).toEqual(hex(inclusionProof(leaves, m, n)));
        expect(verifyInclusion(leaves[m], m, n, proof, root), `${m} in ${n}`).toBe(true);
        expect(verifyInclusion(leaves[(m + 1) % n], m, n, proof, root) && n > 1).toBe(false);
        if (proof.length > 0) {
          const bad = proof.map((p) => Buffer.from(p));
          bad[0][0] ^= 1;
          expect(verifyInclusion(leaves[m], m, n, bad, root)).toBe(false);
          expect(verifyInclusion(leaves[m], m, n, proof.slice(1), root)).toBe(false);
        }
      }
    }
    expect(verifyInclusion(leaves[0], 1, 1, [], leaves[0])).toBe(false);
  });

  it('verifies every consistency proof up to 40 leaves, and refuses altered ones', () => {
    const leaves = leavesOf(40);
    const tree = new MerkleTree();
    leaves.forEach((x) => tree.append(x));
    for (let n = 1; n <= 40; n++) {
      const newRoot = merkleRoot(leaves.slice(0, n));
      for (let m = 1; m <= n; m++) {
        const oldRoot = merkleRoot(leaves.slice(0, m));
        const proof = consistencyProof(tree, m, n);
        expect(hex(proof)).toEqual(hex(consistencyProof(leaves, m, n)));
        expect(verifyConsistency(m, n, proof, oldRoot, newRoot), `${m} → ${n}`).toBe(true);
        if (m < n) {
          const bad = proof.map((p) => Buffer.from(p));
          bad[bad.length - 1][31] ^= 0x80;
          expect(verifyConsistency(m, n, bad, oldRoot, newRoot)).toBe(false);
          expect(verifyConsistency(m, n, proof.slice(0, -1), oldRoot, newRoot)).toBe(false);
          expect(verifyConsistency(m, n, proof, leafHash('other'), newRoot)).toBe(false);
          expect(verifyConsistency(m, n, proof, oldRoot, leafHash('other'))).toBe(false);
          expect(verifyConsistency(m, n, [], oldRoot, newRoot)).toBe(false);
        }
      }
    }
    expect(verifyConsistency(3, 2, [], emptyRoot(), emptyRoot())).toBe(false);
  });

  it('refuses to make proofs outside the tree', () => {
    const leaves = leavesOf(5);
    expect(() => inclusionProof(leaves, 5, 5)).toThrow(RangeError);
    expect(() => inclusionProof(leaves, 0, 6)).toThrow(RangeError);
    expect(() => consistencyProof(leaves, 4, 3)).toThrow(RangeError);
    expect(() => consistencyProof(leaves, 1, 6)).toThrow(RangeError);
  });
});
