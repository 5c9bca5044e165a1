import { Type, type Static } from 'typebox';

const Weight = (value: number) => Type.Number({ minimum: 0, maximum: 1, default: value });

/**
 * `modules.governance`: the quality inspection's rules and weights, 每月一题's thresholds, the monthly report's
 * sizes (docs/hotline-governance.md). A city tunes numbers here, not code.
 */
export const GovernanceConfigSchema = Type.Object({
  inspection: Type.Object(
    {
      /** Weights of the six checks in a reply's score (0–100); they need not sum to 1. */
      weights: Type.Object(
        {
          completeness: Weight(0.35), stance: Weight(0.15), politeness: Weight(0.1),
          policy: Weight(0.15), promises: Weight(0.1), privacy: Weight(0.15),
        },
        { default: {} },
      ),
      /** A request is answered when this share of its words (character pairs) is in the reply. */
      requestCoverage: Type.Number({ minimum: 0, maximum: 1, default: 0.3 }),
      /** A reply scoring below this fails the inspection (a warning on the form, a notable case in the report). */
      passScore: Type.Number({ minimum: 0, maximum: 100, default: 70 }),
      /** Replies inspected per database round trip in a bulk run. */
      batchSize: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
      /** A bulk run over more replies than this is refused (split the period). */
      maxRunReplies: Type.Integer({ minimum: 1, default: 50000 }),
      /** Ask the language model (when one is on) to split the appeal and judge stance and politeness. */
      useModel: Type.Boolean({ default: true }),
    },
    { default: {} },
  ),
  topics: Type.Object(
    {
      /** 每月一题 proposals look at this many months before the topic's month. */
      lookbackMonths: Type.Integer({ minimum: 2, maximum: 24, default: 6 }),
      /** A problem (category × district) recurs when it has `minPerMonth` tickets in at least this many of them. */
      minMonths: Type.Integer({ minimum: 1, default: 3 }),
      minPerMonth: Type.Integer({ minimum: 1, default: 3 }),
      proposals: Type.Integer({ minimum: 1, maximum: 50, default: 8 }),
      /** The effect chart shows this many months before and after a topic starts. */
      effectMonths: Type.Integer({ minimum: 1, maximum: 12, default: 3 }),
    },
    { default: {} },
  ),
  report: Type.Object(
    {
      /** Units in the report's best and worst rankings, hot issues and notable cases listed. */
      rankingSize: Type.Integer({ minimum: 1, maximum: 50, default: 5 }),
      notableCases: Type.Integer({ minimum: 0, maximum: 50, default: 5 }),
      /** Let the language model (when one is on) write the narrative; the facts always come from the data. */
      useModel: Type.Boolean({ default: true }),
    },
    { default: {} },
  ),
});

export type GovernanceConfig = Static<typeof GovernanceConfigSchema>;
