import { assertCan } from '../../platform/auth/permissions.js';
import type { Actor } from '../../platform/auth/roles.js';
import type { Clock } from '../../platform/clock/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { LlmGateway } from '../../platform/llm/index.js';
import type { KpiRow, KpiService } from '../kpi/index.js';
import type { GovernanceConfig } from './config.js';
import { countByMatterAndMonth } from './governance-store.js';
import type { InspectionService } from './inspection-service.js';
import { matterNames } from './matter-names.js';
import { monthOf, monthRange } from './months.js';
import { monthlyReportPrompt, type ReportFacts } from './prompts/monthly-report.js';
import { offlineNarrative } from './report-narrative.js';
import type { MonthlyReport } from './schemas.js';
import type { TopicService } from './topic-service.js';

/** The trend covers the report's month and the five before it. */
const TREND_MONTHS = 6;

/**
 * 月度通报 (docs/hotline-governance.md): for a month, the three rates and the units' ranking (the KPI service),
 * the trend, the month's hot issues (category × district by tickets), 每月一题's progress, the quality
 * inspection's results and notable cases; the narrative by the model from these facts when one is on, else fixed
 * sentences. Every figure comes from the data; the model only writes prose around them.
 */
export class ReportService {
  constructor(
    private readonly deps: { db: Db; clock: Clock; llm: LlmGateway; timeZone: string; kpi: KpiService; inspection: InspectionService; topics: TopicService },
    private readonly config: GovernanceConfig['report'],
  ) {}

  async monthly(actor: Actor, month: string): Promise<MonthlyReport> {
    assertCan(actor, 'hotline.report.read');
    const { db, timeZone, kpi } = this.deps;
    const { from, to } = monthRange(month, timeZone);
    const day = (d: Date) => `${monthOf(d, timeZone)}-01`;
    const trendFrom = monthRange(month, timeZone, 1 - TREND_MONTHS).from;
    const [table, trend, matters, topics, inspection] = await Promise.all([
      kpi.table(actor, { groupBy: 'unit', from: day(from), to: day(to) }),
      kpi.trend(actor, { period: 'month', from: day(trendFrom), to: day(to) }),
      countByMatterAndMonth(db, from, to, timeZone),
      this.deps.topics.list(actor, month),
      this.deps.inspection.unitScores(actor, month, this.config.notableCases),
    ]);
    const n = this.config.rankingSize;
    const ranked = table.rows.filter((r) => r.rank !== null);
    const best = ranked.slice(0, n);
    const worst = ranked.slice(Math.max(n, ranked.length - n)).reverse();
    const hot = [...matters].sort((a, b) => Number(b.n) - Number(a.n)).slice(0, n);
    const names = await matterNames(db, hot.map((h) => h.category_id!), hot.map((h) => h.district_id));
    const facts: ReportFacts = {
      month,
      generatedAt: this.deps.clock().toISOString(),
      total: rateRow('全市', table.total),
      trend: trend.series.map((s) => ({ month: s.periodLabel, composite: s.rates.composite, visited: s.counts.visited })),
      best: best.map((r) => rateRow(r.name, r)),
      worst: worst.map((r) => rateRow(r.name, r)),
      hotIssues: hot.map((h) => ({ category: names.category(h.category_id!), district: names.district(h.district_id), count: Number(h.n) })),
      topics: topics.map((t) => ({ title: t.title, progress: t.progress, tasks: t.tasks.length, beforeMean: t.effect.beforeMean, afterMean: t.effect.afterMean })),
      inspection: { ...inspection.total, units: inspection.units },
      notableCases: inspection.lowest.filter((c) => c.findings.length > 0),
    };
    if (!this.config.useModel) return { ...facts, narrative: offlineNarrative(facts), method: 'offline' };
    const r = await this.deps.llm.withFallback(
      async (llm) => (await llm.complete({ module: 'governance', actor, prompt: monthlyReportPrompt, input: facts })).text.trim().slice(0, 4000),
      () => offlineNarrative(facts),
    );
    return { ...facts, narrative: r.value, method: r.method, ...(r.llmError ? { llmError: r.llmError } : {}) };
  }
}

const rateRow = (name: string, r: Pick<KpiRow, 'counts' | 'rates'>) => ({
  name, visited: r.counts.visited,
  responseRate: r.rates.responseRate, solutionRate: r.rates.solutionRate, satisfactionRate: r.rates.satisfactionRate, composite: r.rates.composite,
});
