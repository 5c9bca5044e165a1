import { Type, type Static } from 'typebox';

const Weight = (value: number, description: string) => Type.Number({ minimum: 0, maximum: 1, default: value, description });

/**
 * `modules.kpi`: the formulas of the three rates (三率) and their composite. Defaults are DESIGN.md's:
 * 满意率 scores 满意 as 1 and 基本满意 as 0.9; composite = 0.1 × 响应率 + 0.5 × 解决率 + 0.4 × 满意率.
 * A city whose rules differ changes these numbers, not code. Periods and bare dates are counted in the city's
 * time zone (`city.timeZone`).
 */
export const KpiConfigSchema = Type.Object(
  {
    /** Weights of the composite score (综合得分). They need not sum to 1; the default set does. */
    weights: Type.Object(
      {
        response: Weight(0.1, '响应率 weight'),
        solution: Weight(0.5, '解决率 weight'),
        satisfaction: Weight(0.4, '满意率 weight'),
      },
      { default: {} },
    ),
    /** How much each satisfaction grade counts in 满意率 (a fraction of one satisfied citizen). */
    satisfactionScores: Type.Object(
      {
        satisfied: Weight(1, '满意'),
        basicallySatisfied: Weight(0.9, '基本满意'),
        unsatisfied: Weight(0, '不满意'),
      },
      { default: {} },
    ),
    /**
     * A group with fewer valid return visits than this in the period is listed but not ranked: a unit with one
     * satisfied visit must not lead the cockpit's ranking (issue 17).
     */
    rankMinVisited: Type.Integer({ minimum: 1, default: 5 }),
    /** Most ticket places one map request returns (the wall's heat and overdue layers); the newest are kept. */
    mapPointLimit: Type.Integer({ minimum: 1, maximum: 50_000, default: 5000 }),
    /** Longest range one request may cover, in days (a day-by-day split over years is refused). */
    maxRangeDays: Type.Integer({ minimum: 1, default: 1100 }),
    /**
     * How often the daily roll-up (docs/kpi.md) folds changed past days back in, in seconds; 0 turns the job off
     * (the rates stay exact, counted from the tickets for every day not rolled up, only slower).
     */
    rollupJobIntervalSeconds: Type.Integer({ minimum: 0, default: 300 }),
  },
  { default: {} },
);

export type KpiConfig = Static<typeof KpiConfigSchema>;
