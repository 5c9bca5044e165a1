import { readCsvRows } from './csv-reader.js';
import { TableFormatError } from './table-errors.js';
import { detectEncoding, firstNonUtf8Line, type TextEncodingName } from './text-encoding.js';
import { readXlsxRows, type XlsxCell } from './xlsx-reader.js';

/** The limits of reading one uploaded table (CSV or XLSX); the caller's configuration supplies every value. */
export interface TableLimits {
  /** Longest cell, in UTF-16 code units. */
  maxCellChars: number;
  /** Most non-empty rows, the header row included. */
  maxRows: number;
  /** Most columns. */
  maxColumns: number;
  /** XLSX: the sum of the workbook's declared uncompressed sizes, and what inflating may produce. */
  maxExpandedBytes: number;
  /** XLSX: uncompressed ÷ compressed size of any part over 1 MiB. */
  maxCompressionRatio: number;
}

export type TableFormat = 'csv' | 'xlsx';
export type TableCell = XlsxCell;

/** A non-empty row of the table: its line (CSV) or row number (XLSX) and its cells in column order. */
export interface TableRow {
  line: number;
  cells: TableCell[];
}

/** The bytes in slices, so the CSV reader streams (and yields rows) instead of taking one huge chunk. */
function* slices(bytes: Uint8Array, size = 64 * 1024): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/**
 * The encoding of a CSV file's bytes (UTF-8 with or without a byte-order mark, UTF-16 with one, or GB18030 —
 * GBK's superset); a file in none of them is refused naming the first line that is not UTF-8.
 */
export function csvEncoding(bytes: Uint8Array): TextEncodingName {
  const encoding = detectEncoding(bytes);
  if (encoding) return encoding;
  const line = firstNonUtf8Line(bytes);
  throw new TableFormatError('encoding', `the file is not UTF-8 text (line ${line} holds bytes that are not UTF-8) nor GB18030 (GBK)`, line);
}

/**
 * Reads a whole table file into rows within the limits (used inside the worker thread; `TableReaderPool` is the
 * way in from the server). For CSV `onEncoding` hears the encoding found before the first row.
 */
export async function* readTable(
  bytes: Uint8Array, format: TableFormat, limits: TableLimits, onEncoding: (encoding: TextEncodingName) => void = () => {},
): AsyncGenerator<TableRow> {
  if (format === 'xlsx') {
    yield* readXlsxRows(bytes, limits);
    return;
  }
  const encoding = csvEncoding(bytes);
  onEncoding(encoding);
  const rows = readCsvRows(slices(bytes), {
    encoding, maxFieldChars: limits.maxCellChars, maxFields: limits.maxColumns, maxRows: limits.maxRows, rejectNul: true,
  });
  for await (const row of rows) yield { line: row.line, cells: row.fields };
}
