/**
 * WGS 84 ↔ GCJ-02 (the obfuscated datum Chinese law requires of published maps; AutoNavi/Gaode, Tencent and many
 * city tile services use it). CityHub stores WGS 84 (GPS, 天地图's CGCS2000 within centimetres); on GCJ-02 tiles the
 * map draws data shifted into GCJ-02 and turns picked points back into WGS 84. Outside China the datum is WGS 84.
 * The forward formula is the published one (Krasovsky 1940 ellipsoid); the inverse iterates it to < 1 mm.
 */

export type LonLat = [number, number];

const A = 6378245.0; // Krasovsky 1940 semi-major axis
const EE = 0.00669342162296594323; // its eccentricity squared

/** The rough box GCJ-02 applies in (mainland China); outside it coordinates are left as they are. */
export const outOfChina = (lon: number, lat: number): boolean => lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;

const transformLat = (x: number, y: number): number => {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
};

const transformLon = (x: number, y: number): number => {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
};

/**
 * A WGS 84 point in GCJ-02.
 *
 * @example wgs84ToGcj02([116.391248, 39.907501]) // ≈ [116.397492, 39.908905]: ~600 m east in Beijing
 */
export function wgs84ToGcj02([lon, lat]: LonLat): LonLat {
  if (outOfChina(lon, lat)) return [lon, lat];
  const dLatRaw = transformLat(lon - 105, lat - 35);
  const dLonRaw = transformLon(lon - 105, lat - 35);
  const radLat = (lat / 180) * Math.PI;
  const magic = 1 - EE * Math.sin(radLat) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  const dLat = (dLatRaw * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  const dLon = (dLonRaw * 180) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}

/**
 * A GCJ-02 point back in WGS 84: the forward shift inverted by fixed-point iteration (the shift varies slowly, so
 * each step gains about three digits; stops below 1e-9°, ≈0.1 mm).
 *
 * @example gcj02ToWgs84(wgs84ToGcj02([112.9, 28.2])) // [112.9, 28.2] within 1e-9
 */
export function gcj02ToWgs84([lon, lat]: LonLat): LonLat {
  if (outOfChina(lon, lat)) return [lon, lat];
  let guess: LonLat = [lon, lat];
  for (let i = 0; i < 30; i++) {
    const [gLon, gLat] = wgs84ToGcj02(guess);
    const dLon = gLon - lon;
    const dLat = gLat - lat;
    guess = [guess[0] - dLon, guess[1] - dLat];
    if (Math.abs(dLon) < 1e-9 && Math.abs(dLat) < 1e-9) break;
  }
  return guess;
}

/** The datum a tile service draws in; data is always WGS 84. */
export type CoordinateSystem = 'wgs84' | 'gcj02';

/** From data (WGS 84) to the tiles' datum, and back, for one coordinate system. */
export const datum = (system: CoordinateSystem) => system === 'gcj02'
  ? { toMap: wgs84ToGcj02, fromMap: gcj02ToWgs84 }
  : { toMap: (p: LonLat): LonLat => p, fromMap: (p: LonLat): LonLat => p };
