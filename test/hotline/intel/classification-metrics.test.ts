import { describe, expect, it } from 'vitest';
import { classificationReport, formatClassificationReport } from '../../../src/hotline/intel/classification-metrics.js';

describe('classificationReport', () => {
  it('matches a hand-computed confusion matrix', () => {
    // gold a a a a b b b c c c ; pred a a a b b b c c c a
    const gold = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c'];
    const pred = ['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c', 'a'];
    const r = classificationReport(gold, pred);
    expect(r.labels).toEqual(['a', 'b', 'c']);
    expect(r.confusion).toEqual([
      [3, 1, 0],
      [0, 2, 1],
      [1, 0, 2],
    ]);
    expect(r.accuracy).toBeCloseTo(0.7, 10);
    // a: P 3/4, R 3/4, F1 .75; b: P 2/3, R 2/3; c: P 2/3, R 2/3.
    expect(r.perClass.map((m) => m.precision)).toEqual([0.75, 2 / 3, 2 / 3]);
    expect(r.perClass.map((m) => m.recall)).toEqual([0.75, 2 / 3, 2 / 3]);
    expect(r.perClass[0].f1).toBeCloseTo(0.75, 10);
    expect(r.macroF1).toBeCloseTo((0.75 + 2 / 3 + 2 / 3) / 3, 10);
    expect(r.weightedF1).toBeCloseTo((0.75 * 4 + (2 / 3) * 3 + (2 / 3) * 3) / 10, 10);
    expect(r.perClass.map((m) => m.support)).toEqual([4, 3, 3]);
  });

  it('counts a class that is predicted but never gold, with F1 0', () => {
    const r = classificationReport(['a', 'a'], ['a', 'z'], ['a']);
    expect(r.labels).toEqual(['a', 'z']);
    expect(r.perClass[1]).toMatchObject({ label: 'z', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(r.macroF1).toBeCloseTo((2 / 3 + 0) / 2, 10);
    expect(formatClassificationReport(r)).toContain('macro-F1 0.3333');
  });
});
