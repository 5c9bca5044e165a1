import { randomUUID } from 'node:crypto';

/**
 * A part of a response that is already JSON text (the series of temporal aggregations: tens of thousands of
 * [value, start, end] triples), inserted as is by stringifyJson instead of being built as arrays and
 * serialised again. Node 20 has no JSON.rawJSON.
 */
export class RawJson {
  constructor(readonly json: string) {}
}

/**
 * JSON.stringify that inserts RawJson parts verbatim. Each part is first written as a string holding a random
 * tag, so no string of the data can stand in for one.
 *
 * @example stringifyJson({ a: new RawJson('[1,2]') }) // '{"a":[1,2]}'
 */
export function stringifyJson(value: unknown): string {
  const parts: string[] = [];
  let tag = '';
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (!(v instanceof RawJson)) return v;
    tag ||= randomUUID();
    return `${tag}:${parts.push(v.json) - 1}`;
  });
  if (parts.length === 0) return text;
  return text.replace(new RegExp(`"${tag}:(\\d+)"`, 'g'), (_m, i: string) => parts[Number(i)]);
}
