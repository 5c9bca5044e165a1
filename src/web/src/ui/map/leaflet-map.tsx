import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import './city-map.css';
import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../../i18n.js';
import type { CityMapProps, MapLayer } from './city-map.js';
import { datum, type CoordinateSystem, type LonLat } from './coords.js';
import { addOfflineBasemap, districtShapes, loadBasemap, type Basemap } from './basemap.js';
import { loadMapSettings, type MapSettings } from './map-settings.js';
import { useMapText } from './map-text.js';

/** Text for a tooltip as an element: Leaflet sets a string as innerHTML, an element's text is never markup. */
const textElement = (text: string): HTMLElement => {
  const span = document.createElement('span');
  span.textContent = text;
  return span;
};

/** Pale yellow → deep red for 0–1. */
const heatColour = (x: number) => `hsl(${Math.round(50 - 50 * x)}, 90%, ${Math.round(62 - 22 * x)}%)`;
const heatSteps = [0, 0.25, 0.5, 0.75, 1];

interface Ready {
  map: L.Map;
  settings: MapSettings;
  basemap: Basemap | null;
  toMap(p: LonLat): LonLat;
  fromMap(p: LonLat): LonLat;
}

/** Draws one data layer into a group (coordinates converted to the tiles' datum). */
function drawLayer(layer: MapLayer, r: Ready, theme: 'light' | 'dark', lang: string): L.LayerGroup {
  const group = L.layerGroup();
  const at = (lon: number, lat: number): L.LatLngTuple => {
    const [x, y] = r.toMap([lon, lat]);
    return [y, x];
  };
  switch (layer.kind) {
    case 'points':
    case 'entities':
      for (const p of layer.points) {
        const marker = L.circleMarker(at(p.lon, p.lat), {
          radius: layer.kind === 'entities' ? 5 : 6, color: theme === 'dark' ? '#0b1118' : '#ffffff', weight: 1.5,
          fillColor: p.color ?? layer.color, fillOpacity: 0.9,
        });
        const text = [p.label, p.value].filter(Boolean).join(' · ');
        if (layer.kind === 'entities' && p.value) {
          marker.bindTooltip(textElement(p.value), { permanent: true, direction: 'right', className: 'map-value', offset: [6, 0] });
        } else if (text) marker.bindTooltip(textElement(text), { direction: 'top' });
        if (p.onClick) marker.on('click', () => p.onClick!());
        marker.addTo(group);
      }
      break;
    case 'heat': {
      const cell = layer.cellDegrees ?? 0.01;
      const cells = new Map<string, { i: number; j: number; w: number }>();
      for (const p of layer.points) {
        const i = Math.floor(p.lon / cell);
        const j = Math.floor(p.lat / cell);
        const key = `${i}:${j}`;
        const c = cells.get(key) ?? { i, j, w: 0 };
        c.w += p.weight ?? 1;
        cells.set(key, c);
      }
      const max = Math.max(1, ...[...cells.values()].map((c) => c.w));
      for (const c of cells.values()) {
        const x = c.w / max;
        L.rectangle([at(c.i * cell, c.j * cell), at((c.i + 1) * cell, (c.j + 1) * cell)], {
          stroke: false, fillColor: heatColour(x), fillOpacity: 0.35 + 0.4 * x, interactive: true,
        }).bindTooltip(textElement(`${layer.label} ${Math.round(c.w)}`)).addTo(group);
      }
      break;
    }
    case 'districts': {
      const shapes = r.basemap ? districtShapes(r.basemap) : [];
      const max = Math.max(1, ...Object.values(layer.values));
      for (const s of shapes) {
        const v = layer.values[s.name] ?? 0;
        const poly = L.polygon(s.rings.map((ring) => ring.map(([lon, lat]) => at(lon, lat))), {
          color: theme === 'dark' ? '#7f93ad' : '#5c6b7a', weight: 1, fillColor: heatColour(v / max), fillOpacity: 0.45,
        }).bindTooltip(textElement(`${lang === 'en' ? s.nameEn : s.name} ${v}`), { sticky: true });
        if (layer.onClick) poly.on('click', () => layer.onClick!(s.name));
        poly.addTo(group);
      }
      break;
    }
  }
  return group;
}

/** The Leaflet implementation of CityMap (loaded lazily by city-map.tsx). */
export default function LeafletMap(props: CityMapProps) {
  const { lang } = useI18n();
  const t = useMapText();
  const theme = props.theme ?? 'light';
  const box = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState<Ready | null>(null);
  const [hidden, setHidden] = useState<Set<string>>(() => new Set((props.layers ?? []).filter((l) => l.hidden).map((l) => l.id)));
  const [locating, setLocating] = useState<'idle' | 'busy' | 'failed'>('idle');
  const onPinMove = useRef(props.onPinMove);
  onPinMove.current = props.onPinMove;

  // the map itself: once per mount (and per language/theme, which restyle the basemap's labels)
  useEffect(() => {
    let map: L.Map | null = null;
    let cancelled = false;
    (async () => {
      const settings = await loadMapSettings();
      const offline = settings.base !== 'xyz' || !settings.tileUrl;
      const basemap = offline || props.layers?.some((l) => l.kind === 'districts') ? await loadBasemap() : null;
      if (cancelled || !box.current) return;
      const { toMap, fromMap } = datum(offline ? 'wgs84' : (settings.coordinateSystem as CoordinateSystem));
      const [cx, cy] = toMap((props.center ?? settings.center) as LonLat);
      map = L.map(box.current, {
        center: [cy, cx], zoom: props.zoom ?? settings.zoom, minZoom: settings.minZoom, maxZoom: settings.maxZoom,
        preferCanvas: true, attributionControl: !offline, zoomSnap: 0.5,
      });
      map.createPane('basemap').style.zIndex = '250';
      if (offline && basemap) {
        addOfflineBasemap(map, basemap, lang, theme, toMap);
        const [w, s, e, n] = basemap.bbox;
        map.setMaxBounds(L.latLngBounds([s - 0.1, w - 0.1], [n + 0.1, e + 0.1]));
      } else {
        const tileOptions = { minZoom: settings.minZoom, maxZoom: settings.maxZoom, attribution: settings.attribution, ...(settings.subdomains ? { subdomains: settings.subdomains.split('') } : {}) };
        L.tileLayer(settings.tileUrl, tileOptions).addTo(map);
        if (settings.labelUrl) L.tileLayer(settings.labelUrl, tileOptions).addTo(map);
      }
      const zoomClasses = () => {
        const z = map!.getZoom();
        for (const step of [12, 13, 14]) box.current?.classList.toggle(`zoom-ge-${step}`, z >= step);
      };
      map.on('zoomend', zoomClasses);
      zoomClasses();
      map.on('click', (e: L.LeafletMouseEvent) => {
        if (!onPinMove.current) return;
        const [lon, lat] = fromMap([e.latlng.lng, e.latlng.lat]);
        onPinMove.current(round(lon), round(lat));
      });
      setReady({ map, settings, basemap, toMap, fromMap });
    })();
    return () => {
      cancelled = true;
      map?.remove();
      setReady(null);
    };
  }, [lang, theme]); // eslint-disable-line react-hooks/exhaustive-deps

  // data layers
  useEffect(() => {
    if (!ready) return;
    const groups = (props.layers ?? []).filter((l) => !hidden.has(l.id)).map((l) => drawLayer(l, ready, theme, lang).addTo(ready.map));
    return () => { for (const g of groups) g.remove(); };
  }, [ready, props.layers, hidden]); // eslint-disable-line react-hooks/exhaustive-deps

  // the pin
  const pinMarker = useRef<L.Marker | null>(null);
  useEffect(() => {
    if (!ready || !props.pin) return;
    const [x, y] = ready.toMap([props.pin.lon, props.pin.lat]);
    const icon = L.divIcon({ className: 'map-pin', iconSize: [28, 34], iconAnchor: [14, 31] });
    const marker = L.marker([y, x], { icon, draggable: !!props.onPinMove, title: t('pin'), alt: t('pin'), keyboard: true, autoPan: true }).addTo(ready.map);
    marker.on('dragend', () => {
      const p = marker.getLatLng();
      const [lon, lat] = ready.fromMap([p.lng, p.lat]);
      onPinMove.current?.(round(lon), round(lat));
    });
    pinMarker.current = marker;
    return () => { marker.remove(); pinMarker.current = null; };
  }, [ready, props.pin?.lon, props.pin?.lat]); // eslint-disable-line react-hooks/exhaustive-deps

  const locate = () => {
    if (!ready || !('geolocation' in navigator)) { setLocating('failed'); return; }
    setLocating('busy');
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const lon = round(pos.coords.longitude);
        const lat = round(pos.coords.latitude);
        const [x, y] = ready.toMap([lon, lat]);
        // no animation: a pin added while the zoom animates would be placed against the old view
        ready.map.setView([y, x], Math.max(ready.map.getZoom(), 14), { animate: false });
        onPinMove.current?.(lon, lat);
        setLocating('idle');
      },
      () => setLocating('failed'),
      { enableHighAccuracy: true, timeout: 10_000, maximumAge: 60_000 },
    );
  };

  const toggle = (id: string) => setHidden((h) => {
    const next = new Set(h);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  });

  return (
    <div className={`city-map city-map-${theme} ${props.className ?? ''}`}>
      <div ref={box} className="city-map-canvas" style={{ height: props.height ?? 320 }} role="region" aria-label={props.label} data-testid="city-map" />
      {props.locate && (
        <button type="button" className="map-locate" onClick={locate} disabled={locating === 'busy'} data-testid="locate-me">
          <span aria-hidden="true">◎</span> {locating === 'busy' ? t('locating') : t('locate_me')}
        </button>
      )}
      {locating === 'failed' && <p className="hint map-locate-failed" role="status">{t('locate_failed')}</p>}
      {props.legend && (props.layers ?? []).length > 0 && (
        <fieldset className="map-legend" data-testid="map-legend">
          <legend>{t('legend')}</legend>
          {(props.layers ?? []).map((l) => (
            <label key={l.id}>
              <input type="checkbox" checked={!hidden.has(l.id)} onChange={() => toggle(l.id)} />
              {l.kind === 'heat' || l.kind === 'districts' ? (
                <span className="swatch-ramp" aria-hidden="true">{heatSteps.map((s) => <i key={s} style={{ background: heatColour(s) }} />)}</span>
              ) : <span className="swatch" aria-hidden="true" style={{ background: l.color }} />}
              {l.label}
              {(l.kind === 'points' || l.kind === 'entities') && <span className="muted"> ({l.points.length})</span>}
            </label>
          ))}
        </fieldset>
      )}
      {ready && ready.settings.base !== 'xyz' && <span className="map-note" aria-hidden="true">{t('offline_note')}</span>}
    </div>
  );
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
