import { createInflateRaw } from 'node:zlib';
import { TableFormatError, TableLimitError } from './table-errors.js';

/** One file of a ZIP archive, as its central directory declares it. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated (the only two methods read). */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the entry's data (after its local header) in the archive. */
  dataOffset: number;
}

export interface ZipLimits {
  /** The sum of every entry's declared uncompressed size. */
  maxExpandedBytes: number;
  /** Uncompressed ÷ compressed size of one entry larger than `ratioFloorBytes`. */
  maxCompressionRatio: number;
  /** Entries at most this large are not held to the ratio (small XML parts compress very well). */
  ratioFloorBytes?: number;
  /** Most entries in the archive. */
  maxEntries?: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const ZIP64_MARK = 0xffffffff;

const broken = (why: string) => new TableFormatError('container', `not a readable XLSX workbook: ${why}`);

/**
 * Reads the central directory of a ZIP archive (an XLSX workbook) and checks the declared sizes BEFORE anything
 * is inflated: the total expanded size and each large entry's compression ratio (a 99 KB workbook holding one
 * 100 MB cell has a ratio near 1000; real workbooks stay well under 100). Encrypted entries, methods other than
 * stored/deflate and ZIP64 archives are refused. `inflateEntry` then holds every entry to its declared size, so a
 * directory that lies about sizes gains nothing.
 *
 * @example const entries = readZipDirectory(bytes, { maxExpandedBytes: 512 << 20, maxCompressionRatio: 100 });
 */
export function readZipDirectory(bytes: Uint8Array, limits: ZipLimits): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  if (n < 22) throw broken('too short');
  // The end-of-central-directory record sits in the last 22 bytes plus a comment of up to 65,535 bytes.
  let eocd = -1;
  for (let i = n - 22; i >= Math.max(0, n - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) { eocd = i; break; }
  }
  if (eocd < 0) throw broken('no ZIP directory');
  const count = view.getUint16(eocd + 10, true);
  const dirSize = view.getUint32(eocd + 12, true);
  const dirOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || dirSize === ZIP64_MARK || dirOffset === ZIP64_MARK) throw broken('ZIP64 archives are not read');
  const maxEntries = limits.maxEntries ?? 10_000;
  if (count > maxEntries) throw new TableLimitError('maxEntries', maxEntries, `the workbook holds more than ${maxEntries} files`);
  if (dirOffset + dirSize > eocd) throw broken('the directory lies outside the file');

  const entries = new Map<string, ZipEntry>();
  const floor = limits.ratioFloorBytes ?? 1024 * 1024;
  let total = 0;
  let p = dirOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > eocd || view.getUint32(p, true) !== CENTRAL) throw broken('a damaged directory entry');
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const compressedSize = view.getUint32(p + 20, true);
    const uncompressedSize = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const localOffset = view.getUint32(p + 42, true);
    if (p + 46 + nameLength > eocd) throw broken('a damaged directory entry');
    const name = Buffer.from(bytes.buffer, bytes.byteOffset + p + 46, nameLength).toString('utf8');
    p += 46 + nameLength + extraLength + commentLength;

    if (flags & 1) throw broken('encrypted entries are not read');
    if (compressedSize === ZIP64_MARK || uncompressedSize === ZIP64_MARK || localOffset === ZIP64_MARK) throw broken('ZIP64 entries are not read');
    if (method !== 0 && method !== 8) throw broken(`compression method ${method} is not read`);
    if (method === 0 && compressedSize !== uncompressedSize) throw broken('a stored entry with two sizes');
    total += uncompressedSize;
    if (total > limits.maxExpandedBytes) {
      throw new TableLimitError('maxExpandedBytes', limits.maxExpandedBytes, `the workbook expands to more than ${limits.maxExpandedBytes} bytes`);
    }
    if (uncompressedSize > floor && uncompressedSize / Math.max(compressedSize, 1) > limits.maxCompressionRatio) {
      throw new TableLimitError('maxCompressionRatio', limits.maxCompressionRatio,
        `a part of the workbook (${name}) expands more than ${limits.maxCompressionRatio} times`);
    }
    if (localOffset + 30 > n || view.getUint32(localOffset, true) !== LOCAL) throw broken('a damaged entry header');
    const dataOffset = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataOffset + compressedSize > n) throw broken('an entry runs past the end of the file');
    entries.set(name, { name, method, compressedSize, uncompressedSize, dataOffset });
  }
  return entries;
}

/** What inflating may still produce, shared by every entry of one archive. */
export interface InflateBudget {
  remaining: number;
  max: number;
}

/**
 * The entry's bytes, inflated as a stream in chunks: never more than it declared nor more than the budget left
 * (so memory stays at a chunk, whatever the archive says about itself).
 */
export async function* inflateEntry(bytes: Uint8Array, entry: ZipEntry, budget: InflateBudget): AsyncGenerator<Buffer> {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset + entry.dataOffset, entry.compressedSize);
  const take = (size: number, produced: number) => {
    if (produced > entry.uncompressedSize) throw broken(`${entry.name} inflates beyond its declared size`);
    budget.remaining -= size;
    if (budget.remaining < 0) throw new TableLimitError('maxExpandedBytes', budget.max, `the workbook expands to more than ${budget.max} bytes`);
  };
  if (entry.method === 0) {
    take(data.length, data.length);
    for (let i = 0; i < data.length; i += 1 << 16) yield data.subarray(i, i + (1 << 16));
    return;
  }
  const inflater = createInflateRaw({ chunkSize: 1 << 16 });
  inflater.end(data);
  let produced = 0;
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      produced += chunk.length;
      take(chunk.length, produced);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof TableLimitError || err instanceof TableFormatError) throw err;
    throw broken(`${entry.name} is not valid deflate data`);
  } finally {
    inflater.destroy();
  }
}
