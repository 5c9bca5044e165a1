import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import { kpiCounts, kpiLiveCounts, rollupSpan, type KpiCountsQuery, type KpiGroupBy } from '../../../src/hotline/kpi/kpi-store.js';
import { refreshRollup, setUpRollup } from '../../../src/hotline/kpi/kpi-rollup-store.js';
import { eventColumns, kpiCountedColumns, kpiEvents } from '../../../src/hotline/kpi/counted-columns.js';
import type { Period } from '../../../src/hotline/kpi/kpi-periods.js';
import { systemActor, type Actor } from '../../../src/platform/auth/roles.js';
import type { Db } from '../../../src/platform/db/database.js';
import { bj, insertKpiTicket, type KpiFixture } from './kpi-fixture.js';

/**
 * The daily roll-up must give exactly the counts of the live query, whatever happened since it was built. Times
 * are Beijing time (the default city.timeZone): `bj(month, day, hour, minute)`.
 */
const tz = 'Asia/Shanghai';
const setup = systemActor('test-setup');
const leader: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000002', username: 'leader', roles: ['leader'] };

type Fixture = KpiFixture<'A' | 'B' | 'D1' | 'D2' | 'c1' | 'c2'>;

// Events on both sides of local midnight (t2 visited 23:50, t3 dispatched 00:10), across a week and a month
// boundary (Sunday 1 November / Monday 2 November, 30 November / 1 December), a merged duplicate (t6), a
// dispatched-only ticket (t5) and an unsatisfied visit (t4) the supervisor can re-open.
const fixtures: Fixture[] = [
  /* t1 */ { unit: 'A', district: 'D1', category: 'c1', dispatched: bj(11, 2, 9), accepted: bj(11, 2, 11), due: bj(11, 9, 11), answered: bj(11, 5, 11), visited: bj(11, 6, 10), solved: true, satisfaction: 'satisfied' },
  /* t2 */ { unit: 'A', district: 'D2', category: 'c2', dispatched: bj(11, 1, 9), accepted: bj(11, 1, 10), due: bj(11, 3, 10), answered: bj(11, 5, 10), visited: bj(11, 7, 23, 50), solved: false, satisfaction: 'basically_satisfied', returns: 1 },
  /* t3 */ { unit: 'B', district: 'D2', category: 'c1', dispatched: bj(11, 8, 0, 10), accepted: bj(11, 8, 2), due: bj(11, 15, 2), answered: bj(11, 30, 23), visited: bj(12, 1, 0, 10), solved: true, satisfaction: 'satisfied' },
  /* t4 */ { unit: 'B', district: 'D1', category: 'c2', dispatched: bj(11, 10, 9), accepted: bj(11, 10, 12), due: bj(11, 17, 12), answered: bj(11, 12, 12), visited: bj(11, 13, 10), solved: false, satisfaction: 'unsatisfied' },
  /* t5 */ { unit: 'A', district: 'D1', category: 'c1', dispatched: bj(11, 28, 9) },
  /* t6 */ { unit: 'B', district: 'D2', category: 'c2', dispatched: bj(11, 10, 8), accepted: bj(11, 10, 9), due: bj(11, 17, 9), answered: bj(11, 12, 9), visited: bj(11, 13, 11), solved: true, satisfaction: 'satisfied', mergedInto: 4 },
  /* t7 */ { unit: 'A', district: 'D2', category: 'c1', dispatched: bj(10, 30, 9), accepted: bj(10, 31, 23), due: bj(11, 7, 23), answered: bj(11, 1, 0, 30), visited: bj(11, 2, 10), solved: true, satisfaction: 'satisfied' },
];

describe.each(testEngines)('hotline kpi daily roll-up [%s]', (engine) => {
  let hub: TestHub;
  let db: Db;
  let now = bj(12, 10, 12); // "today" is 10 December in Beijing
  const ids = { A: '', B: '', D1: '', D2: '', c1: '', c2: '' };
  const tickets: string[] = [];

  const insertTicket = (t: Fixture, i: number) => insertKpiTicket(db, `20261101-rollup${i}`, { contacted: t.visited ? true : undefined, ...t }, ids, tickets);

  const dirtyDays = async () =>
    (await sql<{ day: string }>`select day::text as day from hotline_kpi_dirty_day order by day`.execute(db)).rows.map((r) => r.day);

  const queries = (): KpiCountsQuery[] => {
    const out: KpiCountsQuery[] = [];
    const ranges: [Date, Date][] = [
      [bj(11, 1, 0), bj(12, 1, 0)], // November, whole local days
      [bj(10, 26, 0), bj(12, 14, 0)], // several weeks, today included
      [bj(11, 2, 8, 30), bj(11, 13, 10, 30)], // partial days at both ends
      [bj(11, 7, 12), bj(11, 8, 12)], // shorter than two days: no whole day inside
      [bj(11, 5, 10), bj(11, 5, 11)], // one hour
    ];
    for (const [from, to] of ranges) {
      for (const groupBy of ['unit', 'district', 'category', 'city'] as KpiGroupBy[]) {
        for (const period of [undefined, 'day', 'week', 'month'] as (Period | undefined)[]) {
          out.push({ groupBy, from, to, period, timeZone: tz });
        }
      }
      out.push({ groupBy: 'unit', from, to, timeZone: tz, unitId: ids.A });
      out.push({ groupBy: 'category', from, to, timeZone: tz, districtId: ids.D2, level1: '城乡建设' });
    }
    return out;
  };

  /** Every query through the roll-up equals the live count (seconds are whole here, so sums are exact). */
  const expectSameAsLive = async () => {
    for (const q of queries()) {
      const [rolled, live] = await Promise.all([kpiCounts(db, q), kpiLiveCounts(db, q)]);
      expect(rolled, JSON.stringify({ ...q, from: q.from.toISOString(), to: q.to.toISOString() })).toEqual(live);
    }
  };

  const unitRow = async (unit: 'A' | 'B') =>
    (await kpiCounts(db, { groupBy: 'unit', from: bj(11, 1, 0), to: bj(12, 1, 0), timeZone: tz })).find((r) => r.key === ids[unit]);

  beforeAll(async () => {
    hub = await createTestHub(engine, { clock: () => now });
    db = hub.database.db;
    ids.A = (await hub.services.auth.insertOrg(setup, { name: '东城区住建委', kind: 'department' })).id;
    ids.B = (await hub.services.auth.insertOrg(setup, { name: '市水务局', kind: 'department' })).id;
    for (const [key, name] of [['D1', '东城区'], ['D2', '西城区']] as const) {
      ids[key] = (await db.insertInto('hotline_area').values({ name, level: 'district', parent_id: null, org_id: null, center_lon: null, center_lat: null }).returning('id').executeTakeFirstOrThrow()).id;
    }
    for (const [key, code, level1] of [['c1', 'rollup-c1', '城乡建设'], ['c2', 'rollup-c2', '环境保护']] as const) {
      ids[key] = (await db.insertInto('hotline_category').values({ code, level1, level2: null, level3: null }).returning('id').executeTakeFirstOrThrow()).id;
    }
    for (const [i, t] of fixtures.entries()) tickets.push(await insertTicket(t, i + 1));
  });
  afterAll(async () => hub?.close());

  it('splits a range into whole local days and live edges', () => {
    expect(rollupSpan(bj(11, 1, 0), bj(12, 1, 0), tz)).toEqual({ firstDay: '2026-11-01', endDay: '2026-12-01', edges: [] });
    expect(rollupSpan(bj(11, 2, 8, 30), bj(11, 13, 10, 30), tz)).toEqual({
      firstDay: '2026-11-03', endDay: '2026-11-13', edges: [[bj(11, 2, 8, 30), bj(11, 3, 0)], [bj(11, 13, 0), bj(11, 13, 10, 30)]],
    });
    expect(rollupSpan(bj(11, 7, 12), bj(11, 8, 12), tz).edges).toEqual([[bj(11, 7, 12), bj(11, 8, 12)]]);
  });

  it('finds the declared counted columns in the trigger and the covering indexes the migrations created', async () => {
    // The migrations keep the text they were applied with; counted-columns.ts is what the store reads. A column
    // declared there and not yet migrated (or migrated and not declared) fails here, on the database itself.
    const fn = await sql<{ src: string }>`select p.prosrc as src from pg_proc p join pg_namespace s on s.oid = p.pronamespace
      where p.proname = 'hotline_kpi_mark_dirty' and s.nspname = current_schema()`.execute(db);
    const src = fn.rows[0].src;
    const compared = /\(([^()]*)\) is distinct from/.exec(src)![1].split(',').map((c) => c.trim().replace(/^o\./, ''));
    expect([...compared].sort()).toEqual([...kpiCountedColumns].sort());
    const inserted = /from kpi_new n cross join lateral \(values (.*)\) as e\(ts\)/.exec(src)![1];
    expect(inserted.match(/n\.\w+/g)!.map((c) => c.slice(2))).toEqual([...kpiEvents]);
    const indexes = await sql<{ def: string }>`select indexdef as def from pg_indexes
      where schemaname = current_schema() and tablename = 'hotline_ticket' and indexname like 'hotline_ticket_kpi_%'`.execute(db);
    const covered = Object.fromEntries(indexes.rows.map((r) => {
      const [, key, include] = /\((\w+)\) INCLUDE \(([^)]*)\)/.exec(r.def)!;
      return [key, include.split(', ')];
    }));
    expect(covered).toEqual(Object.fromEntries(kpiEvents.map((e) => [e, eventColumns(e).filter((c) => c !== e)])));
  });

  it('marks nothing before it is set up, then every day with an event; counts are exact before any refresh', async () => {
    expect(await dirtyDays()).toEqual([]);
    await hub.services.kpi.table(leader, { from: '2026-11-01', to: '2026-12-01' }); // the service sets it up
    expect(await dirtyDays()).toEqual([
      '2026-10-30', '2026-10-31', '2026-11-01', '2026-11-02', '2026-11-05', '2026-11-06', '2026-11-07', '2026-11-08',
      '2026-11-10', '2026-11-12', '2026-11-13', '2026-11-28', '2026-11-30', '2026-12-01',
    ]);
    await expectSameAsLive();
  });

  it('rolls up every dirty day before today and then answers from the roll-up, equal to the live count', async () => {
    expect(await hub.services.kpi.refreshRollup()).toBe(14);
    expect(await dirtyDays()).toEqual([]);
    const rows = Number((await sql<{ n: number }>`select count(*) as n from hotline_kpi_daily`.execute(db)).rows[0].n);
    expect(rows).toBeGreaterThan(0);
    await expectSameAsLive();
    // By hand, unit A in November: visits t1 (6th), t2 (7th 23:50), t7 (2nd) → 3; t2 solved no → solved 2;
    // dispatched t1, t2, t5 → 3 (t7 was dispatched in October), returned t2 → 1.
    expect(await unitRow('A')).toMatchObject({ visited: 3, solved: 2, satisfied: 2, basicallySatisfied: 1, dispatched: 3, returned: 1 });
  });

  it('really reads the roll-ups for clean days (doctored roll-up rows show), and not for dirty ones', async () => {
    const day = '2026-11-06'; // t1's visit, unit A, district D1
    // By unit the per-unit roll-up answers; with a district filter the full one.
    const unitInD1 = async () => (await kpiCounts(db, { groupBy: 'unit', from: bj(11, 1, 0), to: bj(12, 1, 0), timeZone: tz, districtId: ids.D1 }))
      .find((r) => r.key === ids.A);
    await sql`update hotline_kpi_daily_unit set visited = visited + 100 where day = ${day}::date and unit_id = ${ids.A}`.execute(db);
    await sql`update hotline_kpi_daily set visited = visited + 10 where day = ${day}::date and unit_id = ${ids.A}`.execute(db);
    expect((await unitRow('A'))!.visited).toBe(103);
    expect((await unitInD1())!.visited).toBe(11);
    await sql`insert into hotline_kpi_dirty_day (day) values (${day}::date)`.execute(db);
    expect((await unitRow('A'))!.visited).toBe(3); // a dirty day is counted from the tickets
    expect((await unitInD1())!.visited).toBe(1);
    expect(await hub.services.kpi.refreshRollup()).toBe(1);
    expect((await unitRow('A'))!.visited).toBe(3);
    expect((await unitInD1())!.visited).toBe(1);
    await expectSameAsLive();
  });

  it('stays exact when tickets change on rolled-up days: workflow actions, a direct UPDATE, an import, a delete', async () => {
    const supervisor: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000001', username: 'sup', roles: ['supervisor'] };
    // Re-open t4 (visited unsatisfied on 13 November): a fresh round clears its signing of 10 November and
    // moves its dispatch to today. Every day of a changed ticket's events is marked, old and new.
    await hub.services.hotline.workflow.transition(supervisor, tickets[3], 'reopen', { note: 'citizen unsatisfied' });
    expect(await dirtyDays()).toEqual(['2026-11-10', '2026-11-12', '2026-11-13', '2026-12-10']);
    await expectSameAsLive();
    expect((await unitRow('B'))).toMatchObject({ signed: 1, dispatched: 1 }); // t3 only (t4 re-dispatched today)

    // Merge t2 (rolled-up days 1, 5 and 7 November) under t1: it stops counting.
    await hub.services.hotline.workflow.transition(supervisor, tickets[1], 'merge', { mainTicketId: tickets[0] });
    expect(await dirtyDays()).toEqual(['2026-11-01', '2026-11-05', '2026-11-07', '2026-11-10', '2026-11-12', '2026-11-13', '2026-12-10']);
    await expectSameAsLive();
    expect(await unitRow('A')).toMatchObject({ visited: 2, returned: 0, dispatched: 2 });

    // Any writer is caught, not only the service: a hand-run UPDATE of a satisfaction on 6 November.
    await sql`update hotline_ticket set satisfaction = 'unsatisfied' where id = ${tickets[0]}`.execute(db);
    expect(await dirtyDays()).toContain('2026-11-06');
    await expectSameAsLive();
    expect(await unitRow('A')).toMatchObject({ satisfied: 1, unsatisfied: 1 });

    // A flag the KPI does not count (the deadline job, supervision) marks nothing.
    await hub.services.kpi.refreshRollup();
    expect(await dirtyDays()).toEqual(['2026-12-10']);
    await sql`update hotline_ticket set overdue = true, supervised = true`.execute(db);
    expect(await dirtyDays()).toEqual(['2026-12-10']);

    // An imported ticket from history lands on rolled-up days; a deleted one leaves them.
    tickets.push(await insertTicket({ unit: 'B', district: 'D1', category: 'c1', dispatched: bj(11, 20, 9), accepted: bj(11, 20, 10), due: bj(11, 27, 10), answered: bj(11, 21, 10), visited: bj(11, 22, 10), solved: true, satisfaction: 'satisfied' }, 8));
    await db.deleteFrom('hotline_ticket').where('id', '=', tickets[4]).execute(); // t5, dispatched 28 November
    expect(await dirtyDays()).toEqual(['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-28', '2026-12-10']);
    await expectSameAsLive();
    await hub.services.kpi.refreshRollup();
    expect(await dirtyDays()).toEqual(['2026-12-10']);
    await expectSameAsLive();
    expect(await unitRow('B')).toMatchObject({ visited: 2, satisfied: 1, unsatisfied: 1 });
  });

  it('rolls a day only once it is over: tomorrow the refresh takes today', async () => {
    now = bj(12, 11, 0, 5);
    expect(await hub.services.kpi.refreshRollup()).toBe(1);
    expect(await dirtyDays()).toEqual([]);
    await expectSameAsLive();
  });

  it('counts live in a zone the roll-up is not in, and starts over when the zone changes', async () => {
    const utc = (q: KpiCountsQuery) => ({ ...q, timeZone: 'UTC' });
    for (const q of queries().map(utc)) expect(await kpiCounts(db, q)).toEqual(await kpiLiveCounts(db, q));
    expect(await setUpRollup(db, 'UTC')).toBe(true);
    expect(await setUpRollup(db, 'UTC')).toBe(false);
    expect(await refreshRollup(db, 'UTC', '2026-12-11')).toBeGreaterThan(0);
    for (const q of queries().map(utc)) expect(await kpiCounts(db, q)).toEqual(await kpiLiveCounts(db, q));
    // A refresh for the old zone leaves the new roll-up alone; Beijing queries fall back to live counting.
    expect(await refreshRollup(db, tz, '2026-12-11')).toBe(0);
    await expectSameAsLive();
  });

  it('empties the roll-up with the tickets (TRUNCATE fires no row triggers)', async () => {
    expect(Number((await sql<{ n: number }>`select count(*) as n from hotline_kpi_daily_unit`.execute(db)).rows[0].n)).toBeGreaterThan(0);
    await sql`truncate hotline_ticket cascade`.execute(db);
    for (const table of ['hotline_kpi_daily', 'hotline_kpi_daily_unit']) {
      expect(Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0].n), table).toBe(0);
    }
    expect(await kpiCounts(db, { groupBy: 'city', from: bj(11, 1, 0), to: bj(12, 1, 0), timeZone: 'UTC' })).toEqual([]);
  });
});
