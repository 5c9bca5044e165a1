/**
 * Errors of the tabular readers (CSV and XLSX), as plain data so they cross a worker thread's message port:
 * a broken limit names the limit and its value, a malformed file says why and where (1-based line and column
 * when known). Callers turn them into their own problems (the catalog: 413 or 400 naming the limit, the row
 * and the column).
 */

/** The limits a tabular reader enforces; each is a key of the caller's configuration. */
export type TableLimitName =
  | 'maxBytes'
  | 'maxExpandedBytes'
  | 'maxCompressionRatio'
  | 'maxCellChars'
  | 'maxRows'
  | 'maxColumns'
  | 'maxEntries'
  | 'memory'
  | 'timeout';

/** Why a file cannot be read: not the syntax, not the text encoding, a NUL character, a broken container. */
export type TableFormatReason = 'syntax' | 'encoding' | 'nul' | 'container';

/** Input that breaks a configured limit. */
export class TableLimitError extends Error {
  constructor(
    readonly limit: TableLimitName,
    readonly max: number,
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'TableLimitError';
  }
}

/** Input that is not what it claims to be. */
export class TableFormatError extends Error {
  constructor(
    readonly reason: TableFormatReason,
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'TableFormatError';
  }
}

/** Either error as a structured-clone-safe object (errors lose their class crossing a worker boundary). */
export type TableErrorData =
  | { type: 'limit'; limit: TableLimitName; max: number; message: string; line?: number; column?: number }
  | { type: 'format'; reason: TableFormatReason; message: string; line?: number; column?: number };

export function tableErrorData(err: TableLimitError | TableFormatError): TableErrorData {
  return err instanceof TableLimitError
    ? { type: 'limit', limit: err.limit, max: err.max, message: err.message, line: err.line, column: err.column }
    : { type: 'format', reason: err.reason, message: err.message, line: err.line, column: err.column };
}

export function tableErrorFrom(data: TableErrorData): TableLimitError | TableFormatError {
  return data.type === 'limit'
    ? new TableLimitError(data.limit, data.max, data.message, data.line, data.column)
    : new TableFormatError(data.reason, data.message, data.line, data.column);
}

export const isTableError = (err: unknown): err is TableLimitError | TableFormatError =>
  err instanceof TableLimitError || err instanceof TableFormatError;
