import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { KpiRequest, KpiService, KpiTable, KpiTrend } from './kpi-service.js';

const Rate = Type.Union([Type.Number(), Type.Null()]);
const Count = Type.Integer({ minimum: 0 });
const Counts = Type.Object({
  visited: Count, contacted: Count, solved: Count, satisfied: Count, basicallySatisfied: Count, unsatisfied: Count,
  reopened: Count, answered: Count, answeredOnTime: Count, answerTimed: Count, answerSeconds: Type.Number(),
  signed: Count, signSeconds: Type.Number(), dispatched: Count, returned: Count,
});
const Rates = Type.Object({
  responseRate: Rate, solutionRate: Rate, satisfactionRate: Rate, composite: Rate, onTimeRate: Rate,
  avgSignHours: Rate, avgAnswerHours: Rate, returnRate: Rate, reopenRate: Rate,
});
const Formula = Type.Object({
  weights: Type.Object({ response: Type.Number(), solution: Type.Number(), satisfaction: Type.Number() }),
  satisfactionScores: Type.Object({ satisfied: Type.Number(), basicallySatisfied: Type.Number(), unsatisfied: Type.Number() }),
});
const NullableString = Type.Union([Type.String(), Type.Null()]);

const KpiTableView = Type.Object({
  groupBy: Type.String(),
  period: NullableString,
  from: Type.String(),
  to: Type.String(),
  timeZone: Type.String(),
  formula: Formula,
  scopeUnitId: NullableString,
  rows: Type.Array(Type.Object({
    rank: Type.Union([Type.Integer(), Type.Null()]),
    key: NullableString,
    name: Type.String(),
    periodStart: NullableString,
    periodLabel: NullableString,
    counts: Counts,
    rates: Rates,
  })),
  total: Type.Object({ counts: Counts, rates: Rates }),
});

const KpiTrendView = Type.Object({
  period: Type.String(),
  from: Type.String(),
  to: Type.String(),
  timeZone: Type.String(),
  filter: Type.Object({ unitId: NullableString, districtId: NullableString, level1: NullableString }),
  series: Type.Array(Type.Object({ periodStart: Type.String(), periodLabel: Type.String(), counts: Counts, rates: Rates })),
});

const When = Type.String({ minLength: 10, maxLength: 40, description: '2026-11-01 (local), 2026-11-01T08:00 (local) or an ISO 8601 instant' });
const Uuid = Type.String({ format: 'uuid' });
const Filters = {
  period: Type.Optional(Type.Enum(['day', 'week', 'month'])),
  from: Type.Optional(When),
  to: Type.Optional({ ...When, description: 'exclusive' }),
  unitId: Type.Optional(Uuid),
  districtId: Type.Optional(Uuid),
  level1: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: '一级分类 first-level category' })),
};
const TableQuery = Type.Object(
  { groupBy: Type.Optional(Type.Enum(['unit', 'district', 'category'], { default: 'unit' })), ...Filters },
  { additionalProperties: false },
);
const TrendQuery = Type.Object(Filters, { additionalProperties: false });

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const tableView = (t: KpiTable) => ({
  ...t,
  from: t.from.toISOString(),
  to: t.to.toISOString(),
  rows: t.rows.map((r) => ({ ...r, periodStart: iso(r.periodStart) })),
});
const trendView = (t: KpiTrend) => ({
  ...t,
  from: t.from.toISOString(),
  to: t.to.toISOString(),
  series: t.series.map((p) => ({ ...p, periodStart: p.periodStart.toISOString() })),
});

// RFC 6266: an ASCII fallback plus the UTF-8 form.
const attachment = (filename: string) => `attachment; filename="${filename}"; filename*=UTF-8''${encodeURIComponent(filename)}`;

/** The three rates under /api/hotline/kpi: the ranked table, the trend line and the exports. */
export async function kpiRoutes(app: FastifyInstance, opts: { kpi: KpiService }) {
  const { kpi } = opts;
  const tags = ['hotline kpi'];

  app.get('/', {
    config: { access: 'hotline.kpi.read' },
    schema: {
      tags,
      summary: '三率 per unit, district or category (and per day/week/month), ranked by composite',
      querystring: TableQuery,
      response: { 200: KpiTableView },
    },
  }, async (request) => tableView(await kpi.table(request.actor, request.query as KpiRequest)));

  app.get('/trend', {
    config: { access: 'hotline.kpi.read' },
    schema: {
      tags,
      summary: 'One point per period (default: the last 12 months) for the cockpit chart',
      querystring: TrendQuery,
      response: { 200: KpiTrendView },
    },
  }, async (request) => trendView(await kpi.trend(request.actor, request.query as KpiRequest)));

  app.get('/export.csv', {
    config: { access: 'hotline.kpi.read' },
    schema: {
      tags,
      summary: 'The ranked table as CSV (UTF-8 with BOM)',
      querystring: TableQuery,
      response: { 200: Type.String({ description: 'text/csv' }) },
    },
  }, async (request, reply) => {
    const file = await kpi.exportCsv(request.actor, request.query as KpiRequest);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', attachment(file.filename)).send(file.body);
  });

  app.get('/export.xlsx', {
    config: { access: 'hotline.kpi.read' },
    schema: {
      tags,
      summary: 'The ranked table as an Excel workbook',
      querystring: TableQuery,
      response: { 200: Type.String({ description: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', format: 'binary' }) },
    },
  }, async (request, reply) => {
    const file = await kpi.exportXlsx(request.actor, request.query as KpiRequest);
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', attachment(file.filename))
      .send(file.body);
  });
}
