import { readFile } from 'node:fs/promises';
import type { CategoryPath } from './schemas.js';

/** Thrown for a taxonomy file that cannot be used at all (no header, wrong columns, broken quoting). */
export class TaxonomyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaxonomyFileError';
  }
}

/** RFC 4180 fields of a small file: quoted fields may hold commas, doubled quotes and line breaks. */
export const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const src = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new TaxonomyFileError('unterminated quoted field at the end of the file');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
};

/**
 * Reads a taxonomy CSV with the header `level1,level2,level3` (any order, extra columns ignored).
 *
 * @example const paths = await readTaxonomyCsv('taxonomy.csv'); // [{ level1: '城乡建设', level2: '安全生产', level3: '安全隐患' }, …]
 */
export async function readTaxonomyCsv(file: string): Promise<CategoryPath[]> {
  const [header, ...rows] = parseCsv(await readFile(file, 'utf8'));
  if (!header) throw new TaxonomyFileError(`${file} is empty`);
  const names = header.map((h) => h.trim().toLowerCase());
  const col = (name: string) => names.indexOf(name);
  if (col('level1') < 0) throw new TaxonomyFileError(`${file}: the header must name the columns level1,level2,level3 (found: ${header.join(',')})`);
  return rows.map((r) => ({
    level1: r[col('level1')] ?? '',
    level2: col('level2') >= 0 ? (r[col('level2')] ?? null) : null,
    level3: col('level3') >= 0 ? (r[col('level3')] ?? null) : null,
  }));
}
