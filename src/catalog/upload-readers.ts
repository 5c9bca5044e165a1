import ExcelJS from 'exceljs';
import { Problem } from '../platform/errors/problem.js';
import { readCsvRecords } from '../platform/csv/csv-reader.js';
import type { FieldRow } from './catalog-service.js';
import type { Cell } from './row-validation.js';

// Uploaded files read as records keyed by field name: CSV and the first worksheet of an XLSX workbook.

/** One record to load, keyed by field name, with the line (or row number) it came from. */
export interface SourceRecord {
  line: number;
  values: Record<string, Cell>;
}

export type RecordSource = AsyncIterable<SourceRecord> | Iterable<SourceRecord>;

/** Maps a header cell (field name or title) to the field name; unknown headers stay as they are (and fail). */
const headerMap = (fields: FieldRow[]) => {
  const map = new Map<string, string>();
  for (const f of fields) {
    map.set(f.name, f.name);
    map.set(f.title, f.name);
  }
  return (header: string) => map.get(header.trim()) ?? header.trim();
};

/** CSV (RFC 4180, UTF-8) with a header row of field names or titles. */
export async function* csvRecords(body: Uint8Array, fields: FieldRow[]): AsyncGenerator<SourceRecord> {
  const toName = headerMap(fields);
  for await (const record of readCsvRecords([body])) {
    const values: Record<string, Cell> = {};
    for (const [header, value] of Object.entries(record.values)) values[toName(header)] = value;
    yield { line: record.line, values };
  }
}

/** The first worksheet of an XLSX workbook; row 1 holds field names or titles; lines are worksheet row numbers. */
export async function xlsxRecords(body: Uint8Array, fields: FieldRow[]): Promise<SourceRecord[]> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(new Uint8Array(body).buffer);
  } catch {
    throw new Problem('CATALOG_UPLOAD_UNREADABLE', { detail: 'the file is not a readable XLSX workbook' });
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) return [];
  const toName = headerMap(fields);
  const headers: string[] = [];
  const records: SourceRecord[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells = (row.values as unknown[]).slice(1);
    if (headers.length === 0) {
      for (const c of cells) headers.push(toName(String(c ?? '')));
      return;
    }
    const values: Record<string, Cell> = {};
    headers.forEach((h, i) => {
      if (!h) return;
      let v = cells[i] as unknown;
      if (v && typeof v === 'object' && !(v instanceof Date)) {
        // rich text, formulas and hyperlinks: take what the cell shows
        const o = v as { result?: unknown; text?: unknown; richText?: Array<{ text: string }> };
        v = o.result ?? o.text ?? o.richText?.map((r) => r.text).join('') ?? null;
      }
      values[h] = v as Cell;
    });
    records.push({ line: rowNumber, values });
  });
  return records;
}
