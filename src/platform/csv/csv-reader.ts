import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** One parsed CSV record: the fields keyed by header name, and the 1-based line where the record starts. */
export interface CsvRecord {
  /** Line number (1-based, counting physical lines) of the record's first character. */
  line: number;
  /** Field values keyed by header; a short row leaves missing columns as `''`. */
  values: Record<string, string>;
}

/** A raw row: its fields in order and the line it starts on. */
export interface CsvRow {
  line: number;
  fields: string[];
}

export interface CsvReaderOptions {
  /** Field separator, one character (default `,`). */
  delimiter?: string;
  /** Skip rows whose fields are all empty (default true). */
  skipEmptyRows?: boolean;
}

/** Thrown for input that is not RFC 4180 CSV, with the line to look at. */
export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`${message} (line ${line})`);
    this.name = 'CsvSyntaxError';
  }
}

type Source = string | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

const QUOTE = 34; // "
const CR = 13;
const LF = 10;

/**
 * Streams RFC 4180 rows from a file path or any (async) iterable of text/bytes chunks.
 * Quoted fields may hold separators, doubled quotes and line breaks (CRLF, LF or CR);
 * a UTF-8 byte-order mark at the start is dropped. A quote inside an unquoted field is
 * kept literally (common in exported data); an unterminated quoted field is an error.
 *
 * @example
 * for await (const { line, fields } of readCsvRows('tickets.csv')) console.log(line, fields);
 */
export async function* readCsvRows(source: Source, options: CsvReaderOptions = {}): AsyncGenerator<CsvRow> {
  const delimiter = (options.delimiter ?? ',').charCodeAt(0);
  const skipEmpty = options.skipEmptyRows ?? true;
  const chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array> =
    typeof source === 'string' ? createReadStream(source) : source;
  const decoder = new StringDecoder('utf8');

  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  /** After the closing quote of a quoted field: only a separator or line end may follow. */
  let afterQuote = false;
  /** A quote seen inside quotes that may be the first of a doubled pair split across chunks. */
  let pendingQuote = false;
  let pendingCr = false;
  let line = 1;
  let rowLine = 1;
  let first = true;
  let fieldStarted = false;
  /** The previous chunk ended with CR inside quotes (already counted as a line break). */
  let quotedCrAtEnd = false;

  const endRow = (): CsvRow | undefined => {
    fields.push(field);
    const row = { line: rowLine, fields };
    fields = [];
    field = '';
    afterQuote = false;
    fieldStarted = false;
    if (skipEmpty && row.fields.every((f) => f === '')) return undefined;
    return row;
  };

  for await (const chunk of chunks) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    const out: CsvRow[] = [];
    let i = 0;
    const n = text.length;
    // A CR at the end of the previous chunk followed by LF here is one line break.
    if (pendingCr) {
      pendingCr = false;
      if (n > 0 && text.charCodeAt(0) === LF) i = 1;
    }
    if (pendingQuote) {
      pendingQuote = false;
      if (n > 0 && text.charCodeAt(0) === QUOTE) {
        field += '"';
        i = i === 0 ? 1 : i;
      } else {
        inQuotes = false;
        afterQuote = true;
      }
    }
    let start = i; // start of the pending literal run inside `field`
    while (i < n) {
      const c = text.charCodeAt(i);
      if (inQuotes) {
        if (c === QUOTE) {
          field += text.slice(start, i);
          if (i + 1 >= n) {
            pendingQuote = true;
            i++;
            start = i;
            break;
          }
          if (text.charCodeAt(i + 1) === QUOTE) {
            field += '"';
            i += 2;
          } else {
            inQuotes = false;
            afterQuote = true;
            i++;
          }
          start = i;
          continue;
        }
        if (c === LF) {
          if (!(i === 0 && quotedCrAtEnd)) line++;
        } else if (c === CR && text.charCodeAt(i + 1) !== LF) line++;
        i++;
        continue;
      }
      if (c === delimiter) {
        field += text.slice(start, i);
        fields.push(field);
        field = '';
        afterQuote = false;
        fieldStarted = true;
        i++;
        start = i;
        continue;
      }
      if (c === LF || c === CR) {
        field += text.slice(start, i);
        const row = endRow();
        if (row) out.push(row);
        if (c === CR) {
          if (i + 1 >= n) pendingCr = true;
          else if (text.charCodeAt(i + 1) === LF) i++;
        }
        i++;
        line++;
        rowLine = line;
        start = i;
        continue;
      }
      if (c === QUOTE && field === '' && start === i && !afterQuote) {
        inQuotes = true;
        fieldStarted = true;
        i++;
        start = i;
        continue;
      }
      if (afterQuote) {
        throw new CsvSyntaxError('unexpected character after a closing quote; double a quote inside a quoted field', line);
      }
      fieldStarted = true;
      i++;
    }
    field += text.slice(start, i);
    quotedCrAtEnd = inQuotes && n > 0 && text.charCodeAt(n - 1) === CR;
    for (const row of out) yield row;
  }
  const tail = decoder.end();
  if (tail) field += tail;
  if (pendingQuote) {
    inQuotes = false;
  }
  if (inQuotes) throw new CsvSyntaxError('unterminated quoted field', rowLine);
  if (field !== '' || fields.length > 0 || fieldStarted) {
    const row = endRow();
    if (row) yield row;
  }
}

/**
 * Streams records keyed by the header row (the first row). Header names are trimmed;
 * extra fields beyond the header are ignored, missing ones read as `''`.
 *
 * @example
 * for await (const { line, values } of readCsvRecords('labels.csv')) use(values.title, values.label);
 */
export async function* readCsvRecords(source: Source, options: CsvReaderOptions = {}): AsyncGenerator<CsvRecord> {
  let header: string[] | undefined;
  for await (const row of readCsvRows(source, options)) {
    if (!header) {
      header = row.fields.map((h) => h.trim());
      continue;
    }
    const values: Record<string, string> = {};
    for (let k = 0; k < header.length; k++) values[header[k]] = row.fields[k] ?? '';
    yield { line: row.line, values };
  }
}

/** Reads the header row only (empty array for an empty file). */
export async function readCsvHeader(source: Source, options: CsvReaderOptions = {}): Promise<string[]> {
  for await (const row of readCsvRows(source, options)) return row.fields.map((h) => h.trim());
  return [];
}
