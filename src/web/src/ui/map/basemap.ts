import L from 'leaflet';
import type { Lang } from '../../i18n.js';
import type { LonLat } from './coords.js';

/**
 * The offline basemap of the demo city (src/web/src/geo/demo-city-basemap.json, generated with the demo by
 * src/web/scripts/generate-demo-city-geo.ts): land, water, parks, district and street (街道) boundaries, roads and
 * landmarks drawn as vectors, with labels that appear as one zooms in. No tile server, no network.
 */

export interface BasemapFeature {
  type: 'Feature';
  properties: { kind: string; name?: string; name_en?: string; rank?: string; icon?: string; cp?: LonLat; district?: string };
  geometry: { type: 'Polygon'; coordinates: LonLat[][] } | { type: 'LineString'; coordinates: LonLat[] } | { type: 'Point'; coordinates: LonLat };
}

export interface Basemap {
  bbox: [number, number, number, number];
  features: BasemapFeature[];
}

let basemap: Promise<Basemap> | null = null;

/** The basemap file, loaded once (its own chunk: only pages with a map fetch it). */
export const loadBasemap = (): Promise<Basemap> =>
  (basemap ??= import('../../geo/demo-city-basemap.json').then((m) => m.default as unknown as Basemap));

const palettes = {
  light: { land: '#f4f1ea', water: '#a9d3e9', park: '#cfe8c4', district: '#8a6f9e', street: '#b9aec4', casing: '#c9c2b4', major: '#fbd58e', minor: '#ffffff' },
  dark: { land: '#16202c', water: '#1d3b56', park: '#1c3326', district: '#7f93ad', street: '#34465c', casing: '#0d141c', major: '#52606f', minor: '#34414f' },
};

const ll = (toMap: (p: LonLat) => LonLat, p: LonLat): L.LatLngTuple => {
  const [lon, lat] = toMap(p);
  return [lat, lon];
};

/** A text label on the map (a non-interactive marker); `cls` decides from which zoom it shows (city-map.css). */
const label = (at: L.LatLngTuple, text: string, cls: string) =>
  L.marker(at, { interactive: false, keyboard: false, icon: L.divIcon({ className: `map-label ${cls}`, html: '', iconSize: undefined }) })
    .on('add', (e) => { const el = (e.target as L.Marker).getElement(); if (el) el.textContent = text; });

/**
 * Draws the basemap into a pane below the data layers.
 *
 * @example addOfflineBasemap(map, await loadBasemap(), 'zh', 'light', (p) => p)
 */
export function addOfflineBasemap(map: L.Map, data: Basemap, lang: Lang, theme: 'light' | 'dark', toMap: (p: LonLat) => LonLat): L.LayerGroup {
  const c = palettes[theme];
  const group = L.layerGroup();
  const name = (f: BasemapFeature) => (lang === 'en' ? f.properties.name_en ?? f.properties.name : f.properties.name) ?? '';
  const polygon = (f: BasemapFeature) => (f.geometry.coordinates as LonLat[][]).map((ring) => ring.map((p) => ll(toMap, p)));
  const opts = { interactive: false, pane: 'basemap' } as const;
  const byKind = (kind: string) => data.features.filter((f) => f.properties.kind === kind);
  for (const f of byKind('land')) L.polygon(polygon(f), { ...opts, stroke: false, fillColor: c.land, fillOpacity: 1 }).addTo(group);
  for (const f of byKind('park')) L.polygon(polygon(f), { ...opts, stroke: false, fillColor: c.park, fillOpacity: 1 }).addTo(group);
  for (const f of byKind('water')) L.polygon(polygon(f), { ...opts, stroke: false, fillColor: c.water, fillOpacity: 1 }).addTo(group);
  for (const f of byKind('street')) L.polygon(polygon(f), { ...opts, color: c.street, weight: 1, dashArray: '2 4', fill: false }).addTo(group);
  for (const f of byKind('district')) L.polygon(polygon(f), { ...opts, color: c.district, weight: 2, dashArray: '8 5', fill: false }).addTo(group);
  for (const f of byKind('road')) {
    const line = (f.geometry.coordinates as LonLat[]).map((p) => ll(toMap, p));
    const major = f.properties.rank === 'major';
    L.polyline(line, { ...opts, color: c.casing, weight: major ? 8 : 5 }).addTo(group);
    L.polyline(line, { ...opts, color: major ? c.major : c.minor, weight: major ? 5.5 : 3 }).addTo(group);
    label(line[Math.floor(line.length * 0.3)], name(f), 'map-label-road').addTo(group);
  }
  for (const f of byKind('water').concat(byKind('park'))) {
    const ring = (f.geometry.coordinates as LonLat[][])[0];
    const mid = ring.reduce((s, p) => [s[0] + p[0] / ring.length, s[1] + p[1] / ring.length], [0, 0]) as LonLat;
    label(ll(toMap, f.properties.kind === 'water' && ring.length > 40 ? ring[8] : mid), name(f), `map-label-${f.properties.kind}`).addTo(group);
  }
  for (const f of byKind('street')) label(ll(toMap, f.properties.cp!), name(f), 'map-label-street').addTo(group);
  for (const f of byKind('district')) label(ll(toMap, f.properties.cp!), name(f), 'map-label-district').addTo(group);
  for (const f of byKind('landmark')) {
    const at = ll(toMap, f.geometry.coordinates as LonLat);
    L.circleMarker(at, { ...opts, radius: 4, color: theme === 'dark' ? '#cfd8e3' : '#5d4037', weight: 2, fillColor: '#fff', fillOpacity: 1 }).addTo(group);
    label(at, name(f), 'map-label-landmark').addTo(group);
  }
  return group.addTo(map);
}

/** The district polygons of the basemap by name (for choropleth layers). */
export const districtShapes = (data: Basemap) =>
  data.features.filter((f) => f.properties.kind === 'district').map((f) => ({ name: f.properties.name ?? '', nameEn: f.properties.name_en ?? '', rings: f.geometry.coordinates as LonLat[][] }));
