import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, readCsvRecords, readCsvRows } from '../../../src/platform/csv/csv-reader.js';

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
