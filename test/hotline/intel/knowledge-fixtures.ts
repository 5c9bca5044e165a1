import { deflateSync } from 'node:zlib';
import { zip } from '../../platform/csv/zip-fixture.js';

const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A Word .docx as Word writes it: [text, style?] paragraphs, each run split in two to test run joining. */
export function docx(paragraphs: (string | [string, string])[]): Buffer {
  const body = paragraphs.map((p) => {
    const [text, style] = typeof p === 'string' ? [p, undefined] : p;
    const half = Math.ceil(text.length / 2);
    return `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ''}<w:r><w:t>${esc(text.slice(0, half))}</w:t></w:r><w:r><w:t xml:space="preserve">${esc(text.slice(half))}</w:t></w:r></w:p>`;
  }).join('');
  return zip([
    { name: '[Content_Types].xml', data: '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>' },
    { name: 'word/document.xml', data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ${W}><w:body>${body}</w:body></w:document>` },
  ]);
}

/**
 * A PDF with a Type0 font whose ToUnicode map is the identity (2-byte codes = UTF-16), as Chinese PDFs are
 * written; one line of text per entry, Flate-compressed unless `compress` is false; `pages` /Type /Page objects.
 */
export function pdf(lines: string[], options: { compress?: boolean; pages?: number; encrypt?: boolean; extraStream?: Buffer } = {}): Buffer {
  const hex = (s: string) => Buffer.from(s, 'utf16le').swap16().toString('hex').toUpperCase();
  const content = `BT /F1 12 Tf 72 760 Td ${lines.map((l) => `<${hex(l)}> Tj 0 -18 Td`).join(' ')} ET`;
  const cmap = '/CIDInit /ProcSet findresource begin 12 dict begin begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange\n'
    + '1 beginbfrange <0000> <FFFF> <0000> endbfrange endcmap CMapName currentdict /CMap defineresource pop end end';
  const stream = (n: number, text: string | Buffer, compress = options.compress ?? true) => {
    const raw = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
    const data = compress ? deflateSync(raw) : raw;
    return Buffer.concat([Buffer.from(`${n} 0 obj\n<< /Length ${data.length}${compress ? ' /Filter /FlateDecode' : ''} >>\nstream\n`, 'latin1'), data, Buffer.from('\nendstream\nendobj\n', 'latin1')]);
  };
  const pages = options.pages ?? 1;
  const parts = [
    Buffer.from(`%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Count ${pages} >> endobj\n`, 'latin1'),
    Buffer.from(Array.from({ length: pages }, (_, i) => `${10 + i} 0 obj << /Type /Page /Parent 2 0 R /Contents 3 0 R >> endobj\n`).join(''), 'latin1'),
    stream(3, content),
    stream(4, cmap),
    ...(options.extraStream ? [stream(5, options.extraStream, true)] : []),
    Buffer.from(`trailer << /Root 1 0 R${options.encrypt ? ' /Encrypt 9 0 R' : ''} >>\n%%EOF\n`, 'latin1'),
  ];
  return Buffer.concat(parts);
}
