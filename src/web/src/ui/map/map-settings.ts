import { api } from '../../api.js';
import type { MapSettings } from '../../../../hotline/citizen-schemas.js';

export type { MapSettings };

/** The offline demo basemap: what a server without the map route, or an unreachable one, gets. */
export const offlineSettings: MapSettings = {
  base: 'offline', tileUrl: '', labelUrl: '', subdomains: '', attribution: '', coordinateSystem: 'wgs84',
  minZoom: 10, maxZoom: 18, center: [112.92, 28.2], zoom: 11,
};

let settings: Promise<MapSettings> | null = null;

/** The base map of this server (`GET /api/hotline/map`, modules.hotline.map), fetched once per page. */
export const loadMapSettings = (): Promise<MapSettings> =>
  (settings ??= api<MapSettings>('GET', '/api/hotline/map').catch(() => offlineSettings));
