import { describe, expect, it } from 'vitest';
import { addCounts, computeRates, rankByComposite, zeroCounts, type KpiFormula } from '../../../src/hotline/kpi/three-rates.js';
import { localToInstant } from '../../../src/platform/clock/local-time.js';
import { nextPeriodStart, parseWhen, periodLabel, periodStart, periodStarts } from '../../../src/hotline/kpi/kpi-periods.js';

const defaults: KpiFormula = {
  weights: { response: 0.1, solution: 0.5, satisfaction: 0.4 },
  satisfactionScores: { satisfied: 1, basicallySatisfied: 0.9, unsatisfied: 0 },
};

describe('three rates (pure formulas)', () => {
  it('works the example of docs/kpi.md', () => {
    // 200 valid visits: 190 reached, 150 solved; 120 满意, 50 基本满意, 20 不满意.
    const rates = computeRates({
      ...zeroCounts(), visited: 200, contacted: 190, solved: 150, satisfied: 120, basicallySatisfied: 50, unsatisfied: 20, reopened: 6,
      answered: 180, answeredOnTime: 171, answerTimed: 180, answerSeconds: 180 * 36 * 3600,
      signed: 210, signSeconds: 210 * 1.5 * 3600, dispatched: 220, returned: 11,
    }, defaults);
    expect(rates.responseRate).toBeCloseTo(0.95, 12); // 190 ÷ 200
    expect(rates.solutionRate).toBeCloseTo(0.75, 12); // 150 ÷ 200
    expect(rates.satisfactionRate).toBeCloseTo(0.825, 12); // (120 + 0.9 × 50) ÷ 200 = 165 ÷ 200
    expect(rates.composite).toBeCloseTo(0.8, 12); // 0.1 × 0.95 + 0.5 × 0.75 + 0.4 × 0.825 = 0.095 + 0.375 + 0.33
    expect(rates.onTimeRate).toBeCloseTo(0.95, 12); // 171 ÷ 180
    expect(rates.avgAnswerHours).toBeCloseTo(36, 12);
    expect(rates.avgSignHours).toBeCloseTo(1.5, 12);
    expect(rates.returnRate).toBeCloseTo(0.05, 12); // 11 ÷ 220
    expect(rates.reopenRate).toBeCloseTo(0.03, 12); // 6 ÷ 200
  });

  it('gives null, not 0, when there is nothing to rate', () => {
    const rates = computeRates(zeroCounts(), defaults);
    expect(Object.values(rates).every((v) => v === null)).toBe(true);
  });

  it('lets a city score 不满意 and re-weight the composite', () => {
    const formula: KpiFormula = { weights: { response: 0, solution: 0.5, satisfaction: 0.5 }, satisfactionScores: { satisfied: 1, basicallySatisfied: 0.6, unsatisfied: 0.1 } };
    const rates = computeRates({ ...zeroCounts(), visited: 10, contacted: 10, solved: 8, satisfied: 5, basicallySatisfied: 3, unsatisfied: 2 }, formula);
    expect(rates.satisfactionRate).toBeCloseTo((5 + 1.8 + 0.2) / 10, 12); // 0.7
    expect(rates.composite).toBeCloseTo(0.5 * 0.8 + 0.5 * 0.7, 12); // 0.75
  });

  it('adds counts', () => {
    const a = { ...zeroCounts(), visited: 2, signSeconds: 10 };
    expect(addCounts(a, { ...zeroCounts(), visited: 3, signSeconds: 5 })).toMatchObject({ visited: 5, signSeconds: 15 });
    expect(a.visited).toBe(2);
  });

  it('ranks by composite with shared ranks for ties and none below the minimum of visits', () => {
    const items = [
      { composite: 0.8, visited: 10 },
      { composite: 0.9, visited: 10 },
      { composite: 0.1 + 0.7, visited: 10 }, // 0.7999999999999999: a tie with 0.8
      { composite: null, visited: 0 },
      { composite: 0.99, visited: 2 },
      { composite: 0.5, visited: 10 },
    ];
    expect(rankByComposite(items, 1)).toEqual([3, 2, 3, null, 1, 5]);
    expect(rankByComposite(items, 5)).toEqual([2, 1, 2, null, null, 4]);
  });
});

describe('kpi periods (Asia/Shanghai)', () => {
  const tz = 'Asia/Shanghai';

  it('reads bare dates as local midnight and instants as written', () => {
    expect(parseWhen('2026-11-01', tz)?.toISOString()).toBe('2026-10-31T16:00:00.000Z');
    expect(parseWhen('2026-11-01T08:30', tz)?.toISOString()).toBe('2026-11-01T00:30:00.000Z');
    expect(parseWhen('2026-11-01T08:30:00Z', tz)?.toISOString()).toBe('2026-11-01T08:30:00.000Z');
    expect(parseWhen('2026-11-01T08:30:00+08:00', tz)?.toISOString()).toBe('2026-11-01T00:30:00.000Z');
    expect(parseWhen('2026-02-30', tz)).toBeUndefined();
    expect(parseWhen('2026-13-01', tz)).toBeUndefined();
    expect(parseWhen('yesterday', tz)).toBeUndefined();
  });

  it('finds period starts: months, Monday weeks, days', () => {
    const sunday = localToInstant({ year: 2026, month: 11, day: 1, hour: 0, minute: 30 }, tz); // Sunday 00:30
    expect(periodLabel(periodStart(sunday, 'week', tz), 'week', tz)).toBe('2026-10-26');
    expect(periodLabel(periodStart(sunday, 'month', tz), 'month', tz)).toBe('2026-11');
    expect(periodStart(sunday, 'day', tz).toISOString()).toBe('2026-10-31T16:00:00.000Z');
    const december = nextPeriodStart(periodStart(sunday, 'month', tz), 'month', tz);
    expect(periodLabel(december, 'month', tz)).toBe('2026-12');
    expect(periodLabel(nextPeriodStart(december, 'month', tz), 'month', tz)).toBe('2027-01');
    const starts = periodStarts(parseWhen('2026-11-01', tz)!, parseWhen('2026-12-01', tz)!, 'week', tz);
    expect(starts.map((s) => periodLabel(s, 'week', tz))).toEqual(['2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23', '2026-11-30']);
  });

  it('keeps local midnight across daylight saving in zones that have it', () => {
    const ny = 'America/New_York';
    const days = periodStarts(parseWhen('2026-11-01', ny)!, parseWhen('2026-11-03', ny)!, 'day', ny);
    expect(days.map((d) => d.toISOString())).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
  });
});
