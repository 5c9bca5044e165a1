/**
 * Generates the demo city's geography, so the map needs no tile server and no third-party data:
 * - src/web/src/geo/demo-city.json: the district boundaries, a Voronoi split of a rectangle around lon 112.9,
 *   lat 28.2 (±0.2°) by five fixed seeds (the charts' district map);
 * - src/web/src/geo/demo-city-basemap.json: the offline basemap of the map component (issue 17): land, districts,
 *   streets (街道, the Voronoi cells of the area tree's street centres within their district, as the server's
 *   locate resolves them), roads, the river and a lake, parks and landmarks, each with a Chinese and an English name.
 * Deterministic: the same seeds always give the same files.
 *
 *   node --import tsx src/web/scripts/generate-demo-city-geo.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { demoAreaCentres } from '../../hotline/demo-seed.js';
import { demoCityPlan } from '../../server/demo-city.js';

type Point = [number, number];

/** The bounding box every demo-city coordinate lies in (the context layer's demo entities use the same). */
export const demoCityBbox = { west: 112.7, south: 28.0, east: 113.1, north: 28.4 } as const;

/** One seed per district: the area tree's district centres of the demo (src/hotline/demo-seed.ts). */
export const districtSeeds: { name: string; seed: Point }[] = demoAreaCentres(demoCityPlan.districts).map((d) => ({ name: d.name, seed: d.centre }));

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

/** Clips a convex polygon to the Voronoi cell of `seed` among `seeds`. */
const voronoiCell = (start: Point[], seed: Point, seeds: Point[]): Point[] =>
  seeds.reduce((cell, other) => (other === seed ? cell : clipNearer(cell, seed, other)), start);

const ring = (points: Point[]): Point[] => {
  const r = points.map(round);
  r.push(r[0]);
  return r;
};

/** A gently bending line from a to b (a road or a river), sampled in `n` steps with a sine offset. */
const bend = (a: Point, b: Point, amplitude: number, waves = 1, n = 24): Point[] => {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = Math.hypot(dx, dy);
  return Array.from({ length: n + 1 }, (_, i) => {
    const t = i / n;
    const off = Math.sin(t * Math.PI * waves) * amplitude;
    return round([a[0] + dx * t - (dy / len) * off, a[1] + dy * t + (dx / len) * off]);
  });
};

/** A band of `width` degrees around a line (a river as a polygon). */
const band = (line: Point[], width: number): Point[] => {
  const side = (sign: number) => line.map((p, i) => {
    const q = line[Math.min(i + 1, line.length - 1)];
    const o = line[Math.max(i - 1, 0)];
    const dx = q[0] - o[0];
    const dy = q[1] - o[1];
    const len = Math.hypot(dx, dy) || 1;
    return [p[0] - (dy / len) * width * sign, p[1] + (dx / len) * width * sign] as Point;
  });
  return [...side(1), ...side(-1).reverse()];
};

const ellipse = (c: Point, rx: number, ry: number, n = 28): Point[] =>
  Array.from({ length: n }, (_, i) => [c[0] + rx * Math.cos((2 * Math.PI * i) / n), c[1] + ry * Math.sin((2 * Math.PI * i) / n)] as Point);

const en: Record<string, string> = {
  临江区: 'Linjiang', 青山区: 'Qingshan', 新湖区: 'Xinhu', 白塔区: 'Baita', 高新区: 'Hi-Tech Zone',
  滨江街道: 'Binjiang', 望湖街道: 'Wanghu', 东港街道: 'Donggang', 柳岸街道: 'Liu\'an', 翠屏街道: 'Cuiping', 松林街道: 'Songlin',
  石门街道: 'Shimen', 云岭街道: 'Yunling', 湖心街道: 'Huxin', 新桥街道: 'Xinqiao', 花溪街道: 'Huaxi', 明珠街道: 'Mingzhu',
  塔前街道: 'Taqian', 古城街道: 'Gucheng', 南关街道: 'Nanguan', 北苑街道: 'Beiyuan', 科创街道: 'Kechuang', 智谷街道: 'Zhigu', 星河街道: 'Xinghe',
};

type Feature = { type: 'Feature'; properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } };
const feature = (kind: string, name: string | null, nameEn: string | null, type: string, coordinates: unknown, extra: Record<string, unknown> = {}): Feature =>
  ({ type: 'Feature', properties: { kind, ...(name ? { name, name_en: nameEn } : {}), ...extra }, geometry: { type, coordinates } });

/** The offline basemap: one FeatureCollection, `kind` says how each feature is drawn (src/web/src/ui/map/basemap.ts). */
export function generateDemoCityBasemap() {
  const { west, south, east, north } = demoCityBbox;
  const rectangle: Point[] = [[west, south], [east, south], [east, north], [west, north]];
  const features: Feature[] = [feature('land', null, null, 'Polygon', [ring(rectangle)])];
  const areas = demoAreaCentres(demoCityPlan.districts);
  const seeds = areas.map((a) => a.centre);
  // water first, so roads and bridges draw over it
  const river = bend([112.74, 28.4], [112.86, 28.0], 0.03, 2.5, 60);
  features.push(feature('water', '云川江', 'Yunchuan River', 'Polygon', [ring(band(river, 0.006))]));
  features.push(feature('water', '月湖', 'Moon Lake', 'Polygon', [ring(ellipse([112.99, 28.27], 0.018, 0.011))]));
  features.push(feature('park', '中央公园', 'Central Park', 'Polygon', [ring(ellipse([112.925, 28.2], 0.012, 0.008))]));
  features.push(feature('park', '青山森林公园', 'Qingshan Forest Park', 'Polygon', [ring(ellipse([112.82, 28.36], 0.03, 0.018))]));
  areas.forEach((district, i) => {
    const cell = voronoiCell(rectangle, district.centre, seeds);
    const plan = demoCityPlan.districts[i];
    features.push(feature('district', plan.name, `${en[plan.name] ?? plan.name}${plan.name.endsWith('区') && plan.name !== '高新区' ? ' District' : ''}`, 'Polygon', [ring(cell)], { cp: district.centre }));
    district.streets.forEach((centre, j) => {
      const streetCell = voronoiCell(cell, centre, district.streets);
      const name = plan.streets[j];
      features.push(feature('street', name, `${en[name] ?? name} Subdistrict`, 'Polygon', [ring(streetCell)], { cp: centre, district: plan.name }));
    });
  });
  const roads: [string, string, Point, Point, number, 'major' | 'minor'][] = [
    ['人民路', 'Renmin Road', [112.72, 28.2], [113.08, 28.19], 0.006, 'major'],
    ['解放路', 'Jiefang Road', [112.74, 28.12], [113.08, 28.13], 0.004, 'major'],
    ['北环路', 'North Ring Road', [112.74, 28.29], [113.08, 28.28], 0.008, 'major'],
    ['中山路', 'Zhongshan Road', [112.93, 28.02], [112.94, 28.38], 0.005, 'major'],
    ['建设大道', 'Jianshe Avenue', [113.02, 28.03], [113.03, 28.37], 0.006, 'major'],
    ['滨江大道', 'Binjiang Avenue', [112.79, 28.38], [112.9, 28.02], 0.025, 'major'],
    ['五一路', 'Wuyi Road', [112.86, 28.24], [113.05, 28.24], 0.002, 'minor'],
    ['湘府路', 'Xiangfu Road', [112.84, 28.16], [113.06, 28.165], 0.003, 'minor'],
    ['芙蓉路', 'Furong Road', [112.98, 28.06], [112.975, 28.34], 0.003, 'minor'],
    ['韶山路', 'Shaoshan Road', [112.88, 28.06], [112.885, 28.33], 0.002, 'minor'],
    ['科技路', 'Keji Road', [113.0, 28.09], [113.09, 28.22], 0.003, 'minor'],
  ];
  for (const [name, nameEn, a, b, amp, rank] of roads) features.push(feature('road', name, nameEn, 'LineString', bend(a, b, amp, 1, 30), { rank }));
  const landmarks: [string, string, Point, string][] = [
    ['市政府', 'City Hall', [112.95, 28.205], 'government'], ['云川站', 'Yunchuan Station', [112.99, 28.13], 'station'],
    ['市人民医院', 'People\'s Hospital', [112.9, 28.175], 'hospital'], ['体育中心', 'Sports Centre', [113.04, 28.21], 'stadium'],
    ['云川大学', 'Yunchuan University', [112.84, 28.26], 'school'], ['白塔', 'White Pagoda', [112.91, 28.09], 'sight'],
    ['高新科技园', 'Hi-Tech Park', [113.05, 28.15], 'office'], ['新湖会展中心', 'Xinhu Expo Centre', [112.97, 28.3], 'sight'],
  ];
  for (const [name, nameEn, at, icon] of landmarks) features.push(feature('landmark', name, nameEn, 'Point', at, { icon }));
  return { type: 'FeatureCollection', bbox: [west, south, east, north], features };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = fileURLToPath(new URL('../src/geo/demo-city.json', import.meta.url));
  writeFileSync(target, `${JSON.stringify(generateDemoCityGeo())}\n`);
  console.log(`wrote ${target}`);
  const basemap = fileURLToPath(new URL('../src/geo/demo-city-basemap.json', import.meta.url));
  writeFileSync(basemap, `${JSON.stringify(generateDemoCityBasemap())}\n`);
  console.log(`wrote ${basemap}`);
}
