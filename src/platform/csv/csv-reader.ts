import { createReadStream } from 'node:fs';
import { TableFormatError, TableLimitError } from './table-errors.js';
import { detectEncoding, type TextEncodingName } from './text-encoding.js';

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
  /**
   * The encoding of byte chunks (default `utf-8`), or `auto`: sniffed from the first 64 KiB (see
   * `detectEncoding`). Bytes that are not valid in it are refused (`CsvSyntaxError`, reason `encoding`), never
   * turned into U+FFFD: a file in another encoding would otherwise be stored as mojibake.
   */
  encoding?: TextEncodingName | 'auto';
  /** Longest field, in UTF-16 code units; a longer one throws `TableLimitError('maxCellChars')`. */
  maxFieldChars?: number;
  /** Most fields in one row; more throws `TableLimitError('maxColumns')`. */
  maxFields?: number;
  /** Most rows (the header row included, blank rows not); more throws `TableLimitError('maxRows')`. */
  maxRows?: number;
  /**
   * Refuse a NUL character (U+0000) in a field (default true): no text column of PostgreSQL can hold it, and no
   * CSV a person wrote carries one. Throws `CsvSyntaxError` (reason `nul`) with the line and column.
   */
  rejectNul?: boolean;
}

/** Thrown for input that is not RFC 4180 CSV (or not text in the encoding, or holds NUL), with the line to look at. */
export class CsvSyntaxError extends TableFormatError {
  declare readonly line: number;
  constructor(message: string, line: number, column?: number, reason: 'syntax' | 'encoding' | 'nul' = 'syntax') {
    super(reason, `${message} (line ${line}${column ? `, column ${column}` : ''})`, line, column);
    this.name = 'CsvSyntaxError';
  }
}

/** Bytes read before an `auto` encoding is decided. */
const SNIFF_BYTES = 64 * 1024;

/** Decodes byte chunks strictly; strings pass through. A decoding failure is a `TableFormatError('encoding')`. */
async function* textChunks(
  chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, encoding: TextEncodingName | 'auto',
): AsyncGenerator<string> {
  let decoder = encoding === 'auto' ? undefined : new TextDecoder(encoding, { fatal: true });
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  const decode = (bytes: Uint8Array | undefined, label: string): string => {
    try {
      return bytes ? decoder!.decode(bytes, { stream: true }) : decoder!.decode();
    } catch {
      throw new TableFormatError('encoding', `the text is not valid ${label}`);
    }
  };
  const decide = (final: boolean): string => {
    const head = Buffer.concat(held);
    held = [];
    const found = detectEncoding(head, final);
    if (!found) throw new TableFormatError('encoding', 'the text is neither UTF-8 nor GB18030');
    decoder = new TextDecoder(found, { fatal: true });
    encoding = found;
    return decode(head, found);
  };
  for await (const chunk of chunks) {
    if (typeof chunk === 'string') {
      yield chunk;
      continue;
    }
    if (!decoder) {
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes >= SNIFF_BYTES) yield decide(false);
      continue;
    }
    yield decode(chunk, encoding);
  }
  if (!decoder && held.length > 0) yield decide(true);
  if (decoder) yield decode(undefined, encoding);
}

type Source = string | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

const QUOTE = 34; // "
const CR = 13;
const LF = 10;

/**
 * Streams RFC 4180 rows from a file path or any (async) iterable of text/bytes chunks.
 * Quoted fields may hold separators, doubled quotes and line breaks (CRLF, LF or CR);
 * a byte-order mark at the start is dropped. A quote inside an unquoted field is
 * kept literally (common in exported data); an unterminated quoted field is an error.
 * Bytes are decoded strictly (`encoding`); fields, rows and columns are bounded when the
 * options say so, and a NUL character is refused — each with the line and column.
 *
 * @example
 * for await (const { line, fields } of readCsvRows('tickets.csv')) console.log(line, fields);
 */
export async function* readCsvRows(source: Source, options: CsvReaderOptions = {}): AsyncGenerator<CsvRow> {
  const delimiter = (options.delimiter ?? ',').charCodeAt(0);
  const skipEmpty = options.skipEmptyRows ?? true;
  const maxField = options.maxFieldChars ?? Infinity;
  const maxFields = options.maxFields ?? Infinity;
  const maxRows = options.maxRows ?? Infinity;
  const rejectNul = options.rejectNul ?? true;
  const chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array> =
    typeof source === 'string' ? createReadStream(source) : source;

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
  let rows = 0;

  const tooLong = (): never => {
    throw new TableLimitError('maxCellChars', maxField, `a field is longer than ${maxField} characters (line ${line}, column ${fields.length + 1})`, line, fields.length + 1);
  };
  const pushField = (): void => {
    if (fields.length >= maxFields) {
      throw new TableLimitError('maxColumns', maxFields, `a row has more than ${maxFields} fields (line ${rowLine})`, rowLine, fields.length + 1);
    }
    fields.push(field);
  };
  const endRow = (): CsvRow | undefined => {
    pushField();
    const row = { line: rowLine, fields };
    fields = [];
    field = '';
    afterQuote = false;
    fieldStarted = false;
    if (skipEmpty && row.fields.every((f) => f === '')) return undefined;
    if (++rows > maxRows) throw new TableLimitError('maxRows', maxRows, `more than ${maxRows} rows (line ${row.line})`, row.line);
    return row;
  };

  const texts = textChunks(chunks, options.encoding ?? 'utf-8');
  for (;;) {
    let next: IteratorResult<string>;
    try {
      next = await texts.next();
    } catch (err) {
      // The decoder knows the bytes, the parser the line: the first bad byte is at or after this line.
      if (err instanceof TableFormatError && err.reason === 'encoding') throw new CsvSyntaxError(err.message, line, undefined, 'encoding');
      throw err;
    }
    if (next.done) break;
    let text = next.value;
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
    try {
      while (i < n) {
        const c = text.charCodeAt(i);
        if (inQuotes) {
          if (c === QUOTE) {
            field += text.slice(start, i);
            if (field.length > maxField) tooLong();
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
          else if (c === 0 && rejectNul) throw new CsvSyntaxError('a field holds a NUL character (U+0000)', line, fields.length + 1, 'nul');
          i++;
          continue;
        }
        if (c === delimiter) {
          field += text.slice(start, i);
          if (field.length > maxField) tooLong();
          pushField();
          field = '';
          afterQuote = false;
          fieldStarted = true;
          i++;
          start = i;
          continue;
        }
        if (c === LF || c === CR) {
          field += text.slice(start, i);
          if (field.length > maxField) tooLong();
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
        if (c === 0 && rejectNul) throw new CsvSyntaxError('a field holds a NUL character (U+0000)', line, fields.length + 1, 'nul');
        fieldStarted = true;
        i++;
      }
    } catch (err) {
      // The rows before the fault are delivered first (their reader learns the header, to name the column).
      for (const row of out) yield row;
      throw err;
    }
    field += text.slice(start, i);
    quotedCrAtEnd = inQuotes && n > 0 && text.charCodeAt(n - 1) === CR;
    for (const row of out) yield row;
    if (field.length > maxField) tooLong();
  }
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
