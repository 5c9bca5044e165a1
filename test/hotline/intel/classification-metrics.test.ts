import { describe, expect, it } from 'vitest';
import { calibrationReport, classificationReport, formatCalibrationReport, formatClassificationReport } from '../../../src/hotline/intel/classification-metrics.js';

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

describe('calibrationReport', () => {
  it('matches a hand-computed expected calibration error over equal-width bins', () => {
    // bin 0.9–1.0: confidences .95 .95 .95 .95, 3 right → gap |.75 − .95| = .2, weight 4/6
    // bin 0.6–0.7: confidences .65 .65, 1 right → gap |.5 − .65| = .15, weight 2/6
    const r = calibrationReport([0.95, 0.95, 0.95, 0.95, 0.65, 0.65], [true, true, true, false, true, false]);
    expect(r.ece).toBeCloseTo((4 / 6) * 0.2 + (2 / 6) * 0.15, 10);
    expect(r.maxGap).toBeCloseTo(0.2, 10);
    expect(r.accuracy).toBeCloseTo(4 / 6, 10);
    expect(r.bins.filter((b) => b.n > 0).map((b) => [b.from, b.n])).toEqual([[0.6, 2], [0.9, 4]]);
    expect(formatCalibrationReport(r)).toContain(`expected calibration error ${r.ece.toFixed(4)}`);
  });

  it('is 0 when confidence says exactly how often the label is right, and puts confidence 1 in the last bin', () => {
    const r = calibrationReport([1, 1, 0.5, 0.5], [true, true, true, false]);
    expect(r.ece).toBe(0);
    expect(r.bins.at(-1)!.n).toBe(2);
  });

  it('refuses lists of different lengths', () => {
    expect(() => calibrationReport([0.5], [])).toThrow(/1 items/);
  });
});
