import type { Db } from '../platform/db/database.js';
import type { Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import * as reference from './reference-store.js';
import type { AreaRow } from './reference-store.js';
import type { Located } from './citizen-schemas.js';

type Centred = AreaRow & { center_lon: number; center_lat: number };
const hasCentre = (a: AreaRow): a is Centred => a.center_lon !== null && a.center_lat !== null;

/** Squared distance on a plane scaled by cos(latitude): within a city that orders areas as the sphere does. */
const nearest = <T extends Centred>(areas: T[], lon: number, lat: number): T | null => {
  const k = Math.cos((lat * Math.PI) / 180);
  let best: T | null = null;
  let bestD = Infinity;
  for (const a of areas) {
    const d = ((a.center_lon - lon) * k) ** 2 + (a.center_lat - lat) ** 2;
    if (d < bestD) { bestD = d; best = a; }
  }
  return best;
};

/**
 * Where a pin is, from the area tree (issue 17): the district whose centre is nearest, then the nearest street
 * (街道) of that district. The area tree holds centres, not boundaries, so the regions are the Voronoi cells of
 * the centres; the demo city's offline basemap draws exactly those cells (src/web/scripts/generate-demo-city-geo.ts),
 * and a city that loads its own area tree sees its areas' nearest centres.
 */
export class LocateService {
  constructor(private readonly db: Db) {}

  /** @example await hotline.locate.locate(citizen, 112.91, 28.15) // { district: '临江区', street: '东港街道', … } */
  async locate(actor: Actor, lon: number, lat: number): Promise<Located> {
    assertCan(actor, 'hotline.reference.read');
    const areas = (await reference.listAreas(this.db)).filter(hasCentre);
    const district = nearest(areas.filter((a) => a.level === 'district'), lon, lat);
    const street = nearest(areas.filter((a) => a.level === 'street' && (!district || a.parent_id === district.id)), lon, lat);
    const names = [district?.name, street?.name].filter(Boolean).join('');
    return {
      lon, lat,
      districtId: district?.id ?? null, district: district?.name ?? null,
      streetId: street?.id ?? null, street: street?.name ?? null,
      areaId: street?.id ?? district?.id ?? null,
      address: names ? `${names}附近` : '',
    };
  }
}
