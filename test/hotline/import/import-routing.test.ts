import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../support/engines.js';
import { parseMapping } from '../../../src/hotline/import/index.js';
import { formatTicketNumber } from '../../../src/hotline/ticket-number.js';
import { importer as admin, importFixture, type ImportFixture } from './import-fixture.js';

/**
 * Imported tickets get their area from the area tree by name, and open ones a unit from the routing rules (the
 * same RoutingService.suggestUnit a dispatcher sees), so they land in that unit's queue.
 */
const NOW = new Date('2026-11-26T02:00:00Z');

const csv = (rows: string[][]): string => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'import-routing-')), 'tickets.csv');
  writeFileSync(file, ['id,title,time,status,category,area,street', ...rows.map((r) => r.join(','))].join('\n') + '\n');
  return file;
};

const mapping = (extra: Record<string, unknown> = {}) =>
  parseMapping({
    source: 'routing',
    ...extra,
    fields: {
      external_id: 'id', title: 'title', created_at: { column: 'time', date: 'YYYY-MM-DD HH:mm:ss' },
      status: 'status', category: 'category', area: 'area', street: 'street',
    },
  });

describe.each(testEngines)('ticket import: areas and routing [%s]', (engine) => {
  let fx: ImportFixture;
  const ids = { water: '', dongcheng: '', dongchengGov: '', dongHuamen: '', xicheng: '', roads: '', noise: '' };
  const ticket = (externalId: string) =>
    fx.database.db.selectFrom('hotline_ticket').selectAll().where('source', '=', 'routing').where('external_id', '=', externalId).executeTakeFirstOrThrow();

  beforeAll(async () => {
    fx = await importFixture(engine, () => NOW);
    const db = fx.database.db;
    const org = async (name: string) =>
      (await db.insertInto('org').values({ name, kind: 'department', credit_code: null, parent_id: null }).returning('id').executeTakeFirstOrThrow()).id;
    ids.water = await org('市水务局');
    ids.dongchengGov = await org('东城区政府');
    const area = async (name: string, level: string, parentId: string | null, orgId: string | null) =>
      (await db.insertInto('hotline_area').values({ name, level, parent_id: parentId, org_id: orgId, center_lon: null, center_lat: null }).returning('id').executeTakeFirstOrThrow()).id;
    ids.dongcheng = await area('东城区', 'district', null, ids.dongchengGov);
    ids.dongHuamen = await area('东华门街道', 'street', ids.dongcheng, null);
    ids.xicheng = await area('西城区', 'district', null, null); // no government recorded: nobody to fall back on
    await fx.reference.importTaxonomy(admin, [{ level1: '城乡建设', level2: '市政设施' }, { level1: '环境保护', level2: '噪声污染' }]);
    const categories = await fx.reference.listCategories(admin);
    ids.roads = categories.find((c) => c.level2 === '市政设施')!.id;
    ids.noise = categories.find((c) => c.level2 === '噪声污染')!.id;
    // 市政设施 in 东华门街道 goes to the water authority.
    await db.insertInto('hotline_routing_rule').values({ category_id: ids.roads, area_id: ids.dongHuamen, unit_id: ids.water }).execute();
  });
  afterAll(async () => fx?.close());

  it('maps areas by name and routes open tickets; closed history keeps no unit', async () => {
    const file = csv([
      ['r1', '井盖缺失', '2026-11-20 09:00:00', 'received', '城乡建设/市政设施', '东城区/东华门街道', ''],
      ['r2', '夜间施工', '2026-11-20 10:00:00', 'received', '环境保护/噪声污染', '东城区', ''],
      ['r3', '噪音扰民', '2026-11-20 11:00:00', 'received', '环境保护/噪声污染', '西城区', ''],
      ['r4', '路灯不亮', '2026-10-01 09:00:00', 'closed', '城乡建设/市政设施', '东城区/东华门街道', ''],
      ['r5', '道路破损', '2026-11-21 09:00:00', 'in_progress', '城乡建设/市政设施', '', '东华门街道'],
      ['r6', '积水', '2026-11-21 10:00:00', 'received', '城乡建设/市政设施', '海淀区', ''],
    ]);
    const s = await fx.importer.run(admin, { file, mapping: mapping() });
    expect(s).toMatchObject({ imported: 6, bad: 0, routed: 3, areasUnmatched: 1 });

    // r1: a rule on category × street → the water authority; received becomes dispatched now, with a sign deadline.
    const r1 = await ticket('r1');
    expect(r1).toMatchObject({ area_id: ids.dongHuamen, district_id: ids.dongcheng, unit_id: ids.water, status: 'dispatched' });
    expect(r1.dispatched_at).toEqual(NOW);
    expect(r1.sign_due_at).toEqual(new Date(NOW.getTime() + 2 * 3_600_000)); // modules.hotline.deadlines.signHours
    expect(r1.number).toBe(formatTicketNumber('20261120', 1));
    const events = await fx.database.db.selectFrom('hotline_ticket_event').selectAll().where('ticket_id', '=', r1.id).execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'dispatch', from_status: 'received', to_status: 'dispatched' });
    expect(events[0].details).toMatchObject({ unit: ids.water, routing: 'rule', override: false });

    // r2: no rule for noise → the district government (首接负责).
    expect(await ticket('r2')).toMatchObject({ area_id: ids.dongcheng, district_id: ids.dongcheng, unit_id: ids.dongchengGov, status: 'dispatched' });
    // r3: no rule, no government → stays received for an agent, area kept, no event.
    const r3 = await ticket('r3');
    expect(r3).toMatchObject({ area_id: ids.xicheng, district_id: ids.xicheng, unit_id: null, status: 'received', dispatched_at: null });
    expect(await fx.database.db.selectFrom('hotline_ticket_event').select('id').where('ticket_id', '=', r3.id).execute()).toHaveLength(0);
    // r4: closed history gets its area, not a unit (nobody knows who handled it then).
    expect(await ticket('r4')).toMatchObject({ area_id: ids.dongHuamen, district_id: ids.dongcheng, unit_id: null, status: 'closed' });
    // r5: a street name alone (unique in the tree) finds its district; in progress keeps its status, gets the unit.
    expect(await ticket('r5')).toMatchObject({ area_id: ids.dongHuamen, district_id: ids.dongcheng, unit_id: ids.water, status: 'in_progress' });
    // r6: an unknown district → no area (unknownArea "none"), no unit found → received.
    expect(await ticket('r6')).toMatchObject({ area_id: null, district_id: null, unit_id: null, status: 'received' });

    // Running again adds nothing: no ticket, no event.
    const again = await fx.importer.run(admin, { file, mapping: mapping() });
    expect(again).toMatchObject({ imported: 0, existing: 6, routed: 0 });
    expect(await fx.database.db.selectFrom('hotline_ticket_event').select('id').where('ticket_id', '=', r1.id).execute()).toHaveLength(1);
  });

  it('reports an unknown area as a bad row with unknownArea "bad"; route: false leaves units alone', async () => {
    const file = csv([
      ['b1', '井盖缺失', '2026-11-22 09:00:00', 'received', '城乡建设/市政设施', '东城区/东华门街道', ''],
      ['b2', '积水', '2026-11-22 10:00:00', 'received', '城乡建设/市政设施', '东城区/不存在街道', ''],
    ]);
    const bad: [number, string][] = [];
    const s = await fx.importer.run(admin, {
      file, mapping: mapping({ source: 'routing', unknownArea: 'bad', route: false }), onBadRow: (line, reason) => bad.push([line, reason]),
    });
    expect(s).toMatchObject({ imported: 1, bad: 1, routed: 0 });
    expect(bad).toEqual([[3, 'area "东城区 / 不存在街道" is not in the area tree']]);
    expect(await ticket('b1')).toMatchObject({ area_id: ids.dongHuamen, unit_id: null, status: 'received' });
  });
});
