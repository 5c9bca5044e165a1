import { useEffect, useId, useMemo, useState } from 'react';
import { useLoad } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { intelApi } from '../../intel-api.js';
import { governanceApi, thisMonth } from '../../governance-api.js';
import { hotline, type KpiPeriod, type KpiTableQuery } from '../../hotline-api.js';
import { href, useQueryParams, useRoute } from '../../router.js';
import { pct } from '../../ui/format.js';
import { ErrorBox, Loading, NotYet } from '../../ui/status.js';
import { loadLiveCity, splitRanking } from './cockpit-data.js';
import { DistrictMap, loadDensity } from './district-map.js';
import { DrillDown, Emerging, HotList, LiveList, RankList, Trend, Wall } from './wall.js';
import './messages.js';

const REFRESH_SECONDS = 60;
/** The periods the cockpit offers (the KPI API's), the month by default, also for a period the URL misspells. */
const periods = ['day', 'week', 'month'] as const satisfies readonly KpiPeriod[];
const periodOf = (value: string | null): KpiPeriod => periods.find((p) => p === value) ?? 'month';
const rateKeys = [
  ['responseRate', 'rate_response'],
  ['solutionRate', 'rate_solve'],
  ['satisfactionRate', 'rate_satisfy'],
  ['composite', 'rate_composite'],
] as const;

/**
 * 驾驶舱: the three rates and the composite with their trend (periods with data), departments and districts ranked
 * apart (only units with enough visits), the district map with a read-only drill-down, hot issues with their heat
 * explained, 未诉先办 alerts and live IoT values. Refreshes itself; `?wall=1` is the wall display (wall.tsx).
 */
export function Cockpit() {
  const { t, lang } = useI18n();
  const route = useRoute();
  const [query, setQuery] = useQueryParams(route);
  const period = periodOf(query.get('period'));
  const wall = query.get('wall') === '1';
  const [auto, setAuto] = useState(true);
  const [tick, setTick] = useState(0);
  const [updated, setUpdated] = useState(() => new Date());
  const [drill, setDrill] = useState<string | null>(null);

  useEffect(() => {
    if (!auto) return;
    const timer = setInterval(() => { setTick((n) => n + 1); setUpdated(new Date()); }, REFRESH_SECONDS * 1000);
    return () => clearInterval(timer);
  }, [auto]);

  const units = useLoad(() => hotline.kpi({ groupBy: 'unit', ...rangeOf(period) }), [period, tick]);
  const districts = useLoad(() => hotline.kpi({ groupBy: 'district', ...rangeOf(period) }), [period, tick]);
  const trend = useLoad(() => hotline.kpiTrend({ period }), [period, tick]);
  const density = useLoad(() => loadDensity(() => hotline.districtCounts()), [tick]);
  const orgs = useLoad(() => hotline.units().catch(() => []), []);
  // The rates come first on a slow link: the live samples, hot issues and alerts are asked once they are in.
  const first = !!units.data || !!units.error;
  const live = useLoad(first ? () => loadLiveCity() : null, [tick, first]);
  const hot = useLoad(first ? () => intelApi.hotIssues({ top: 8 }) : null, [tick, first]);
  const alerts = useLoad(first ? () => intelApi.alerts() : null, [tick, first]);
  // 智能质检 beside the three rates: this month's mean score (docs/hotline-governance.md)
  const inspected = useLoad(first ? () => governanceApi.unitScores(thisMonth()) : null, [tick, first]);
  // the wall's heat and overdue layers: asked only on the wall, refreshed with everything else
  const places = useLoad(wall && first ? () => hotline.ticketPoints() : null, [tick, wall, first]);

  const enterWall = () => {
    // the browser's own full screen (Fullscreen API) needs the click's user activation: asked here, at once
    void document.documentElement.requestFullscreen?.().catch(() => undefined);
    setQuery({ wall: '1' });
  };
  const leaveWall = () => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    setQuery({ wall: null });
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape' && wall && !document.fullscreenElement) setQuery({ wall: null }); };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [wall, setQuery]);

  const split = useMemo(() => (units.data ? splitRanking(units.data, orgs.data ?? []) : null), [units.data, orgs.data]);
  if (wall) return <Wall period={period} units={units} districts={districts} trend={trend} density={density} places={places} live={live} hot={hot} alerts={alerts} orgs={orgs} updated={updated} onExit={leaveWall} />;

  const total = units.data?.total;
  return (
    <section className="cockpit" aria-labelledby="cockpit-title">
      <div className="cockpit-head">
        <h1 id="cockpit-title">{t('cockpit_title')}</h1>
        <div className="controls">
          <label>
            {t('period')}{' '}
            <select value={period} onChange={(e) => setQuery({ period: e.target.value })}>
              {periods.map((p) => <option key={p} value={p}>{t(`period_${p}`)}</option>)}
            </select>
          </label>
          <label>
            <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> {t('auto_refresh')}
          </label>
          <span className="muted" aria-live="polite">
            {t('updated_at')} {updated.toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en-GB')}
          </span>
          <button type="button" onClick={enterWall} data-testid="enter-wall">{t('fullscreen')}</button>
          <a href={href('/cockpit/governance')}>{lang === 'zh' ? '每月一题与质检' : 'Topic of the month'}</a>
          <a href={href('/cockpit/report')}>{lang === 'zh' ? '月度通报' : 'Monthly report'}</a>
        </div>
      </div>

      <div className="rate-cards" data-testid="rates">
        {units.loading && !units.data ? <Loading /> : units.error ? <ErrorBox error={units.error} onRetry={units.reload} compact /> : (
          rateKeys.map(([key, label]) => (
            <RateCard key={key} label={t(label)} value={total?.rates[key] ?? null} composite={key === 'composite'} />
          ))
        )}
        {total && (
          <div className="rate-card minor">
            <span>{t('visited_count')}</span>
            <strong data-testid="visited">{total.counts.visited}</strong>
            <span className="muted">{t('rate_ontime')} {pct(total.rates.onTimeRate)}</span>
          </div>
        )}
        {inspected.data && (
          <a className="rate-card minor" href={href('/cockpit/governance')} data-testid="inspection-score">
            <span>{lang === 'zh' ? '答复质检均分' : 'Reply inspection'}</span>
            <strong>{inspected.data.total.score ?? '—'}</strong>
            <span className="muted">{lang === 'zh' ? `质检 ${inspected.data.total.replies} 件，未达标 ${inspected.data.total.failed} 件` : `${inspected.data.total.replies} inspected, ${inspected.data.total.failed} failed`}</span>
          </a>
        )}
      </div>

      <div className="grid">
        <Panel title={t('map_title')} className="map-panel">
          {density.loading && !density.data ? <Loading /> : density.error ? <ErrorBox error={density.error} onRetry={density.reload} compact /> : (
            <>
              <p className="muted">{t('drill_hint')}</p>
              <DistrictMap data={density.data ?? []} live={(live.data ?? []).flatMap((x) => x.entities)} onPick={setDrill} />
              {drill && <div className="cockpit-drill"><DrillDown name={drill} density={density.data ?? []} districts={districts.data} hot={hot.data?.issues ?? []} onClose={() => setDrill(null)} /></div>}
            </>
          )}
        </Panel>
        <Panel title={t('trend')}>
          {trend.error ? <ErrorBox error={trend.error} onRetry={trend.reload} compact /> : <div className="dark-chart"><Trend trend={trend.data} /></div>}
        </Panel>
        <Panel title={t('rank_departments')} testId="rank-departments">
          {units.error ? <ErrorBox error={units.error} onRetry={units.reload} compact /> : <RankList rows={split?.departments ?? []} limit={10} />}
          <p className="muted">{t('rank_min_note_plain')}</p>
        </Panel>
        <Panel title={t('rank_district_govs')} testId="rank-districts">
          {districts.error ? <ErrorBox error={districts.error} onRetry={districts.reload} compact /> : (
            <RankList rows={(districts.data?.rows ?? []).filter((r) => r.rank !== null)} limit={10} onPick={setDrill} />
          )}
        </Panel>
        <Panel title={t('hot_issues')} testId="hot-issues">
          {hot.error ? (hot.error.code === 'ROUTE_NOT_FOUND' ? <NotYet what={t('hot_issues')} /> : <ErrorBox error={hot.error} compact />) : <HotList issues={hot.data?.issues ?? []} />}
          <h2>{t('emerging')}</h2>
          {alerts.error ? <ErrorBox error={alerts.error} compact /> : <Emerging alerts={alerts.data?.alerts ?? null} />}
        </Panel>
        <Panel title={t('live_city')} testId="live-city">
          {live.error ? (live.error.code === 'ROUTE_NOT_FOUND' ? <NotYet what={t('live_city')} /> : <ErrorBox error={live.error} compact />) : <LiveList live={live.data ?? []} />}
        </Panel>
      </div>
    </section>
  );
}

/** Bare local dates of the current period (the KPI API reads bare dates in the city's time zone). */
function rangeOf(period: KpiPeriod): Pick<KpiTableQuery, 'from' | 'to'> {
  const now = new Date();
  const day = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  if (period === 'day') return { from: day(now), to: day(tomorrow) };
  if (period === 'week') {
    const monday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - ((now.getDay() + 6) % 7));
    return { from: day(monday), to: day(tomorrow) };
  }
  return { from: day(new Date(now.getFullYear(), now.getMonth(), 1)), to: day(tomorrow) };
}

function RateCard({ label, value, composite }: { label: string; value: number | null; composite?: boolean }) {
  return (
    <div className={`rate-card${composite ? ' composite' : ''}`}>
      <span>{label}</span>
      <strong>{composite ? (value === null ? '—' : (value * 100).toFixed(1)) : pct(value)}</strong>
      <meter min={0} max={1} value={value ?? 0} aria-label={label} />
    </div>
  );
}

function Panel({ title, children, className, testId }: { title: string; children: React.ReactNode; className?: string; testId?: string }) {
  const id = useId();
  return (
    <section className={`panel ${className ?? ''}`} aria-labelledby={id} data-testid={testId}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}
