import { Type, type Static } from 'typebox';

/**
 * Request and response schemas of quality inspection, 每月一题 and the monthly report (docs/hotline-governance.md),
 * and their types, which the services and the web app share. A leaf: typebox only.
 */

const Text = (maxLength: number) => Type.String({ maxLength });
const Score = Type.Number({ minimum: 0, maximum: 100 });
const Share = Type.Number({ minimum: 0, maximum: 1 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'a month of the city, 2026-11' });

export const inspectionChecks = ['completeness', 'stance', 'politeness', 'policy', 'promises', 'privacy'] as const;
export type InspectionCheck = (typeof inspectionChecks)[number];

export const InspectInput = Type.Object({
  /** the citizen's appeal (诉求内容) */
  appeal: Type.String({ minLength: 1, maxLength: 10000 }),
  /** the reply about to go out (答复) */
  reply: Type.String({ minLength: 1, maxLength: 10000 }),
}, { additionalProperties: false });
export type InspectInput = Static<typeof InspectInput>;

export const InspectionFinding = Type.Object({
  check: Type.Enum(inspectionChecks),
  /** zh-CN for the person who writes the reply */
  message: Type.String(),
  /** the words of the reply (or the request) at fault */
  excerpt: Nullable(Type.String()),
  /** must be fixed before the reply goes out (a personal datum) */
  blocking: Type.Boolean(),
});
export type InspectionFinding = Static<typeof InspectionFinding>;

export const InspectionRequest = Type.Object({ text: Type.String(), answered: Type.Boolean() });

export const InspectionResult = Type.Object({
  score: Score,
  passed: Type.Boolean(),
  checks: Type.Object(Object.fromEntries(inspectionChecks.map((c) => [c, Share])) as Record<InspectionCheck, typeof Share>),
  requests: Type.Array(InspectionRequest),
  findings: Type.Array(InspectionFinding),
  method: Type.Union([Type.Literal('llm'), Type.Literal('offline')]),
  llmError: Type.Optional(Type.String()),
});
export type InspectionResult = Static<typeof InspectionResult>;

export const PeriodQuery = Type.Object({
  month: Month,
}, { additionalProperties: false });
export type PeriodQuery = Static<typeof PeriodQuery>;

export const RunInput = Type.Object({ month: Month }, { additionalProperties: false });
export type RunInput = Static<typeof RunInput>;

export const RunParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const RunView = Type.Object({
  id: Type.String(),
  month: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
  total: Type.Integer({ minimum: 0 }),
  done: Type.Integer({ minimum: 0 }),
  startedAt: Type.String(),
  finishedAt: Nullable(Type.String()),
  error: Nullable(Type.String()),
});
export type RunView = Static<typeof RunView>;

export const UnitScore = Type.Object({
  unitId: Nullable(Type.String()),
  name: Type.String(),
  replies: Type.Integer({ minimum: 0 }),
  score: Score,
  failed: Type.Integer({ minimum: 0 }),
  checks: InspectionResult.properties.checks,
});
export type UnitScore = Static<typeof UnitScore>;

export const NotableCase = Type.Object({
  ticketId: Type.String(),
  number: Type.String(),
  unitName: Type.String(),
  score: Score,
  findings: Type.Array(InspectionFinding),
});
export type NotableCase = Static<typeof NotableCase>;

export const UnitScores = Type.Object({
  month: Type.String(),
  /** the caller's own unit when it sees only its own */
  scopeUnitId: Nullable(Type.String()),
  units: Type.Array(UnitScore),
  total: Type.Object({ replies: Type.Integer({ minimum: 0 }), score: Nullable(Score), failed: Type.Integer({ minimum: 0 }) }),
  lowest: Type.Array(NotableCase),
});
export type UnitScores = Static<typeof UnitScores>;

const MonthCount = Type.Object({ month: Type.String(), count: Type.Integer({ minimum: 0 }) });

export const TopicProposal = Type.Object({
  categoryId: Type.String(),
  category: Type.String({ description: 'level1 / level2 / level3' }),
  districtId: Nullable(Type.String()),
  district: Type.String(),
  total: Type.Integer({ minimum: 0 }),
  months: Type.Integer({ minimum: 0, description: 'months (of the lookback) with at least minPerMonth tickets' }),
  series: Type.Array(MonthCount),
  title: Type.String({ description: 'a proposed topic title' }),
});
export type TopicProposal = Static<typeof TopicProposal>;
export const ProposalList = Type.Object({ month: Type.String(), proposals: Type.Array(TopicProposal) });
export type ProposalList = Static<typeof ProposalList>;

export const TaskInput = Type.Object({
  unitId: Type.String({ format: 'uuid' }),
  action: Type.String({ minLength: 1, maxLength: 500 }),
  dueAt: Type.String({ format: 'date-time' }),
}, { additionalProperties: false });

export const TopicInput = Type.Object({
  month: Month,
  title: Type.String({ minLength: 1, maxLength: 200 }),
  categoryId: Type.String({ format: 'uuid' }),
  districtId: Type.Optional(Type.String({ format: 'uuid' })),
  description: Type.Optional(Text(2000)),
  tasks: Type.Array(TaskInput, { minItems: 1, maxItems: 50 }),
}, { additionalProperties: false });
export type TopicInput = Static<typeof TopicInput>;

export const TaskUpdate = Type.Object({
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  note: Type.Optional(Text(1000)),
}, { additionalProperties: false });
export type TaskUpdate = Static<typeof TaskUpdate>;

export const TaskView = Type.Object({
  id: Type.String(),
  unitId: Type.String(),
  unitName: Type.String(),
  action: Type.String(),
  dueAt: Type.String(),
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  note: Nullable(Type.String()),
  overdue: Type.Boolean(),
  updatedAt: Type.String(),
});
export type TaskView = Static<typeof TaskView>;

export const TopicView = Type.Object({
  id: Type.String(),
  month: Type.String(),
  title: Type.String(),
  categoryId: Type.String(),
  category: Type.String(),
  districtId: Nullable(Type.String()),
  district: Type.String(),
  description: Nullable(Type.String()),
  createdAt: Type.String(),
  /** mean of the tasks' progress */
  progress: Type.Number({ minimum: 0, maximum: 100 }),
  tasks: Type.Array(TaskView),
  /** the matter's tickets per month, `effectMonths` before the topic's month and up to now after it */
  effect: Type.Object({ before: Type.Array(MonthCount), after: Type.Array(MonthCount), beforeMean: Nullable(Type.Number()), afterMean: Nullable(Type.Number()) }),
});
export type TopicView = Static<typeof TopicView>;
export const TopicList = Type.Object({ topics: Type.Array(TopicView) });
export type TopicList = Static<typeof TopicList>;
export const TopicParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const TaskParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

const RateRow = Type.Object({
  name: Type.String(),
  visited: Type.Integer({ minimum: 0 }),
  responseRate: Nullable(Type.Number()),
  solutionRate: Nullable(Type.Number()),
  satisfactionRate: Nullable(Type.Number()),
  composite: Nullable(Type.Number()),
});

export const MonthlyReport = Type.Object({
  month: Type.String(),
  generatedAt: Type.String(),
  total: RateRow,
  /** composite per month, the report's month last */
  trend: Type.Array(Type.Object({ month: Type.String(), composite: Nullable(Type.Number()), visited: Type.Integer({ minimum: 0 }) })),
  best: Type.Array(RateRow),
  worst: Type.Array(RateRow),
  hotIssues: Type.Array(Type.Object({ category: Type.String(), district: Type.String(), count: Type.Integer({ minimum: 0 }) })),
  topics: Type.Array(Type.Object({ title: Type.String(), progress: Type.Number(), tasks: Type.Integer({ minimum: 0 }), beforeMean: Nullable(Type.Number()), afterMean: Nullable(Type.Number()) })),
  inspection: Type.Object({ replies: Type.Integer({ minimum: 0 }), score: Nullable(Score), failed: Type.Integer({ minimum: 0 }), units: Type.Array(UnitScore) }),
  notableCases: Type.Array(NotableCase),
  narrative: Type.String(),
  method: Type.Union([Type.Literal('llm'), Type.Literal('offline')]),
  llmError: Type.Optional(Type.String()),
});
export type MonthlyReport = Static<typeof MonthlyReport>;
