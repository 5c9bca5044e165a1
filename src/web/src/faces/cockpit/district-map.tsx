import { useMemo } from 'react';
import type { NgsiEntity } from '../../context-api.js';
import type { DistrictCounts } from '../../hotline-api.js';
import { useI18n } from '../../i18n.js';
import { DEMO_CITY_MAP, EChart, demoCityGeo, type ChartOption } from '../../ui/echart.js';
import { html } from '../../ui/html.js';
import { shortType } from './cockpit-data.js';

/** A district of the map with its counts; `areaId` null for a district of the map the server does not know. */
export type MapDistrict = Pick<DistrictCounts['districts'][number], 'name' | 'tickets' | 'overdue'> & { areaId: string | null };

/**
 * Tickets and overdue tickets per district of the map (`GET /api/hotline/district-counts`, one call, the last 365
 * days); a district of the map the server does not know shows zeros.
 */
export async function loadDensity(load: () => Promise<DistrictCounts>): Promise<MapDistrict[]> {
  const counts = await load();
  return demoCityGeo.features.map((f) => {
    const d = counts.districts.find((x) => x.name === f.properties.name);
    return d ? { name: d.name, areaId: d.areaId, tickets: d.tickets, overdue: d.overdue } : { name: f.properties.name, areaId: null, tickets: 0, overdue: 0 };
  });
}

const layout = { aspectScale: 0.88, top: 10, bottom: 10 };

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

/**
 * The district map (the offline demo city's districts, ECharts): ticket density, overdue counts in the labels,
 * live entities as points with a legend. `onPick` gets a clicked district's name (the wall's read-only drill-down).
 */
export function DistrictMap({ data, live, height = 340, dark = false, hideTable = false, onPick }: {
  data: MapDistrict[]; live: NgsiEntity[]; height?: number; dark?: boolean; hideTable?: boolean; onPick?(name: string): void;
}) {
  const { t } = useI18n();
  const option = useMemo<ChartOption>(() => {
    const max = Math.max(1, ...data.map((d) => d.tickets));
    // the scale starts below the quietest district, so districts of similar load still read apart
    const min = Math.floor(Math.min(max, ...data.map((d) => d.tickets)) * 0.8);
    const points = live.map((e) => ({ e, at: pointOf(e) })).filter((p) => p.at !== null);
    const ink = dark ? '#dce8f0' : '#1a1f24';
    return {
      geo: { map: DEMO_CITY_MAP, show: false, roam: false, ...layout },
      legend: { show: points.length > 0, bottom: 6, right: 8, textStyle: { color: ink }, data: [t('live_city')] },
      tooltip: {
        trigger: 'item',
        // ECharts sets a formatter's string as innerHTML: every value goes through html`` (escaped).
        formatter: (p: { name: string; data?: { value: number; overdue: number } }) =>
          html`${p.name}<br/>${t('map_tickets')}: ${p.data?.value ?? 0}<br/>${t('map_overdue')}: ${p.data?.overdue ?? 0}`,
      },
      visualMap: {
        seriesIndex: 0,
        min, max, left: 8, bottom: 8, calculable: false, text: [String(max), String(min)],
        inRange: { color: dark ? ['#12405c', '#1f7fa8', '#5ec8f2'] : ['#e0f2f1', '#26a69a', '#00574b'] }, textStyle: { color: ink },
      },
      series: [
        {
          type: 'map', map: DEMO_CITY_MAP, roam: false, selectedMode: false, ...layout,
          label: {
            show: true, color: '#fff', textBorderColor: '#00222e', textBorderWidth: 3, fontSize: dark ? 16 : 12,
            formatter: (p: { name: string; data?: { value: number; overdue: number } }) =>
              `${p.name}\n${p.data?.value ?? 0}${p.data?.overdue ? ` / {o|${t('map_overdue')} ${p.data.overdue}}` : ''}`,
            rich: { o: { color: '#ffe082', textBorderColor: '#00222e', textBorderWidth: 3, fontWeight: 'bold', fontSize: dark ? 16 : 12 } },
          },
          itemStyle: { borderColor: dark ? '#0b1d2a' : '#fff', borderWidth: 1.5 },
          // a hovered district keeps a dark label on a light fill: readable
          emphasis: { label: { color: '#000', textBorderColor: '#fff', textBorderWidth: 2 }, itemStyle: { areaColor: '#ffd54f' } },
          data: data.map((d) => ({ name: d.name, value: d.tickets, overdue: d.overdue })),
        },
        {
          type: 'scatter', coordinateSystem: 'geo', name: t('live_city'), symbolSize: 4, z: 3, itemStyle: { color: dark ? '#ff8a3d' : '#e65100', opacity: dark ? 0.7 : 0.55 },
          // Entity ids and attribute values are anyone's text (MQTT publishers, NGSI-LD writers): escaped, never markup.
          tooltip: { formatter: (p: { data: { id: string; type: string; text: string } }) => html`${p.data.type} ${p.data.id}<br/>${p.data.text}` },
          data: points.map((p) => ({ value: p.at!, id: p.e.id, type: shortType(String(p.e.type ?? '')), text: summarise(p.e) })),
        },
      ],
    };
  }, [data, live, t, dark]);
  return (
    <>
      <EChart label={t('map_title')} option={option} height={height} onClick={(p) => { if (p.name && onPick) onPick(p.name); }} />
      <table className={`compact-table${hideTable ? ' sr-only' : ''}`} data-testid="district-counts">
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
