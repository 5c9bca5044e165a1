import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import { KpiConfigSchema, KpiService, type KpiConfig } from '../../../src/hotline/kpi/index.js';
import { readModuleSections, type Config } from '../../../src/platform/config/config.js';
import { systemActor, type Actor } from '../../../src/platform/auth/roles.js';
import { bj, insertKpiTicket, type KpiFixture } from './kpi-fixture.js';

/**
 * Eleven hand-built tickets whose rates are worked out by hand below. Times are Beijing time (UTC+8), the
 * default modules.kpi.timeZone, written `bj(month, day, hour)`; `nov(day, hour)` for 2026-11-<day> <hour>:00.
 */
const nov = (day: number, hour: number, minute = 0) => bj(11, day, hour, minute);
type Fixture = KpiFixture<'A' | 'B' | 'D1' | 'D2' | 'c1' | 'c2'>;

// c1 = 城乡建设, c2 = 环境保护; D1 = 东城区, D2 = 西城区; A = 东城区住建委, B = 市水务局.
const tickets: Fixture[] = [
  /* t1 */ { unit: 'A', district: 'D1', category: 'c1', dispatched: nov(2, 9), accepted: nov(2, 11), due: nov(9, 11), answered: nov(5, 11), visited: nov(6, 10), contacted: true, solved: true, satisfaction: 'satisfied' },
  /* t2 */ { unit: 'A', district: 'D1', category: 'c1', dispatched: nov(3, 9), accepted: nov(3, 10), due: nov(4, 10), answered: nov(5, 10), visited: nov(7, 10), contacted: true, solved: false, satisfaction: 'basically_satisfied', returns: 1 },
  /* t3 */ { unit: 'A', district: 'D2', category: 'c2', dispatched: nov(10, 8), accepted: nov(10, 12), due: nov(17, 12), answered: nov(12, 12), visited: nov(13, 10), contacted: true, solved: true, satisfaction: 'unsatisfied', reopens: 1 },
  /* t4 */ { unit: 'A', district: 'D1', category: 'c2', dispatched: nov(20, 9), accepted: nov(20, 9, 30), due: nov(27, 9, 30), answered: nov(25, 9, 30), visited: nov(26, 10), contacted: false },
  /* t5 */ { unit: 'A', district: 'D1', category: 'c1', dispatched: nov(28, 9) },
  // t6 is dispatched at 00:30 on 1 November in Beijing, which is still 31 October in UTC.
  /* t6 */ { unit: 'B', district: 'D2', category: 'c2', dispatched: nov(1, 0, 30), accepted: nov(1, 2, 30), due: nov(8, 2, 30), answered: nov(4, 2, 30), visited: nov(5, 10), contacted: true, solved: true, satisfaction: 'satisfied' },
  // t7 is answered exactly at its deadline: on time.
  /* t7 */ { unit: 'B', district: 'D2', category: 'c1', dispatched: nov(5, 9), accepted: nov(5, 15), due: nov(12, 15), answered: nov(12, 15), visited: nov(14, 10), contacted: true, solved: true, satisfaction: 'basically_satisfied' },
  // t8 is answered in November but visited at 00:10 on 1 December (Beijing): no November visit.
  /* t8 */ { unit: 'B', district: 'D2', category: 'c2', dispatched: nov(6, 9), accepted: nov(6, 10), due: nov(13, 10), answered: nov(30, 23), visited: bj(12, 1, 0, 10), contacted: true, solved: true, satisfaction: 'satisfied' },
  // t9 is a duplicate merged under t6: never counted.
  /* t9 */ { unit: 'B', district: 'D2', category: 'c2', dispatched: nov(1, 1), accepted: nov(1, 3), due: nov(8, 3), answered: nov(4, 3), visited: nov(5, 10), contacted: true, solved: false, satisfaction: 'unsatisfied', mergedInto: 6 },
  // t10 is dispatched and signed in October, answered late and visited in November.
  /* t10 */ { unit: 'B', district: 'D2', category: 'c1', dispatched: bj(10, 25, 9), accepted: bj(10, 25, 10), due: nov(1, 10), answered: nov(2, 10), visited: nov(3, 10), contacted: true, solved: true, satisfaction: 'satisfied', returns: 2 },
  // t11 is visited at 23:50 on 31 October (Beijing), which is 15:50 UTC: October only.
  /* t11 */ { unit: 'A', district: 'D1', category: 'c1', dispatched: bj(10, 20, 9), accepted: bj(10, 20, 10), due: bj(10, 27, 10), answered: bj(10, 25, 10), visited: bj(10, 31, 23, 50), contacted: true, solved: true, satisfaction: 'satisfied' },
];

const setup = systemActor('test-setup');

describe.each(testEngines)('hotline kpi [%s]', (engine) => {
  let hub: TestHub;
  const ids = { A: '', B: '', D1: '', D2: '', c1: '', c2: '' };
  const cookies = { leader: '', citizen: '', handlerA: '', supervisor: '' };
  const get = (url: string, cookie: string) => hub.http.inject({ method: 'GET', url, headers: { cookie } });

  beforeAll(async () => {
    // "now" is 10 December 2026 in Beijing, so the default range is December.
    // a handful of visits: every group with one is ranked (the default minimum, 5, is for a city's volumes)
    hub = await createTestHub(engine, { clock: () => bj(12, 10, 12), config: { modules: { kpi: { rankMinVisited: 1 } } } });
    const db = hub.database.db;
    ids.A = (await hub.services.auth.insertOrg(setup, { name: '东城区住建委', kind: 'department' })).id;
    ids.B = (await hub.services.auth.insertOrg(setup, { name: '市水务局', kind: 'department' })).id;
    for (const [key, name] of [['D1', '东城区'], ['D2', '西城区']] as const) {
      ids[key] = (await db.insertInto('hotline_area').values({ name, level: 'district', parent_id: null, org_id: null, center_lon: null, center_lat: null }).returning('id').executeTakeFirstOrThrow()).id;
    }
    for (const [key, code, level1] of [['c1', 'kpi-c1', '城乡建设'], ['c2', 'kpi-c2', '环境保护']] as const) {
      ids[key] = (await db.insertInto('hotline_category').values({ code, level1, level2: null, level3: null }).returning('id').executeTakeFirstOrThrow()).id;
    }
    const inserted: string[] = [];
    for (const [i, t] of tickets.entries()) {
      inserted.push(await insertKpiTicket(db, `20261101-kpi${String(i + 1).padStart(3, '0')}`, t, ids, inserted));
    }
    cookies.leader = (await hub.loginAs(['leader'])).cookie;
    cookies.supervisor = (await hub.loginAs(['supervisor'])).cookie;
    cookies.citizen = (await hub.loginAs(['citizen'])).cookie;
    cookies.handlerA = (await hub.loginAs(['handler'], ids.A)).cookie;
  });
  afterAll(async () => hub?.close());

  const november = 'from=2026-11-01&to=2026-12-01';

  it('computes every rate per unit for November, ranked by composite', async () => {
    const res = await get(`/api/hotline/kpi?groupBy=unit&${november}`, cookies.leader);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.from).toBe('2026-10-31T16:00:00.000Z'); // midnight 1 November in Beijing
    expect(body.rows.map((r: { name: string }) => r.name)).toEqual(['市水务局', '东城区住建委']);
    const [b, a] = body.rows;

    // Unit B — visits in November: t6, t7, t10 (t8 was visited in December, t9 is merged) → 3.
    // contacted 3, solved 3, 满意 t6 + t10 = 2, 基本满意 t7 = 1.
    expect(b).toMatchObject({ rank: 1, key: ids.B });
    expect(b.counts).toMatchObject({ visited: 3, contacted: 3, solved: 3, satisfied: 2, basicallySatisfied: 1, unsatisfied: 0, reopened: 0 });
    expect(b.rates.responseRate).toBeCloseTo(1, 10); // 3 ÷ 3
    expect(b.rates.solutionRate).toBeCloseTo(1, 10); // 3 ÷ 3
    expect(b.rates.satisfactionRate).toBeCloseTo(2.9 / 3, 10); // (2 + 0.9 × 1) ÷ 3 = 0.9667
    expect(b.rates.composite).toBeCloseTo(0.1 + 0.5 + 0.4 * (2.9 / 3), 10); // = 0.98667
    // answered in November: t6, t7, t8, t10 → 4; on time t6 (4th ≤ 8th), t7 (exactly at due) → 2 ÷ 4.
    expect(b.counts).toMatchObject({ answered: 4, answeredOnTime: 2 });
    expect(b.rates.onTimeRate).toBeCloseTo(0.5, 10);
    // hours from signing to answer: t6 72, t7 168, t8 (6th 10:00 → 30th 23:00) 24 × 24 + 13 = 589, t10 (25 Oct 10:00
    // → 2 Nov 10:00) 192 → 1021 ÷ 4 = 255.25.
    expect(b.rates.avgAnswerHours).toBeCloseTo(255.25, 6);
    // signed in November: t6 2 h, t7 6 h, t8 1 h (t10 was signed in October) → 9 ÷ 3 = 3 h.
    expect(b.counts.signed).toBe(3);
    expect(b.rates.avgSignHours).toBeCloseTo(3, 6);
    // dispatched in November: t6 (00:30 Beijing on the 1st), t7, t8 → 3, none returned (t10's returns are October's).
    expect(b.counts).toMatchObject({ dispatched: 3, returned: 0 });
    expect(b.rates.returnRate).toBe(0);
    expect(b.rates.reopenRate).toBe(0);

    // Unit A — visits in November: t1, t2, t3, t4 → 4 (t11 was visited on 31 October, Beijing time).
    // contacted t1 t2 t3 = 3, solved t1 t3 = 2, 满意 t1, 基本满意 t2, 不满意 t3; re-opened t3.
    expect(a).toMatchObject({ rank: 2, key: ids.A, name: '东城区住建委' });
    expect(a.counts).toMatchObject({ visited: 4, contacted: 3, solved: 2, satisfied: 1, basicallySatisfied: 1, unsatisfied: 1, reopened: 1 });
    expect(a.rates.responseRate).toBeCloseTo(0.75, 10); // 3 ÷ 4
    expect(a.rates.solutionRate).toBeCloseTo(0.5, 10); // 2 ÷ 4
    expect(a.rates.satisfactionRate).toBeCloseTo(0.475, 10); // (1 + 0.9 × 1) ÷ 4
    expect(a.rates.composite).toBeCloseTo(0.515, 10); // 0.1 × 0.75 + 0.5 × 0.5 + 0.4 × 0.475 = 0.075 + 0.25 + 0.19
    expect(a.rates.reopenRate).toBeCloseTo(0.25, 10); // 1 ÷ 4
    // answered t1..t4; t2 was due on the 4th and answered on the 5th → 3 ÷ 4 on time.
    expect(a.rates.onTimeRate).toBeCloseTo(0.75, 10);
    // to answer: 72 + 48 + 48 + 120 = 288 h ÷ 4 = 72 h; to sign: 2 + 1 + 4 + 0.5 = 7.5 h ÷ 4 = 1.875 h.
    expect(a.rates.avgAnswerHours).toBeCloseTo(72, 6);
    expect(a.rates.avgSignHours).toBeCloseTo(1.875, 6);
    // dispatched t1..t5 = 5, returned t2 → 1 ÷ 5.
    expect(a.rates.returnRate).toBeCloseTo(0.2, 10);

    // The total adds the counts: visits 4 + 3 = 7, contacted 6, solved 5, 满意 3, 基本满意 2.
    expect(body.total.counts).toMatchObject({ visited: 7, contacted: 6, solved: 5, satisfied: 3, basicallySatisfied: 2 });
    expect(body.total.rates.composite).toBeCloseTo(0.1 * (6 / 7) + 0.5 * (5 / 7) + 0.4 * (4.8 / 7), 10);
  });

  it('groups by district with the district names', async () => {
    const body = (await get(`/api/hotline/kpi?groupBy=district&${november}`, cookies.leader)).json();
    // D2 西城区: t3, t6, t7, t10 → visited 4, contacted 4, solved 4, 满意 2, 基本满意 1, 不满意 1
    //   composite = 0.1 × 1 + 0.5 × 1 + 0.4 × (2.9 ÷ 4) = 0.89
    // D1 东城区: t1, t2, t4 → visited 3, contacted 2, solved 1, 满意 1, 基本满意 1
    //   composite = 0.1 × 2/3 + 0.5 × 1/3 + 0.4 × 1.9/3 = 0.48667
    expect(body.rows.map((r: { name: string; rank: number }) => [r.name, r.rank])).toEqual([['西城区', 1], ['东城区', 2]]);
    expect(body.rows[0].rates.composite).toBeCloseTo(0.89, 10);
    expect(body.rows[1].rates.composite).toBeCloseTo(0.1 * (2 / 3) + 0.5 * (1 / 3) + 0.4 * (1.9 / 3), 10);
    expect(body.rows[1].counts).toMatchObject({ visited: 3, contacted: 2, solved: 1 });
  });

  it('groups by first-level category', async () => {
    const body = (await get(`/api/hotline/kpi?groupBy=category&${november}`, cookies.leader)).json();
    // 城乡建设: t1, t2, t7, t10 → visited 4, contacted 4, solved 3, 满意 2, 基本满意 2
    //   composite = 0.1 + 0.5 × 0.75 + 0.4 × (2 + 1.8) ÷ 4 = 0.1 + 0.375 + 0.38 = 0.855
    // 环境保护: t3, t4, t6 → visited 3, contacted 2, solved 2, 满意 1, 不满意 1
    //   composite = 0.1 × 2/3 + 0.5 × 2/3 + 0.4 × 1/3 = 0.53333
    expect(body.rows.map((r: { key: string }) => r.key)).toEqual(['城乡建设', '环境保护']);
    expect(body.rows[0].rates.composite).toBeCloseTo(0.855, 10);
    expect(body.rows[1].rates.composite).toBeCloseTo(0.1 * (2 / 3) + 0.5 * (2 / 3) + 0.4 * (1 / 3), 10);
  });

  it('puts events in the Beijing-time period they happened in', async () => {
    // 1 November 00:00–24:00 Beijing: only t6 was dispatched and signed (t9 is merged).
    const day = (await get('/api/hotline/kpi?groupBy=unit&from=2026-11-01&to=2026-11-02', cookies.leader)).json();
    expect(day.rows).toHaveLength(1);
    expect(day.rows[0]).toMatchObject({ key: ids.B, counts: { dispatched: 1, signed: 1, visited: 0 } });
    expect(day.rows[0].rank).toBeNull(); // no visit, nothing to rank
    expect(day.rows[0].rates.composite).toBeNull();
    // October: t11's visit at 23:50 on the 31st belongs to unit A's October; t6's dispatch does not.
    const october = (await get('/api/hotline/kpi?groupBy=unit&from=2026-10-01', cookies.leader)).json();
    expect(october.to).toBe('2026-11-30T16:00:00.000Z'.replace('11-30', '10-31')); // midnight 1 November, Beijing
    const byKey = Object.fromEntries(october.rows.map((r: { key: string }) => [r.key, r]));
    expect(byKey[ids.A].counts).toMatchObject({ visited: 1, dispatched: 1, signed: 1, answered: 1 });
    expect(byKey[ids.B].counts).toMatchObject({ visited: 0, dispatched: 1, signed: 1, answered: 0 }); // t10
    expect(byKey[ids.B].rates.returnRate).toBe(1); // t10 returned twice: 1 ÷ 1
  });

  it('splits by week, Monday first, and ranks within each week', async () => {
    const body = (await get(`/api/hotline/kpi?groupBy=unit&period=week&${november}`, cookies.leader)).json();
    // 1 November 2026 is a Sunday, so its week starts on Monday 26 October.
    const labels = [...new Set(body.rows.map((r: { periodLabel: string }) => r.periodLabel))];
    expect(labels).toEqual(['2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23', '2026-11-30']);
    const first = body.rows.filter((r: { periodLabel: string }) => r.periodLabel === '2026-10-26');
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ key: ids.B, counts: { dispatched: 1, signed: 1 } });
    // week of 2 November: A visited t1 (满意) and t2; B visited t6 and t10 (both 满意, contacted, solved).
    const second = body.rows.filter((r: { periodLabel: string }) => r.periodLabel === '2026-11-02');
    expect(second.map((r: { key: string; rank: number }) => [r.key, r.rank])).toEqual([[ids.B, 1], [ids.A, 2]]);
    expect(second[0].rates.composite).toBeCloseTo(1, 10);
    // A: contacted 2/2, solved 1/2, (1 + 0.9) ÷ 2 → 0.1 + 0.25 + 0.38 = 0.73
    expect(second[1].rates.composite).toBeCloseTo(0.73, 10);
    // Adding the weeks gives the month.
    const visits = body.rows.reduce((n: number, r: { counts: { visited: number } }) => n + r.counts.visited, 0);
    expect(visits).toBe(7);
  });

  it('draws a monthly trend with every month present', async () => {
    const res = await get('/api/hotline/kpi/trend?period=month&from=2026-09-01&to=2026-12-01', cookies.leader);
    expect(res.statusCode).toBe(200);
    const { series } = res.json();
    expect(series.map((p: { periodLabel: string }) => p.periodLabel)).toEqual(['2026-09', '2026-10', '2026-11']);
    expect(series[0].counts.visited).toBe(0);
    expect(series[0].rates.composite).toBeNull();
    // October: t11 visited (contacted, solved, 满意) → composite 1; dispatched t10, t11, one returned → 0.5.
    expect(series[1].rates.composite).toBeCloseTo(1, 10);
    expect(series[1].rates.returnRate).toBeCloseTo(0.5, 10);
    expect(series[2].counts.visited).toBe(7);
    // one unit's line
    const unitB = (await get(`/api/hotline/kpi/trend?from=2026-11-01&to=2026-12-01&unitId=${ids.B}`, cookies.leader)).json();
    expect(unitB.series).toHaveLength(1);
    expect(unitB.series[0].rates.composite).toBeCloseTo(0.1 + 0.5 + 0.4 * (2.9 / 3), 10);
  });

  it('defaults to the current month by the clock', async () => {
    // now = 10 December: December so far holds t8's visit (unit B, contacted, solved, 满意).
    const body = (await get('/api/hotline/kpi', cookies.leader)).json();
    expect(body.from).toBe('2026-11-30T16:00:00.000Z');
    expect(body.rows).toHaveLength(1);
    expect(body.rows[0]).toMatchObject({ key: ids.B, rank: 1, counts: { visited: 1 } });
    const trend = (await get('/api/hotline/kpi/trend', cookies.leader)).json();
    expect(trend.series).toHaveLength(12);
    expect(trend.series.at(-1).periodLabel).toBe('2026-12');
  });

  it('applies custom weights and satisfaction scores from config', async () => {
    const readKpiConfig = (config: Config) => readModuleSections(config, { kpi: KpiConfigSchema }).kpi as KpiConfig;
    const config = readKpiConfig({
      ...hub.config,
      modules: { kpi: { weights: { response: 0.2, solution: 0.3, satisfaction: 0.5 }, satisfactionScores: { basicallySatisfied: 0.8 } } },
    });
    expect(config.satisfactionScores).toEqual({ satisfied: 1, basicallySatisfied: 0.8, unsatisfied: 0 });
    const kpi = new KpiService(hub.database.db, config, hub.config.city.timeZone, hub.services.clock, hub.services.auth);
    const leader: Actor = { kind: 'user', id: 'l', roles: ['leader'] };
    const table = await kpi.table(leader, { groupBy: 'unit', from: '2026-11-01', to: '2026-12-01' });
    const a = table.rows.find((r) => r.key === ids.A)!;
    // A: 满意率 = (1 + 0.8 × 1) ÷ 4 = 0.45; composite = 0.2 × 0.75 + 0.3 × 0.5 + 0.5 × 0.45 = 0.15 + 0.15 + 0.225
    expect(a.rates.satisfactionRate).toBeCloseTo(0.45, 10);
    expect(a.rates.composite).toBeCloseTo(0.525, 10);
    const b = table.rows.find((r) => r.key === ids.B)!;
    // B: 满意率 = (2 + 0.8) ÷ 3; composite = 0.2 + 0.3 + 0.5 × 2.8/3
    expect(b.rates.composite).toBeCloseTo(0.5 + 0.5 * (2.8 / 3), 10);
    expect(() => readKpiConfig({ ...hub.config, modules: { kpi: { weights: { solution: 2 } } } })).toThrow(/modules\.kpi\.weights\.solution/);
  });

  it('exports CSV with a BOM and Chinese headers', async () => {
    const res = await get(`/api/hotline/kpi/export.csv?groupBy=unit&${november}`, cookies.supervisor);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toContain('kpi-unit-2026-11-01_2026-11-30.csv');
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const lines = res.body.replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    expect(lines[0]).toContain('响应率(%) Response rate');
    expect(lines[0].split(',')[2]).toBe('承办单位 unit');
    expect(lines).toHaveLength(4); // header, B, A, total
    // B: rank 1, visited 3, 响应率 100.00, 解决率 100.00, 满意率 96.67, composite 98.67, on time 50.00,
    //    sign 3.00 h, answer 255.25 h, returns 0.00, re-opens 0.00, dispatched 3, answered 4
    expect(lines[1]).toBe('1,,市水务局,3,100.00,100.00,96.67,98.67,50.00,3.00,255.25,0.00,0.00,3,4');
    expect(lines[2]).toBe('2,,东城区住建委,4,75.00,50.00,47.50,51.50,75.00,1.88,72.00,20.00,25.00,5,4');
    expect(lines[3].startsWith(',,合计 Total,7,')).toBe(true);
  });

  it('exports XLSX that reads back with the same figures', async () => {
    const res = await get(`/api/hotline/kpi/export.xlsx?groupBy=district&${november}`, cookies.leader);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.rawPayload as unknown as ExcelJS.Buffer);
    const sheet = workbook.getWorksheet('三率 KPI')!;
    expect(sheet.getRow(1).getCell(3).value).toBe('区域 district');
    expect(sheet.getRow(2).getCell(3).value).toBe('西城区');
    expect(sheet.getRow(2).getCell(1).value).toBe(1);
    expect(sheet.getRow(2).getCell(8).value).toBeCloseTo(0.89, 10);
    expect(sheet.getRow(2).getCell(8).numFmt).toBe('0.00%');
    expect(sheet.getRow(3).getCell(3).value).toBe('东城区');
    expect(sheet.getRow(4).getCell(3).value).toBe('合计 Total');
    expect(sheet.getRow(4).getCell(4).value).toBe(7);
    expect(workbook.getWorksheet('说明 About')!.getRow(6).getCell(2).value).toBe('0.1 × 响应率 + 0.5 × 解决率 + 0.4 × 满意率');
  });

  it('refuses a citizen and an anonymous caller', async () => {
    expect((await get(`/api/hotline/kpi?${november}`, cookies.citizen)).statusCode).toBe(403);
    expect((await get('/api/hotline/kpi/export.csv', cookies.citizen)).statusCode).toBe(403);
    expect((await hub.http.inject(`/api/hotline/kpi/trend`)).statusCode).toBe(401);
  });

  it('shows a handler its own unit only', async () => {
    const mine = (await get(`/api/hotline/kpi?groupBy=unit&${november}`, cookies.handlerA)).json();
    expect(mine.scopeUnitId).toBe(ids.A);
    expect(mine.rows.map((r: { key: string }) => r.key)).toEqual([ids.A]);
    // by district, still only A's tickets: D1 t1 t2 t4, D2 t3
    const districts = (await get(`/api/hotline/kpi?groupBy=district&${november}`, cookies.handlerA)).json();
    expect(districts.rows.map((r: { name: string; counts: { visited: number } }) => [r.name, r.counts.visited])).toEqual([['西城区', 1], ['东城区', 3]]);
    const trend = (await get(`/api/hotline/kpi/trend?${november}`, cookies.handlerA)).json();
    expect(trend.series[0].counts.visited).toBe(4);
    const other = await get(`/api/hotline/kpi?unitId=${ids.B}&${november}`, cookies.handlerA);
    expect(other.statusCode).toBe(403);
    expect(other.headers['content-type']).toContain('application/problem+json');
    const csv = await get(`/api/hotline/kpi/export.csv?${november}`, cookies.handlerA);
    expect(csv.body).not.toContain('市水务局');
  });

  it('is in the OpenAPI document with its access rule', async () => {
    const paths = Object.keys((await hub.http.inject('/openapi.json')).json().paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/hotline/kpi/trend', '/api/hotline/kpi/export.csv', '/api/hotline/kpi/export.xlsx']));
    const kpiRoutes = hub.http.routeTable.filter((r) => r.url.startsWith('/api/hotline/kpi'));
    expect(kpiRoutes.length).toBeGreaterThanOrEqual(4);
    expect(kpiRoutes.every((r) => r.access === 'hotline.kpi.read' || r.method === 'HEAD')).toBe(true);
  });

  it('answers bad input with 400 naming the field', async () => {
    const badDate = await get('/api/hotline/kpi?from=2026-02-30', cookies.leader);
    expect(badDate.statusCode).toBe(400);
    expect(badDate.json().errors[0].field).toBe('/query/from');
    const backwards = await get('/api/hotline/kpi?from=2026-11-02&to=2026-11-01', cookies.leader);
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().errors[0].field).toBe('/query/to');
    const tooLong = await get('/api/hotline/kpi?period=day&from=2020-01-01&to=2026-01-01', cookies.leader);
    expect(tooLong.json().errors[0].field).toBe('/query/to');
    const badGroup = await get('/api/hotline/kpi?groupBy=street', cookies.leader);
    expect(badGroup.statusCode).toBe(400);
    expect(badGroup.json().code).toBe('VALIDATION_FAILED');
  });
});
