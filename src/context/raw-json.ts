import { randomUUID } from 'node:crypto';

/**
 * A part of a response that is already JSON (the series of temporal aggregations: tens of thousands of
 * [value, start, end] triples), inserted as is by serializeJson / stringifyJson instead of being built as
 * arrays and serialised again. Node 20 has no JSON.rawJSON. A part writes its UTF-8 bytes straight into the
 * answer's buffer (serializeJson), so a 5 MB answer is never a JavaScript string on the server nor copied
 * twice.
 */
export abstract class JsonPart {
  /** At least the number of bytes writeTo writes. */
  abstract readonly maxBytes: number;
  /** Writes the part's JSON into `out` at `at`; returns the offset after it. */
  abstract writeTo(out: Buffer, at: number): number;
}

/** JSON text inserted as is. */
export class RawJson extends JsonPart {
  constructor(readonly json: string) {
    super();
  }

  get maxBytes(): number {
    return Buffer.byteLength(this.json);
  }

  writeTo(out: Buffer, at: number): number {
    return at + out.write(this.json, at);
  }
}

/**
 * JSON.stringify of `value` with its parts as placeholders, and the parts in order. Each part is written as a
 * string holding a random tag, so no string of the data can stand in for one.
 */
function withPlaceholders(value: unknown): { text: string; parts: JsonPart[]; re: RegExp } {
  const parts: JsonPart[] = [];
  let tag = '';
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (!(v instanceof JsonPart)) return v;
    tag ||= randomUUID();
    return `${tag}:${parts.push(v) - 1}`;
  });
  return { text, parts, re: new RegExp(`"${tag}:(\\d+)"`, 'g') };
}

/**
 * The UTF-8 bytes of JSON.stringify(value) with its JsonPart parts written verbatim, into one buffer.
 *
 * @example serializeJson({ a: new RawJson('[1,2]') }).toString() // '{"a":[1,2]}'
 */
export function serializeJson(value: unknown): Buffer {
  const { text, parts, re } = withPlaceholders(value);
  if (parts.length === 0) return Buffer.from(text);
  const out = Buffer.allocUnsafe(Buffer.byteLength(text) + parts.reduce((n, p) => n + p.maxBytes, 0));
  let at = 0;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    at += out.write(text.slice(last, m.index), at);
    at = parts[Number(m[1])].writeTo(out, at);
    last = m.index + m[0].length;
  }
  at += out.write(text.slice(last), at);
  return out.subarray(0, at);
}

/**
 * JSON.stringify that inserts JsonPart parts verbatim, as text.
 *
 * @example stringifyJson({ a: new RawJson('[1,2]') }) // '{"a":[1,2]}'
 */
export const stringifyJson = (value: unknown): string => serializeJson(value).toString();
