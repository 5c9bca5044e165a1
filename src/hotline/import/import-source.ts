import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { readCsvRows } from '../../platform/csv/csv-reader.js';
import { readXlsxRows, XlsxSheetMissingError, type XlsxCell, type XlsxLimits, type XlsxRow } from '../../platform/csv/xlsx-reader.js';
import { Problem } from '../../platform/errors/problem.js';

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

/** An import file is the city's own export, read whole: Excel's own bounds, and the ZIP checks against bombs. */
const XLSX_LIMITS: XlsxLimits = {
  maxExpandedBytes: 2 ** 32, maxCompressionRatio: 200, maxCellChars: 32_767, maxRows: 1_048_576, maxColumns: 16_384,
};

const cellText = (v: XlsxCell): string => (v === null ? '' : v instanceof Date ? v.toISOString() : String(v));

/**
 * Opens an xlsx sheet (by name or 1-based number, default the first) with CityHub's own reader, which finds the
 * parts through the ZIP directory, so their order in the archive does not matter (exceljs's streaming reader lost
 * or misnamed sheets when the workbook part came after them). The first non-empty row is the header; row numbers
 * are the sheet's. Date cells become ISO 8601 text in UTC (map them with `"date": "iso"`).
 */
async function openXlsx(path: string, sheet: string | number | undefined): Promise<SourceFile> {
  const rows = readXlsxRows(await readFile(path), XLSX_LIMITS, sheet);
  let first: IteratorResult<XlsxRow>;
  try {
    first = await rows.next();
  } catch (err) {
    if (err instanceof XlsxSheetMissingError) throw new Problem('HOTLINE_IMPORT_MAPPING_INVALID', { detail: err.message });
    throw err;
  }
  const header = first.done ? [] : first.value.cells.map((c) => cellText(c).trim());
  async function* records(): AsyncGenerator<SourceRecord> {
    for await (const row of rows) {
      const cells = row.cells.map(cellText);
      if (cells.every((c) => c === '')) continue;
      const values: Record<string, string> = {};
      for (let k = 0; k < header.length; k++) values[header[k]] = cells[k] ?? '';
      yield { line: row.line, values };
    }
  }
  return { header, records: records() };
}

/** Opens the source file by its format. */
export function openSource(path: string, options: { format?: 'csv' | 'xlsx'; delimiter?: string; sheet?: string | number }): Promise<SourceFile> {
  return formatOf(path, options.format) === 'xlsx' ? openXlsx(path, options.sheet) : openCsv(path, options.delimiter);
}
