import { sql } from 'kysely';
import type { Db } from '../../src/platform/db/database.js';
import { withoutSecondaryIndexes } from '../bench-database.js';

/**
 * A year of generated tickets for the KPI benches (kpi.bench.ts, kpi-megacity.bench.ts): 50 units, 16 districts,
 * 60 categories, `n` tickets over 2026 in creation order, inserted server-side from generate_series in batches
 * (no rows cross the wire), the secondary indexes dropped during the load and built again once, then VACUUM
 * ANALYZE (statistics, visibility map) as autovacuum would.
 */
export const UNITS = 50;
const DISTRICTS = 16;
const CATEGORIES = 60;
const BATCH = 100_000;

/** Units, districts, categories, then `n` tickets spread evenly over 2026 (in creation order, as a city files them). */
export async function generate(db: Db, n: number): Promise<void> {
  const units: string[] = [];
  for (let i = 0; i < UNITS; i++) {
    units.push((await db.insertInto('org').values({ name: `承办单位${i + 1}`, kind: 'department', credit_code: null, parent_id: null }).returning('id').executeTakeFirstOrThrow()).id);
  }
  const districts: string[] = [];
  for (let i = 0; i < DISTRICTS; i++) {
    districts.push((await db.insertInto('hotline_area').values({ name: `区${i + 1}`, level: 'district', parent_id: null, org_id: null, center_lon: null, center_lat: null }).returning('id').executeTakeFirstOrThrow()).id);
  }
  const categories: string[] = [];
  for (let i = 0; i < CATEGORIES; i++) {
    categories.push((await db.insertInto('hotline_category').values({ code: `b${i}`, level1: `大类${i % 15}`, level2: `小类${i}`, level3: null }).returning('id').executeTakeFirstOrThrow()).id);
  }
  await sql`select setseed(0.42)`.execute(db);
  const started = performance.now();
  const rebuilt = await withoutSecondaryIndexes(db, 'hotline_ticket', async () => {
    for (let a = 1; a <= n; a += BATCH) {
      const b = Math.min(n, a + BATCH - 1);
      // Stages: 3 % received, 3 % dispatched, 4 % in progress, 5 % answered, 85 % visited; ~30 % answered after
      // the 7-day deadline; 97 % of visits reach the citizen, 80 % solved, 70/20/10 % satisfied/basically/not.
      await sql`
        insert into hotline_ticket (number, channel, title, content, urgency, status, unit_id, district_id, area_id, category_id,
          created_at, updated_at, dispatched_at, accepted_at, due_at, answered_at, visited_at,
          visit_contacted, visit_solved, satisfaction, return_count, reopen_count, tags, attachments)
        select 'B' || lpad(g::text, 9, '0'), 'phone', '夜间施工噪音扰民', '小区旁工地夜间施工，噪音很大，影响休息，请尽快处理。', 'normal',
          case when stage < 0.03 then 'received' when stage < 0.06 then 'dispatched' when stage < 0.10 then 'in_progress'
               when stage < 0.15 then 'answered' else 'visited' end,
          (${units}::uuid[])[1 + (g * 7 % ${UNITS})], d, d, (${categories}::uuid[])[1 + (g * 13 % ${CATEGORIES})],
          created, created,
          case when stage >= 0.03 then created + r1 * interval '2 hours' end,
          case when stage >= 0.06 then created + r1 * interval '2 hours' + r2 * interval '24 hours' end,
          case when stage >= 0.06 then created + r1 * interval '2 hours' + r2 * interval '24 hours' + interval '7 days' end,
          case when stage >= 0.10 then created + r1 * interval '2 hours' + r2 * interval '24 hours' + r3 * interval '10 days' end,
          case when stage >= 0.15 then created + r1 * interval '2 hours' + r2 * interval '24 hours' + r3 * interval '10 days' + interval '1 day' + r4 * interval '2 days' end,
          case when stage >= 0.15 then r5 < 0.97 end,
          case when stage >= 0.15 and r5 < 0.97 then r6 < 0.8 end,
          case when stage >= 0.15 and r5 < 0.97 then (case when r7 < 0.7 then 'satisfied' when r7 < 0.9 then 'basically_satisfied' else 'unsatisfied' end) end,
          case when stage >= 0.03 and r8 < 0.05 then 1 else 0 end,
          case when stage >= 0.15 and r8 > 0.97 then 1 else 0 end,
          '{}', '[]'
        from (
          select g, random() as stage, random() as r1, random() as r2, random() as r3, random() as r4, random() as r5,
            random() as r6, random() as r7, random() as r8,
            (${districts}::uuid[])[1 + (g * 3 % ${DISTRICTS})] as d,
            timestamptz '2026-01-01 00:00:00+08' + (g::double precision / ${n}) * interval '365 days' as created
          from generate_series(${a}::int, ${b}::int) as g
        ) s`.execute(db);
      process.stdout.write(`\r  inserted ${b.toLocaleString('en-US')} / ${n.toLocaleString('en-US')}`);
    }
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`  rebuilt the indexes in ${rebuilt.toFixed(1)} s`);
  process.stdout.write(`\r  inserted ${n.toLocaleString('en-US')} tickets in ${seconds.toFixed(1)} s with indexes (${Math.round(n / seconds).toLocaleString('en-US')} rows/s)\n`);
  // What autovacuum does to a loaded table: statistics for the planner, the visibility map for index-only scans.
  await sql`vacuum analyze hotline_ticket`.execute(db);
}
