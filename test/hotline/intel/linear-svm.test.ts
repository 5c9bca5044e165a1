import { describe, expect, it } from 'vitest';
import { linearScores, trainLinearSvm } from '../../../src/hotline/intel/linear-svm.js';
import type { SparseVector } from '../../../src/hotline/intel/feature-hashing.js';
import { mulberry32 } from '../../../src/platform/random/seeded-random.js';

/** Three noisy classes in 200 sparse dimensions: each class prefers its own band of features. */
function synthetic(n: number, seed: number): { X: SparseVector[]; y: Int32Array } {
  const rand = mulberry32(seed);
  const X: SparseVector[] = [];
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    const idx = new Set<number>();
    for (let k = 0; k < 12; k++) idx.add(rand() < 0.6 ? c * 60 + Math.floor(rand() * 60) : Math.floor(rand() * 200));
    const sorted = Int32Array.from([...idx].sort((a, b) => a - b));
    const val = Float32Array.from(sorted, () => 1 / Math.sqrt(sorted.length));
    X.push({ idx: sorted, val });
  }
  return { X, y };
}

const accuracy = (model: ReturnType<typeof trainLinearSvm>, X: SparseVector[], y: Int32Array): number => {
  let right = 0;
  const out = new Float64Array(model.classes);
  X.forEach((x, i) => {
    linearScores(model, x, out);
    if (out.indexOf(Math.max(...out)) === y[i]) right++;
  });
  return right / X.length;
};

describe('linear SVM (dual coordinate descent with shrinking)', () => {
  const train = synthetic(900, 7);
  const test = synthetic(300, 8);

  it('learns the classes', () => {
    const model = trainLinearSvm(train.X, train.y, 3, 200, { C: 1, maxEpochs: 50 });
    expect(accuracy(model, test.X, test.y)).toBeGreaterThan(0.85);
  });

  it('a warm start from the first examples reaches the same solution as training on all of them', () => {
    const cold = trainLinearSvm(train.X, train.y, 3, 200, { C: 1, maxEpochs: 200, eps: 1e-4 });
    const part = trainLinearSvm(train.X.slice(0, 700), train.y.slice(0, 700), 3, 200, { C: 1, maxEpochs: 200, eps: 1e-4 });
    const warm = trainLinearSvm(train.X, train.y, 3, 200, { C: 1, maxEpochs: 200, eps: 1e-4, warmStart: part.state });
    const distance = (m: { w: Float32Array }): number => {
      let diff = 0;
      let norm = 0;
      for (let j = 0; j < cold.w.length; j++) {
        diff += (cold.w[j] - m.w[j]) ** 2;
        norm += cold.w[j] ** 2;
      }
      return Math.sqrt(diff / norm);
    };
    expect(distance(warm)).toBeLessThan(0.02);
    expect(accuracy(warm, test.X, test.y)).toBeCloseTo(accuracy(cold, test.X, test.y), 1);
    // The point of it: two passes from the warm start land nearer than two passes from zero.
    const warm2 = trainLinearSvm(train.X, train.y, 3, 200, { C: 1, maxEpochs: 2, warmStart: part.state });
    const cold2 = trainLinearSvm(train.X, train.y, 3, 200, { C: 1, maxEpochs: 2 });
    expect(distance(warm2)).toBeLessThan(distance(cold2) / 2);
  });
});
