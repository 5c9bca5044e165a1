import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import ExcelJS from 'exceljs';
import { readCsvRows } from '../../platform/csv/csv-reader.js';

/** A data record of the source file with the line (CSV) or row number (xlsx) a user can look up. */
export interface SourceRecord {
  line: number;
  values: Record<string, string>;
}

export interface SourceFile {
  header: string[];
  records: AsyncGenerator<SourceRecord>;
}

/**
 * sha256 of the file's bytes (an import run is tied to exactly this content: resuming needs the same rows) and
 * its number of line breaks, an upper bound of the rows for the progress bar; one pass over the file.
 */
export async function scanFile(path: string): Promise<{ sha256: string; lines: number }> {
  const hash = createHash('sha256');
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    hash.update(buf);
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines++;
  }
  return { sha256: hash.digest('hex'), lines };
}

export const formatOf = (path: string, declared?: 'csv' | 'xlsx'): 'csv' | 'xlsx' =>
  declared ?? (/\.xlsx$/i.test(path) ? 'xlsx' : 'csv');

/** Opens a CSV (RFC 4180, streamed) with its header row. */
async function openCsv(path: string, delimiter: string | undefined): Promise<SourceFile> {
  const rows = readCsvRows(createReadStream(path, { highWaterMark: 1 << 20 }), { delimiter });
  const first = await rows.next();
  const header = first.done ? [] : first.value.fields.map((h) => h.trim());
  async function* records(): AsyncGenerator<SourceRecord> {
    for await (const row of rows) {
      const values: Record<string, string> = {};
      for (let k = 0; k < header.length; k++) values[header[k]] = row.fields[k] ?? '';
      yield { line: row.line, values };
    }
  }
  return { header, records: records() };
}

const cellText = (v: ExcelJS.CellValue): string => {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((r) => r.text).join('');
    if ('text' in v) return String(v.text);
    if ('result' in v) return v.result === undefined || v.result === null ? '' : String(v.result instanceof Date ? v.result.toISOString() : v.result);
    if ('error' in v) return '';
  }
  return String(v);
};

/**
 * exceljs 4 parses a worksheet as soon as the shared strings and the workbook's relationships are read, and fails
 * (`reading 'sheets'`) if `xl/workbook.xml`, which names the sheets, comes later in the archive: ZIP writers order
 * entries as they please (exceljs's own writer did so on one CI run). Until the workbook part is read, its
 * relationships read as absent, so exceljs keeps such sheets aside and parses them at the end, names known.
 */
function holdSheetsUntilWorkbook(reader: ExcelJS.stream.xlsx.WorkbookReader): void {
  const internals = reader as unknown as { model?: unknown; workbookRels?: unknown };
  let rels: unknown;
  Object.defineProperty(internals, 'workbookRels', {
    get: () => (internals.model ? rels : undefined),
    set: (value: unknown) => void (rels = value),
  });
}

/**
 * Opens an xlsx sheet with exceljs's streaming reader; the first row is the header, row numbers are the sheet's.
 * Date cells become ISO 8601 text in UTC (map them with `"date": "iso"`).
 */
async function openXlsx(path: string, sheet: string | number | undefined): Promise<SourceFile> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit' });
  holdSheetsUntilWorkbook(reader);
  let header: string[] = [];
  const iterator = (async function* (): AsyncGenerator<SourceRecord> {
    let index = 0;
    for await (const ws of reader) {
      index++;
      const name = (ws as unknown as { name?: string }).name;
      const wanted = sheet === undefined ? index === 1 : typeof sheet === 'number' ? index === sheet : name === sheet;
      if (!wanted) {
        for await (const _row of ws) void _row; // drain the sheet to reach the next one
        continue;
      }
      let headerSeen = false;
      for await (const row of ws) {
        const cells = (row.values as ExcelJS.CellValue[]).slice(1).map(cellText);
        if (!headerSeen) {
          header = cells.map((h) => h.trim());
          headerSeen = true;
          yield { line: 0, values: {} }; // header marker, consumed by openXlsx below
          continue;
        }
        if (cells.every((c) => c === '')) continue;
        const values: Record<string, string> = {};
        for (let k = 0; k < header.length; k++) values[header[k]] = cells[k] ?? '';
        yield { line: row.number, values };
      }
      return;
    }
  })();
  const first = await iterator.next();
  if (first.done) return { header: [], records: iterator };
  return { header, records: iterator };
}

/** Opens the source file by its format. */
export function openSource(path: string, options: { format?: 'csv' | 'xlsx'; delimiter?: string; sheet?: string | number }): Promise<SourceFile> {
  return formatOf(path, options.format) === 'xlsx' ? openXlsx(path, options.sheet) : openCsv(path, options.delimiter);
}
