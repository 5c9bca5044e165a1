import { lazy, Suspense } from 'react';
import { useMapText } from './map-text.js';

/**
 * The city map every face uses (issue 17): Leaflet over the configured base layer (a city's XYZ/WMTS tiles, 天地图,
 * an OSM-compatible server; GCJ-02 tiles shifted for WGS 84 data) or, with no network, the demo city's offline
 * basemap; zoom, "locate me", a draggable pin, layers with a legend. Leaflet (≈40 KB gzip) loads with the first
 * map shown, never with the page.
 *
 * @example
 * <CityMap label="诉求分布" height={420} legend layers={[
 *   { id: 'tickets', kind: 'points', label: '诉求', color: '#1565c0', points: tickets.map((t) => ({ id: t.id, lon: t.lon, lat: t.lat, label: t.title })) },
 *   { id: 'heat', kind: 'heat', label: '热力', points },
 *   { id: 'iot', kind: 'entities', label: '空气质量', color: '#2e7d32', points: sensors.map((s) => ({ id: s.id, lon, lat, value: `PM2.5 ${s.pm25}` })) },
 * ]} />
 */

/** One thing on the map; coordinates are WGS 84. */
export interface MapPoint {
  id: string;
  lon: number;
  lat: number;
  /** shown on hover/focus (plain text; never HTML) */
  label?: string;
  /** a live value drawn next to the point (entities layers) */
  value?: string;
  /** overrides the layer's colour */
  color?: string;
  onClick?(): void;
}

export type MapLayer =
  /** markers of one colour (tickets, overdue tickets) */
  | { id: string; kind: 'points'; label: string; color: string; points: MapPoint[]; hidden?: boolean }
  /** counts per grid cell, from pale to deep red */
  | { id: string; kind: 'heat'; label: string; points: { lon: number; lat: number; weight?: number }[]; cellDegrees?: number; hidden?: boolean }
  /** IoT entities: markers with their live value as a label */
  | { id: string; kind: 'entities'; label: string; color: string; points: MapPoint[]; hidden?: boolean }
  /** districts of the offline basemap filled by a value (a choropleth); `values` by district name */
  | { id: string; kind: 'districts'; label: string; values: Record<string, number>; hidden?: boolean; onClick?(name: string): void };

export interface CityMapProps {
  /** the map's accessible name */
  label: string;
  /** CSS height (number = px); the width is the container's */
  height?: number | string;
  layers?: MapLayer[];
  /** a legend listing the layers, each with a switch */
  legend?: boolean;
  /** the draggable pin (WGS 84); with `onPinMove`, a tap on the map moves it too */
  pin?: { lon: number; lat: number } | null;
  onPinMove?(lon: number, lat: number): void;
  /** a "locate me" button; the found position moves the pin (when there is one) and the view */
  locate?: boolean;
  /** `dark` for the wall display */
  theme?: 'light' | 'dark';
  /** start view; default: the configured city centre and zoom */
  center?: [number, number];
  zoom?: number;
  className?: string;
}

const LeafletMap = lazy(() => import('./leaflet-map.js'));

/** The map, loaded on first use; a plain box of the same size while Leaflet arrives. */
export function CityMap(props: CityMapProps) {
  const t = useMapText();
  const height = props.height ?? 320;
  return (
    <Suspense fallback={<div className="city-map-wait" style={{ height }} role="status">{t('map')}…</div>}>
      <LeafletMap {...props} />
    </Suspense>
  );
}
