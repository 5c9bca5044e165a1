import { describe, expect, it } from 'vitest';
import { datum, gcj02ToWgs84, wgs84ToGcj02 } from '../../src/web/src/ui/map/coords.js';
import { distanceMeters } from '../../src/hotline/geo-distance.js';

/** The map's datum conversion (issue 17): GCJ-02 tiles under WGS 84 data. */
describe('WGS 84 ↔ GCJ-02', () => {
  // Published pairs [wgsLon, wgsLat, gcjLon, gcjLat] (the eviltransform and coordtransform projects' test tables).
  const pairs: [number, number, number, number][] = [
    [121.5272106, 31.1774276, 121.531541859215, 31.17530398364597], // Shanghai
    [113.912316, 22.543847, 113.9171764808363, 22.540796131694766], // Shenzhen
    [116.377817, 39.911954, 116.38404722455657, 39.91334545536069], // Beijing
    [116.404, 39.915, 116.41024449916938, 39.91640428150164],
  ];

  it('matches published values forward and inverts them to under a millimetre', () => {
    for (const [lon, lat, gLon, gLat] of pairs) {
      const [x, y] = wgs84ToGcj02([lon, lat]);
      expect(x).toBeCloseTo(gLon, 8);
      expect(y).toBeCloseTo(gLat, 8);
      const [bLon, bLat] = gcj02ToWgs84([gLon, gLat]);
      expect(distanceMeters(bLon, bLat, lon, lat)).toBeLessThan(0.001);
    }
  });

  it('shifts points in China by hundreds of metres, leaves others alone, and is the identity for WGS 84 tiles', () => {
    const [x, y] = wgs84ToGcj02([112.95, 28.2]);
    const shift = distanceMeters(112.95, 28.2, x, y);
    expect(shift).toBeGreaterThan(100);
    expect(shift).toBeLessThan(1000);
    expect(wgs84ToGcj02([2.35, 48.85])).toEqual([2.35, 48.85]); // Paris
    expect(gcj02ToWgs84([-74, 40.7])).toEqual([-74, 40.7]);
    expect(datum('wgs84').toMap([112.95, 28.2])).toEqual([112.95, 28.2]);
    expect(datum('gcj02').fromMap(datum('gcj02').toMap([112.95, 28.2]))[0]).toBeCloseTo(112.95, 9);
  });
});
