import type { LedgerFacts } from './ledger.js';

/** What one entry says; its canonical JSON is the leaf data that gets hashed. */
export interface EntryBody {
  index: number;
  kind: string;
  actor: string;
  subject: string;
  facts: LedgerFacts;
  /** ISO 8601 UTC with milliseconds, e.g. 2026-11-26T08:00:00.000Z */
  time: string;
  /** hex digest per part of the recorded row's content (content.ts); absent when the entry records no row. */
  content?: Record<string, string>;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, numbers and strings as
 * ECMAScript's JSON.stringify writes them. For the values a ledger holds (no floats beyond JS numbers) this is
 * RFC 8785 (JCS), so anyone can rebuild the exact bytes in another language.
 *
 * @example canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  const write = (v: unknown, at: string): string => {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return JSON.stringify(v);
      case 'number':
        if (!Number.isFinite(v)) throw new TypeError(`${at}: ${v} cannot be hashed (not a finite number)`);
        return JSON.stringify(v);
      case 'object': {
        if (Array.isArray(v)) return `[${v.map((item, i) => write(item, `${at}[${i}]`)).join(',')}]`;
        const keys = Object.keys(v as object).sort();
        return `{${keys.map((k) => `${JSON.stringify(k)}:${write((v as Record<string, unknown>)[k], `${at}.${k}`)}`).join(',')}}`;
      }
      default:
        throw new TypeError(`${at}: a ${typeof v} cannot be hashed`);
    }
  };
  return write(value as Json, '$');
}

/** The canonical body text of an entry: the exact bytes hashed as its leaf. */
export const entryBodyText = (body: EntryBody): string => canonicalJson(body);

const isFactValue = (v: unknown): boolean =>
  v === null ||
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v)) ||
  (Array.isArray(v) && (v.every((x) => typeof x === 'string') || v.every((x) => typeof x === 'number' && Number.isFinite(x))));

/** Refuses facts that could not be hashed back to the same bytes (undefined, NaN, nested objects). */
export function assertFacts(facts: LedgerFacts): void {
  if (facts === null || typeof facts !== 'object' || Array.isArray(facts)) throw new TypeError('ledger facts must be an object');
  for (const [key, value] of Object.entries(facts)) {
    if (!isFactValue(value)) throw new TypeError(`ledger fact "${key}" must be a string, finite number, boolean, null or an array of strings or numbers`);
  }
}

const isDigestMap = (v: unknown): boolean =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((d) => typeof d === 'string');

/**
 * Reads a stored body back; undefined when it is not a body at all (not JSON, or fields missing or mistyped).
 * The fields are checked, not trusted: this runs on data that may have been tampered with.
 */
export function parseEntryBody(text: string): EntryBody | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const b = value as Record<string, unknown>;
  if (
    typeof b.index !== 'number' ||
    !Number.isSafeInteger(b.index) ||
    typeof b.kind !== 'string' ||
    typeof b.actor !== 'string' ||
    typeof b.subject !== 'string' ||
    typeof b.time !== 'string' ||
    b.facts === null ||
    typeof b.facts !== 'object' ||
    Array.isArray(b.facts) ||
    (b.content !== undefined && !isDigestMap(b.content))
  ) {
    return undefined;
  }
  return b as unknown as EntryBody;
}
