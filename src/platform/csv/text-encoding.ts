import { isUtf8 } from 'node:buffer';

/** The text encodings the tabular readers accept. */
export type TextEncodingName = 'utf-8' | 'gb18030' | 'utf-16le' | 'utf-16be';

/**
 * The text encoding of a file's bytes, or undefined when it is none we read.
 *
 * - A byte-order mark decides: UTF-8 (EF BB BF), UTF-16 LE (FF FE), UTF-16 BE (FE FF).
 * - Otherwise bytes that are valid UTF-8 are UTF-8 (plain ASCII included): a valid UTF-8 file is never taken for
 *   anything else.
 * - Otherwise bytes that decode as GB18030 without error are GB18030: the superset of GBK and GB2312 that Excel
 *   and WPS on Chinese Windows write when they "save as CSV". Text in a single-byte code page (Latin-1) rarely
 *   decodes as GB18030, because a byte ≥ 0x81 must be followed by a valid trail byte.
 *
 * With `final: false` the bytes are a prefix of the file (a stream's first chunk): a multi-byte sequence cut at
 * the end is not held against it.
 *
 * @example detectEncoding(Buffer.from([0xc4, 0xe3, 0xba, 0xc3])) // → 'gb18030' (你好 in GBK)
 */
export function detectEncoding(bytes: Uint8Array, final = true): TextEncodingName | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (final ? isUtf8(bytes) : decodes('utf-8', bytes, false)) return 'utf-8';
  if (decodes('gb18030', bytes, final)) return 'gb18030';
  return undefined;
}

function decodes(encoding: TextEncodingName, bytes: Uint8Array, final: boolean): boolean {
  try {
    new TextDecoder(encoding, { fatal: true }).decode(bytes, { stream: !final });
    return true;
  } catch {
    return false;
  }
}

/**
 * The 1-based line holding the first byte that is not valid UTF-8, for an error message a person can act on
 * (lines counted by LF, which is a single byte in every encoding we read).
 */
export function firstNonUtf8Line(bytes: Uint8Array): number {
  let line = 1;
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      if (b === 10) line++;
      i++;
      continue;
    }
    // The length of the sequence and the range its second byte must fall in (RFC 3629 table, section 4).
    let len = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b === 0xe0) { len = 3; lo = 0xa0; }
    else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) len = 3;
    else if (b === 0xed) { len = 3; hi = 0x9f; }
    else if (b === 0xf0) { len = 4; lo = 0x90; }
    else if (b >= 0xf1 && b <= 0xf3) len = 4;
    else if (b === 0xf4) { len = 4; hi = 0x8f; }
    else return line;
    if (i + len > n) return line;
    const second = bytes[i + 1]!;
    if (second < lo || second > hi) return line;
    for (let k = 2; k < len; k++) {
      const c = bytes[i + k]!;
      if (c < 0x80 || c > 0xbf) return line;
    }
    i += len;
  }
  return line;
}
