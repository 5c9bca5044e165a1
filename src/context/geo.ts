import { ngsiProblem } from './ngsi-errors.js';

/**
 * GeoJSON geometry checks and the NGSI-LD geo-relations (§4.10), in TypeScript: CityHub has no PostGIS, so the
 * database pre-filters on bounding boxes and these functions give the exact answer on the candidates. Distances
 * are great-circle metres; containment and intersection are planar in lon/lat, which is exact enough at city scale.
 */

export type Position = [number, number];
export type Geometry =
  | { type: 'Point'; coordinates: Position }
  | { type: 'MultiPoint'; coordinates: Position[] }
  | { type: 'LineString'; coordinates: Position[] }
  | { type: 'MultiLineString'; coordinates: Position[][] }
  | { type: 'Polygon'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] };

export interface BBox {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

const isPosition = (p: unknown): p is Position =>
  Array.isArray(p) && (p.length === 2 || p.length === 3) && p.every((n) => typeof n === 'number' && Number.isFinite(n)) &&
  (p[0] as number) >= -180 && (p[0] as number) <= 180 && (p[1] as number) >= -90 && (p[1] as number) <= 90;

const samePos = (a: Position, b: Position): boolean => a[0] === b[0] && a[1] === b[1];

/** Why a value is not a valid GeoJSON geometry, or undefined when it is. */
export function geometryError(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'a GeoJSON geometry must be an object';
  const { type, coordinates } = value as { type?: unknown; coordinates?: unknown };
  const positions = (c: unknown, min: number): string | undefined => {
    if (!Array.isArray(c) || c.length < min) return `needs at least ${min} positions`;
    const bad = c.findIndex((p) => !isPosition(p));
    return bad >= 0 ? `position ${bad} is not [longitude, latitude] within range` : undefined;
  };
  const ring = (c: unknown): string | undefined => {
    const e = positions(c, 4);
    if (e) return `ring ${e}`;
    const r = c as Position[];
    return samePos(r[0], r[r.length - 1]) ? undefined : 'ring is not closed (first and last positions differ)';
  };
  const polygon = (c: unknown): string | undefined => {
    if (!Array.isArray(c) || c.length === 0) return 'polygon needs at least one ring';
    for (const r of c) {
      const e = ring(r);
      if (e) return e;
    }
    return undefined;
  };
  const each = (c: unknown, f: (x: unknown) => string | undefined): string | undefined => {
    if (!Array.isArray(c) || c.length === 0) return 'needs at least one member';
    for (const x of c) {
      const e = f(x);
      if (e) return e;
    }
    return undefined;
  };
  let error: string | undefined;
  switch (type) {
    case 'Point': error = isPosition(coordinates) ? undefined : 'coordinates must be [longitude, latitude] within range'; break;
    case 'MultiPoint': error = positions(coordinates, 1); break;
    case 'LineString': error = positions(coordinates, 2); break;
    case 'MultiLineString': error = each(coordinates, (c) => positions(c, 2)); break;
    case 'Polygon': error = polygon(coordinates); break;
    case 'MultiPolygon': error = each(coordinates, polygon); break;
    default: return `"${String(type)}" is not a supported GeoJSON geometry type`;
  }
  return error ? `${String(type)}: ${error}` : undefined;
}

/** Validates a geometry, throwing BadRequestData naming what is wrong. */
export function assertGeometry(value: unknown, what: string): Geometry {
  const error = geometryError(value);
  if (error) throw ngsiProblem('BadRequestData', `${what} is not valid GeoJSON: ${error}`);
  return value as Geometry;
}

/** Every position, every segment and every polygon (rings) of a geometry. */
interface Parts {
  points: Position[];
  segments: [Position, Position][];
  polygons: Position[][][];
}

function parts(g: Geometry): Parts {
  const out: Parts = { points: [], segments: [], polygons: [] };
  const line = (ps: Position[]) => {
    out.points.push(...ps);
    for (let i = 1; i < ps.length; i++) out.segments.push([ps[i - 1], ps[i]]);
  };
  switch (g.type) {
    case 'Point': out.points.push(g.coordinates); break;
    case 'MultiPoint': out.points.push(...g.coordinates); break;
    case 'LineString': line(g.coordinates); break;
    case 'MultiLineString': g.coordinates.forEach(line); break;
    case 'Polygon': g.coordinates.forEach(line); out.polygons.push(g.coordinates); break;
    case 'MultiPolygon': for (const p of g.coordinates) { p.forEach(line); out.polygons.push(p); } break;
  }
  return out;
}

export function bbox(g: Geometry): BBox {
  const { points } = parts(g);
  const b = { minLon: Infinity, minLat: Infinity, maxLon: -Infinity, maxLat: -Infinity };
  for (const [lon, lat] of points) {
    if (lon < b.minLon) b.minLon = lon;
    if (lon > b.maxLon) b.maxLon = lon;
    if (lat < b.minLat) b.minLat = lat;
    if (lat > b.maxLat) b.maxLat = lat;
  }
  return b;
}

const EARTH_RADIUS = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;

/** Great-circle distance in metres. */
export function haversine(a: Position, b: Position): number {
  const dLat = rad(b[1] - a[1]);
  const dLon = rad(b[0] - a[0]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[1])) * Math.cos(rad(b[1])) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A bounding box around a point that holds every position within `metres` of it. */
export function bboxAround(p: Position, metres: number): BBox {
  const dLat = metres / 111_320 + 1e-9;
  const cos = Math.max(Math.cos(rad(p[1])), 1e-6);
  const dLon = Math.min(180, metres / (111_320 * cos) + 1e-9);
  return { minLon: p[0] - dLon, maxLon: p[0] + dLon, minLat: p[1] - dLat, maxLat: p[1] + dLat };
}

function pointInRing(p: Position, ring: Position[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

const orient = (a: Position, b: Position, c: Position) => (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
const onSegment = (p: Position, a: Position, b: Position): boolean =>
  Math.abs(orient(a, b, p)) < 1e-12 &&
  p[0] >= Math.min(a[0], b[0]) - 1e-12 && p[0] <= Math.max(a[0], b[0]) + 1e-12 &&
  p[1] >= Math.min(a[1], b[1]) - 1e-12 && p[1] <= Math.max(a[1], b[1]) + 1e-12;

function segmentsIntersect(a: Position, b: Position, c: Position, d: Position): boolean {
  const d1 = orient(c, d, a), d2 = orient(c, d, b), d3 = orient(a, b, c), d4 = orient(a, b, d);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  return onSegment(a, c, d) || onSegment(b, c, d) || onSegment(c, a, b) || onSegment(d, a, b);
}

/** Proper crossing only (touching does not count): used for "within", where the boundary is allowed. */
function segmentsCross(a: Position, b: Position, c: Position, d: Position): boolean {
  const d1 = orient(c, d, a), d2 = orient(c, d, b), d3 = orient(a, b, c), d4 = orient(a, b, d);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

function inPolygon(p: Position, poly: Position[][]): boolean {
  const [outer, ...holes] = poly;
  const onBoundary = poly.some((r) => r.some((_, i) => i > 0 && onSegment(p, r[i - 1], r[i])));
  if (onBoundary) return true;
  return pointInRing(p, outer) && !holes.some((h) => pointInRing(p, h));
}

export function intersects(a: Geometry, b: Geometry): boolean {
  const pa = parts(a), pb = parts(b);
  for (const p of pa.points) {
    if (pb.points.some((q) => samePos(p, q))) return true;
    if (pb.segments.some(([s, t]) => onSegment(p, s, t))) return true;
    if (pb.polygons.some((poly) => inPolygon(p, poly))) return true;
  }
  for (const p of pb.points) {
    if (pa.segments.some(([s, t]) => onSegment(p, s, t))) return true;
    if (pa.polygons.some((poly) => inPolygon(p, poly))) return true;
  }
  for (const [s, t] of pa.segments) if (pb.segments.some(([u, v]) => segmentsIntersect(s, t, u, v))) return true;
  return false;
}

/** a lies inside b (boundary included): b must have area. */
export function within(a: Geometry, b: Geometry): boolean {
  const pa = parts(a), pb = parts(b);
  if (pb.polygons.length === 0) return equals(a, b) || (pa.points.length > 0 && pa.points.every((p) => pb.segments.some(([s, t]) => onSegment(p, s, t)) || pb.points.some((q) => samePos(p, q))));
  if (!pa.points.every((p) => pb.polygons.some((poly) => inPolygon(p, poly)))) return false;
  return !pa.segments.some(([s, t]) => pb.segments.some(([u, v]) => segmentsCross(s, t, u, v)));
}

export const contains = (a: Geometry, b: Geometry): boolean => within(b, a);
export const disjoint = (a: Geometry, b: Geometry): boolean => !intersects(a, b);
export const equals = (a: Geometry, b: Geometry): boolean =>
  a.type === b.type && JSON.stringify(a.coordinates) === JSON.stringify(b.coordinates);

/** Metres from a point to the nearest part of a geometry (0 inside a polygon). */
export function distanceTo(p: Position, g: Geometry): number {
  const gp = parts(g);
  if (gp.polygons.some((poly) => inPolygon(p, poly))) return 0;
  let best = Infinity;
  for (const q of gp.points) best = Math.min(best, haversine(p, q));
  // Nearest point of each segment in a local equirectangular projection, then the true distance to it.
  const k = Math.cos(rad(p[1]));
  for (const [s, t] of gp.segments) {
    const sx = (s[0] - p[0]) * k, sy = s[1] - p[1], tx = (t[0] - p[0]) * k, ty = t[1] - p[1];
    const dx = tx - sx, dy = ty - sy;
    const len = dx * dx + dy * dy;
    const u = len === 0 ? 0 : Math.max(0, Math.min(1, -(sx * dx + sy * dy) / len));
    const near: Position = [s[0] + (t[0] - s[0]) * u, s[1] + (t[1] - s[1]) * u];
    best = Math.min(best, haversine(p, near));
  }
  return best;
}

/**
 * Metres between two geometries: 0 when they meet, else the least distance from a vertex of one to the other
 * (two shapes that do not meet are nearest at a vertex of one of them).
 */
export function distanceBetween(a: Geometry, b: Geometry): number {
  if (intersects(a, b)) return 0;
  let best = Infinity;
  for (const p of parts(a).points) best = Math.min(best, distanceTo(p, b));
  for (const p of parts(b).points) best = Math.min(best, distanceTo(p, a));
  return best;
}

/** A parsed `georel`: near;maxDistance==2000, within, intersects, contains, disjoint, equals, overlaps. */
export interface GeoQuery {
  relation: 'near' | 'within' | 'contains' | 'intersects' | 'disjoint' | 'equals' | 'overlaps';
  maxDistance?: number;
  minDistance?: number;
  geometry: Geometry;
  /** Expanded IRI of the GeoProperty queried; `location` by default. */
  geoproperty: string;
}

/** Parses georel + geometry + coordinates of a query string (§4.10, §6.4.3.2 geoQuery). */
export function parseGeoQuery(
  georel: string | undefined,
  geometry: string | undefined,
  coordinates: unknown,
  geoproperty: string,
): GeoQuery | undefined {
  if (georel === undefined && geometry === undefined && coordinates === undefined) return undefined;
  if (!georel || !geometry || coordinates === undefined) {
    throw ngsiProblem('BadRequestData', 'a geo-query needs georel, geometry and coordinates together');
  }
  let coords: unknown = coordinates;
  if (typeof coordinates === 'string') {
    try {
      coords = JSON.parse(coordinates);
    } catch {
      throw ngsiProblem('BadRequestData', `coordinates is not a JSON array: ${coordinates.slice(0, 80)}`);
    }
  }
  const geom = assertGeometry({ type: geometry, coordinates: coords }, 'the geo-query geometry');
  const [relation, ...mods] = georel.split(';');
  const q: GeoQuery = { relation: relation as GeoQuery['relation'], geometry: geom, geoproperty };
  if (!['near', 'within', 'contains', 'intersects', 'disjoint', 'equals', 'overlaps'].includes(relation)) {
    throw ngsiProblem('BadRequestData', `georel "${relation}" is not one of near, within, contains, intersects, disjoint, equals, overlaps`);
  }
  if (relation === 'near') {
    // §4.10 nearRel: exactly one distance, a PositiveNumber (not 0, no sign).
    if (mods.length !== 1) throw ngsiProblem('BadRequestData', 'georel near needs one modifier: maxDistance==<metres> or minDistance==<metres>');
    const mm = /^(maxDistance|minDistance)==(\d+(\.\d+)?)$/.exec(mods[0]);
    if (!mm || !(Number(mm[2]) > 0)) throw ngsiProblem('BadRequestData', `georel near modifier "${mods[0]}" must be maxDistance==<metres> or minDistance==<metres>, more than 0`);
    q[mm[1] as 'maxDistance' | 'minDistance'] = Number(mm[2]);
  } else if (mods.length > 0) {
    throw ngsiProblem('BadRequestData', `georel ${relation} takes no modifiers`);
  }
  if ((relation === 'within') && geom.type !== 'Polygon' && geom.type !== 'MultiPolygon') {
    throw ngsiProblem('BadRequestData', 'georel within needs a Polygon or MultiPolygon');
  }
  return q;
}

/** Whether an entity geometry satisfies the geo-query (and its distance for near, to order by). */
export function matchGeo(q: GeoQuery, g: Geometry): { match: boolean; distance?: number } {
  switch (q.relation) {
    case 'near': {
      // §4.10: the distance to the reference geometry, whatever its type (a point's is the common case).
      const d = q.geometry.type === 'Point' ? distanceTo(q.geometry.coordinates, g) : distanceBetween(q.geometry, g);
      const ok = (q.maxDistance === undefined || d <= q.maxDistance) && (q.minDistance === undefined || d >= q.minDistance);
      return { match: ok, distance: d };
    }
    case 'within': return { match: within(g, q.geometry) };
    case 'contains': return { match: contains(g, q.geometry) };
    case 'intersects': return { match: intersects(g, q.geometry) };
    case 'overlaps': return { match: intersects(g, q.geometry) && !within(g, q.geometry) && !contains(g, q.geometry) };
    case 'disjoint': return { match: disjoint(g, q.geometry) };
    case 'equals': return { match: equals(g, q.geometry) };
  }
}

/** The box the database may pre-filter on (undefined: no pre-filter possible, e.g. disjoint or minDistance). */
export function prefilterBox(q: GeoQuery): BBox | undefined {
  if (q.relation === 'disjoint') return undefined;
  if (q.relation === 'near') {
    if (q.maxDistance === undefined) return undefined;
    if (q.geometry.type === 'Point') return bboxAround(q.geometry.coordinates, q.maxDistance);
    // The reference's box grown by the distance, at the latitude where a degree of longitude is shortest.
    const b = bbox(q.geometry);
    const lat = Math.max(Math.abs(b.minLat), Math.abs(b.maxLat));
    const grow = bboxAround([0, lat], q.maxDistance);
    const dLon = grow.maxLon;
    const dLat = grow.maxLat - lat;
    return { minLon: b.minLon - dLon, maxLon: b.maxLon + dLon, minLat: b.minLat - dLat, maxLat: b.maxLat + dLat };
  }
  return bbox(q.geometry);
}
