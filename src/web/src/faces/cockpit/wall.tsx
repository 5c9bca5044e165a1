import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { Loaded } from '../../api.js';
import { useI18n } from '../../i18n.js';
import type { EmergingAlert, HotIssue } from '../../intel-api.js';
import type { DistrictCounts, KpiPeriod, KpiTable, KpiTrend, OrgView, TicketPoints } from '../../hotline-api.js';
import type { AlertList, HotIssueList } from '../../../../hotline/intel/schemas.js';
import { EChart, type ChartOption } from '../../ui/echart.js';
import { pct } from '../../ui/format.js';
import { formatLive, liveValues, splitRanking, trendWithData, type LiveType } from './cockpit-data.js';
import { type MapDistrict } from './district-map.js';
import { CityMap, type MapLayer } from '../../ui/map/city-map.js';
import { shortType } from './cockpit-data.js';
import './messages.js';
import './wall.css';

/** The stage the wall is drawn on: 1920×1080 CSS pixels, scaled as a whole to the screen (1080p to 4K and beyond). */
export const STAGE = { width: 1920, height: 1080 };

export interface WallData {
  period: KpiPeriod;
  units: Loaded<KpiTable>;
  districts: Loaded<KpiTable>;
  trend: Loaded<KpiTrend>;
  density: Loaded<MapDistrict[]>;
  /** places of tickets for the map's heat and overdue layers */
  places: Loaded<TicketPoints>;
  live: Loaded<LiveType[]>;
  hot: Loaded<HotIssueList>;
  alerts: Loaded<AlertList>;
  orgs: Loaded<OrgView[]>;
  updated: Date;
  onExit(): void;
}

/**
 * The wall display (大屏): a fixed 16:9 stage scaled to fill the screen, dark edge to edge, never scrolling. Rates
 * on top; departments and districts ranked on the left; the city map in the centre; trend, hot issues with their
 * heat explained, 未诉先办 alerts and live IoT values on the right; an alert ticker at the foot. A district opens a
 * read-only detail on the wall itself (no link to a page a leader may not open).
 */
export function Wall(data: WallData) {
  const { t, lang } = useI18n();
  const scale = useStageScale();
  const [drill, setDrill] = useState<string | null>(null);
  const { hot, alerts, orgs } = data;
  const total = data.units.data?.total;
  const split = useMemo(() => (data.units.data ? splitRanking(data.units.data, orgs.data ?? []) : null), [data.units.data, orgs.data]);
  const overdueOpen = (data.density.data ?? []).reduce((n, d) => n + d.overdue, 0);
  const [fullscreen, setFullscreen] = useState(() => !!document.fullscreenElement);

  useEffect(() => {
    const on = () => setFullscreen(!!document.fullscreenElement);
    document.addEventListener('fullscreenchange', on);
    // the wall's page never scrolls: the stage is scaled to the screen instead
    document.documentElement.classList.add('wall-mode');
    return () => {
      document.removeEventListener('fullscreenchange', on);
      document.documentElement.classList.remove('wall-mode');
    };
  }, []);

  const toggleFullscreen = useCallback(() => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    else void document.documentElement.requestFullscreen?.().catch(() => undefined);
  }, []);

  return (
    <div className="wall-viewport" data-testid="wall">
      <div className="wall-stage" style={{ width: STAGE.width, height: STAGE.height, transform: `translate(-50%, -50%) scale(${scale})` }} data-scale={scale}>
        <header className="wall-head">
          <h1 id="cockpit-title">{t('wall_title')}</h1>
          <span className="wall-period">{t(`period_${data.period}`)}</span>
          <span className="wall-clock" aria-live="off">{t('updated_at')} {data.updated.toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en-GB')}</span>
          <button type="button" onClick={toggleFullscreen} aria-pressed={fullscreen} data-testid="wall-fullscreen">{fullscreen ? t('exit_fullscreen') : t('wall_fullscreen')}</button>
          <button type="button" onClick={data.onExit}>{t('wall_exit')}</button>
        </header>

        <section className="wall-rates" aria-label={t('rate_composite')} data-testid="rates">
          {([['responseRate', 'rate_response'], ['solutionRate', 'rate_solve'], ['satisfactionRate', 'rate_satisfy'], ['composite', 'rate_composite']] as const).map(([key, label]) => (
            <div key={key} className={`wall-rate${key === 'composite' ? ' composite' : ''}`}>
              <span>{t(label)}</span>
              <strong>{total ? (key === 'composite' ? (total.rates.composite === null ? '—' : (total.rates.composite * 100).toFixed(1)) : pct(total.rates[key])) : '—'}</strong>
            </div>
          ))}
          <div className="wall-rate"><span>{t('visited_count')}</span><strong data-testid="visited">{total?.counts.visited ?? '—'}</strong></div>
          <div className="wall-rate alert"><span>{t('wall_overdue_open')}</span><strong>{overdueOpen}</strong></div>
        </section>

        <section className="wall-left">
          <WallPanel title={t('rank_departments')} testId="rank-departments">
            <RankList rows={split?.departments ?? []} limit={7} />
          </WallPanel>
          <WallPanel title={t('rank_district_govs')} testId="rank-districts">
            <RankList rows={(data.districts.data?.rows ?? []).filter((r) => r.rank !== null)} limit={6} onPick={(name) => setDrill(name)} />
          </WallPanel>
          <p className="wall-note">{t('rank_min_note_plain')}</p>
        </section>

        <section className="wall-centre" aria-label={t('map_title')}>
          <h2>{t('map_title')} <span className="wall-note">{t('drill_hint')}</span></h2>
          <div className="wall-map">
            <WallMap density={data.density.data ?? []} places={data.places.data?.points ?? []} live={data.live.data ?? []} onPick={setDrill} />
          </div>
          {drill && <DrillDown name={drill} density={data.density.data ?? []} districts={data.districts.data} hot={hot.data?.issues ?? []} onClose={() => setDrill(null)} />}
        </section>

        <section className="wall-right">
          <WallPanel title={t('trend')} testId="wall-trend">
            <Trend trend={data.trend.data} />
          </WallPanel>
          <WallPanel title={t('hot_issues')} testId="hot-issues">
            <HotList issues={(hot.data?.issues ?? []).slice(0, 3)} />
          </WallPanel>
          <WallPanel title={t('emerging')} testId="emerging">
            <Emerging alerts={alerts.data?.alerts ?? null} />
          </WallPanel>
          <WallPanel title={t('live_city')} testId="live-city">
            <LiveList live={data.live.data ?? []} />
          </WallPanel>
        </section>

        <Ticker alerts={alerts.data?.alerts ?? []} hot={hot.data?.issues ?? []} density={data.density.data ?? []} />
      </div>
    </div>
  );
}

/** The scale that fits the 16:9 stage into the window (letterboxed on other ratios), kept on resize. */
function useStageScale(): number {
  const fit = () => Math.min(window.innerWidth / STAGE.width, window.innerHeight / STAGE.height);
  const [scale, setScale] = useState(fit);
  useLayoutEffect(() => {
    const on = () => setScale(fit());
    on();
    window.addEventListener('resize', on);
    return () => window.removeEventListener('resize', on);
  }, []);
  return scale;
}

function WallPanel({ title, testId, children }: { title: string; testId: string; children: React.ReactNode }) {
  const id = `wall-${testId}`;
  return (
    <section className="wall-panel" aria-labelledby={id} data-testid={testId}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export function RankList({ rows, limit, onPick }: { rows: KpiTable['rows']; limit: number; onPick?(name: string): void }) {
  const { t } = useI18n();
  if (rows.length === 0) return <p className="wall-note">{t('no_data')}</p>;
  return (
    <ol className="wall-rank">
      {rows.slice(0, limit).map((r) => (
        <li key={r.key ?? r.name}>
          <span className="no">{r.rank}</span>
          {onPick ? <button type="button" className="name link" onClick={() => onPick(r.name)}>{r.name}</button> : <span className="name">{r.name}</span>}
          <span className="bar" aria-hidden="true"><span style={{ width: `${Math.round((r.rates.composite ?? 0) * 100)}%` }} /></span>
          <strong>{r.rates.composite === null ? '—' : (r.rates.composite * 100).toFixed(1)}</strong>
          <span className="n">{r.counts.visited}</span>
        </li>
      ))}
    </ol>
  );
}

export function Trend({ trend }: { trend: KpiTrend | undefined }) {
  const { t } = useI18n();
  const series = useMemo(() => trendWithData(trend?.series ?? []), [trend]);
  const option = useMemo<ChartOption>(() => ({
    color: ['#4fc3f7', '#81c784', '#ffb74d', '#ce93d8'],
    textStyle: { color: '#dce8f0', fontSize: 13 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`) },
    legend: { top: 0, textStyle: { color: '#dce8f0' } },
    grid: { left: 44, right: 10, top: 30, bottom: 24 },
    xAxis: { type: 'category', data: series.map((s) => s.periodLabel), axisLabel: { color: '#b8cad8' } },
    yAxis: { type: 'value', min: 0, max: 1, axisLabel: { color: '#b8cad8', formatter: (v: number) => `${Math.round(v * 100)}%` }, splitLine: { lineStyle: { color: '#1d4560' } } },
    series: (['responseRate', 'solutionRate', 'satisfactionRate', 'composite'] as const).map((k, i) => ({
      type: 'line', name: t(['rate_response', 'rate_solve', 'rate_satisfy', 'rate_composite'][i]), symbolSize: 5, data: series.map((s) => s.rates[k]),
    })),
  }), [series, t]);
  if (series.length === 0) return <p className="wall-note">{t('trend_no_data')}</p>;
  return <EChart label={t('trend')} option={option} height={170} />;
}

/** Hot issues with the heat index and what makes it: each weighted term as a part of one bar. */
export function HotList({ issues }: { issues: HotIssue[] }) {
  const { t } = useI18n();
  if (issues.length === 0) return <p className="wall-note">{t('no_data')}</p>;
  const parts = ['volume', 'citizens', 'likes', 'growth', 'recency'] as const;
  return (
    <>
      <ol className="wall-hot">
        {issues.map((h) => {
          const sum = parts.reduce((n, p) => n + h.factors[p], 0) || 1;
          return (
            <li key={h.id}>
              <span className="title">{h.title}{h.place ? ` · ${h.place}` : ''}</span>
              <span className="heat" title={parts.map((p) => `${t(`heat_${p}`)} ${h.factors[p].toFixed(2)}`).join(' + ')}>
                {h.memberIds.length} {t('alert_count')} · {h.heat.toFixed(1)}
              </span>
              <span className="heat-bar" aria-label={parts.map((p) => `${t(`heat_${p}`)} ${h.factors[p].toFixed(2)}`).join('，')}>
                {parts.filter((p) => h.factors[p] > 0).map((p) => (
                  <span key={p} className={`part ${p}`} style={{ width: `${(h.factors[p] / sum) * 100}%` }}>{h.factors[p] / sum > 0.16 ? t(`heat_${p}`) : ''}</span>
                ))}
              </span>
            </li>
          );
        })}
      </ol>
      <p className="wall-note">{t('heat_explain')}</p>
    </>
  );
}

/** 未诉先办: the bursts intel finds (count today against the issue's own baseline), or why there are none. */
export function Emerging({ alerts }: { alerts: EmergingAlert[] | null }) {
  const { t } = useI18n();
  if (alerts === null) return <p className="wall-note">{t('loading')}</p>;
  if (alerts.length === 0) return <p className="wall-note" data-testid="emerging-none">{t('emerging_none')}</p>;
  return (
    <ul className="wall-alerts">
      {alerts.slice(0, 3).map((a) => (
        <li key={a.issueId}>
          <span className="title">⚠ {a.title}{a.place ? ` · ${a.place}` : ''}</span>
          <span>{a.count} {t('alert_count')} · {t('emerging_baseline')} {a.baselineRate.toFixed(1)}{t('emerging_per_day')}</span>
        </li>
      ))}
    </ul>
  );
}

export function LiveList({ live }: { live: LiveType[] }) {
  const { t } = useI18n();
  if (live.length === 0) return <p className="wall-note">{t('no_data')}</p>;
  const label = (key: string, fallback: string) => (t(key) === key ? fallback : t(key));
  return (
    <ul className="wall-live">
      {live.map((x) => (
        <li key={x.type} data-type={x.name}>
          <span className="name">{label(`iot_${x.name}`, x.name)}</span>
          <strong className="count">{x.count.toLocaleString()}</strong>
          <span className="values">
            {x.values.filter((v) => t(`attr_${v.attr}`) !== `attr_${v.attr}`).slice(0, 2).map((v) => `${t(`attr_${v.attr}`)} ${formatLive(v)}`).join(' · ')}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** A district's figures on the wall itself: counts, its rates, its hot issues. Read-only; closes with Esc. */
export function DrillDown({ name, density, districts, hot, onClose }: {
  name: string; density: MapDistrict[]; districts: KpiTable | undefined; hot: HotIssue[]; onClose(): void;
}) {
  const { t } = useI18n();
  const counts = density.find((d) => d.name === name);
  const row = districts?.rows.find((r) => r.name === name);
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    ref.current?.focus();
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape') { e.stopPropagation(); onClose(); } };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onClose]);
  const here = hot.filter((h) => (h.place ?? '').includes(name) || h.title.includes(name)).slice(0, 3);
  return (
    <section className="wall-drill" role="dialog" aria-modal="false" aria-labelledby="drill-title" data-testid="drill">
      <h2 id="drill-title">{name} · {t('drill_title')}</h2>
      <dl>
        <dt>{t('map_tickets')}</dt><dd>{counts?.tickets ?? 0}</dd>
        <dt>{t('map_overdue')}</dt><dd className="alert">{counts?.overdue ?? 0}</dd>
        <dt>{t('rate_composite')}</dt><dd>{row?.rates.composite == null ? '—' : (row.rates.composite * 100).toFixed(1)}</dd>
        <dt>{t('rate_solve')}</dt><dd>{pct(row?.rates.solutionRate ?? null)}</dd>
        <dt>{t('rate_satisfy')}</dt><dd>{pct(row?.rates.satisfactionRate ?? null)}</dd>
        <dt>{t('visited_count')}</dt><dd>{row?.counts.visited ?? 0}</dd>
      </dl>
      {here.length > 0 && (<><h3>{t('drill_hot')}</h3><ul>{here.map((h) => <li key={h.id}>{h.title}</li>)}</ul></>)}
      <button type="button" ref={ref} onClick={onClose}>{t('drill_close')}</button>
    </section>
  );
}

/** The foot of the wall: alerts, overdue districts and the hottest issues, running right to left. */
function Ticker({ alerts, hot, density }: { alerts: EmergingAlert[]; hot: HotIssue[]; density: MapDistrict[] }) {
  const { t } = useI18n();
  const items = [
    ...alerts.map((a) => `⚠ ${t('emerging')}：${a.title}${a.place ? `（${a.place}）` : ''} ${a.count}${t('alert_count')}`),
    ...density.filter((d) => d.overdue > 0).sort((a, b) => b.overdue - a.overdue).map((d) => `${d.name} ${t('map_overdue')} ${d.overdue}`),
    ...hot.slice(0, 3).map((h) => `${t('hot_issues')}：${h.title}`),
  ];
  return (
    <footer className="wall-ticker" aria-label={t('wall_ticker')} data-testid="ticker">
      <strong>{t('wall_ticker')}</strong>
      <div className="track"><div className="run">{(items.length ? items : [t('wall_no_alerts')]).map((x, i) => <span key={i}>{x}</span>)}</div></div>
    </footer>
  );
}

export type { DistrictCounts };

const pointOf = (e: LiveType['entities'][number]): [number, number] | null => {
  const loc = e.location as { value?: { type?: string; coordinates?: number[] }; type?: string; coordinates?: number[] } | undefined;
  const geo = loc?.value ?? loc;
  return geo?.type === 'Point' && Array.isArray(geo.coordinates) && geo.coordinates.length >= 2 ? [geo.coordinates[0], geo.coordinates[1]] : null;
};

/** Live points per type on the wall's map: a sample of each type, enough to show where they are. */
const POINTS_PER_TYPE = 30;
/** Of those, how many carry their live value as a label (more would cover the map). */
const VALUES_PER_TYPE = 4;

/**
 * The wall's geographic map (ui/map: the configured base layer or the offline demo city): districts filled by their
 * tickets (a click opens the district's detail), the tickets' heat and the overdue open ones (GET
 * /api/hotline/ticket-points), live IoT entities per type with their current value, a legend; a screen-reader
 * table of the counts beside it.
 */
function WallMap({ density, places, live, onPick }: {
  density: MapDistrict[]; places: TicketPoints['points']; live: LiveType[]; onPick(name: string): void;
}) {
  const { t } = useI18n();
  const colors = ['#ff8a3d', '#8ff0c0', '#ce93d8', '#ffd180', '#80d8ff'];
  const layers = useMemo<MapLayer[]>(() => [
    { id: 'districts', kind: 'districts', label: t('map_tickets'), values: Object.fromEntries(density.map((d) => [d.name, d.tickets])), onClick: onPick },
    { id: 'heat', kind: 'heat', label: t('map_heat'), points: places.map(({ lon, lat }) => ({ lon, lat })) },
    {
      id: 'overdue', kind: 'points', label: t('map_overdue_open'), color: '#ff5252',
      points: places.filter((p) => p.open && p.overdue).map((p, i) => ({ id: `overdue-${i}`, lon: p.lon, lat: p.lat })),
    },
    ...live.map((x, i): MapLayer => ({
      id: `iot-${x.name}`, kind: 'entities', color: colors[i % colors.length],
      label: t(`iot_${x.name}`) === `iot_${x.name}` ? x.name : t(`iot_${x.name}`),
      points: x.entities.slice(0, POINTS_PER_TYPE).flatMap((e, k) => {
        const at = pointOf(e);
        // a few live values per type written on the map (the legend's colour names the type); the rest are dots
        const value = k < VALUES_PER_TYPE ? liveValues([e])[0] : undefined;
        return at ? [{ id: String(e.id), lon: at[0], lat: at[1], label: `${shortType(String(e.type ?? ''))} ${String(e.id)}`, value: value ? formatLive(value) : undefined }] : [];
      }),
    })),
  ], [density, places, live, t, onPick]);
  return (
    <>
      <CityMap label={t('map_title')} height={700} theme="dark" legend layers={layers} />
      <table className="sr-only" data-testid="district-counts">
        <caption>{t('map_title')}</caption>
        <thead><tr><th scope="col">{t('t_district')}</th><th scope="col">{t('map_tickets')}</th><th scope="col">{t('map_overdue')}</th></tr></thead>
        <tbody>{density.map((d) => <tr key={d.name}><th scope="row">{d.name}</th><td>{d.tickets}</td><td>{d.overdue}</td></tr>)}</tbody>
      </table>
    </>
  );
}
