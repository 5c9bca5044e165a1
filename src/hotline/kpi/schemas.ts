import { Type, type Static } from 'typebox';
import { periods } from './kpi-periods.js';

/**
 * The KPI API's request and response schemas, and the types of them that the service, the exports and the web
 * app use (the web app with `import type`). A leaf: it imports typebox and kpi-periods' list of periods only.
 */

/** A day, ISO week (Monday first) or month of the city's time zone. */
export const Period = Type.Enum(periods);

/** What a table's rows are grouped by. */
const groupings = ['unit', 'district', 'category'] as const;
export const GroupBy = Type.Enum(groupings);
export type GroupBy = Static<typeof GroupBy>;

const Count = Type.Integer({ minimum: 0 });

/**
 * The counts behind every rate, for one group and period. Each is counted over the tickets whose own event fell
 * in the period: visit counts over tickets whose return visit (回访, `visited_at`) is in it, answer counts over
 * tickets answered (反馈, `answered_at`), sign counts over tickets signed for (签收, `accepted_at`), dispatch
 * counts over tickets dispatched (派单, `dispatched_at`). Merged duplicates are never counted: their main ticket is.
 */
export const KpiCounts = Type.Object({
  visited: Count,
  contacted: Count,
  solved: Count,
  satisfied: Count,
  basicallySatisfied: Count,
  unsatisfied: Count,
  reopened: Type.Integer({ minimum: 0, description: 'visited tickets that were re-opened at least once' }),
  answered: Count,
  answeredOnTime: Type.Integer({ minimum: 0, description: 'answered by due_at (or without a deadline)' }),
  answerTimed: Type.Integer({ minimum: 0, description: 'answered tickets that were also signed for' }),
  answerSeconds: Type.Number({ description: 'seconds from signing to answer of the answerTimed tickets, summed' }),
  signed: Type.Integer({ minimum: 0, description: 'signed-for tickets that had a dispatch time' }),
  signSeconds: Type.Number({ description: 'seconds from dispatch to signing of the signed tickets, summed' }),
  dispatched: Count,
  returned: Type.Integer({ minimum: 0, description: 'dispatched tickets returned (退单) at least once' }),
});
export type KpiCounts = Static<typeof KpiCounts>;

/** A fraction in [0, 1] (or hours); null when its denominator is zero (nothing to rate, not 0 %). */
const Rate = (description: string) => Type.Union([Type.Number(), Type.Null()], { description });

/** The rates of one group and period; the formulas are three-rates.ts (weights and scores: `modules.kpi`). */
export const KpiRates = Type.Object({
  responseRate: Rate('响应率 = contacted ÷ visited'),
  solutionRate: Rate('解决率 = solved ÷ visited'),
  satisfactionRate: Rate('满意率 = (satisfied × 1 + basically satisfied × 0.9 + unsatisfied × 0) ÷ visited (default scores)'),
  composite: Rate('综合得分 = 0.1 × 响应率 + 0.5 × 解决率 + 0.4 × 满意率 (default weights)'),
  onTimeRate: Rate('按时办结率 = answered on time ÷ answered'),
  avgSignHours: Rate('平均签收时长 in hours = Σ(accepted_at − dispatched_at) ÷ signed'),
  avgAnswerHours: Rate('平均办理时长 in hours = Σ(answered_at − accepted_at) ÷ answered with a signing time'),
  returnRate: Rate('退单率 = dispatched tickets returned at least once ÷ dispatched'),
  reopenRate: Rate('重办率 = visited tickets re-opened at least once ÷ visited'),
});
export type KpiRates = Static<typeof KpiRates>;

/** The configured weights of the composite and scores of the satisfaction grades (`modules.kpi`). */
export const KpiFormula = Type.Object({
  weights: Type.Object({ response: Type.Number(), solution: Type.Number(), satisfaction: Type.Number() }),
  satisfactionScores: Type.Object({ satisfied: Type.Number(), basicallySatisfied: Type.Number(), unsatisfied: Type.Number() }),
});
export type KpiFormula = Static<typeof KpiFormula>;

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const KpiRow = Type.Object({
  rank: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: '1 = best composite in its period; null when not ranked' }),
  key: Type.Union([Type.String(), Type.Null()], { description: 'unit or district id, or level-1 category name; null for tickets without one' }),
  name: Type.String(),
  periodStart: NullableString,
  periodLabel: NullableString,
  counts: KpiCounts,
  rates: KpiRates,
});
export type KpiRow = Static<typeof KpiRow>;

export const KpiTable = Type.Object({
  groupBy: GroupBy,
  period: Type.Union([Period, Type.Null()]),
  from: Type.String({ description: 'inclusive instant' }),
  to: Type.String({ description: 'exclusive instant' }),
  timeZone: Type.String(),
  formula: KpiFormula,
  scopeUnitId: Type.Union([Type.String(), Type.Null()], { description: 'the unit a handler is limited to, else null (the whole city)' }),
  rows: Type.Array(KpiRow),
  total: Type.Object({ counts: KpiCounts, rates: KpiRates }, { description: 'all rows added up (the city, or the handler\'s unit)' }),
});
export type KpiTable = Static<typeof KpiTable>;

export const KpiTrend = Type.Object({
  period: Period,
  from: Type.String(),
  to: Type.String(),
  timeZone: Type.String(),
  filter: Type.Object({ unitId: NullableString, districtId: NullableString, level1: NullableString }),
  series: Type.Array(Type.Object({ periodStart: Type.String(), periodLabel: Type.String(), counts: KpiCounts, rates: KpiRates })),
});
export type KpiTrend = Static<typeof KpiTrend>;

const When = Type.String({ minLength: 10, maxLength: 40, description: '2026-11-01 (local), 2026-11-01T08:00 (local) or an ISO 8601 instant' });
const Uuid = Type.String({ format: 'uuid' });
const Filters = {
  period: Type.Optional(Period),
  from: Type.Optional(When),
  to: Type.Optional(Type.String({ minLength: 10, maxLength: 40, description: 'exclusive; the same forms as from' })),
  unitId: Type.Optional(Uuid),
  districtId: Type.Optional(Uuid),
  level1: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: '一级分类 first-level category' })),
};

/** `GET /api/hotline/kpi` and the exports: bare dates are local to the city's time zone; `to` is exclusive. */
export const KpiTableQuery = Type.Object(
  { groupBy: Type.Optional(Type.Enum(groupings, { default: 'unit' })), ...Filters },
  { additionalProperties: false },
);
export type KpiTableQuery = Static<typeof KpiTableQuery>;

/** `GET /api/hotline/kpi/trend`. */
export const KpiTrendQuery = Type.Object(Filters, { additionalProperties: false });
export type KpiTrendQuery = Static<typeof KpiTrendQuery>;

/** `GET /api/hotline/district-counts`: tickets filed in [from, to); default the last 365 days. */
export const DistrictCountsQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
});
export type DistrictCountsQuery = Static<typeof DistrictCountsQuery>;

/** Tickets per district for the cockpit's map. */
export const DistrictCounts = Type.Object({
  from: Type.String(),
  to: Type.String(),
  districts: Type.Array(Type.Object({
    areaId: Type.String(), name: Type.String(), tickets: Type.Integer(), open: Type.Integer(), overdue: Type.Integer(), signOverdue: Type.Integer(),
  })),
});
export type DistrictCounts = Static<typeof DistrictCounts>;

/** Places of tickets for the cockpit's heat and overdue layers, rounded to about 100 m (3 decimals). */
export const TicketPoints = Type.Object({
  from: Type.String(),
  to: Type.String(),
  /** more tickets had a place than the limit (modules.kpi.mapPointLimit): the newest are listed */
  truncated: Type.Boolean(),
  points: Type.Array(Type.Object({ lon: Type.Number(), lat: Type.Number(), open: Type.Boolean(), overdue: Type.Boolean() })),
});
export type TicketPoints = Static<typeof TicketPoints>;
