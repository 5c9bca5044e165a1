/**
 * The demo city's sensors and assets: deterministic positions around the demo city's centre (the web map's
 * generated city uses the same centre), so the seed and the simulator agree on ids without a query.
 */
export const DEMO_CENTRE: [number, number] = [112.9, 28.2];
/** Half-width of the demo area in degrees: the web map's generated city spans 112.7–113.1 E, 28.0–28.4 N. */
export const DEMO_SPREAD = 0.18;

/** District centres of the web map's generated city (src/web/src/geo/demo-city.json `cp`). */
export const demoDistricts: { name: string; centre: [number, number] }[] = [
  { name: '临江区', centre: [112.8, 28.22] },
  { name: '青山区', centre: [112.84, 28.34] },
  { name: '新湖区', centre: [112.98, 28.32] },
  { name: '白塔区', centre: [112.9, 28.08] },
  { name: '高新区', centre: [113.03, 28.17] },
];

/** The district whose centre is nearest (the map's districts are convex enough for a demo). */
export const nearestDistrict = (lon: number, lat: number): string =>
  demoDistricts.reduce((best, d) => (Math.hypot(d.centre[0] - lon, d.centre[1] - lat) < Math.hypot(best.centre[0] - lon, best.centre[1] - lat) ? d : best)).name;

export const demoKinds = [
  { type: 'AirQualityObserved', count: 60 },
  { type: 'Streetlight', count: 1500 },
  { type: 'ParkingSpot', count: 1000 },
  { type: 'TrafficFlowObserved', count: 200 },
  { type: 'WasteContainer', count: 240 },
] as const;

export type DemoKind = (typeof demoKinds)[number]['type'];

export const demoId = (type: string, i: number) => `urn:ngsi-ld:${type}:demo-${String(i).padStart(4, '0')}`;


/** Current readings of a demo entity (concise attributes), from a random source. */
export function demoReadings(type: DemoKind, rnd: () => number, observedAt: string): Record<string, unknown> {
  const p = (value: unknown, unitCode?: string) => ({ type: 'Property', value, observedAt, ...(unitCode ? { unitCode } : {}) });
  switch (type) {
    case 'AirQualityObserved': {
      const pm25 = Math.round(10 + rnd() * 90);
      return {
        pm25: p(pm25, 'GQ'), pm10: p(Math.round(pm25 * (1.2 + rnd() * 0.6)), 'GQ'), no2: p(Math.round(10 + rnd() * 60), 'GQ'),
        temperature: p(Math.round((8 + rnd() * 20) * 10) / 10, 'CEL'), airQualityIndex: p(Math.round(pm25 * 1.4)),
      };
    }
    case 'Streetlight': {
      const on = rnd() < 0.8;
      return { powerState: p(on ? 'on' : 'off'), powerConsumption: p(on ? Math.round(80 + rnd() * 70) : 0, 'WTT') };
    }
    case 'ParkingSpot':
      return { status: p(rnd() < 0.6 ? 'occupied' : 'free') };
    case 'TrafficFlowObserved': {
      const intensity = Math.round(rnd() * 1800);
      return { intensity: p(intensity), averageVehicleSpeed: p(Math.round(15 + rnd() * 50), 'KMH'), congested: p(intensity > 1400) };
    }
    case 'WasteContainer':
      return { fillingLevel: p(Math.round(rnd() * 100) / 100, 'P1') };
  }
}
