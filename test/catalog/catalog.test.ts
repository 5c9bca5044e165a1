import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/platform/auth/roles.js';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { populationDataset, populationRows, personId } from './fixtures.js';
import { dcatViolations } from './dcat-shacl.js';

const setup = { kind: 'user' as const, id: 'test-setup', roles: ['admin' as const] };

describe.each(testEngines)('catalog [%s]', (engine) => {
  let hub: TestHub;
  let ownerOrg: string;
  let otherOrg: string;
  let owner: string;
  let foreignOwner: string;
  let dataAdmin: string;
  let agent: string;

  beforeAll(async () => {
    hub = await createTestHub(engine);
    ownerOrg = (await hub.services.auth.insertOrg(setup, { name: '市公安局', kind: 'department' })).id;
    otherOrg = (await hub.services.auth.insertOrg(setup, { name: '市民政局', kind: 'department' })).id;
    // API keys (no password hashing): the same gate as sessions, and quick on a loaded machine
    const key = async (roles: Role[], orgId: string | null) =>
      `authorization=${(await hub.services.auth.createApiKey({ kind: 'user', roles: ['admin'] }, { name: 'k', roles, orgId })).key}`;
    owner = await key(['dept_data_owner'], ownerOrg);
    foreignOwner = await key(['dept_data_owner'], otherOrg);
    dataAdmin = await key(['data_admin'], null);
    agent = await key(['agent'], otherOrg);
  }, 180_000);
  afterAll(async () => hub?.close());

  const auth = (k: string) => ({ authorization: `Bearer ${k.slice('authorization='.length)}` });
  const post = (cookie: string, url: string, payload: unknown) => hub.http.inject({ method: 'POST', url, headers: auth(cookie), payload: payload as object });

  it('registers a dataset whose grade is its highest field grade (就高从严), versioned and ledgered', async () => {
    const res = await post(owner, '/api/catalog/datasets', populationDataset());
    expect(res.statusCode, res.body).toBe(201);
    const ds = res.json();
    expect(ds).toMatchObject({ identifier: 'population', ownerOrgId: ownerOrg, ownerName: '市公安局', grade: 'important', generalLevel: null, version: 1 });
    expect(ds.fields.find((f: { name: string }) => f.name === 'id_number')).toMatchObject({ sensitive: true, personal: true, subjectId: true });
    const versions = (await hub.http.inject({ url: '/api/catalog/datasets/population/versions', headers: auth(agent) })).json();
    expect(versions).toHaveLength(1);
    expect(versions[0].snapshotHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('regrades when the schema changes: a new version, ledgered with the grade change', async () => {
    const fields = populationDataset().fields.map((f) => (f.grade === 'important' ? { ...f, grade: 'general' as const, generalLevel: '4' } : f));
    const res = await hub.http.inject({ method: 'PATCH', url: '/api/catalog/datasets/population', headers: auth(owner), payload: { fields } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ grade: 'general', generalLevel: '4', version: 2 });
    const back = populationDataset().fields;
    const again = await hub.http.inject({ method: 'PATCH', url: '/api/catalog/datasets/population', headers: auth(owner), payload: { fields: back, title: '常住人口' } });
    expect(again.json()).toMatchObject({ grade: 'important', version: 3, title: '常住人口' });
    const { rows } = await hub.database.pool.query(`select kind, body from ledger_entry where kind like 'catalog.dataset.%' order by idx`);
    expect(rows.map((r: { kind: string }) => r.kind)).toEqual(['catalog.dataset.created', 'catalog.dataset.regraded', 'catalog.dataset.regraded']);
    expect(JSON.parse(rows[1].body).facts).toMatchObject({ gradeChanged: true, grade: 'general', version: 2 });
  });

  it('refuses a foreign owner, a missing legal basis for not_shared, unknown categories and bad sub-levels', async () => {
    const foreign = await hub.http.inject({ method: 'PATCH', url: '/api/catalog/datasets/population', headers: auth(foreignOwner), payload: { title: 'x' } });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().code).toBe('CATALOG_NOT_OWNER');
    const noBasis = await post(owner, '/api/catalog/datasets', { ...populationDataset('secret-one'), shareAttr: 'not_shared' });
    expect(noBasis.statusCode).toBe(400);
    expect(noBasis.json().code).toBe('CATALOG_SHARE_BASIS_REQUIRED');
    const bad = populationDataset('bad-one');
    bad.fields[1] = { ...bad.fields[1]!, category: 'nope', generalLevel: '9' };
    const badRes = await post(owner, '/api/catalog/datasets', bad);
    expect(badRes.statusCode).toBe(400);
    expect(badRes.json().errors.map((e: { field: string }) => e.field)).toEqual(['/body/fields/1/category', '/body/fields/1/generalLevel']);
    const dup = await post(owner, '/api/catalog/datasets', populationDataset());
    expect(dup.json().code).toBe('CATALOG_IDENTIFIER_TAKEN');
  });

  it('lets the data bureau register for any organisation and searches with facets', async () => {
    const res = await post(dataAdmin, '/api/catalog/datasets', {
      ...populationDataset('relief'), title: '低保救助名单', ownerOrgId: otherOrg, themes: ['SOCI', 'GOVE'], openAttr: 'open',
      shareAttr: 'unconditional', fields: [populationDataset().fields[5]!],
    });
    expect(res.statusCode, res.body).toBe(201);
    const all = (await hub.http.inject({ url: '/api/catalog/datasets', headers: auth(agent) })).json();
    expect(all.total).toBe(2);
    expect(all.facets.grade).toEqual(expect.arrayContaining([{ value: 'important', count: 1 }, { value: 'general', count: 1 }]));
    expect(all.facets.theme).toContainEqual({ value: 'SOCI', count: 2 });
    expect(all.facets.owner).toContainEqual({ value: otherOrg, label: '市民政局', count: 1 });
    const filtered = (await hub.http.inject({ url: `/api/catalog/datasets?theme=GOVE&share=unconditional`, headers: auth(agent) })).json();
    expect(filtered.items.map((d: { identifier: string }) => d.identifier)).toEqual(['relief']);
    const text = (await hub.http.inject({ url: `/api/catalog/datasets?q=${encodeURIComponent('低保')}`, headers: auth(agent) })).json();
    expect(text.total).toBe(1);
    const byGrade = (await hub.http.inject({ url: `/api/catalog/datasets?grade=important&owner=${ownerOrg}`, headers: auth(agent) })).json();
    expect(byGrade.items.map((d: { identifier: string }) => d.identifier)).toEqual(['population']);
  });

  it('exports the public part as DCAT-AP JSON-LD without field schemas', async () => {
    const res = await hub.http.inject('/api/catalog/dcat');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/ld+json');
    const doc = res.json();
    expect(doc['@type']).toBe('dcat:Catalog');
    expect(doc['dcat:dataset']).toHaveLength(1);
    const ds = doc['dcat:dataset'][0];
    expect(ds).toMatchObject({ '@type': 'dcat:Dataset', 'dct:identifier': 'relief', 'dct:title': { '@value': '低保救助名单' } });
    // EU themes are skos:Concepts with their label, as DCAT-AP 3 asks (the SHACL check below).
    expect(ds['dcat:theme']).toContainEqual(expect.objectContaining({ '@id': 'http://publications.europa.eu/resource/authority/data-theme/SOCI', '@type': 'skos:Concept' }));
    expect(ds['dct:accrualPeriodicity']['@id']).toMatch(/MONTHLY$/);
    expect(res.body).not.toContain('district');
    expect(res.body).not.toContain('population');
    expect(res.body).not.toContain('id_number');
    // DCAT-AP 3 conformance on this engine too (the demo catalogue: demo.test.ts).
    expect(await dcatViolations(doc)).toEqual([]);
  });

  it('searches the public part for anyone, with facets, and shows no schema, grading or sharing', async () => {
    const res = await hub.http.inject('/api/catalog/public/datasets');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.total).toBe(1);
    expect(body.items[0]).toMatchObject({ identifier: 'relief', title: '低保救助名单', ownerName: '市民政局', openAttr: 'open' });
    expect(body.facets.owner).toEqual([{ value: otherOrg, label: '市民政局', count: 1 }]);
    expect(body.facets.open).toEqual([{ value: 'open', count: 1 }]);
    for (const hidden of ['population', 'id_number', 'grade', 'shareAttr', 'rowCount', 'fields']) expect(res.body).not.toContain(hidden);
    expect((await hub.http.inject(`/api/catalog/public/datasets?q=${encodeURIComponent('低保')}`)).json().total).toBe(1);
    expect((await hub.http.inject(`/api/catalog/public/datasets?q=${encodeURIComponent('常住人口基础信息')}`)).json().total).toBe(0);
    expect((await hub.http.inject(`/api/catalog/public/datasets?owner=${ownerOrg}`)).json().items).toEqual([]);
    expect((await hub.http.inject('/api/catalog/datasets')).statusCode).toBe(401);
  });

  it('loads pushed rows, all or nothing, reporting bad rows by line without echoing values', async () => {
    const rows = populationRows(5);
    const bad = [...rows, { ...rows[0], id_number: '110101198506120000', age: 'old' }, { ...rows[1], name: '' }];
    const refused = await post(owner, '/api/catalog/datasets/population/rows', { rows: bad });
    expect(refused.statusCode).toBe(422);
    const problem = refused.json();
    expect(problem).toMatchObject({ code: 'CATALOG_ROWS_INVALID', badRows: 2, goodRows: 5 });
    expect(problem.errors.map((e: { field: string }) => e.field)).toEqual(['/body/rows/6/id_number', '/body/rows/6/age', '/body/rows/7/name']);
    expect(refused.body).not.toContain('110101198506120000');
    expect((await hub.http.inject({ url: '/api/catalog/datasets/population', headers: auth(owner) })).json().rowCount).toBe(0);

    const ok = await post(owner, '/api/catalog/datasets/population/rows', { rows });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ dataVersion: 1, rows: 5, rowCount: 5, mode: 'append' });
    const { rows: keys } = await hub.database.pool.query(`select subject_key from catalog_row where to_version is null`);
    expect(keys.every((k: { subject_key: string }) => /^[0-9a-f]{64}$/.test(k.subject_key))).toBe(true);
    const foreign = await post(foreignOwner, '/api/catalog/datasets/population/rows', { rows });
    expect(foreign.statusCode).toBe(403);
  });

  it('loads CSV (headers by title or name) and XLSX, replacing as a new data version', async () => {
    const header = '身份证号,name,出生日期,age,address,district,income,phone';
    const lines = populationRows(3, 100).map((r) => [r.id_number, r.name, r.birth_date, r.age, `"${r.address},近路口"`, r.district, r.income, r.phone].join(','));
    const csv = await hub.http.inject({
      method: 'POST', url: '/api/catalog/datasets/population/upload?mode=replace',
      headers: { ...auth(owner), 'content-type': 'text/csv' }, payload: [header, ...lines].join('\r\n'),
    });
    expect(csv.statusCode, csv.body).toBe(201);
    expect(csv.json()).toMatchObject({ dataVersion: 2, rows: 3, rowCount: 3, mode: 'replace' });

    const badCsv = await hub.http.inject({
      method: 'POST', url: '/api/catalog/datasets/population/upload',
      headers: { ...auth(owner), 'content-type': 'text/csv' }, payload: `${header}\r\n${lines[0]}\r\nnot-an-id,x,1985-13-40,1,a,b,1,2\r\n`,
    });
    expect(badCsv.statusCode).toBe(422);
    expect(badCsv.json().errors.map((e: { field: string }) => e.field)).toEqual(['/body/rows/3/id_number', '/body/rows/3/birth_date']);

    const broken = await hub.http.inject({
      method: 'POST', url: '/api/catalog/datasets/population/upload',
      headers: { ...auth(owner), 'content-type': 'text/csv' }, payload: `${header}\r\n"unterminated,x\r\n`,
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'CATALOG_UPLOAD_UNREADABLE', line: 2 });

    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('data');
    sheet.addRow(['id_number', '姓名', 'birth_date', 'age', 'address', 'district', 'income', 'phone']);
    for (const r of populationRows(2, 200)) sheet.addRow([r.id_number, r.name, r.birth_date, r.age, r.address, r.district, r.income, r.phone]);
    const buffer = Buffer.from(await workbook.xlsx.writeBuffer());
    const xlsx = await hub.http.inject({
      method: 'POST', url: '/api/catalog/datasets/population/upload',
      headers: { ...auth(owner), 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }, payload: buffer,
    });
    expect(xlsx.statusCode, xlsx.body).toBe(201);
    expect(xlsx.json()).toMatchObject({ dataVersion: 3, rows: 2, rowCount: 5 });
    const loads = (await hub.http.inject({ url: '/api/catalog/datasets/population/loads', headers: auth(agent) })).json();
    expect(loads.map((l: { source: string }) => l.source)).toEqual(['xlsx', 'csv', 'api']);
    expect(personId(1)).toHaveLength(18);
  });
});
