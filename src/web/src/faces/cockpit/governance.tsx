import { useId } from 'react';
import { useLoad } from '../../api.js';
import { useAuth } from '../../auth.js';
import { governanceApi, thisMonth, type TopicProposal, type TopicView } from '../../governance-api.js';
import { useI18n } from '../../i18n.js';
import { href, useQueryParams, useRoute } from '../../router.js';
import { EChart } from '../../ui/echart.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import './governance-messages.js';

/**
 * 每月一题 and 质检 (docs/hotline-governance.md): the recurring problems proposed for the month with their monthly
 * series, the month's topics with the units' tasks, progress and the complaints before and after, and the
 * inspection scores per unit beside the three rates. A supervisor turns a proposal into a topic.
 */
export function Governance() {
  const { t } = useI18n();
  const { hasRole } = useAuth();
  const [query, setQuery] = useQueryParams(useRoute());
  const month = query.get('month') ?? thisMonth();
  const proposals = useLoad(() => governanceApi.proposals(month), [month]);
  const topics = useLoad(() => governanceApi.topics(month), [month]);
  const scores = useLoad(() => governanceApi.unitScores(month), [month]);
  const titleId = useId();

  const adopt = async (p: TopicProposal) => {
    const scored = scores.data?.units.filter((u) => u.unitId) ?? [];
    const unitId = scored.at(-1)?.unitId;
    if (!unitId) return;
    await governanceApi.createTopic({
      month, title: p.title, categoryId: p.categoryId, ...(p.districtId ? { districtId: p.districtId } : {}),
      tasks: [{ unitId, action: t('gov_default_action'), dueAt: new Date(Date.now() + 30 * 86_400_000).toISOString() }],
    });
    topics.reload();
  };

  return (
    <section className="cockpit governance" aria-labelledby={titleId}>
      <div className="cockpit-head">
        <h1 id={titleId}>{t('gov_title')}</h1>
        <div className="controls">
          <label>{t('gov_month')} <input type="month" value={month} onChange={(e) => setQuery({ month: e.target.value })} /></label>
          <a href={href('/cockpit/report', { month })}>{t('report_title')}</a>
          <a href={href('/cockpit')}>{t('face_cockpit')}</a>
        </div>
      </div>
      <div className="grid">
        <section className="panel" aria-labelledby={`${titleId}-p`} data-testid="gov-proposals">
          <h2 id={`${titleId}-p`}>{t('gov_proposals')}</h2>
          <p className="muted">{t('gov_proposals_hint')}</p>
          {proposals.loading && !proposals.data ? <Loading /> : proposals.error ? <ErrorBox error={proposals.error} onRetry={proposals.reload} compact /> : (
            proposals.data!.proposals.length === 0 ? <p>{t('gov_no_proposals')}</p> : (
              <>
                <EChart label={t('gov_proposals')} height={240} option={seriesOption(proposals.data!.proposals.slice(0, 5))} />
                <ol>
                  {proposals.data!.proposals.map((p) => (
                    <li key={`${p.categoryId}-${p.districtId}`}>
                      <strong>{p.title}</strong> <span className="muted">{p.category} · {fill(t('gov_months_recurring'), { n: p.months })} · {p.total}</span>
                      {hasRole('supervisor') && <button type="button" onClick={() => void adopt(p)}>{t('gov_adopt')}</button>}
                    </li>
                  ))}
                </ol>
              </>
            )
          )}
        </section>
        <section className="panel" aria-labelledby={`${titleId}-t`} data-testid="gov-topics">
          <h2 id={`${titleId}-t`}>{t('gov_topics')}</h2>
          {topics.loading && !topics.data ? <Loading /> : topics.error ? <ErrorBox error={topics.error} onRetry={topics.reload} compact /> : (
            topics.data!.topics.length === 0 ? <p>{t('gov_no_topics')}</p> : topics.data!.topics.map((topic) => <Topic key={topic.id} topic={topic} />)
          )}
        </section>
        <section className="panel" aria-labelledby={`${titleId}-q`} data-testid="gov-inspection">
          <h2 id={`${titleId}-q`}>{t('gov_inspection')}</h2>
          {scores.loading && !scores.data ? <Loading /> : scores.error ? <ErrorBox error={scores.error} onRetry={scores.reload} compact /> : (
            scores.data!.units.length === 0 ? <p>{t('gov_not_inspected')}</p> : (
              <>
                <p>{fill(t('gov_inspection_total'), { n: scores.data!.total.replies, score: scores.data!.total.score ?? '—', failed: scores.data!.total.failed })}</p>
                <EChart label={t('gov_inspection')} height={Math.max(200, scores.data!.units.length * 26)} option={{
                  grid: { left: 150, right: 20, top: 10, bottom: 30 },
                  xAxis: { type: 'value', max: 100 },
                  yAxis: { type: 'category', inverse: true, data: scores.data!.units.map((u) => u.name) },
                  series: [{ type: 'bar', data: scores.data!.units.map((u) => u.score), label: { show: true, position: 'right' } }],
                }} />
              </>
            )
          )}
        </section>
      </div>
    </section>
  );
}

function Topic({ topic }: { topic: TopicView }) {
  const { t } = useI18n();
  const e = topic.effect;
  return (
    <article className="gov-topic">
      <h3>{topic.title} <span className="muted">{t('gov_progress')} {topic.progress}%</span></h3>
      <progress max={100} value={topic.progress} aria-label={`${topic.title} ${t('gov_progress')}`} />
      <ul>
        {topic.tasks.map((k) => <li key={k.id}>{k.unitName}：{k.action} — {k.progress}%{k.overdue ? ` (${t('gov_overdue')})` : ''}</li>)}
      </ul>
      <EChart label={`${topic.title} ${t('gov_effect')}`} height={200} option={{
        tooltip: {},
        legend: { data: [t('gov_before'), t('gov_after')] },
        xAxis: { type: 'category', data: [...e.before, ...e.after].map((x) => x.month) },
        yAxis: { type: 'value', minInterval: 1 },
        series: [
          { name: t('gov_before'), type: 'bar', data: [...e.before.map((x) => x.count), ...e.after.map(() => null)] },
          { name: t('gov_after'), type: 'bar', data: [...e.before.map(() => null), ...e.after.map((x) => x.count)] },
        ],
      }} />
      <p className="muted">{fill(t('gov_effect_means'), { before: e.beforeMean ?? '—', after: e.afterMean ?? '—' })}</p>
    </article>
  );
}

/** A message's {name} places filled. */
export const fill = (text: string, vars: Record<string, string | number>) => text.replace(/\{(\w+)\}/g, (m, k: string) => String(vars[k] ?? m));

const seriesOption = (ps: TopicProposal[]) => ({
  tooltip: { trigger: 'axis' },
  legend: { type: 'scroll', bottom: 0, data: ps.map((p) => p.title) },
  grid: { left: 40, right: 20, top: 20, bottom: 60 },
  xAxis: { type: 'category', data: ps[0]?.series.map((s) => s.month) ?? [] },
  yAxis: { type: 'value', minInterval: 1 },
  series: ps.map((p) => ({ name: p.title, type: 'line', data: p.series.map((s) => s.count) })),
});
