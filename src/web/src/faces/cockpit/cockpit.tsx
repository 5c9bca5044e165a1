import { useCallback, useEffect, useMemo, useState } from 'react';
import { useLoad, ApiError } from '../../api.js';
import { contextApi, type NgsiEntity } from '../../context-api.js';
import { useI18n } from '../../i18n.js';
import { intelApi } from '../../intel-api.js';
import { hotline, type DistrictCounts, type KpiPeriod, type KpiRates, type KpiTable, type KpiTableQuery } from '../../hotline-api.js';
import { navigate, useQueryParams, useRoute } from '../../router.js';
import { EChart, DEMO_CITY_MAP, demoCityGeo, type ChartOption } from '../../ui/echart.js';
import { pct } from '../../ui/format.js';
import { html } from '../../ui/html.js';
import { ErrorBox, Loading, NotYet } from '../../ui/status.js';

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

/** A district of the map with its counts; `areaId` null for a district of the map the server does not know. */
type MapDistrict = Pick<DistrictCounts['districts'][number], 'name' | 'tickets' | 'overdue'> & { areaId: string | null };

/**
 * 驾驶舱: the three rates and the composite with their trend, unit and district rankings, a district map of
 * ticket density and overdue counts, hot issues and live indicators when those APIs exist. Refreshes itself;
 * `?wall=1` hides the chrome for a wall display (and asks the browser for full screen).
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

  useEffect(() => {
    if (!auto) return;
    const timer = setInterval(() => { setTick((n) => n + 1); setUpdated(new Date()); }, REFRESH_SECONDS * 1000);
    return () => clearInterval(timer);
  }, [auto]);

  const units = useLoad(() => hotline.kpi({ groupBy: 'unit', period: undefined, ...rangeOf(period) }), [period, tick]);
  const districts = useLoad(() => hotline.kpi({ groupBy: 'district', ...rangeOf(period) }), [period, tick]);
  const trend = useLoad(() => hotline.kpiTrend({ period }), [period, tick]);
  const density = useLoad(() => loadDensity(), [tick]);
  const live = useLoad(() => loadLive(), [tick]);

  const toggleWall = useCallback(() => {
    if (!wall) {
      document.documentElement.requestFullscreen?.().catch(() => undefined);
      setQuery({ wall: '1' });
    } else {
      if (document.fullscreenElement) document.exitFullscreen().catch(() => undefined);
      setQuery({ wall: null });
    }
  }, [wall, setQuery]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && wall) setQuery({ wall: null });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [wall, setQuery]);

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
          <button type="button" onClick={toggleWall} aria-pressed={wall}>{wall ? t('exit_fullscreen') : t('fullscreen')}</button>
          {wall && <button type="button" onClick={() => navigate('/')}>{t('app_name')}</button>}
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
      </div>

      <div className="grid">
        <Panel title={t('map_title')} className="map-panel">
          {density.loading && !density.data ? <Loading /> : density.error ? <ErrorBox error={density.error} onRetry={density.reload} compact /> : (
            <DistrictMap data={density.data ?? []} live={live.data?.entities ?? []} />
          )}
        </Panel>
        <Panel title={t('trend')}>
          {trend.loading && !trend.data ? <Loading /> : trend.error ? <Unavailable error={trend.error} what={t('trend')} onRetry={trend.reload} /> : (
            <EChart label={t('trend')} option={trendOption(trend.data!.series, t)} height={260} />
          )}
        </Panel>
        <Panel title={t('rank_units')}>
          {units.loading && !units.data ? <Loading /> : units.error ? <Unavailable error={units.error} what={t('rank_units')} onRetry={units.reload} /> : (
            <Ranking table={units.data!} />
          )}
        </Panel>
        <Panel title={t('rank_districts')}>
          {districts.loading && !districts.data ? <Loading /> : districts.error ? <Unavailable error={districts.error} what={t('rank_districts')} onRetry={districts.reload} /> : (
            <Ranking table={districts.data!} />
          )}
        </Panel>
        <HotIssues tick={tick} />
        <LiveCity live={live} />
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

/**
 * Tickets and overdue tickets per district of the map (`GET /api/hotline/district-counts`, one call, the last 365
 * days); a district of the map the server does not know shows zeros.
 */
async function loadDensity(): Promise<MapDistrict[]> {
  const counts = await hotline.districtCounts();
  return demoCityGeo.features.map((f) => {
    const d = counts.districts.find((x) => x.name === f.properties.name);
    return d ? { name: d.name, areaId: d.areaId, tickets: d.tickets, overdue: d.overdue } : { name: f.properties.name, areaId: null, tickets: 0, overdue: 0 };
  });
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

function Panel({ title, children, className }: { title: string; children: React.ReactNode; className?: string }) {
  const id = `panel-${title.replace(/\W+/g, '-')}`;
  return (
    <section className={`panel ${className ?? ''}`} aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A missing route (the API is not there yet) reads differently from a failing one. */
function Unavailable({ error, what, onRetry }: { error: ApiError; what: string; onRetry: () => void }) {
  if (error.code === 'ROUTE_NOT_FOUND') return <NotYet what={what} />;
  return <ErrorBox error={error} onRetry={onRetry} compact />;
}

const layout = { aspectScale: 0.88, top: 10, bottom: 10 };

function DistrictMap({ data, live }: { data: MapDistrict[]; live: NgsiEntity[] }) {
  const { t } = useI18n();
  const option = useMemo<ChartOption>(() => {
    const max = Math.max(1, ...data.map((d) => d.tickets));
    // the scale starts below the quietest district, so districts of similar load still read apart
    const min = Math.floor(Math.min(max, ...data.map((d) => d.tickets)) * 0.8);
    const points = live.map((e) => ({ e, at: pointOf(e) })).filter((p) => p.at !== null);
    return {
      // the map series and the (hidden) geo for the live points share one layout, so both project alike
      geo: { map: DEMO_CITY_MAP, show: false, roam: false, ...layout },
      tooltip: {
        trigger: 'item',
        // ECharts sets a formatter's string as innerHTML: every value goes through html`` (escaped).
        formatter: (p: { name: string; data?: { value: number; overdue: number } }) =>
          html`${p.name}<br/>${t('map_tickets')}: ${p.data?.value ?? 0}<br/>${t('map_overdue')}: ${p.data?.overdue ?? 0}`,
      },
      visualMap: {
        // the district map only: the live points keep their own orange
        seriesIndex: 0,
        min, max, left: 8, bottom: 8, calculable: false, text: [String(max), String(min)],
        inRange: { color: ['#e0f2f1', '#26a69a', '#00574b'] }, textStyle: { color: '#333' },
      },
      series: [
        {
          type: 'map', map: DEMO_CITY_MAP, roam: false, selectedMode: false, ...layout,
          label: {
            show: true, color: '#fff', textBorderColor: '#00332c', textBorderWidth: 2, fontSize: 12,
            formatter: (p: { name: string; data?: { value: number; overdue: number } }) =>
              `${p.name}\n${p.data?.value ?? 0}${p.data?.overdue ? ` / {o|${t('map_overdue')} ${p.data.overdue}}` : ''}`,
            rich: { o: { color: '#ffe082', textBorderColor: '#00332c', textBorderWidth: 2, fontWeight: 'bold' } },
          },
          itemStyle: { borderColor: '#fff', borderWidth: 1.5 },
          emphasis: { label: { color: '#000' }, itemStyle: { areaColor: '#ffd54f' } },
          data: data.map((d) => ({ name: d.name, value: d.tickets, overdue: d.overdue })),
        },
        {
          type: 'scatter', coordinateSystem: 'geo', name: t('live_city'), symbolSize: 4, z: 3, itemStyle: { color: '#e65100', opacity: 0.55 },
          // Entity ids and attribute values are anyone's text (MQTT publishers, NGSI-LD writers): escaped, never markup.
          tooltip: { formatter: (p: { data: { id: string; text: string } }) => html`${p.data.id}<br/>${p.data.text}` },
          data: points.map((p) => ({ value: p.at!, id: p.e.id, text: summarise(p.e) })),
        },
      ],
    };
  }, [data, live, t]);
  return (
    <>
      <EChart label={t('map_title')} option={option} height={340} onClick={(p) => {
        const d = data.find((x) => x.name === p.name);
        if (d?.areaId) navigate('/work', { areaId: d.areaId, queue: 'all' });
      }} />
      <table className="compact-table" data-testid="district-counts">
        <caption className="sr-only">{t('map_title')}</caption>
        <thead><tr><th scope="col">{t('t_district')}</th><th scope="col">{t('map_tickets')}</th><th scope="col">{t('map_overdue')}</th></tr></thead>
        <tbody>
          {data.map((d) => (
            <tr key={d.name}><th scope="row">{d.name}</th><td>{d.tickets}</td><td className={d.overdue ? 'overdue' : ''}>{d.overdue}</td></tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function trendOption(series: { periodLabel: string; rates: KpiRates }[], t: (k: string) => string): ChartOption {
  const colors = ['#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a'];
  return {
    color: colors,
    tooltip: { trigger: 'axis', valueFormatter: (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`) },
    legend: { top: 0 },
    grid: { left: 44, right: 12, top: 36, bottom: 28 },
    xAxis: { type: 'category', data: series.map((s) => s.periodLabel) },
    yAxis: { type: 'value', min: 0, max: 1, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
    series: rateKeys.map(([key, label]) => ({
      type: 'line', name: t(label), connectNulls: true, symbolSize: 5,
      data: series.map((s) => s.rates[key]),
    })),
  };
}

function Ranking({ table }: { table: KpiTable }) {
  const { t } = useI18n();
  const rows = table.rows.filter((r) => r.rates.composite !== null).slice(0, 10);
  if (rows.length === 0) return <p className="muted">{t('no_data')}</p>;
  return (
    <table className="ranking">
      <thead>
        <tr>
          <th scope="col">#</th><th scope="col">{table.groupBy === 'unit' ? t('t_unit') : t('t_district')}</th>
          <th scope="col">{t('rate_composite')}</th><th scope="col">{t('rate_response')}</th>
          <th scope="col">{t('rate_solve')}</th><th scope="col">{t('rate_satisfy')}</th><th scope="col">{t('visited_count')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={r.key ?? r.name}>
            <td>{r.rank ?? '—'}</td>
            <th scope="row">{r.name}</th>
            <td>
              <span className="bar" style={{ width: `${Math.round((r.rates.composite ?? 0) * 100)}%` }} aria-hidden="true" />
              {r.rates.composite === null ? '—' : (r.rates.composite * 100).toFixed(1)}
            </td>
            <td>{pct(r.rates.responseRate)}</td>
            <td>{pct(r.rates.solutionRate)}</td>
            <td>{pct(r.rates.satisfactionRate)}</td>
            <td>{r.counts.visited}{i < 0 ? '' : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Hot issues and emerging-issue alerts from the intelligence API (issue 4), when this server documents them. */
function HotIssues({ tick }: { tick: number }) {
  const { t } = useI18n();
  const hot = useLoad(() => intelApi.hotIssues({ top: 8 }), [tick]);
  const alerts = useLoad(() => intelApi.alerts(), [tick]);
  return (
    <section className="panel" aria-labelledby="panel-hot" data-testid="hot-issues">
      <h2 id="panel-hot">{t('hot_issues')}</h2>
      {hot.loading && !hot.data ? <Loading /> : hot.error ? <Unavailable error={hot.error} what={t('hot_issues')} onRetry={hot.reload} /> : (hot.data?.issues ?? []).length === 0 ? (
        <p className="muted">{t('no_data')}</p>
      ) : (
        <ol className="hot-list">
          {hot.data!.issues.map((h) => (
            <li key={h.id}>
              <span>{h.title}{h.place ? ` · ${h.place}` : ''}</span>
              <span className="muted">{h.memberIds.length} {t('alert_count')}{h.factors.growth > 0 ? ` ↑${Math.round(h.factors.growth * 100)}%` : ''} · {h.heat.toFixed(1)}</span>
            </li>
          ))}
        </ol>
      )}
      <h2>{t('emerging')}</h2>
      {alerts.loading && !alerts.data ? <Loading /> : alerts.error ? <Unavailable error={alerts.error} what={t('emerging')} onRetry={alerts.reload} /> : (alerts.data?.alerts ?? []).length === 0 ? (
        <p className="muted">{t('no_data')}</p>
      ) : (
        <ul className="hot-list">
          {alerts.data!.alerts.map((a) => (
            <li key={a.issueId} className="overdue"><span>⚠ {a.title}{a.place ? ` · ${a.place}` : ''}</span><span>{a.count} {t('alert_count')} · z={a.zScore.toFixed(1)}</span></li>
          ))}
        </ul>
      )}
    </section>
  );
}

interface LiveCityData {
  types: { type: string; count: number }[];
  entities: NgsiEntity[];
}

const LIVE_LIMIT = 100;

/**
 * Live city indicators from the context layer (NGSI-LD): the entity types, how many entities of each, and the
 * entities that have a location, drawn on the district map.
 */
async function loadLive(): Promise<LiveCityData> {
  const types = await contextApi.types();
  const per = await Promise.all(types.slice(0, 8).map(async (type) => ({ type, entities: await contextApi.entities(type, LIVE_LIMIT) })));
  return { types: per.map((p) => ({ type: p.type, count: p.entities.length })), entities: per.flatMap((p) => p.entities) };
}

function LiveCity({ live }: { live: { data: LiveCityData | undefined; error: ApiError | null; loading: boolean; reload(): void } }) {
  const { t } = useI18n();
  return (
    <section className="panel" aria-labelledby="panel-live" data-testid="live-city">
      <h2 id="panel-live">{t('live_city')}</h2>
      {live.loading && !live.data ? <Loading /> : live.error ? <Unavailable error={live.error} what={t('live_city')} onRetry={live.reload} />
        : (live.data?.types ?? []).length === 0 ? <p className="muted">{t('no_data')}</p> : (
          <ul className="live-list">
            {live.data!.types.map((x) => (
              <li key={x.type}><span>{x.type.split(/[/#:]/).slice(-1)[0]}</span><strong>{x.count >= LIVE_LIMIT ? `${LIVE_LIMIT}+` : x.count}</strong></li>
            ))}
          </ul>
        )}
    </section>
  );
}

const pointOf = (e: NgsiEntity): [number, number] | null => {
  const loc = e.location as { value?: { type?: string; coordinates?: number[] }; type?: string; coordinates?: number[] } | undefined;
  const geo = loc?.value ?? loc;
  return geo?.type === 'Point' && Array.isArray(geo.coordinates) && geo.coordinates.length >= 2 ? [geo.coordinates[0], geo.coordinates[1]] : null;
};

const summarise = (e: NgsiEntity): string =>
  Object.entries(e)
    .filter(([k, v]) => !['id', 'type', '@context', 'location'].includes(k) && v && typeof v === 'object' && 'value' in (v as object))
    .slice(0, 3)
    .map(([k, v]) => `${k}=${String((v as { value: unknown }).value)}`)
    .join(' · ');
