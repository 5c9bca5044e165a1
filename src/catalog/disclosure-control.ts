import { randomBytes } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { Problem } from '../platform/errors/problem.js';
import * as store from './disclosure-store.js';

/**
 * Disclosure control for aggregate answers (counts and sums per group) that holds under differencing, filters
 * and repetition: differential privacy with a privacy budget per holder (a grant; later an authorized-operation
 * product), kept in the database.
 *
 * The guarantee. The privacy unit is a person (a dataset's subject, its ID number's keyed hash) or, in a dataset
 * without one, a row. Every release is (ε, δ)-differentially private with respect to adding or removing one unit
 * with all its rows: whatever else the consumer knows and whatever they ask — two groupings subtracted, a filter
 * narrowed to one household, the same question asked again — what the answers say about any one unit is bounded
 * by e^ε (except with probability δ). Releases compose: the holder's answers together are (Σε, Σδ)-DP, and the
 * budget refuses a release that would take Σε past the holder's ε (δ is charged in proportion, so Σδ stays within
 * the holder's δ). How:
 *
 * 1. Contribution bounding: each unit counts with at most `maxRowsPerUnit` rows (C; the first by row order).
 * 2. Counts get discrete Laplace noise of scale C/ε_c; each sum column clips every value to the holder's
 *    [min, max], rounds it to an integer and gets discrete Laplace noise of scale C·max(|min|,|max|)/ε_s. ε is
 *    split evenly between the count and the sums. Noise is drawn from the operating system's CSPRNG.
 * 3. Which groups exist is itself data: a group is published only when its noisy count reaches
 *    τ = max(k, C + (C/ε_c)·ln(C/δ)). A group made by one unit holds at most C rows, so it passes τ with
 *    probability at most δ/C, and the unit makes at most C groups.
 * 4. Nothing else leaves: no count of the groups held back, groups in a fixed order (by key).
 *
 * @example
 * const release = await disclosure.release(
 *   { holder: `share_grant:${id}`, budget: { epsilon: 10, delta: 1e-5 }, epsilon: 1, minCount: 10, sums: [{ min: 0, max: 2000 }] },
 *   async () => rows.map((r) => ({ unit: r.subject, group: r.district, values: [r.subsidy] })),
 * );
 */

/** A holder's whole budget. */
export interface PrivacyBudget {
  epsilon: number;
  delta: number;
}

/** A holder's budget and what is spent of it. */
export interface BudgetState extends PrivacyBudget {
  spent: number;
  remaining: number;
  releases: number;
}

/** One row offered to a release: its privacy unit, its group (any string) and the values of the sum columns. */
export interface ReleaseRow {
  unit: string;
  group: string;
  values: readonly unknown[];
}

export interface ReleaseSpec {
  /** The account that pays, e.g. `share_grant:<id>`. */
  holder: string;
  /** The account's whole budget, used when its account is first opened. */
  budget: PrivacyBudget;
  /** What this release costs. */
  epsilon: number;
  /** Least noisy count of a published group (k). */
  minCount: number;
  /** Each sum column's clipping bounds. */
  sums: readonly { min: number; max: number }[];
}

export interface ReleasedGroup {
  group: string;
  count: number;
  sums: number[];
}

export interface Release {
  groups: ReleasedGroup[];
  epsilon: number;
  delta: number;
  /** The noisy count a group needed to be published. */
  threshold: number;
  /** Scale b of the discrete Laplace noise on counts (standard deviation ≈ b·√2). */
  countScale: number;
  /** Scale of the noise on each sum column. */
  sumScales: number[];
  maxRowsPerUnit: number;
  budget: BudgetState;
}

export interface DisclosureSettings {
  /** C: rows one unit may contribute to a release. */
  maxRowsPerUnit: number;
}

/** A uniform number in (0, 1] with 53 random bits. */
export type Uniform = () => number;

let pool = Buffer.alloc(0);
let offset = 0;
/** Uniform draws from the operating system's CSPRNG (never Math.random: noise must not be predictable). */
export const secureUniform: Uniform = () => {
  if (offset + 8 > pool.length) {
    pool = randomBytes(8 * 1024);
    offset = 0;
  }
  const hi = pool.readUInt32BE(offset) >>> 11;
  const lo = pool.readUInt32BE(offset + 4);
  offset += 8;
  return (hi * 2 ** 32 + lo + 1) / 2 ** 53;
};

/**
 * A draw of the discrete Laplace (two-sided geometric) distribution, P(x) ∝ exp(−|x|/scale): the difference of
 * two geometric draws, each by inversion. Integer-valued, so the floating-point weakness of textbook continuous
 * Laplace sampling (Mironov 2012: the low bits of a noisy double give the true value away) does not arise.
 */
export function discreteLaplace(scale: number, uniform: Uniform = secureUniform): number {
  if (!(scale > 0)) return 0;
  const lnq = -1 / scale;
  const geometric = () => Math.floor(Math.log(uniform()) / lnq);
  return geometric() - geometric();
}

/** The least noisy count of a published group, for C rows per unit, ε on counts and δ for this release. */
export const groupThreshold = (maxRowsPerUnit: number, countEpsilon: number, delta: number, minCount: number): number =>
  Math.max(minCount, maxRowsPerUnit + (maxRowsPerUnit / countEpsilon) * Math.log(maxRowsPerUnit / delta));

const round = (x: number, digits = 6) => Number(x.toPrecision(digits));

/**
 * Noisy counts and sums per group for the given rows, without any budget (the mechanism alone; `release`
 * charges first). Exported for tests of the distribution.
 */
export function noisyGroups(
  rows: Iterable<ReleaseRow>, spec: Omit<ReleaseSpec, 'holder' | 'budget'> & { delta: number }, maxRowsPerUnit: number, uniform: Uniform = secureUniform,
): Omit<Release, 'budget'> {
  const C = maxRowsPerUnit;
  const parts = 1 + spec.sums.length;
  const countEpsilon = spec.epsilon / parts;
  const sumEpsilon = spec.epsilon / parts;
  const bounds = spec.sums.map((b) => ({ min: Math.floor(b.min), max: Math.ceil(b.max) }));
  const countScale = C / countEpsilon;
  const sumScales = bounds.map((b) => (C * Math.max(Math.abs(b.min), Math.abs(b.max), 1)) / sumEpsilon);
  const threshold = groupThreshold(C, countEpsilon, spec.delta, spec.minCount);

  const used = new Map<string, number>();
  const groups = new Map<string, { count: number; sums: number[] }>();
  for (const row of rows) {
    const n = used.get(row.unit) ?? 0;
    if (n >= C) continue;
    used.set(row.unit, n + 1);
    let g = groups.get(row.group);
    if (!g) groups.set(row.group, (g = { count: 0, sums: bounds.map(() => 0) }));
    g.count += 1;
    bounds.forEach((b, i) => {
      const v = row.values[i];
      if (typeof v === 'number' && Number.isFinite(v)) g!.sums[i]! += Math.round(Math.min(b.max, Math.max(b.min, v)));
    });
  }
  const released: ReleasedGroup[] = [];
  for (const group of [...groups.keys()].sort()) {
    const g = groups.get(group)!;
    const count = g.count + discreteLaplace(countScale, uniform);
    // Noise is drawn for every group, published or not, so the draws do not depend on which groups pass.
    const sums = g.sums.map((s, i) => s + discreteLaplace(sumScales[i]!, uniform));
    if (count >= threshold) released.push({ group, count, sums });
  }
  return {
    groups: released, epsilon: spec.epsilon, delta: spec.delta, threshold: round(threshold), countScale: round(countScale),
    sumScales: sumScales.map((s) => round(s)), maxRowsPerUnit: C,
  };
}

/** The service: budgets in the database, releases charged before any row is read. */
export class DisclosureControl {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly settings: DisclosureSettings,
    private readonly uniform: Uniform = secureUniform,
  ) {}

  /** Opens a holder's account with its whole budget (in the caller's transaction, e.g. the grant's). */
  async open(trx: Db, holder: string, budget: PrivacyBudget): Promise<void> {
    await store.openBudget(trx, holder, budget, this.clock());
  }

  /** A holder's budget as it stands, or undefined before its first release or opening. */
  async state(holder: string): Promise<BudgetState | undefined> {
    const row = await store.findBudget(this.db, holder);
    return row ? stateOf(row) : undefined;
  }

  /**
   * Charges `spec.epsilon` to the holder (atomically: concurrent releases cannot overspend), then reads the rows
   * and answers noisy counts and sums per group. Refuses with CATALOG_PRIVACY_BUDGET_SPENT when the budget left
   * is less than the release costs; nothing is read then.
   */
  async release(spec: ReleaseSpec, rows: () => Promise<Iterable<ReleaseRow>>): Promise<Release> {
    const now = this.clock();
    await store.openBudget(this.db, spec.holder, spec.budget, now);
    const charged = await store.chargeBudget(this.db, spec.holder, spec.epsilon, now);
    if (!charged) {
      const state = await this.state(spec.holder);
      throw new Problem('CATALOG_PRIVACY_BUDGET_SPENT', {
        detail: `this release costs ε=${spec.epsilon}; ${round(state?.remaining ?? 0)} of ε=${state?.epsilon ?? spec.budget.epsilon} is left`,
        extra: { epsilon: spec.epsilon, budget: state ?? null },
      });
    }
    const budget = stateOf(charged);
    const delta = (budget.delta * spec.epsilon) / budget.epsilon;
    const answer = noisyGroups(await rows(), { ...spec, delta }, this.settings.maxRowsPerUnit, this.uniform);
    return { ...answer, delta: Number(delta.toPrecision(6)), budget };
  }
}

function stateOf(row: { epsilon: number; delta: number; spent: number; releases: number }): BudgetState {
  return {
    epsilon: row.epsilon, delta: row.delta, spent: round(row.spent, 9), remaining: Math.max(0, round(row.epsilon - row.spent, 9)), releases: row.releases,
  };
}
