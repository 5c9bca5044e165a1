/**
 * What an uploaded image really is, from its bytes, never from the name or the type the client claims: JPEG, PNG or
 * WebP, with the width and height read from the header. Anything else (SVG, HTML, GIF, a PDF, a polyglot that does
 * not start like an image) is refused, and so is an image whose header declares more pixels than allowed, before
 * anyone decodes it (a decompression bomb). Pure: no I/O.
 */

export type ImageMime = 'image/jpeg' | 'image/png' | 'image/webp';

export interface SniffedImage {
  mime: ImageMime;
  width: number;
  height: number;
}

const startsWith = (b: Buffer, bytes: number[], at = 0) => b.length >= at + bytes.length && bytes.every((x, i) => b[at + i] === x);

/** PNG: signature, then the IHDR chunk first with width and height as big-endian 32-bit integers (RFC 2083 §11.2.2). */
function png(b: Buffer): SniffedImage | null {
  if (!startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) || b.length < 24) return null;
  if (b.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { mime: 'image/png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/**
 * JPEG: SOI, then marker segments up to the first start-of-frame (SOF0–SOF15 but DHT C4, JPG C8, DAC CC), whose
 * payload holds height and width (ITU T.81 §B.2.2).
 */
function jpeg(b: Buffer): SniffedImage | null {
  if (!startsWith(b, [0xff, 0xd8, 0xff])) return null;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) { i += 1; continue; } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; } // no length
    const length = b.readUInt16BE(i + 2);
    if (length < 2) return null;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (i + 9 > b.length) return null;
      return { mime: 'image/jpeg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data or end before any frame header
    i += 2 + length;
  }
  return null;
}

/** WebP: RIFF….WEBP, then a VP8 (lossy), VP8L (lossless) or VP8X (extended) chunk with the canvas size. */
function webp(b: Buffer): SniffedImage | null {
  if (b.length < 30 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WEBP') return null;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    // frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height
    if (!startsWith(b, [0x9d, 0x01, 0x2a], 23)) return null;
    return { mime: 'image/webp', width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    if (b[20] !== 0x2f) return null;
    const bits = b.readUInt32LE(21);
    return { mime: 'image/webp', width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    const w = b.readUIntLE(24, 3) + 1;
    const h = b.readUIntLE(27, 3) + 1;
    return { mime: 'image/webp', width: w, height: h };
  }
  return null;
}

/**
 * The image's type and size from its bytes, or null when it is not a JPEG, PNG or WebP with a readable header.
 *
 * @example sniffImage(readFileSync('photo.jpg')) // { mime: 'image/jpeg', width: 1280, height: 960 }
 */
export const sniffImage = (bytes: Buffer): SniffedImage | null => {
  const found = png(bytes) ?? jpeg(bytes) ?? webp(bytes);
  return found && found.width > 0 && found.height > 0 ? found : null;
};
