/**
 * Generates the demo city's district boundaries (src/web/src/geo/demo-city.json): a Voronoi split of a rectangle
 * around lon 112.9, lat 28.2 (±0.2°) by five fixed seeds, so the map needs no tile server and no third-party data.
 * Deterministic: the same seeds always give the same file.
 *
 *   node --import tsx src/web/scripts/generate-demo-city-geo.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Point = [number, number];

/** The bounding box every demo-city coordinate lies in (the context layer's demo entities use the same). */
export const demoCityBbox = { west: 112.7, south: 28.0, east: 113.1, north: 28.4 } as const;

/** One seed per district (invented names from src/server/demo-city.ts); the cell around each is the district. */
export const districtSeeds: { name: string; seed: Point }[] = [
  { name: '临江区', seed: [112.80, 28.22] },
  { name: '青山区', seed: [112.84, 28.34] },
  { name: '新湖区', seed: [112.98, 28.32] },
  { name: '白塔区', seed: [112.90, 28.08] },
  { name: '高新区', seed: [113.03, 28.17] },
];

/** Keeps the part of a convex polygon on the side of the perpendicular bisector of a→b that is nearer to a. */
function clipNearer(polygon: Point[], a: Point, b: Point): Point[] {
  const mid: Point = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  const n: Point = [b[0] - a[0], b[1] - a[1]];
  const side = (p: Point) => (p[0] - mid[0]) * n[0] + (p[1] - mid[1]) * n[1]; // < 0: nearer to a
  const out: Point[] = [];
  for (let i = 0; i < polygon.length; i++) {
    const p = polygon[i];
    const q = polygon[(i + 1) % polygon.length];
    const sp = side(p);
    const sq = side(q);
    if (sp <= 0) out.push(p);
    if ((sp < 0 && sq > 0) || (sp > 0 && sq < 0)) {
      const t = sp / (sp - sq);
      out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
    }
  }
  return out;
}

const round = (p: Point): Point => [Math.round(p[0] * 1e5) / 1e5, Math.round(p[1] * 1e5) / 1e5];

export function generateDemoCityGeo() {
  const { west, south, east, north } = demoCityBbox;
  const rectangle: Point[] = [[west, south], [east, south], [east, north], [west, north]];
  return {
    type: 'FeatureCollection',
    bbox: [west, south, east, north],
    features: districtSeeds.map(({ name, seed }) => {
      let cell = rectangle;
      for (const other of districtSeeds) if (other.name !== name) cell = clipNearer(cell, seed, other.seed);
      const ring = cell.map(round);
      ring.push(ring[0]);
      return {
        type: 'Feature',
        properties: { name, cp: seed },
        geometry: { type: 'Polygon', coordinates: [ring] },
      };
    }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = fileURLToPath(new URL('../src/geo/demo-city.json', import.meta.url));
  writeFileSync(target, `${JSON.stringify(generateDemoCityGeo())}\n`);
  console.log(`wrote ${target}`);
}
