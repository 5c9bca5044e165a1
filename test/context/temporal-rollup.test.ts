import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { rollUpHistory, seriesRows } from '../../src/context/history-store.js';
import { RawJson, serializeJson, stringifyJson } from '../../src/context/raw-json.js';
import { ngsiRequester } from './ngsi-support.js';


describe('stringifyJson', () => {
  it('inserts RawJson parts as they are and leaves strings alone', () => {
    expect(stringifyJson({ a: new RawJson('[[1,"x","y"]]'), b: [new RawJson('2'), 'c'] })).toBe('{"a":[[1,"x","y"]],"b":[2,"c"]}');
    expect(stringifyJson({ a: 1 })).toBe('{"a":1}');
    // A string that looks like a placeholder of another call stays a string.
    const looksLike = `${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}:0`;
    expect(JSON.parse(stringifyJson({ s: looksLike, r: new RawJson('{"k":true}') }))).toEqual({ s: looksLike, r: { k: true } });
  });

  it('writes the bytes of text around the parts (non-ASCII too)', () => {
    const value = { id: 'urn:ngsi-ld:站点:1', a: new RawJson('["温度"]'), b: [1, new RawJson('2')] };
    expect(serializeJson(value).toString()).toBe(JSON.stringify({ id: 'urn:ngsi-ld:站点:1', a: ['温度'], b: [1, 2] }));
  });

  it('turns json_agg text into [value, start, end] triples, in bucket order, NaN and infinities as null', () => {
    const h = (k: number) => Date.UTC(2026, 10, 26, k) / 1000;
    const iso = (k: number) => new Date(h(k) * 1000).toISOString();
    const rows = [
      { entity_id: 'e1', attr: 'a', dataset_id: '', buckets: `[${h(0)}, ${h(1)}, ${h(2)}]`, avg: '[1.5, "NaN", -2e-7]' },
      { entity_id: 'e2', attr: 'a', dataset_id: '', buckets: `[${h(0)}, ${h(1)}, ${h(2)}]`, avg: '[null, 3, "Infinity"]' },
      { entity_id: 'e3', attr: 'a', dataset_id: '', buckets: `[${h(2)}, ${h(0)}]`, avg: '[7, 8]' },
      { entity_id: 'e4', attr: 'a', dataset_id: '', buckets: '[]', avg: '[]' },
    ];
    const out = seriesRows(rows, ['avg'], 3600).map((r) => JSON.parse(stringifyJson(r.avg)));
    expect(out).toEqual([
      [[1.5, iso(0), iso(1)], [null, iso(1), iso(2)], [-2e-7, iso(2), iso(3)]],
      [[null, iso(0), iso(1)], [3, iso(1), iso(2)], [null, iso(2), iso(3)]],
      [[8, iso(0), iso(1)], [7, iso(2), iso(3)]],
      [],
    ]);
  });
});

/**
 * Hourly aggregations of data that is all rolled up read the rollup rows per entity without ORDER BY
 * (history-store aggregateHourly); they must give what the raw history gives (totalCount forces that path),
 * for several entities, attributes and datasetIds at once, in every representation.
 */
describe.each(testEngines)('context temporal rollup answers [%s]', (engine) => {
  let hub: TestHub;
  let cookie: string;
  const req = ngsiRequester(() => hub, () => cookie);
  const window = 'timerel=between&timeAt=2026-11-26T00:00:00Z&endTimeAt=2026-11-26T05:00:00Z';

  beforeAll(async () => {
    hub = await createTestHub(engine, { config: { modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false } } } } as never });
    cookie = (await hub.loginAs(['data_admin'])).cookie;
    // Three stations, readings every 25 minutes for 4 hours (hour 2 has none for station 1), a second pm25
    // instance (datasetId) and no2, written newest first so the rollup rows are not inserted in hour order.
    for (let k = 9; k >= 0; k--) {
      const at = new Date(Date.UTC(2026, 10, 26, 0, k * 25)).toISOString();
      const batch = [0, 1, 2].filter((s) => !(s === 1 && at.startsWith('2026-11-26T02'))).map((s) => ({
        id: `urn:ngsi-ld:AirQualityObserved:r${s}`, type: 'AirQualityObserved',
        pm25: [{ type: 'Property', value: s * 100 + k * 7.3, observedAt: at }, { type: 'Property', value: k % 3, datasetId: 'urn:ds:raw', observedAt: at }],
        no2: { type: 'Property', value: 40 - k * 1.1, observedAt: at },
      }));
      const res = await req('POST', '/entityOperations/upsert?options=update', batch);
      expect([201, 204], res.body).toContain(res.statusCode);
    }
    while ((await rollUpHistory(hub.database.db)) > 0);
  }, 240_000);
  afterAll(async () => hub?.close(), 60_000);

  it('gives the raw history answer for every entity, attribute and datasetId', async () => {
    const rolled = await req('GET', `/temporal/entities?type=AirQualityObserved&aggrMethods=avg,sum,min,max&aggrPeriodDuration=PT1H&${window}`);
    expect(rolled.statusCode, rolled.body).toBe(200);
    const raw = await req('GET', `/temporal/entities?type=AirQualityObserved&aggrMethods=avg,sum,min,max,totalCount&aggrPeriodDuration=PT1H&${window}`);
    expect(raw.statusCode, raw.body).toBe(200);
    const strip = (list: Record<string, unknown>[]) => list.map((e) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k,
      Array.isArray(v) ? v.map(({ totalCount: _t, ...s }) => s) : v && typeof v === 'object' ? (({ totalCount: _t, ...s }) => s)(v as Record<string, unknown>) : v])));
    // Sums in another order differ in the last bits (116.7 vs 116.69999999999999).
    const round = (v: unknown): unknown => (typeof v === 'number' ? Number(v.toPrecision(12)) : Array.isArray(v) ? v.map(round)
      : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)])) : v);
    const r = rolled.json();
    expect(round(r)).toEqual(round(strip(raw.json())));
    expect(r.map((e: { id: string }) => e.id)).toEqual([0, 1, 2].map((s) => `urn:ngsi-ld:AirQualityObserved:r${s}`));
    const pm = r[1].pm25 as { datasetId?: string; avg: [number, string, string][] }[];
    expect(pm).toHaveLength(2);
    const main = pm.find((s) => !s.datasetId)!;
    expect(main.avg.map((t) => t[1])).toEqual(['2026-11-26T00:00:00.000Z', '2026-11-26T01:00:00.000Z', '2026-11-26T03:00:00.000Z']);
    expect(main.avg[0]).toEqual([100 + (0 + 7.3 + 14.6) / 3, '2026-11-26T00:00:00.000Z', '2026-11-26T01:00:00.000Z']);
    // The same series in JSON-LD (the @context added to each entity) and for one entity.
    const ld = await req('GET', `/temporal/entities?type=AirQualityObserved&aggrMethods=avg,sum,min,max&aggrPeriodDuration=PT1H&${window}`, undefined, { accept: 'application/ld+json' });
    expect(ld.statusCode, ld.body).toBe(200);
    expect(ld.json()[1]['@context']).toBeDefined();
    const one = await req('GET', `/temporal/entities/urn:ngsi-ld:AirQualityObserved:r1?aggrMethods=avg,sum,min,max&aggrPeriodDuration=PT1H&${window}`);
    expect(one.json()).toEqual(r[1]);
  });
});
