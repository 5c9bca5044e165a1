import { inflateSync } from 'node:zlib';
import { inflateEntry, readZipDirectory } from '../../platform/csv/zip-reader.js';
import { isTableError } from '../../platform/csv/table-errors.js';
import { detectEncoding } from '../../platform/csv/text-encoding.js';

/** The formats the knowledge base reads. */
export type DocumentFormat = 'text' | 'docx' | 'pdf';

/** A paragraph of a document; `heading` when the document itself styles it as one (Word's 标题 styles). */
export interface Paragraph {
  text: string;
  heading?: boolean;
}

export interface ReaderLimits {
  /** What the file's parts may expand to in all (a DOCX's XML, a PDF's compressed streams). */
  maxExpandedBytes: number;
  /** Expanded ÷ compressed size of one DOCX part (a zip bomb's ratio is in the thousands). */
  maxCompressionRatio: number;
  /** Most pages of a PDF. */
  maxPages: number;
}

/** A file the knowledge base cannot read, and why in words an administrator can act on. */
export class DocumentReadError extends Error {
  constructor(readonly reason: 'format' | 'limit' | 'empty', message: string) {
    super(message);
    this.name = 'DocumentReadError';
  }
}

const DOCX_MEDIA = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
/** The media types uploads may declare; anything else is refused before reading. */
export const documentMediaTypes = ['text/plain', 'text/markdown', DOCX_MEDIA, 'application/pdf', 'application/octet-stream'] as const;

/**
 * The format of an upload, from its first bytes (never the name or the declared type alone): `%PDF-` is a PDF, a
 * ZIP holding word/document.xml a DOCX, text in a known encoding plain text. Other files (images, legacy .doc,
 * spreadsheets, executables) are refused.
 */
export function sniffFormat(bytes: Uint8Array): DocumentFormat {
  if (startsWith(bytes, '%PDF-')) return 'pdf';
  if (startsWith(bytes, 'PK\u0003\u0004')) return 'docx';
  if (startsWith(bytes, '\u00d0\u00cf\u0011\u00e0')) throw new DocumentReadError('format', 'legacy Word (.doc) files are not read: save the file as .docx or PDF');
  const encoding = detectEncoding(bytes);
  if (!encoding || (encoding !== 'utf-16le' && encoding !== 'utf-16be' && bytes.includes(0))) {
    throw new DocumentReadError('format', 'not a readable document: send plain text (UTF-8 or GB18030), Word .docx or a PDF with a text layer');
  }
  return 'text';
}

/**
 * The paragraphs of a document, bounded by `limits` (zip bombs, streams that inflate without end and PDFs of
 * thousands of pages are refused before they fill memory).
 *
 * @example const paragraphs = await readDocument(bytes, { maxExpandedBytes: 50 << 20, maxCompressionRatio: 100, maxPages: 500 });
 */
export async function readDocument(bytes: Uint8Array, limits: ReaderLimits): Promise<{ format: DocumentFormat; paragraphs: Paragraph[] }> {
  const format = sniffFormat(bytes);
  const paragraphs = format === 'pdf' ? readPdf(bytes, limits) : format === 'docx' ? await readDocx(bytes, limits) : readText(bytes);
  const kept = paragraphs.map((p) => ({ ...p, text: p.text.replace(/[\s\u3000]+/g, ' ').trim() })).filter((p) => p.text);
  if (kept.length === 0) {
    throw new DocumentReadError('empty', format === 'pdf' ? 'the PDF has no text layer (a scan?): send a PDF with text or a .docx' : 'the document holds no text');
  }
  return { format, paragraphs: kept };
}

function readText(bytes: Uint8Array): Paragraph[] {
  const encoding = detectEncoding(bytes) ?? 'utf-8';
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    throw new DocumentReadError('format', `the text is not valid ${encoding}`);
  }
  return text.replace(/^\uFEFF/, '').split(/\r?\n|\r/).map((line) => ({ text: line }));
}

// ---- Word .docx ---------------------------------------------------------------------------------------------

const HEADING_STYLE_RE = /<w:pStyle\b[^>]*w:val="(?:heading|title|标题)[^"]*"/i;
const RUN_RE = /<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>|<w:(tab|br|cr)\b[^>]*\/>/g;

/** The paragraphs of word/document.xml: the ZIP's directory checked before inflating (shared with the XLSX reader). */
async function readDocx(bytes: Uint8Array, limits: ReaderLimits): Promise<Paragraph[]> {
  let xml = '';
  try {
    const entries = readZipDirectory(bytes, { maxExpandedBytes: limits.maxExpandedBytes, maxCompressionRatio: limits.maxCompressionRatio, maxEntries: 2000 });
    const body = entries.get('word/document.xml');
    if (!body) throw new DocumentReadError('format', 'a ZIP file without word/document.xml is not a Word document');
    const budget = { remaining: limits.maxExpandedBytes, max: limits.maxExpandedBytes };
    const decoder = new TextDecoder('utf-8');
    for await (const chunk of inflateEntry(bytes, body, budget)) xml += decoder.decode(chunk, { stream: true });
  } catch (err) {
    if (isTableError(err)) {
      throw new DocumentReadError(err.name === 'TableLimitError' ? 'limit' : 'format', err.message.replaceAll('workbook', 'document').replace('XLSX', 'Word'));
    }
    throw err;
  }
  // Entities are not expanded beyond the predefined ones; a DOCTYPE (which could declare more) has no place here.
  if (/<!DOCTYPE/i.test(xml)) throw new DocumentReadError('format', 'the Word document declares a DOCTYPE, which is not read');
  return xml.split(/<\/w:p>/).map((p) => {
    let text = '';
    for (const m of p.matchAll(RUN_RE)) text += m[2] ? (m[2] === 'tab' ? '\t' : ' ') : decodeXmlText(m[1]);
    return { text, heading: HEADING_STYLE_RE.test(p) };
  });
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decodeXmlText = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) =>
    e[0] === '#' ? safeCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : XML_ENTITIES[e.toLowerCase()]);
const safeCodePoint = (n: number) => (n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : '');

// ---- PDF -----------------------------------------------------------------------------------------------------

/**
 * A minimal PDF text reader: the text-showing operators (Tj, TJ, ', ") of every content stream, stored or
 * Flate-compressed, with the fonts' ToUnicode maps (merged over the document: enough for the one or two fonts
 * of a policy document). Encrypted PDFs, other filters and files over `maxPages` pages are refused; a scan
 * without a text layer reads as empty.
 */
function readPdf(bytes: Uint8Array, limits: ReaderLimits): Paragraph[] {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (/\/Encrypt\b/.test(raw)) throw new DocumentReadError('format', 'encrypted PDFs are not read: remove the password and send it again');
  const pages = raw.match(/\/Type\s*\/Page\b(?!s)/g)?.length ?? 0;
  if (pages > limits.maxPages) throw new DocumentReadError('limit', `the PDF has ${pages} pages, more than the ${limits.maxPages} allowed`);
  let budget = limits.maxExpandedBytes;
  const streams: string[] = [];
  const STREAM_RE = /<<((?:[^<>]|<<(?:[^<>]|<<[^<>]*>>)*>>|<[0-9a-fA-F\s]*>)*)>>\s*stream\r?\n/g;
  for (let m = STREAM_RE.exec(raw); m; m = STREAM_RE.exec(raw)) {
    const dict = m[1];
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    if (end < 0) break;
    STREAM_RE.lastIndex = end;
    const filter = /\/Filter\s*\[?\s*\/(\w+)/.exec(dict)?.[1];
    if (/\/Subtype\s*\/Image\b|\/Type\s*\/(?:XRef|ObjStm)\b/.test(dict)) continue;
    if (filter && filter !== 'FlateDecode') continue;
    const data = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
    let decoded: Buffer;
    try {
      decoded = filter ? inflateSync(data, { maxOutputLength: Math.max(1, budget), finishFlush: 2 /* Z_SYNC_FLUSH: tolerate a trailing EOL */ }) : data;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        throw new DocumentReadError('limit', `the PDF expands to more than ${limits.maxExpandedBytes} bytes`);
      }
      continue;
    }
    budget -= decoded.length;
    if (budget < 0) throw new DocumentReadError('limit', `the PDF expands to more than ${limits.maxExpandedBytes} bytes`);
    streams.push(decoded.toString('latin1'));
  }
  const cmap = new Map<string, string>();
  for (const s of streams) if (s.includes('begincmap')) readCMap(s, cmap);
  const codeBytes = cmap.size > 0 ? (cmap.keys().next().value as string).length / 2 : 1;
  const lines: string[] = [];
  for (const s of streams) if (!s.includes('begincmap') && /\bBT\b/.test(s)) lines.push(...contentText(s, cmap, codeBytes));
  return lines.map((text) => ({ text }));
}

/** bfchar and bfrange entries of a ToUnicode CMap into `map` (source code in hex → text). */
function readCMap(s: string, map: Map<string, string>): void {
  const utf16 = (hex: string) => Buffer.from(hex.length % 4 ? hex.padStart(Math.ceil(hex.length / 4) * 4, '0') : hex, 'hex').swap16().toString('utf16le');
  for (const block of s.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const m of block[1].matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) map.set(m[1].toUpperCase(), utf16(m[2]));
  }
  for (const block of s.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const m of block[1].matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) {
      const lo = parseInt(m[1], 16);
      const hi = Math.min(parseInt(m[2], 16), lo + 0xffff);
      const dst = parseInt(m[3], 16);
      for (let c = lo; c <= hi; c++) map.set(c.toString(16).toUpperCase().padStart(m[1].length, '0'), safeCodePoint(dst + c - lo));
    }
  }
}

/** The text of a content stream, a line per text-positioning move that changes the line. */
function contentText(s: string, cmap: Map<string, string>, codeBytes: number): string[] {
  const lines: string[] = [];
  let line = '';
  let texts: string[] = [];
  let lastNumber = 0;
  const decode = (bin: string) => {
    if (cmap.size === 0) return bin;
    let out = '';
    for (let i = 0; i + codeBytes <= bin.length; i += codeBytes) {
      const key = Buffer.from(bin.slice(i, i + codeBytes), 'latin1').toString('hex').toUpperCase();
      out += cmap.get(key) ?? '';
    }
    return out;
  };
  const breakLine = () => {
    if (line.trim()) lines.push(line);
    line = '';
  };
  const TOKEN_RE = /\((?:\\[\s\S]|[^\\)])*\)|<[0-9a-fA-F\s]*>|-?\d*\.?\d+|[A-Za-z'"*]+|\/\S+|[[\]]/g;
  for (const [token] of s.matchAll(TOKEN_RE)) {
    if (token[0] === '(') texts.push(decode(unescapeLiteral(token.slice(1, -1))));
    else if (token[0] === '<') texts.push(decode(Buffer.from(token.slice(1, -1).replace(/\s/g, ''), 'hex').toString('latin1')));
    else if (/^-?[\d.]/.test(token)) lastNumber = Number(token);
    else if (/^[A-Za-z'"*]/.test(token)) {
      if (token === 'Tj' || token === 'TJ') line += texts.join('');
      else if (token === "'" || token === '"') { breakLine(); line += texts.at(-1) ?? ''; }
      else if (token === 'T*' || token === 'ET' || token === 'Tm') breakLine();
      // Td/TD's last operand is the vertical move: a new line unless it is 0.
      else if ((token === 'Td' || token === 'TD') && lastNumber !== 0) breakLine();
      texts = [];
    }
  }
  breakLine();
  return lines;
}

const LITERAL_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };
const unescapeLiteral = (s: string) =>
  s.replace(/\\([0-7]{1,3}|[\s\S])/g, (_, e: string) => (/^[0-7]/.test(e) ? String.fromCharCode(parseInt(e, 8) & 0xff) : e === '\n' || e === '\r' ? '' : (LITERAL_ESCAPES[e] ?? e)));

const startsWith = (bytes: Uint8Array, magic: string) => [...magic].every((c, i) => bytes[i] === c.charCodeAt(0));
export { DOCX_MEDIA };
