import type { ReportFacts } from './prompts/monthly-report.js';

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

/**
 * The narrative without a model: the same facts in fixed sentences.
 *
 * @example offlineNarrative(facts) // '2026年11月，全市回访工单1,234件，响应率…'
 */
export function offlineNarrative(f: ReportFacts): string {
  const [year, month] = f.month.split('-').map(Number);
  const parts = [
    `${year}年${month}月，全市回访工单${f.total.visited}件，响应率${pct(f.total.responseRate)}、解决率${pct(f.total.solutionRate)}、满意率${pct(f.total.satisfactionRate)}，综合得分${pct(f.total.composite)}。`,
  ];
  if (f.best.length) parts.push(`综合得分靠前的单位：${f.best.map((r) => `${r.name}（${pct(r.composite)}）`).join('、')}。`);
  if (f.worst.length) parts.push(`综合得分靠后的单位：${f.worst.map((r) => `${r.name}（${pct(r.composite)}）`).join('、')}，请对照问题抓好整改。`);
  if (f.hotIssues.length) parts.push(`本月热点问题：${f.hotIssues.slice(0, 3).map((h) => `${h.district}${h.category.split(' / ').at(-1)}（${h.count}件）`).join('、')}。`);
  if (f.topics.length) parts.push(`每月一题：${f.topics.map((t) => `“${t.title}”推进${t.progress}%`).join('；')}。`);
  if (f.inspection.replies) {
    parts.push(`答复质检${f.inspection.replies}件，平均${f.inspection.score}分，未达标${f.inspection.failed}件。`);
  } else {
    parts.push('本月答复尚未质检。');
  }
  return parts.join('');
}
