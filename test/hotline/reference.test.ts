import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { testEngines } from '../support/engines.js';
import { itWithSharedData, sharedDataPath } from '../support/shared-data.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { parseCsv, readTaxonomyCsv } from '../../src/hotline/taxonomy-csv.js';
import { systemActor, type Actor } from '../../src/platform/auth/roles.js';

const taxonomyFile = sharedDataPath('teddycup2020c', 'taxonomy.csv');
/** Written by hand in the same layout (level1,level2,level3), with level-1 names not in the Teddy Cup taxonomy. */
const fixtureTaxonomy = path.join(__dirname, 'fixtures', 'taxonomy.csv');

describe('taxonomy CSV', () => {
  it('parses quoted fields, CRLF and a BOM', () => {
    expect(parseCsv('\uFEFFlevel1,level2,level3\r\n"城乡建设","a, ""b""",c\r\n\r\nx,,\n')).toEqual([
      ['level1', 'level2', 'level3'], ['城乡建设', 'a, "b"', 'c'], ['x', '', ''],
    ]);
  });
});

describe.each(testEngines)('hotline reference data: areas, taxonomy, routing rules [%s]', (engine) => {
  let hub: TestHub;
  let adminCookie: string;
  let agentCookie: string;
  const cli: Actor = systemActor('cli');

  beforeAll(async () => {
    hub = await createTestHub(engine);
    adminCookie = (await hub.loginAs(['admin'])).cookie;
    agentCookie = (await hub.loginAs(['agent'])).cookie;
  }, 120_000);
  afterAll(async () => hub?.close());

  itWithSharedData('teddycup2020c')('imports the Teddy Cup taxonomy (every node and its parents) and adds nothing the second time', async () => {
    const rows = await readTaxonomyCsv(taxonomyFile);
    expect(rows.length).toBe(517);
    const first = await hub.services.hotline.reference.insertTaxonomy(cli, rows);
    const level1 = new Set(rows.map((r) => r.level1)).size;
    const level2 = new Set(rows.map((r) => `${r.level1}/${r.level2}`)).size;
    const level3 = new Set(rows.map((r) => `${r.level1}/${r.level2}/${r.level3}`)).size;
    expect(first).toEqual({ rows: 517, created: level1 + level2 + level3, existing: 0, bad: 0 });
    const second = await hub.services.hotline.reference.insertTaxonomy(cli, rows);
    expect(second.created).toBe(0);
    const res = await hub.http.inject({ url: '/api/hotline/categories', headers: { cookie: agentCookie } });
    expect(res.statusCode).toBe(200);
    const cats = res.json() as { code: string; path: string }[];
    expect(cats.length).toBe(level1 + level2 + level3);
    expect(new Set(cats.map((c) => c.code)).size).toBe(cats.length);
    expect(cats.map((c) => c.path)).toContain('城乡建设 / 安全生产 / 安全隐患');
  });

  it('imports a taxonomy fixture: every node and its parents once, a bad row counted, nothing added the second time', async () => {
    const list = async () => (await hub.http.inject({ url: '/api/hotline/categories', headers: { cookie: agentCookie } })).json() as { code: string; path: string }[];
    const before = (await list()).length; // the Teddy Cup taxonomy too when the test above ran
    const rows = await readTaxonomyCsv(fixtureTaxonomy);
    expect(rows.length).toBe(9);
    expect(rows[5]).toEqual({ level1: '公用事业', level2: '燃气', level3: '燃气泄漏, 异味' }); // quoted, with a comma
    // 3 level-1 + 4 level-2 + 6 level-3 nodes; a repeated row adds nothing; level3 without level2 is bad.
    const first = await hub.services.hotline.reference.insertTaxonomy(cli, rows);
    expect(first).toEqual({ rows: 9, created: 13, existing: 0, bad: 1 });
    expect(await hub.services.hotline.reference.insertTaxonomy(cli, rows)).toEqual({ rows: 9, created: 0, existing: 13, bad: 1 });
    const cats = await list();
    expect(cats.length).toBe(before + 13);
    expect(new Set(cats.map((c) => c.code)).size).toBe(cats.length);
    expect(cats.map((c) => c.path)).toEqual(expect.arrayContaining(['应急管理', '公用事业 / 供水', '公用事业 / 燃气 / 燃气泄漏, 异味']));
  });

  it('builds the area tree and lets only administrators change areas and rules', async () => {
    const post = (cookie: string, url: string, payload: object) => hub.http.inject({ method: 'POST', url: `/api/hotline${url}`, headers: { cookie }, payload });
    const forbidden = await post(agentCookie, '/areas', { name: '临江区' });
    expect(forbidden.statusCode).toBe(403);
    const district = await post(adminCookie, '/areas', { name: '临江区' });
    expect(district.statusCode).toBe(201);
    expect(district.json().level).toBe('district');
    const street = await post(adminCookie, '/areas', { name: '滨江街道', parentId: district.json().id });
    expect(street.json().level).toBe('street');
    expect((await post(adminCookie, '/areas', { name: '滨江街道', parentId: district.json().id })).json().code).toBe('HOTLINE_AREA_EXISTS');
    expect((await post(adminCookie, '/areas', { name: '三级', parentId: street.json().id })).statusCode).toBe(400);
    const tree = (await hub.http.inject({ url: '/api/hotline/areas', headers: { cookie: agentCookie } })).json();
    expect(tree).toMatchObject([{ name: '临江区', children: [{ name: '滨江街道', level: 'street' }] }]);

    const unit = await hub.services.auth.insertOrg(cli, { name: '市城市管理局', kind: 'department' });
    const rule = await post(adminCookie, '/routing-rules', { areaId: district.json().id, unitId: unit.id, priority: 5 });
    expect(rule.statusCode, rule.body).toBe(201);
    const badUnit = await post(adminCookie, '/routing-rules', { unitId: '00000000-0000-4000-8000-000000000009' });
    expect(badUnit.json().code).toBe('HOTLINE_UNIT_NOT_FOUND');
    const patched = await hub.http.inject({ method: 'PATCH', url: `/api/hotline/routing-rules/${rule.json().id}`, headers: { cookie: adminCookie }, payload: { priority: 9 } });
    expect(patched.json().priority).toBe(9);
    expect((await hub.http.inject({ url: '/api/hotline/routing-rules', headers: { cookie: agentCookie } })).json()).toHaveLength(1);
    const del = await hub.http.inject({ method: 'DELETE', url: `/api/hotline/routing-rules/${rule.json().id}`, headers: { cookie: agentCookie } });
    expect(del.statusCode).toBe(403);
    expect((await hub.http.inject({ method: 'DELETE', url: `/api/hotline/routing-rules/${rule.json().id}`, headers: { cookie: adminCookie } })).statusCode).toBe(204);
  });
});
