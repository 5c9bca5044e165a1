import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readXlsxRows, type XlsxLimits } from '../../../src/platform/csv/xlsx-reader.js';
import { readZipDirectory } from '../../../src/platform/csv/zip-reader.js';
import { TableFormatError, TableLimitError } from '../../../src/platform/csv/table-errors.js';
import { TableReaderPool } from '../../../src/platform/csv/table-reader-pool.js';
import { bombWorkbook, textCell, workbook, zip } from './zip-fixture.js';
import { timedAnswer } from '../../support/timing.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const limits: XlsxLimits = { maxExpandedBytes: 64 * 1024 * 1024, maxCompressionRatio: 100, maxCellChars: 32_767, maxRows: 1000, maxColumns: 100 };

describe('readXlsxRows', () => {
  it('reads what ExcelJS writes: shared and rich strings, numbers, booleans, formulas\' values, dates, sparse columns', async () => {
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('数据');
    sheet.addRow(['id', '姓名', 'born', 'ok', 'twice']);
    sheet.addRow([1, 'a & <b> "q"', new Date('1985-06-12T00:00:00Z'), true, { formula: 'A2*2', result: 2 }]);
    sheet.addRow([]);
    sheet.addRow([3, { richText: [{ text: 'ri' }, { text: 'ch' }] }, null, false, '=not a formula']);
    sheet.getCell('H5').value = 'far';
    const rows = await collect(readXlsxRows(new Uint8Array(await wb.xlsx.writeBuffer()), limits));
    expect(rows).toEqual([
      { line: 1, cells: ['id', '姓名', 'born', 'ok', 'twice'] },
      { line: 2, cells: [1, 'a & <b> "q"', new Date('1985-06-12T00:00:00Z'), true, 2] },
      { line: 4, cells: [3, 'rich', null, false, '=not a formula'] },
      { line: 5, cells: [null, null, null, null, null, null, null, 'far'] },
    ]);
  });

  it('finding 6: refuses a decompression bomb from its ZIP directory, before inflating anything', async () => {
    const bomb = bombWorkbook(100 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(200 * 1024); // ~100 KB on the wire
    const started = performance.now();
    const err = await collect(readXlsxRows(bomb, limits)).then(() => 'read it all', (e: unknown) => e);
    expect(err).toBeInstanceOf(TableLimitError);
    expect(err).toMatchObject({ limit: 'maxExpandedBytes' });
    const ratio = await collect(readXlsxRows(bomb, { ...limits, maxExpandedBytes: 1 << 30 })).catch((e: unknown) => e);
    expect(ratio).toMatchObject({ limit: 'maxCompressionRatio', max: 100 });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('finding 6: a directory that lies about sizes gains nothing: inflation stops at the declared size', async () => {
    const liar = bombWorkbook(20 * 1024 * 1024, { declaredSheetSize: 4096 });
    expect(() => readZipDirectory(liar, limits)).not.toThrow();
    const err = await collect(readXlsxRows(liar, limits)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TableFormatError);
    expect(String((err as Error).message)).toMatch(/beyond its declared size/);
  });

  it('finding 6: bounds cells, rows and columns, naming the row and column', async () => {
    const long = workbook([[textCell('A1', 'h')], [textCell('A2', 'ok'), textCell('B2', 'x'.repeat(200))]]);
    await expect(collect(readXlsxRows(long, { ...limits, maxCellChars: 100 }))).rejects.toMatchObject({ limit: 'maxCellChars', line: 2, column: 2 });
    const many = workbook(Array.from({ length: 12 }, (_, i) => [textCell(`A${i + 1}`, String(i))]));
    await expect(collect(readXlsxRows(many, { ...limits, maxRows: 10 }))).rejects.toMatchObject({ limit: 'maxRows', line: 11 });
    const wide = workbook([[textCell('A1', 'h'), textCell('XFD1', 'far')]]);
    await expect(collect(readXlsxRows(wide, limits))).rejects.toMatchObject({ limit: 'maxColumns', line: 1, column: 16384 });
  });

  it('finding 8: refuses NUL characters hidden in references or OOXML escapes, and DOCTYPEs', async () => {
    await expect(collect(readXlsxRows(workbook([[textCell('A1', 'h')], [textCell('C2', 'a&#0;b')]]), limits))).rejects.toMatchObject({ reason: 'nul', line: 2, column: 3 });
    await expect(collect(readXlsxRows(workbook([[textCell('A1', '_x0000_')]]), limits))).rejects.toMatchObject({ reason: 'nul' });
    const doctype = workbook(Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet><sheetData/></worksheet>'));
    await expect(collect(readXlsxRows(doctype, limits))).rejects.toMatchObject({ reason: 'container' });
  });

  it('refuses what is not a workbook', async () => {
    for (const bytes of [Buffer.from('not a zip at all'), zip([{ name: 'a.txt', data: 'x' }]), Buffer.alloc(0)]) {
      await expect(collect(readXlsxRows(bytes, limits))).rejects.toBeInstanceOf(TableFormatError);
    }
  });

  it('never fails on a damaged workbook except with a table error, and never takes a second (fast-check)', async () => {
    const good = workbook([[textCell('A1', 'name'), textCell('B1', 'n')], [textCell('A2', 'x'), '<c r="B2"><v>12</v></c>']]);
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(good.length),
      async (flips, cut) => {
        const bytes = Buffer.from(good);
        for (const [at, value] of flips) bytes[at] = value;
        const read = () => collect(readXlsxRows(bytes.subarray(0, Math.max(cut, good.length - 64)), limits)).catch((e: unknown) => e);
        const { result, ms } = await timedAnswer(read, 1000);
        if (!Array.isArray(result)) expect(result instanceof TableFormatError || result instanceof TableLimitError, String(result)).toBe(true);
        expect(ms).toBeLessThan(1000);
      },
    ), { numRuns: 1500 });
  }, 60_000);
});

describe('TableReaderPool', () => {
  const pool = new TableReaderPool({ workers: 1, memoryMb: 64, batchTimeoutMs: 20_000 });
  afterAll(() => pool.close());
  const tableLimits = { ...limits, maxRows: 100_000 };

  it('reads CSV and XLSX in a worker thread, in batches, while the event loop stays free', async () => {
    const csv = Buffer.from(['a,b', ...Array.from({ length: 20_000 }, (_, i) => `${i},"x${i}"`)].join('\n'), 'utf8');
    let worst = 0;
    let last = performance.now();
    const ticker = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last); last = now; }, 5);
    const reading = pool.read(csv, 'csv', tableLimits);
    const rows = await collect(reading);
    clearInterval(ticker);
    expect(rows).toHaveLength(20_001);
    expect(rows[20_000]).toEqual({ line: 20_001, cells: ['19999', 'x19999'] });
    expect(reading.encoding).toBe('utf-8');
    // the worker's first start compiles its modules on another thread; the HTTP test holds /healthz to 200 ms
    expect(worst).toBeLessThan(500);
  });

  it('hands limit errors back across the thread, and leaving early frees the worker for the next file', async () => {
    await expect(collect(pool.read(bombWorkbook(10 * 1024 * 1024), 'xlsx', tableLimits))).rejects.toMatchObject({ limit: 'maxCompressionRatio' });
    const big = Buffer.from(['a', ...Array.from({ length: 5000 }, (_, i) => String(i))].join('\n'));
    for await (const row of pool.read(big, 'csv', tableLimits)) if (row.line > 3) break;
    expect(await collect(pool.read(Buffer.from('a\n1\n'), 'csv', tableLimits))).toHaveLength(2);
  });

  it('a file needing more memory than allowed ends its worker with a memory limit error; the next file is read', async () => {
    const small = new TableReaderPool({ workers: 1, memoryMb: 16, batchTimeoutMs: 20_000 });
    try {
      // 1000 rows of 400 cells of 100 characters: one batch of 500 rows holds ~20 million characters
      const row = Array.from({ length: 400 }, () => 'y'.repeat(100)).join(',');
      const bytes = Buffer.from(Array.from({ length: 1000 }, () => row).join('\n'));
      const err = await collect(small.read(bytes, 'csv', { ...tableLimits, maxColumns: 1000 })).then(() => 'read it all', (e: unknown) => e);
      expect(err).toMatchObject({ limit: 'memory', max: 16 });
      expect(await collect(small.read(Buffer.from('a\n1\n'), 'csv', tableLimits))).toHaveLength(2);
    } finally {
      await small.close();
    }
  }, 60_000);
});
