import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../support/engines.js';
import { readCsvRecords } from '../../../src/platform/csv/csv-reader.js';
import { inflateEntry, readZipDirectory } from '../../../src/platform/csv/zip-reader.js';
import { writeZip } from '../../../src/platform/csv/zip-writer.js';
import { parseMapping, type Mapping } from '../../../src/hotline/import/index.js';
import { importer as admin, importFixture, type ImportFixture } from './import-fixture.js';
import { itWithSharedData, sharedDataPath } from '../../support/shared-data.js';

const MAPPINGS = path.resolve(__dirname, '../../../docs/mappings');
const BALTIMORE = sharedDataPath('baltimore311', 'baltimore311_sample.csv');
const TEDDY = sharedDataPath('teddycup2020c');
/** Hand-written files in the same column layouts (fixtures/README.md), so every path below runs without the shared data. */
const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

/** The header and the first `n` records of a CSV, as a new file (records may span lines). */
const headOf = (file: string, n: number): string => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'import-')), path.basename(file));
  const text = readFileSync(file, 'utf8');
  let records = -1;
  let quoted = false;
  let end = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\n' && !quoted && ++records === n) {
      end = i + 1;
      break;
    }
  }
  writeFileSync(out, text.slice(0, end));
  return out;
};

const mapping = (name: string): Mapping => parseMapping(JSON.parse(readFileSync(path.join(MAPPINGS, name), 'utf8')));

/** Counts the rows a mapping should accept, with rules written here, not with the importer's code. */
async function countValid(file: string, valid: (r: Record<string, string>) => boolean, id: (r: Record<string, string>) => string) {
  let rows = 0;
  const ids = new Set<string>();
  let bad = 0;
  for await (const { values } of readCsvRecords(file)) {
    rows++;
    if (valid(values)) ids.add(id(values));
    else bad++;
  }
  return { rows, bad, unique: ids.size };
}

const US_DATE = /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2} [AP]M$/;
const CN_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const baltimoreValid = (r: Record<string, string>) => {
  const placeholderLat = ['', '39', '39.0'].includes(r.Latitude.trim());
  const placeholderLon = ['', '-77', '-76', '-77.0', '-76.0'].includes(r.Longitude.trim());
  return (
    r.ServiceRequestNum.trim() !== '' && r.SRType.trim() !== '' && US_DATE.test(r.CreatedDate.trim()) &&
    (r.DueDate.trim() === '' || US_DATE.test(r.DueDate.trim())) && (r.CloseDate.trim() === '' || US_DATE.test(r.CloseDate.trim())) &&
    placeholderLat === placeholderLon
  );
};
const teddyValid = (r: Record<string, string>) => r.id.trim() !== '' && r.title.trim() !== '' && CN_TIME.test(r.time.trim());

describe.each(testEngines)('ticket import [%s]', (engine) => {
  let fx: ImportFixture;
  const count = async (source: string) =>
    Number((await fx.database.db.selectFrom('hotline_ticket').select((eb) => eb.fn.countAll<number>().as('n')).where('source', '=', source).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    fx = await importFixture(engine, () => new Date('2026-11-26T02:00:00Z'));
  });
  afterAll(async () => fx?.close());

  const countWhere = async (source: string, where: 'overdue' | 'duplicate') =>
    Number((await fx.database.db.selectFrom('hotline_ticket').select((eb) => eb.fn.countAll<number>().as('n')).where('source', '=', source)
      .where(where === 'overdue' ? sql<boolean>`overdue` : sql<boolean>`'duplicate' = any(tags)`).executeTakeFirstOrThrow()).n);
  const ticket = (source: string, externalId: string) => fx.database.db.selectFrom('hotline_ticket').selectAll()
    .where('source', '=', source).where('external_id', '=', externalId).executeTakeFirstOrThrow();

  /** Baltimore 311 rows under `source`: every valid row once, a second run adds nothing, duplicates tagged. */
  async function importBaltimoreTwice(file: string, source: string) {
    const m = { ...mapping('baltimore311.json'), source };
    const expected = await countValid(file, baltimoreValid, (r) => r.ServiceRequestNum.trim());
    const first = await fx.importer.run(admin, { file, mapping: m });
    expect(first.rowsDone).toBe(expected.rows);
    expect(first.imported).toBe(expected.unique);
    expect(first.bad).toBe(expected.bad);
    expect(await count(source)).toBe(expected.unique);

    const second = await fx.importer.run(admin, { file, mapping: m });
    expect(second.imported).toBe(0);
    expect(second.existing).toBe(expected.rows - expected.bad); // every valid row is there, a repeated id too
    expect(await count(source)).toBe(expected.unique);
    const sourceDuplicates = await countValid(file, (r) => /\(Duplicate\)/.test(r.SRStatus), (r) => r.ServiceRequestNum);
    expect(await countWhere(source, 'duplicate')).toBe(sourceDuplicates.unique);
    return { first, expected };
  }

  itWithSharedData('baltimore311')('imports every valid row of the Baltimore 311 sample once; a second run adds nothing', async () => {
    // PGlite (WASM) inserts ~5x slower than PostgreSQL: it takes the first 2,500 rows, PostgreSQL the whole file.
    const file = engine === 'postgres' ? BALTIMORE : headOf(BALTIMORE, 2500);
    await importBaltimoreTwice(file, 'baltimore311'); // duplicates, whole file: 207 + 8 + 2 (SOURCE.md)

    // SLA and states mapped: a closed-late ticket is overdue, categories were created.
    const onTime = await ticket('baltimore311', '14-00293539');
    expect(onTime).toMatchObject({ status: 'closed', overdue: false, tags: [] });
    expect(onTime.closed_at!.toISOString()).toBe('2014-05-05T15:08:16.000Z'); // 11:08:16 AM EDT
    expect(onTime.due_at!.toISOString()).toBe('2014-07-21T17:07:39.000Z');
    // SOURCE.md: 1,567 of the 10,000 closed after their due date, plus open ones past due
    expect(await countWhere('baltimore311', 'overdue')).toBeGreaterThan(engine === 'postgres' ? 1567 : 300);
    const cats = await fx.reference.listCategories(admin);
    expect(cats.some((c) => c.level1 === 'Solid Waste' && c.level2 === 'SW-Dirty Alley')).toBe(true);
    expect((await ticket('baltimore311', '18-00269879')).number).toMatch(/^20180412-\d{6}$/); // numbered on the ticket's own (Shanghai) day, same counter
  }, 120_000);

  it('imports a Baltimore 311 fixture: SLA across daylight saving, states, tags, channels, placeholder coordinates', async () => {
    const source = 'fixture-baltimore311';
    const { first } = await importBaltimoreTwice(fixture('baltimore311.csv'), source);
    // 8 rows: a bad date, an empty SRType, one id twice.
    expect(first).toMatchObject({ rowsDone: 8, imported: 5, bad: 2, existing: 1 });

    const onTime = await ticket(source, '21-90000001');
    expect(onTime).toMatchObject({ status: 'closed', overdue: false, tags: [], channel: 'phone' });
    expect(onTime.created_at.toISOString()).toBe('2021-03-10T14:15:00.000Z'); // 09:15 AM EST
    expect(onTime.closed_at!.toISOString()).toBe('2021-03-12T21:30:00.000Z'); // 04:30 PM EST
    expect(onTime.due_at!.toISOString()).toBe('2021-03-17T13:15:00.000Z'); // 09:15 AM EDT, after the change of 14 March
    expect(onTime.number).toMatch(/^20210310-\d{6}$/);
    expect(onTime.lat).toBeCloseTo(39.295);

    const late = await ticket(source, '21-90000002'); // closed two days after its due date; (39, -77) is a placeholder
    expect(late).toMatchObject({ status: 'closed', overdue: true, channel: 'web', lat: null, lon: null });
    const duplicate = await ticket(source, '21-90000003'); // 11:20 PM EDT is already the next day in Shanghai
    expect(duplicate).toMatchObject({ status: 'closed', overdue: false, tags: ['duplicate'], channel: 'open311' });
    expect(duplicate.number).toMatch(/^20210603-\d{6}$/);
    expect(await ticket(source, '22-90000004')).toMatchObject({ status: 'received', overdue: true, tags: ['source-open'], closed_at: null }); // open, past due now
    expect(await ticket(source, '21-90000007')).toMatchObject({ status: 'closed', tags: ['transferred'] });
    expect(await countWhere(source, 'overdue')).toBe(2);
    const cats = await fx.reference.listCategories(admin);
    expect(cats.some((c) => c.level1 === 'Solid Waste' && c.level2 === 'SW-Bulk Trash')).toBe(true);
    expect(cats.some((c) => c.level1 === 'Housing' && c.level2 === 'HCD-Illegal Dumping')).toBe(true);
  });

  /** Teddy Cup message files, each with its mapping under `source`: every valid row once, a second run adds nothing. */
  async function importTeddyFiles(files: [file: string, mapping: string, source: string][]) {
    for (const [file, map, source] of files) {
      const m = { ...mapping(map), source };
      const expected = await countValid(file, teddyValid, (r) => r.id.trim());
      const summary = await fx.importer.run(admin, { file, mapping: m });
      expect(summary.bad, file).toBe(expected.bad);
      expect(summary.imported, file).toBe(expected.unique);
      expect(await count(source), file).toBe(expected.unique);
      const again = await fx.importer.run(admin, { file, mapping: m });
      expect(again.imported, file).toBe(0);
    }
  }
  const level1Of = async (source: string) => new Set((await fx.database.db.selectFrom('hotline_ticket as t')
    .innerJoin('hotline_category as c', 'c.id', 't.category_id').select('c.level1').where('t.source', '=', source).execute()).map((l) => l.level1));

  itWithSharedData('teddycup2020c')('imports the Teddy Cup message files, each row once', async () => {
    await importTeddyFiles([
      [path.join(TEDDY, 'messages_labeled_sample.csv'), 'teddycup-messages-labeled-sample.json', 'teddycup-labeled'],
      ...(engine === 'postgres'
        ? ([
            // The bigger files only on PostgreSQL: ~10,000 rows that PGlite (WASM) would take long to insert.
            [path.join(TEDDY, 'messages_replies.csv'), 'teddycup-messages-replies.json', 'teddycup-replies'],
            [path.join(TEDDY, 'messages_hot.csv'), 'teddycup-messages-hot.json', 'teddycup-hot'],
            [path.join(TEDDY, 'messages_unlabeled_test.csv'), 'teddycup-messages-unlabeled-test.json', 'teddycup-unlabeled'],
          ] as [string, string, string][])
        : []),
    ]);
    expect(await level1Of('teddycup-labeled')).toEqual(new Set(['城乡建设', '环境保护', '交通运输', '教育文体', '劳动和社会保障', '商贸旅游', '卫生计生']));
    if (engine !== 'postgres') return;
    const replied = await ticket('teddycup-replies', '2549');
    expect(replied.reply_text).toBeTruthy();
    expect(replied.answered_at).toEqual(replied.closed_at);
  }, 120_000);

  it('imports Teddy Cup fixtures (labelled, replies, likes, unlabelled), each row once', async () => {
    await importTeddyFiles([
      [fixture('teddycup-labeled.csv'), 'teddycup-messages-labeled-sample.json', 'fixture-labeled'],
      [fixture('teddycup-replies.csv'), 'teddycup-messages-replies.json', 'fixture-replies'],
      [fixture('teddycup-hot.csv'), 'teddycup-messages-hot.json', 'fixture-hot'],
      [fixture('teddycup-unlabeled.csv'), 'teddycup-messages-unlabeled-test.json', 'fixture-unlabeled'],
    ]);
    expect(await count('fixture-labeled')).toBe(5); // 8 rows: no title, a bad time, one id twice
    expect(await level1Of('fixture-labeled')).toEqual(new Set(['城乡建设', '环境保护', '交通运输', '教育文体', '劳动和社会保障']));
    const body = await ticket('fixture-labeled', '900002');
    expect(body.content).toBe('清水河东岸每天清晨都有人倾倒生活垃圾，\n气味很大，希望有关部门处理。'); // the first row of that id, line break kept
    expect(body.created_at.toISOString()).toBe('2019-03-04T23:40:12.000Z');
    const replied = await ticket('fixture-replies', '910002'); // reply_time without a time: midnight in Shanghai
    expect(replied.reply_text).toBe('您好，已安排疏通排水管道。');
    expect(replied.answered_at!.toISOString()).toBe('2019-06-02T16:00:00.000Z');
    expect(replied.answered_at).toEqual(replied.closed_at);
    expect((await ticket('fixture-replies', '910003')).reply_text).toContain('\n');
    expect((await ticket('fixture-hot', '920001')).likes).toBe(305);
    expect(await ticket('fixture-unlabeled', '930002')).toMatchObject({ status: 'closed', category_id: null });
  });

  /** A crash after `crashAfter` committed batches, then a re-run: it resumes and ends with the rows of one clean run. */
  async function crashAndResume(file: string, batchSize: number, crashAfter: number, rowsAfterCrash: number) {
    const m = { ...mapping('teddycup-messages-labeled-sample.json'), source: `resume-${path.basename(file)}` };
    let batches = 0;
    await expect(fx.importer.run(admin, {
      file, mapping: m, batchSize,
      onProgress: () => {
        // The progress callback runs after each commit.
        if (++batches === crashAfter) throw new Error('simulated crash');
      },
    })).rejects.toThrow('simulated crash');
    expect(await count(m.source)).toBe(rowsAfterCrash);
    const resumed = await fx.importer.run(admin, { file, mapping: m, batchSize });
    expect(resumed.resumedFrom).toBe(batchSize * crashAfter);
    const expected = await countValid(file, teddyValid, (r) => r.id.trim());
    expect(await count(m.source)).toBe(expected.unique);
    expect(resumed.imported).toBe(expected.unique); // counts carry over from the killed run
    // Same rows as a single run of the same file under another source.
    const single = await fx.importer.run(admin, { file, mapping: { ...m, source: `single-${path.basename(file)}` } });
    const ids = async (source: string) => (await fx.database.db.selectFrom('hotline_ticket').select('external_id')
      .where('source', '=', source).orderBy('external_id').execute()).map((r) => r.external_id);
    expect(await ids(m.source)).toEqual(await ids(`single-${path.basename(file)}`));
    expect(single.imported).toBe(expected.unique);
  }

  itWithSharedData('teddycup2020c')('resumes after a crash mid-file and ends with the same rows as one run', async () => {
    await crashAndResume(path.join(TEDDY, 'messages_labeled_sample.csv'), 100, 3, 300 - 1); // one duplicate id in the first 300 rows of the sample
  }, 60_000);

  it('resumes after a crash mid-file (fixture) and ends with the same rows as one run', async () => {
    await crashAndResume(fixture('teddycup-labeled.csv'), 2, 2, 4 - 1); // one duplicate id in the first 4 rows
  });

  it('reports bad rows with their line and reason and imports the rest', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'import-'));
    const file = path.join(dir, 'bad.csv');
    writeFileSync(file, [
      'id,title,time,detail,label',
      '1,好的,2019-01-02 10:00:00,"两行\n内容",城乡建设', // lines 2-3
      '2,,2019-01-02 10:00:00,没有标题,城乡建设', // line 4: no title
      '3,坏时间,2019-13-45 10:00:00,x,城乡建设', // line 5: bad date
      '4,好的,2019-01-03 08:00:00,y,新分类', // line 6: a category not in the taxonomy → created
      ',没有编号,2019-01-03 08:00:00,z,城乡建设', // line 7: no id
      '1,重复,2019-01-03 08:00:00,again,城乡建设', // line 8: duplicate id → already present, not bad
    ].join('\n'));
    const bad: [number, string][] = [];
    const m = { ...mapping('teddycup-messages-labeled-sample.json'), source: 'bad-test' };
    const summary = await fx.importer.run(admin, { file, mapping: m, onBadRow: (line, reason) => bad.push([line, reason]) });
    expect(bad).toEqual([
      [4, 'title is empty'],
      [5, 'created_at "2019-13-45 10:00:00" does not match the date pattern'],
      [7, 'external_id is empty'],
    ]);
    expect(summary).toMatchObject({ rowsDone: 6, imported: 2, bad: 3, existing: 1 });
    expect((await fx.reference.listCategories(admin)).some((c) => c.level1 === '新分类')).toBe(true);

    const strict = await fx.importer.run(admin, {
      file, mapping: { ...m, source: 'bad-strict', unknownCategory: 'bad', fields: { ...m.fields, category_level1: { column: 'label', map: { 新分类: '另一个新分类', '*': null } } } },
      onBadRow: (line, reason) => bad.push([line, reason]),
    });
    expect(bad.at(-1)).toEqual([6, 'category "另一个新分类" is not in the taxonomy']);
    expect(strict.imported).toBe(1);
  });

  it('imports xlsx with the same mapping format', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'import-'));
    const file = path.join(dir, 'tickets.xlsx');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('工单');
    ws.addRow(['编号', '标题', '时间', '内容']);
    ws.addRow(['X-1', '井盖缺失', '2025-03-01 09:00:00', '人民路口井盖缺失']);
    ws.addRow(['X-2', '路灯不亮', '2025-03-02 21:30:00', '公园路灯']);
    ws.addRow(['X-3', '', '2025-03-02 21:30:00', '无标题']);
    await wb.xlsx.writeFile(file);
    const bad: number[] = [];
    const summary = await fx.importer.run(admin, {
      file,
      mapping: parseMapping({
        source: 'xlsx-test', timeZone: '+08:00',
        fields: { external_id: '编号', title: '标题', content: '内容', created_at: { column: '时间', date: 'YYYY-MM-DD HH:mm:ss' } },
      }),
      onBadRow: (line) => bad.push(line),
    });
    expect(summary).toMatchObject({ imported: 2, bad: 1 });
    expect(bad).toEqual([4]);
    const t = await fx.database.db.selectFrom('hotline_ticket').selectAll().where('external_id', '=', 'X-2').executeTakeFirstOrThrow();
    expect(t.created_at.toISOString()).toBe('2025-03-02T13:30:00.000Z');
    expect(t.number).toMatch(/^20250302-\d{6}$/);
  });

  it('reads an xlsx whose archive puts the sheets before the workbook part that names them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'import-'));
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('说明').addRow(['这一页不是工单']);
    const ws = wb.addWorksheet('工单');
    ws.addRow(['编号', '标题', '时间']);
    ws.addRow(['Z-1', '噪音扰民', '2025-04-01 22:00:00']);
    const written = Buffer.from(await wb.xlsx.writeBuffer());
    // ZIP writers order entries as they please (exceljs's own did so once on CI): the workbook part goes last here
    const entries = [...readZipDirectory(written, { maxExpandedBytes: 1 << 24, maxCompressionRatio: 1000 }).values()];
    const budget = { remaining: 1 << 24, max: 1 << 24 };
    const parts = await Promise.all(entries.map(async (e) => {
      const chunks: Buffer[] = [];
      for await (const c of inflateEntry(written, e, budget)) chunks.push(c);
      return { name: e.name, data: Buffer.concat(chunks) };
    }));
    const order = ['xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml', 'xl/worksheets/', 'xl/workbook.xml'];
    const rank = (n: string) => order.findIndex((o) => n.startsWith(o));
    const file = path.join(dir, 'reordered.xlsx');
    writeFileSync(file, writeZip(parts.sort((a, b) => rank(a.name) - rank(b.name))));
    const summary = await fx.importer.run(admin, {
      file,
      mapping: parseMapping({
        source: 'xlsx-reordered', timeZone: '+08:00', sheet: '工单',
        fields: { external_id: '编号', title: '标题', created_at: { column: '时间', date: 'YYYY-MM-DD HH:mm:ss' } },
      }),
    });
    expect(summary).toMatchObject({ imported: 1, bad: 0 });
    const wrongSheet = fx.importer.run(admin, { file, mapping: parseMapping({ source: 'xlsx-no-sheet', sheet: '不存在', fields: { external_id: '编号', title: '标题', created_at: { column: '时间', date: 'YYYY-MM-DD HH:mm:ss' } } }) });
    await expect(wrongSheet).rejects.toMatchObject({ code: 'HOTLINE_IMPORT_MAPPING_INVALID', detail: expect.stringContaining('"说明", "工单"') });
  });

  it('shares the ticket counter with TicketService: numbers never collide', async () => {
    const t = await fx.intake.create(admin, { title: '今天的工单', content: '导入之后新建' });
    const day = t.number.slice(0, 8);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'import-')), 'today.csv');
    writeFileSync(file, 'id,title,time\na,一,2026-11-26 09:00:00\nb,二,2026-11-26 10:00:00\n');
    await fx.importer.run(admin, { file, mapping: parseMapping({ source: 'today', fields: { external_id: 'id', title: 'title', created_at: { column: 'time', date: 'YYYY-MM-DD HH:mm:ss' } } }) });
    const next = await fx.intake.create(admin, { title: '再建一个', content: '编号顺延' });
    const numbers = (await fx.database.db.selectFrom('hotline_ticket').select('number').where('number', 'like', `${day}-%`).orderBy('number').execute()).map((r) => r.number);
    expect(numbers).toEqual([`${day}-000001`, `${day}-000002`, `${day}-000003`, `${day}-000004`]);
    expect(next.number).toBe(`${day}-000004`);
  });

  it('rejects a mapping that does not fit the file or the format', async () => {
    expect(() => parseMapping({ source: 'x', fields: { external_id: 'id', title: 'title' } })).toThrow(/created_at/);
    expect(() => parseMapping({ source: 'x', fields: { external_id: 'id', title: 't', created_at: 'time', colour: 'c' } })).toThrow(/unknown field "colour"/);
    // Only the header matters here: the fixture has the Baltimore sample's columns.
    await expect(fx.importer.run(admin, {
      file: fixture('baltimore311.csv'),
      mapping: parseMapping({ source: 'x', fields: { external_id: 'id', title: 'title', created_at: { column: 'time', date: 'iso' } } }),
    })).rejects.toThrow(/no column "id", "title", "time"/);
    await expect(fx.importer.run(admin, {
      file: fixture('baltimore311.csv'),
      mapping: parseMapping({ source: 'x', fields: { external_id: 'SRRecordID', title: 'SRType', created_at: 'CreatedDate' } }),
    })).rejects.toThrow(/give its "date" pattern/);
  });
});
