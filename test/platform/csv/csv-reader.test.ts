import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, readCsvRecords, readCsvRows } from '../../../src/platform/csv/csv-reader.js';
import { TableFormatError, TableLimitError } from '../../../src/platform/csv/table-errors.js';
import { detectEncoding, firstNonUtf8Line } from '../../../src/platform/csv/text-encoding.js';
import { timedAnswer } from '../../support/timing.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('readCsvRecords', () => {
  it('parses RFC 4180 quoting, embedded newlines, doubled quotes, a BOM and CRLF', async () => {
    const text = '\ufeffid,title,detail\r\n1,"a, b","line1\r\nline2 ""quoted"""\r\n2,plain,\r\n3,"x",y';
    const records = await collect(readCsvRecords([text]));
    expect(records).toEqual([
      { line: 2, values: { id: '1', title: 'a, b', detail: 'line1\r\nline2 "quoted"' } },
      { line: 4, values: { id: '2', title: 'plain', detail: '' } },
      { line: 5, values: { id: '3', title: 'x', detail: 'y' } },
    ]);
  });

  it('gives the same records whatever the chunking (byte by byte, across UTF-8 sequences)', async () => {
    const text = 'title,label\n"引号""里\n换行",城乡建设\r\n普通,教育文体\n';
    const bytes = Buffer.from(text, 'utf8');
    const whole = await collect(readCsvRecords([text]));
    const split = await collect(readCsvRecords(Array.from(bytes, (b) => Uint8Array.of(b))));
    expect(split).toEqual(whole);
    expect(whole[0].values.title).toBe('引号"里\n换行');
    expect(whole[1]).toEqual({ line: 4, values: { title: '普通', label: '教育文体' } });
  });

  it('fills missing columns with empty strings and skips blank lines', async () => {
    const rows = await collect(readCsvRecords(['a,b,c\n1\n\n2,3,4,5\n']));
    expect(rows.map((r) => r.values)).toEqual([
      { a: '1', b: '', c: '' },
      { a: '2', b: '3', c: '4' },
    ]);
  });

  it('reports an unterminated quote with its line', async () => {
    await expect(collect(readCsvRows(['a,b\n1,"open\n\n']))).rejects.toThrow(CsvSyntaxError);
    await expect(collect(readCsvRows(['a,b\n1,"open\n\n']))).rejects.toThrow(/line 2/);
  });
});

describe('readCsvRows: limits, NUL and encodings (issue 15, findings 6, 8 and 10)', () => {
  const gbk = (text: string) => {
    // 你好,城乡建设 in GBK, by hand (Node has no GBK encoder): 你 C4E3 好 BAC3 城 B3C7 乡 CFE7 建 BDA8 设 C9E8
    const codes: Record<string, number[]> = { 你: [0xc4, 0xe3], 好: [0xba, 0xc3], 城: [0xb3, 0xc7], 乡: [0xcf, 0xe7], 建: [0xbd, 0xa8], 设: [0xc9, 0xe8] };
    return Buffer.from([...text].flatMap((c) => codes[c] ?? [c.charCodeAt(0)]));
  };

  it('finding 6: a field longer than maxFieldChars is refused with its line and column, streamed chunk by chunk', async () => {
    const huge = `a,b\n1,${'x'.repeat(5000)}\n`;
    const chunks = Array.from({ length: Math.ceil(huge.length / 100) }, (_, i) => huge.slice(i * 100, i * 100 + 100));
    const err = await collect(readCsvRows(chunks, { maxFieldChars: 1000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TableLimitError);
    expect(err).toMatchObject({ limit: 'maxCellChars', max: 1000, line: 2, column: 2 });
    const quoted = await collect(readCsvRows([`a\n"${'y'.repeat(2000)}"\n`], { maxFieldChars: 1000 })).catch((e: unknown) => e);
    expect(quoted).toMatchObject({ limit: 'maxCellChars', line: 2, column: 1 });
  });

  it('caps rows and fields per row', async () => {
    await expect(collect(readCsvRows(['a\n1\n2\n3\n'], { maxRows: 3 }))).rejects.toMatchObject({ limit: 'maxRows', line: 4 });
    await expect(collect(readCsvRows(['a,b,c,d\n'], { maxFields: 3 }))).rejects.toMatchObject({ limit: 'maxColumns', line: 1 });
    expect(await collect(readCsvRows(['a\n1\n2\n'], { maxRows: 3 }))).toHaveLength(3);
  });

  it('finding 8: a NUL character is refused naming its line and column, quoted or not', async () => {
    await expect(collect(readCsvRows(['a,b\n1,x\u0000y\n']))).rejects.toMatchObject({ reason: 'nul', line: 2, column: 2 });
    await expect(collect(readCsvRows(['a,b\n"1\n2",3\n4,"\u0000"\n']))).rejects.toMatchObject({ reason: 'nul', line: 4, column: 2 });
    await expect(collect(readCsvRows([Buffer.from('a\n\u0000\n')]))).rejects.toBeInstanceOf(CsvSyntaxError);
    expect(await collect(readCsvRows(['a\n\u0000\n'], { rejectNul: false }))).toHaveLength(2);
  });

  it('finding 10: bytes that are not UTF-8 are refused, never turned into U+FFFD mojibake; auto reads GBK as GB18030', async () => {
    const bytes = gbk('你好,城乡建设\n');
    await expect(collect(readCsvRows([bytes]))).rejects.toMatchObject({ reason: 'encoding' });
    expect((await collect(readCsvRows([bytes], { encoding: 'gb18030' })))[0]!.fields).toEqual(['你好', '城乡建设']);
    expect((await collect(readCsvRows(Array.from(bytes, (b) => Uint8Array.of(b)), { encoding: 'auto' })))[0]!.fields).toEqual(['你好', '城乡建设']);
    expect((await collect(readCsvRows([Buffer.from('\ufeff你好,x\n', 'utf8')], { encoding: 'auto' })))[0]!.fields).toEqual(['你好', 'x']);
    expect(detectEncoding(bytes)).toBe('gb18030');
    expect(detectEncoding(Buffer.from('plain,ascii\n'))).toBe('utf-8');
    expect(detectEncoding(Buffer.from([0x80, 0x2c, 0xff, 0x0a]))).toBeUndefined();
    expect(firstNonUtf8Line(Buffer.from('a\nb\n\u00e9'.replace('é', '\u00e9'), 'latin1'))).toBe(3);
  });
});

describe('readCsvRows: properties (fast-check)', () => {
  const writeCsv = (rows: string[][]) => rows.map((r) => r.map((f) => `"${f.replaceAll('"', '""')}"`).join(',')).join('\r\n');

  it('reads back any rows written as RFC 4180, however the bytes are chunked', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.array(fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !s.includes('\u0000')), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 10 }),
      fc.integer({ min: 1, max: 64 }),
      async (rows, chunk) => {
        const bytes = Buffer.from(writeCsv(rows), 'utf8');
        const chunks = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, i * chunk + chunk));
        const read = await collect(readCsvRows(chunks, { skipEmptyRows: false }));
        expect(read.map((r) => r.fields)).toEqual(rows);
      },
    ), { numRuns: 1500 });
  }, 60_000);

  it('never fails on arbitrary input except with a table error naming a line, and never takes a second', async () => {
    const ok = (e: unknown) => (e instanceof TableLimitError || e instanceof TableFormatError) && (e.line === undefined || e.line >= 1);
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 2000 }),
        fc.string({ unit: 'binary', maxLength: 2000 }).map((s) => Buffer.from(s, 'utf8')),
        fc.array(fc.constantFrom('a', ',', '"', '\r', '\n', '\u0000', '你', 'x'.repeat(50)), { maxLength: 400 }).map((p) => Buffer.from(p.join(''), 'utf8')),
      ),
      fc.constantFrom<'utf-8' | 'auto' | 'gb18030'>('utf-8', 'auto', 'gb18030'),
      async (bytes, encoding) => {
        const read = () => collect(readCsvRows([bytes], { encoding, maxFieldChars: 100, maxFields: 20, maxRows: 50 })).catch((e: unknown) => e);
        const { result, ms } = await timedAnswer(read, 1000);
        if (!Array.isArray(result)) expect(ok(result), String(result)).toBe(true);
        expect(ms).toBeLessThan(1000);
      },
    ), { numRuns: 3000 });
  }, 60_000);
});
