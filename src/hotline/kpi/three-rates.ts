import type { KpiCounts, KpiFormula, KpiRates } from './schemas.js';

export type { KpiCounts, KpiFormula, KpiRates };

const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

/**
 * The formulas, applied to counts: pure, so every rate can be checked by hand.
 *
 * @example
 * computeRates({ ...zeroCounts(), visited: 4, contacted: 4, solved: 3, satisfied: 2, basicallySatisfied: 1 }, formula)
 * // 响应率 1, 解决率 0.75, 满意率 (2 + 0.9) ÷ 4 = 0.725, composite 0.1 + 0.375 + 0.29 = 0.765
 */
export function computeRates(c: KpiCounts, f: KpiFormula): KpiRates {
  const responseRate = ratio(c.contacted, c.visited);
  const solutionRate = ratio(c.solved, c.visited);
  const s = f.satisfactionScores;
  const satisfactionRate = ratio(
    c.satisfied * s.satisfied + c.basicallySatisfied * s.basicallySatisfied + c.unsatisfied * s.unsatisfied,
    c.visited,
  );
  const w = f.weights;
  const composite =
    responseRate === null || solutionRate === null || satisfactionRate === null
      ? null
      : w.response * responseRate + w.solution * solutionRate + w.satisfaction * satisfactionRate;
  const hours = (seconds: number, n: number) => (n > 0 ? seconds / n / 3600 : null);
  return {
    responseRate,
    solutionRate,
    satisfactionRate,
    composite,
    onTimeRate: ratio(c.answeredOnTime, c.answered),
    avgSignHours: hours(c.signSeconds, c.signed),
    avgAnswerHours: hours(c.answerSeconds, c.answerTimed),
    returnRate: ratio(c.returned, c.dispatched),
    reopenRate: ratio(c.reopened, c.visited),
  };
}

export const zeroCounts = (): KpiCounts => ({
  visited: 0, contacted: 0, solved: 0, satisfied: 0, basicallySatisfied: 0, unsatisfied: 0, reopened: 0,
  answered: 0, answeredOnTime: 0, answerTimed: 0, answerSeconds: 0, signed: 0, signSeconds: 0,
  dispatched: 0, returned: 0,
});

/** Adds counts (a whole-city total from its groups). */
export const addCounts = (a: KpiCounts, b: KpiCounts): KpiCounts => {
  const out = { ...a };
  for (const key of Object.keys(out) as (keyof KpiCounts)[]) out[key] += b[key];
  return out;
};

/**
 * Ranks (1 = best) by composite, highest first; ties share a rank (1, 2, 2, 4). Entries without a composite or
 * with fewer than `minVisited` valid visits get no rank.
 */
export function rankByComposite<T extends { composite: number | null; visited: number }>(
  items: T[],
  minVisited: number,
): (number | null)[] {
  const rankable = items
    .map((item, index) => ({ index, score: item.composite, visited: item.visited }))
    .filter((x): x is { index: number; score: number; visited: number } => x.score !== null && x.visited >= minVisited)
    .sort((a, b) => b.score - a.score);
  const ranks: (number | null)[] = items.map(() => null);
  // Compare rounded scores so floating-point noise (0.1 + 0.2) does not split a tie.
  const key = (x: number) => Math.round(x * 1e9);
  rankable.forEach((x, i) => {
    const prev = rankable[i - 1];
    ranks[x.index] = prev && key(prev.score) === key(x.score) ? ranks[prev.index] : i + 1;
  });
  return ranks;
}
