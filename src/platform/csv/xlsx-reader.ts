import { TableFormatError, TableLimitError } from './table-errors.js';
import { inflateEntry, readZipDirectory, type InflateBudget, type ZipEntry, type ZipLimits } from './zip-reader.js';

/** A cell as the workbook shows it: text, a number, a boolean, a date (date-formatted numbers) or empty. */
export type XlsxCell = string | number | boolean | Date | null;

/** One non-empty worksheet row: its row number (as Excel shows it) and its cells by column (A = 0). */
export interface XlsxRow {
  line: number;
  cells: XlsxCell[];
}

export interface XlsxLimits extends ZipLimits {
  /** Longest cell text, in UTF-16 code units (Excel's own limit is 32,767). */
  maxCellChars: number;
  /** Most non-empty rows, the header row included. */
  maxRows: number;
  /** Most columns (a cell beyond column `maxColumns` is refused). */
  maxColumns: number;
}

/** Which worksheet to read: its name, or its 1-based position in the workbook (default the first). */
export type XlsxSheetChoice = string | number;

/** The workbook has no sheet of that name or position; `sheets` names those it has. */
export class XlsxSheetMissingError extends Error {
  constructor(readonly sheet: XlsxSheetChoice, readonly sheets: string[]) {
    super(`the workbook has no sheet ${typeof sheet === 'number' ? `number ${sheet}` : `"${sheet}"`}; its sheets are: ${sheets.map((s) => `"${s}"`).join(', ')}`);
  }
}

/** Longest tag (name and attributes) the scanner holds while waiting for its end. */
const MAX_TAG_CHARS = 64 * 1024;

interface XmlHandler {
  open(name: string, attrs: string, selfClosing: boolean): void;
  close(name: string): void;
  text(raw: string): void;
}

const localName = (qname: string): string => {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
};

/**
 * A push scanner for the XML of workbook parts: tags, end tags and text, chunk by chunk. It holds at most one
 * unfinished tag between chunks; text is handed on as it comes (the handler bounds what it keeps). Entities are
 * not expanded here (the five predefined ones and character references are, by `decodeXml`); a DOCTYPE, which
 * could declare more, is refused.
 */
class XmlScanner {
  private carry = '';
  constructor(private readonly handler: XmlHandler) {}

  feed(chunk: string): void {
    const s = this.carry + chunk;
    this.carry = '';
    let i = 0;
    const n = s.length;
    while (i < n) {
      const lt = s.indexOf('<', i);
      if (lt < 0) {
        this.handler.text(s.slice(i));
        return;
      }
      if (lt > i) this.handler.text(s.slice(i, lt));
      if (n - lt < 9 && ('<![CDATA['.startsWith(s.slice(lt, lt + 9)) || '<!--'.startsWith(s.slice(lt, lt + 4)))) {
        this.hold(s.slice(lt));
        return;
      }
      if (s.startsWith('<!--', lt) || s.startsWith('<![CDATA[', lt)) {
        const cdata = s.charCodeAt(lt + 2) === 91; // [
        const end = s.indexOf(cdata ? ']]>' : '-->', lt + 4);
        if (end < 0) {
          this.hold(s.slice(lt));
          return;
        }
        // CDATA is text taken as it is: escape it so that decodeXml gives it back unchanged.
        if (cdata) this.handler.text(s.slice(lt + 9, end).replaceAll('&', '&amp;'));
        i = end + 3;
        continue;
      }
      const gt = s.indexOf('>', lt + 1);
      if (gt < 0) {
        this.hold(s.slice(lt));
        return;
      }
      const tag = s.slice(lt + 1, gt);
      i = gt + 1;
      const c0 = tag.charCodeAt(0);
      if (c0 === 63) continue; // <?xml …?>
      if (c0 === 33) throw new TableFormatError('container', 'not a readable XLSX workbook: a DOCTYPE or declaration inside a part');
      if (c0 === 47) {
        this.handler.close(localName(tag.slice(1).trim()));
        continue;
      }
      const selfClosing = tag.charCodeAt(tag.length - 1) === 47;
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const space = body.search(/[\s]/);
      const name = localName(space < 0 ? body : body.slice(0, space));
      const attrs = space < 0 ? '' : body.slice(space);
      this.handler.open(name, attrs, selfClosing);
      if (selfClosing) this.handler.close(name);
    }
  }

  end(): void {
    if (this.carry) throw new TableFormatError('container', 'not a readable XLSX workbook: a part ends inside a tag');
  }

  private hold(rest: string): void {
    if (rest.length > MAX_TAG_CHARS) throw new TableFormatError('container', 'not a readable XLSX workbook: a tag is too long');
    this.carry = rest;
  }
}

const attrCache = new Map<string, RegExp>();
/** An attribute's (still escaped) value; `name` may be `*:id` for a namespaced attribute of any prefix. */
function attr(attrs: string, name: string): string | undefined {
  let re = attrCache.get(name);
  if (!re) {
    const pattern = name.startsWith('*:') ? `[\\w.-]+:${name.slice(2)}` : name;
    re = new RegExp(`(?:^|\\s)${pattern}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`);
    attrCache.set(name, re);
  }
  const m = re.exec(attrs);
  return m ? decodeXml(m[1] ?? m[2] ?? '') : undefined;
}

const ENTITY = /&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);|_x([0-9a-fA-F]{4})_/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Text of XML with its predefined entities, character references and OOXML `_xHHHH_` escapes decoded. */
export function decodeXml(raw: string): string {
  if (raw.indexOf('&') < 0 && raw.indexOf('_x') < 0) return raw;
  return raw.replace(ENTITY, (whole, entity: string | undefined, ooxml: string | undefined) => {
    if (ooxml) return String.fromCharCode(parseInt(ooxml, 16));
    if (!entity) return whole;
    if (entity[0] !== '#') return NAMED[entity] ?? whole;
    const code = entity[1] === 'x' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
    if (!(code >= 0 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) {
      throw new TableFormatError('container', 'not a readable XLSX workbook: a character reference out of range');
    }
    return String.fromCodePoint(code);
  });
}

/** Column index (A = 0) of a cell reference such as `AB12`; -1 when it has no letters. */
function columnOf(ref: string): number {
  let col = 0;
  let k = 0;
  for (; k < ref.length && k < 4; k++) {
    const c = ref.charCodeAt(k) | 0x20; // lower case
    if (c < 97 || c > 122) break;
    col = col * 26 + (c - 96);
  }
  return k === 0 ? -1 : col - 1;
}

/** Built-in number formats that show dates or times (ECMA-376 part 1, 18.8.30, and the CJK ones). */
const DATE_FORMAT_IDS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]);

/** A custom format code shows a date when, outside quotes, escapes and [colour] brackets, it has d, m, y, h or s. */
const isDateCode = (code: string): boolean =>
  /[dmyhs]/i.test(code.replace(/"[^"]*"|\\.|\[[^\]]*\]/g, '').replace(/General/gi, ''));

/** An Excel date serial as a UTC Date (1900 system with its 1900-02-29, or the 1904 system). */
function serialToDate(serial: number, date1904: boolean): Date {
  const days = date1904 ? serial + 1462 : serial < 61 ? serial + 1 : serial;
  return new Date(Math.round((days - 25569) * 86_400_000));
}

/**
 * Streams the rows of the first worksheet of an XLSX workbook without building the workbook in memory, within
 * limits: the ZIP directory is checked before anything is inflated (total expanded size, compression ratio),
 * every part is inflated as a stream held to its declared size, and cell text, rows and columns are bounded —
 * the first break throws `TableLimitError` naming the limit (with the row and column when it is a cell's).
 * A NUL character in a cell is a `TableFormatError('nul')` with its row and column. Formulas give their cached
 * value (what the cell shows); date-formatted numbers become Dates.
 *
 * @example for await (const { line, cells } of readXlsxRows(bytes, limits)) console.log(line, cells);
 */
export async function* readXlsxRows(bytes: Uint8Array, limits: XlsxLimits, sheet?: XlsxSheetChoice): AsyncGenerator<XlsxRow> {
  const entries = readZipDirectory(bytes, limits);
  const budget: InflateBudget = { remaining: limits.maxExpandedBytes, max: limits.maxExpandedBytes };
  const find = (name: string): ZipEntry | undefined => entries.get(name) ?? entries.get(name.replace(/^\//, ''));

  /** Scans one part; `each` runs after every chunk (the sheet yields its finished rows there). */
  async function* scan(entry: ZipEntry, handler: XmlHandler): AsyncGenerator<void> {
    const scanner = new XmlScanner(handler);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    try {
      for await (const chunk of inflateEntry(bytes, entry, budget)) {
        scanner.feed(decoder.decode(chunk, { stream: true }));
        yield;
      }
      scanner.feed(decoder.decode());
    } catch (err) {
      if (err instanceof TypeError) throw new TableFormatError('container', `not a readable XLSX workbook: ${entry.name} is not UTF-8`);
      throw err;
    }
    scanner.end();
    yield;
  }
  const scanAll = async (entry: ZipEntry, handler: XmlHandler) => {
    for await (const _ of scan(entry, handler)) void _;
  };

  // The workbook: the sheets in their order (the part's order in the archive does not matter), the date system.
  const workbookEntry = find('xl/workbook.xml');
  if (!workbookEntry) throw new TableFormatError('container', 'not a readable XLSX workbook: no workbook part');
  const sheets: { name: string; rel: string }[] = [];
  let date1904 = false;
  await scanAll(workbookEntry, {
    open(name, attrs) {
      if (name === 'sheet') sheets.push({ name: attr(attrs, 'name') ?? '', rel: attr(attrs, '*:id') ?? '' });
      if (name === 'workbookPr') date1904 = /^(1|true)$/.test(attr(attrs, 'date1904') ?? '');
    },
    close() {},
    text() {},
  });
  if (sheets.length === 0) return; // a workbook without sheets has no rows
  const chosen = sheet === undefined ? sheets[0] : typeof sheet === 'number' ? sheets[sheet - 1] : sheets.find((s) => s.name === sheet);
  if (!chosen) throw new XlsxSheetMissingError(sheet!, sheets.map((s) => s.name));

  let sheetPath = `xl/worksheets/sheet${sheets.indexOf(chosen) + 1}.xml`;
  const relsEntry = find('xl/_rels/workbook.xml.rels');
  if (relsEntry && chosen.rel) {
    await scanAll(relsEntry, {
      open(name, attrs) {
        if (name !== 'Relationship' || attr(attrs, 'Id') !== chosen.rel) return;
        const target = attr(attrs, 'Target') ?? '';
        sheetPath = target.startsWith('/') ? target.slice(1) : `xl/${target}`.replace(/\/\.\//g, '/');
      },
      close() {},
      text() {},
    });
  }
  const sheetEntry = find(sheetPath);
  if (!sheetEntry) throw new TableFormatError('container', `not a readable XLSX workbook: the sheet "${chosen.name}" is missing`);

  // Styles: which cell formats show dates.
  const dateStyles = new Set<number>();
  const stylesEntry = find('xl/styles.xml');
  if (stylesEntry) {
    const customDates = new Set<number>();
    let inCellXfs = false;
    let xfIndex = 0;
    await scanAll(stylesEntry, {
      open(name, attrs) {
        if (name === 'numFmt' && isDateCode(attr(attrs, 'formatCode') ?? '')) customDates.add(Number(attr(attrs, 'numFmtId')));
        else if (name === 'cellXfs') inCellXfs = true;
        else if (name === 'xf' && inCellXfs) {
          const id = Number(attr(attrs, 'numFmtId') ?? 0);
          if (DATE_FORMAT_IDS.has(id) || customDates.has(id)) dateStyles.add(xfIndex);
          xfIndex++;
        }
      },
      close(name) {
        if (name === 'cellXfs') inCellXfs = false;
      },
      text() {},
    });
  }

  const tooLong = (where: string, line?: number, column?: number) =>
    new TableLimitError('maxCellChars', limits.maxCellChars, `${where} is longer than ${limits.maxCellChars} characters`, line, column);
  // Text is kept raw (escaped) while it arrives; escaped text is at most 10 times longer than what it shows.
  const rawCap = limits.maxCellChars * 10;

  // Shared strings: every text a cell of type "s" points to, bounded one by one.
  const shared: string[] = [];
  const sharedEntry = find('xl/sharedStrings.xml');
  if (sharedEntry) {
    let inSi = false;
    let depthRph = 0;
    let capturing = false;
    let raw = '';
    await scanAll(sharedEntry, {
      open(name) {
        if (name === 'si') { inSi = true; raw = ''; }
        else if (name === 'rPh') depthRph++;
        else if (name === 't' && inSi && depthRph === 0) capturing = true;
      },
      close(name) {
        if (name === 't') capturing = false;
        else if (name === 'rPh') depthRph--;
        else if (name === 'si') {
          const text = decodeXml(raw);
          if (text.length > limits.maxCellChars) throw tooLong(`shared string ${shared.length}`);
          shared.push(text);
          inSi = false;
          raw = '';
        }
      },
      text(t) {
        if (!capturing) return;
        raw += t;
        if (raw.length > rawCap) throw tooLong(`shared string ${shared.length}`);
      },
    });
  }

  // The sheet, row by row.
  const ready: XlsxRow[] = [];
  let rowNumber = 0;
  let rows = 0;
  let cells: XlsxCell[] = [];
  let column = -1;
  let cellType = '';
  let cellStyle = 0;
  let inCell = false;
  let capturing = false;
  let inInline = false;
  let depthRph = 0;
  let raw = '';
  let hasValue = false;

  const finishCell = () => {
    if (!hasValue) return;
    const text = decodeXml(raw);
    let value: XlsxCell;
    switch (cellType) {
      case 's': {
        const idx = Number(text);
        if (!Number.isInteger(idx) || idx < 0 || idx >= shared.length) {
          throw new TableFormatError('container', 'not a readable XLSX workbook: a cell points to a missing shared string', rowNumber, column + 1);
        }
        value = shared[idx]!;
        break;
      }
      case 'inlineStr':
      case 'str':
        value = text;
        break;
      case 'b':
        value = text.trim() === '1' || text.trim().toLowerCase() === 'true';
        break;
      case 'e':
        value = null;
        break;
      case 'd': {
        const d = new Date(text.trim());
        value = Number.isNaN(d.getTime()) ? text : d;
        break;
      }
      default: {
        const n = Number(text);
        if (text.trim() === '' || !Number.isFinite(n)) value = text;
        else value = dateStyles.has(cellStyle) ? serialToDate(n, date1904) : n;
      }
    }
    if (typeof value === 'string') {
      if (value.length > limits.maxCellChars) throw tooLong(`the cell at row ${rowNumber}, column ${column + 1}`, rowNumber, column + 1);
      if (value.includes('\u0000')) {
        throw new TableFormatError('nul', `a cell holds a NUL character (U+0000) (row ${rowNumber}, column ${column + 1})`, rowNumber, column + 1);
      }
    }
    cells[column] = value;
  };

  const handler: XmlHandler = {
    open(name, attrs) {
      switch (name) {
        case 'row': {
          const r = Number(attr(attrs, 'r'));
          rowNumber = Number.isInteger(r) && r > 0 ? r : rowNumber + 1;
          cells = [];
          column = -1;
          break;
        }
        case 'c': {
          const ref = attr(attrs, 'r');
          const col = ref ? columnOf(ref) : -1;
          column = col >= 0 ? col : column + 1;
          if (column >= limits.maxColumns) {
            throw new TableLimitError('maxColumns', limits.maxColumns, `row ${rowNumber} has a cell beyond column ${limits.maxColumns}`, rowNumber, column + 1);
          }
          cellType = attr(attrs, 't') ?? 'n';
          cellStyle = Number(attr(attrs, 's') ?? 0);
          inCell = true;
          hasValue = false;
          raw = '';
          break;
        }
        case 'v':
          if (inCell) { capturing = true; hasValue = true; }
          break;
        case 'is':
          if (inCell) { inInline = true; hasValue = true; }
          break;
        case 'rPh':
          depthRph++;
          break;
        case 't':
          if (inInline && depthRph === 0) capturing = true;
          break;
        default:
      }
    },
    close(name) {
      switch (name) {
        case 'v':
        case 't':
          capturing = false;
          break;
        case 'rPh':
          depthRph--;
          break;
        case 'is':
          inInline = false;
          break;
        case 'c':
          finishCell();
          inCell = false;
          break;
        case 'row': {
          if (cells.some((c) => c !== null && c !== undefined && c !== '')) {
            if (++rows > limits.maxRows) throw new TableLimitError('maxRows', limits.maxRows, `more than ${limits.maxRows} rows (row ${rowNumber})`, rowNumber);
            const full: XlsxCell[] = Array.from(cells, (c) => c ?? null);
            ready.push({ line: rowNumber, cells: full });
          }
          cells = [];
          break;
        }
        default:
      }
    },
    text(t) {
      if (!capturing) return;
      raw += t;
      if (raw.length > rawCap) throw tooLong(`the cell at row ${rowNumber}, column ${column + 1}`, rowNumber, column + 1);
    },
  };
  try {
    for await (const _ of scan(sheetEntry, handler)) {
      void _;
      if (ready.length > 0) yield* ready.splice(0);
    }
  } catch (err) {
    // The rows before the fault are delivered first (their reader learns the header, to name the column).
    if (ready.length > 0) yield* ready.splice(0);
    throw err;
  }
}
