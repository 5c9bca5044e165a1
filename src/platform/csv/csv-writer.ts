/**
 * The one CSV writer of CityHub's exports (the gateway's CSV pages, the KPI export, the importer's bad-rows file):
 * RFC 4180 quoting, and text that a spreadsheet would run as a formula neutralised.
 */

/**
 * Text starting with `=`, `+`, `-`, `@`, a tab or a carriage return is what Excel, WPS and LibreOffice take for a
 * formula (`=cmd|' /C calc'!A0`, `@SUM(…)`, `+HYPERLINK(…)`): OWASP's CSV-injection rule prefixes such a cell
 * with an apostrophe, which makes it text. Numbers are written as numbers, so -5 stays -5; only text is touched.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Text made inert for spreadsheets: a leading formula character gets an apostrophe in front.
 *
 * @example neutraliseFormula('=1+1') // → "'=1+1"
 */
export const neutraliseFormula = (text: string): string => (FORMULA_START.test(text) ? `'${text}` : text);

/**
 * One CSV cell: empty for null/undefined, numbers and booleans as they print, text neutralised and quoted when it
 * holds a quote, comma or line break (quotes doubled).
 *
 * @example csvCell('a,"b"') // → '"a,""b"""'; csvCell('@SUM(A1)') // → "'@SUM(A1)"; csvCell(-5) // → '-5'
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  const text = neutraliseFormula(value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : JSON.stringify(value));
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line (no line break) of cells. */
export const csvLine = (values: readonly unknown[]): string => values.map(csvCell).join(',');
