import { useId } from 'react';
import { useLoad } from '../../api.js';
import { governanceApi, thisMonth, type MonthlyReport } from '../../governance-api.js';
import { useI18n } from '../../i18n.js';
import { href, useQueryParams, useRoute } from '../../router.js';
import { EChart } from '../../ui/echart.js';
import { pct } from '../../ui/format.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { fill } from './governance.js';
import './governance-messages.js';
import './monthly-report.css';

/**
 * 月度通报 as a printable page (A4, print CSS: the controls and the app's chrome are not printed; PDF through the
 * browser's print), with the Word document to download. Every figure is the server's (docs/hotline-governance.md).
 */
export function MonthlyReportPage() {
  const { t } = useI18n();
  const [query, setQuery] = useQueryParams(useRoute());
  const month = query.get('month') ?? thisMonth();
  const report = useLoad(() => governanceApi.report(month), [month]);
  const id = useId();
  return (
    <section className="monthly-report" aria-labelledby={id}>
      <div className="cockpit-head no-print">
        <div className="controls">
          <label>{t('gov_month')} <input type="month" value={month} onChange={(e) => setQuery({ month: e.target.value })} /></label>
          <button type="button" onClick={() => window.print()}>{t('report_print')}</button>
          <a href={governanceApi.reportDocxUrl(month)} download>{t('report_docx')}</a>
          <a href={href('/cockpit/governance', { month })}>{t('gov_title')}</a>
        </div>
      </div>
      {report.loading && !report.data ? <Loading /> : report.error ? <ErrorBox error={report.error} onRetry={report.reload} /> : <Report id={id} r={report.data!} />}
    </section>
  );
}

function Report({ id, r }: { id: string; r: MonthlyReport }) {
  const { t } = useI18n();
  const [year, month] = r.month.split('-').map(Number);
  const rateHead = <tr><th scope="col">{t('report_unit')}</th><th scope="col">{t('report_visited')}</th><th scope="col">{t('rate_response')}</th><th scope="col">{t('rate_solve')}</th><th scope="col">{t('rate_satisfy')}</th><th scope="col">{t('rate_composite')}</th></tr>;
  const rateRow = (x: MonthlyReport['best'][number]) => (
    <tr key={x.name}><td>{x.name}</td><td>{x.visited}</td><td>{pct(x.responseRate)}</td><td>{pct(x.solutionRate)}</td><td>{pct(x.satisfactionRate)}</td><td>{pct(x.composite)}</td></tr>
  );
  return (
    <article className="report-page" data-testid="monthly-report">
      <h1 id={id}>12345热线{year}年{month}月接诉即办工作通报</h1>
      <p className="muted">{r.generatedAt.slice(0, 10)} · {r.method === 'llm' ? t('report_narrative_llm') : t('report_narrative_rules')}</p>
      <p className="narrative">{r.narrative}</p>
      <h2>{t('report_rates')}</h2>
      <table><thead>{rateHead}</thead><tbody>{rateRow({ ...r.total, name: '全市' })}</tbody></table>
      <EChart label={t('report_trend')} height={220} option={{
        tooltip: { trigger: 'axis' }, animation: false,
        grid: { left: 50, right: 50, top: 30, bottom: 30 },
        legend: { data: [t('rate_composite'), t('report_visited')] },
        xAxis: { type: 'category', data: r.trend.map((x) => x.month) },
        yAxis: [{ type: 'value', max: 1 }, { type: 'value', minInterval: 1 }],
        series: [
          { name: t('rate_composite'), type: 'line', data: r.trend.map((x) => x.composite) },
          { name: t('report_visited'), type: 'bar', yAxisIndex: 1, data: r.trend.map((x) => x.visited) },
        ],
      }} />
      <h2>{t('report_best')}</h2>
      <table><thead>{rateHead}</thead><tbody>{r.best.map(rateRow)}</tbody></table>
      <h2>{t('report_worst')}</h2>
      <table><thead>{rateHead}</thead><tbody>{r.worst.map(rateRow)}</tbody></table>
      <h2>{t('report_hot')}</h2>
      <EChart label={t('report_hot')} height={Math.max(160, r.hotIssues.length * 30)} option={{
        animation: false, grid: { left: 200, right: 40, top: 10, bottom: 20 },
        xAxis: { type: 'value', minInterval: 1 },
        yAxis: { type: 'category', inverse: true, data: r.hotIssues.map((h) => `${h.district} ${h.category.split(' / ').at(-1)}`) },
        series: [{ type: 'bar', data: r.hotIssues.map((h) => h.count), label: { show: true, position: 'right' } }],
      }} />
      <h2>{t('report_topics')}</h2>
      {r.topics.length === 0 ? <p>{t('gov_no_topics')}</p> : (
        <ul>{r.topics.map((x) => <li key={x.title}>{x.title}：{t('gov_progress')} {x.progress}% · {fill(t('gov_effect_means'), { before: x.beforeMean ?? '—', after: x.afterMean ?? '—' })}</li>)}</ul>
      )}
      <h2>{t('report_inspection')}</h2>
      {r.inspection.replies === 0 ? <p>{t('gov_not_inspected')}</p> : (
        <>
          <p>{fill(t('gov_inspection_total'), { n: r.inspection.replies, score: r.inspection.score ?? '—', failed: r.inspection.failed })}</p>
          <table>
            <thead><tr><th scope="col">{t('report_unit')}</th><th scope="col">{t('report_replies')}</th><th scope="col">{t('report_score')}</th><th scope="col">{t('report_failed')}</th></tr></thead>
            <tbody>{r.inspection.units.map((u) => <tr key={u.name}><td>{u.name}</td><td>{u.replies}</td><td>{u.score}</td><td>{u.failed}</td></tr>)}</tbody>
          </table>
        </>
      )}
      <h2>{t('report_cases')}</h2>
      <ul>{r.notableCases.map((c) => <li key={c.ticketId}>{c.number} {c.unitName}（{c.score}）：{c.findings.map((f) => f.message).join('；')}</li>)}</ul>
    </article>
  );
}
