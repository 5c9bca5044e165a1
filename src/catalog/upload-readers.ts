import { Problem } from '../platform/errors/problem.js';
import { isTableError, TableLimitError, type TableFormatError } from '../platform/csv/table-errors.js';
import type { TableFormat, TableLimits } from '../platform/csv/table-reading.js';
import type { TableReaderPool, TableReading } from '../platform/csv/table-reader-pool.js';
import type { CatalogConfig } from './config.js';
import type { FieldRow } from './catalog-service.js';
import type { Cell } from './row-validation.js';

// Uploaded files read as records keyed by field name: CSV and the first worksheet of an XLSX workbook, parsed in
// a worker thread (platform/csv's TableReaderPool) within the limits of the module's configuration.

/** One record to load, keyed by field name, with the line (or row number) it came from. */
export interface SourceRecord {
  line: number;
  values: Record<string, Cell>;
}

export type RecordSource = AsyncIterable<SourceRecord> | Iterable<SourceRecord>;

/** The reading limits from `modules.catalog`. */
export const uploadLimits = (config: CatalogConfig): TableLimits => ({
  maxCellChars: config.uploadMaxCellChars,
  maxRows: config.uploadMaxRows,
  maxColumns: config.uploadMaxColumns,
  maxExpandedBytes: config.uploadMaxExpandedBytes,
  maxCompressionRatio: config.uploadMaxCompressionRatio,
});

/** Maps a header cell (field name or title) to the field name; unknown headers stay as they are (and fail). */
const headerMap = (fields: FieldRow[]) => {
  const map = new Map<string, string>();
  for (const f of fields) {
    map.set(f.name, f.name);
    map.set(f.title, f.name);
  }
  return (header: string) => map.get(header.trim()) ?? header.trim();
};

/**
 * The records of an uploaded file whose first row holds field names or titles. CSV: a short row reads its
 * missing cells as '', cells past the header are ignored; XLSX: columns with an empty header are ignored and
 * formulas give the value the cell shows.
 */
export async function* uploadRecords(reading: TableReading, format: TableFormat, fields: FieldRow[]): AsyncGenerator<SourceRecord> {
  const toName = headerMap(fields);
  let header: string[] | undefined;
  try {
    for await (const row of reading) {
      if (!header) {
        header = row.cells.map((c) => toName(c === null || c === undefined ? '' : String(c)));
        continue;
      }
      const values: Record<string, Cell> = {};
      for (let i = 0; i < header.length; i++) {
        const name = header[i]!;
        if (format === 'xlsx' && !name) continue;
        values[name] = row.cells[i] ?? (format === 'csv' ? '' : null);
      }
      yield { line: row.line, values };
    }
  } catch (err) {
    if (isTableError(err)) throw uploadProblem(err, header);
    throw err;
  }
}

/** Starts reading an upload in the pool (the worker begins at once; rows come as they are asked for). */
export const readUpload = (pool: TableReaderPool, bytes: Uint8Array, format: TableFormat, config: CatalogConfig): TableReading =>
  pool.read(bytes, format, uploadLimits(config));

/** The configuration key behind each reader limit, as problems name it. */
const limitKeys: Record<TableLimitError['limit'], string> = {
  maxBytes: 'uploadMaxBytes',
  maxCellChars: 'uploadMaxCellChars',
  maxRows: 'uploadMaxRows',
  maxColumns: 'uploadMaxColumns',
  maxExpandedBytes: 'uploadMaxExpandedBytes',
  maxCompressionRatio: 'uploadMaxCompressionRatio',
  maxEntries: 'uploadMaxExpandedBytes',
  memory: 'uploadWorkerMemoryMb',
  timeout: 'uploadBatchTimeoutSeconds',
};

/**
 * A reader's error as the catalog's problem: a broken limit is 413 naming the configuration key and its value
 * (and the row and column of a cell); a file in another encoding is 400 saying so; a NUL character or broken
 * syntax is 400 naming the row and column (the field, when the header names it). Nothing is loaded in any case.
 */
export function uploadProblem(err: TableLimitError | TableFormatError, header?: string[]): Problem {
  const where = { ...(err.line ? { line: err.line } : {}), ...(err.column ? { column: err.column } : {}) };
  // A cell is named like a bad value of a load, `rows/<line>/<field>`, by its header's field when it has one.
  const column = err.column ? `/${header?.[err.column - 1] || err.column}` : '';
  const cell = err.line ? [{ field: `rows/${err.line}${column}`, message: err.message }] : undefined;
  if (err instanceof TableLimitError) {
    const limit = `modules.catalog.${limitKeys[err.limit]}`;
    return new Problem('CATALOG_UPLOAD_TOO_LARGE', {
      detail: `${err.message}: the limit ${limit} is ${err.max}; nothing was loaded / 超出上传限制 ${limit}，未导入任何数据`,
      errors: cell, extra: { limit, max: err.max, ...where },
    });
  }
  if (err.reason === 'encoding') {
    return new Problem('CATALOG_UPLOAD_ENCODING', {
      detail: `${err.message}; save the file as CSV UTF-8 and upload it again; nothing was loaded / 文件不是 UTF-8 编码，请另存为“CSV UTF-8”后重新上传`,
      extra: where,
    });
  }
  const what = err.reason === 'nul' ? 'a cell holds a NUL character (U+0000)' : err.message;
  return new Problem('CATALOG_UPLOAD_UNREADABLE', { detail: `${what}; nothing was loaded`, errors: cell, extra: where });
}
