import { createHmac } from 'node:crypto';
import type { MaskSpec } from './schemas.js';

export type { MaskSpec };

export type MaskFn = MaskSpec['fn'];

export interface MaskContext {
  /** The consumer organisation's HMAC key. */
  consumerKey: Buffer;
  /** Lower bounds of the age bands, ascending. */
  ageBands: number[];
}

export type Masker = (value: unknown) => unknown;

/** Replaces all but the first `first` and last `last` characters (code points) with `*`. */
export function keepEnds(value: string, first: number, last: number): string {
  const chars = [...value];
  if (chars.length <= first + last) return '*'.repeat(chars.length);
  return chars.slice(0, first).join('') + '*'.repeat(chars.length - first - last) + chars.slice(chars.length - last).join('');
}

/** HMAC-SHA256 of the value's text under the consumer key, hex. */
export const hmacValue = (key: Buffer, value: string): string => createHmac('sha256', key).update(value).digest('hex');

/** `1990-05-17` → `1990` or `1990-05`; anything that is not a date becomes null. */
export function truncateDate(value: string, unit: 'year' | 'month'): string | null {
  const match = /^(\d{4})-?(\d{2})/.exec(value);
  if (!match) return null;
  return unit === 'year' ? match[1]! : `${match[1]}-${match[2]}`;
}

/** 34 → "30-39" with bands [0,18,30,40,…]; the last band is open: "80+". */
export function ageBand(value: unknown, bands: number[]): string | null {
  const age = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(age) || age < 0) return null;
  let index = -1;
  for (let i = 0; i < bands.length; i++) if (age >= bands[i]!) index = i;
  if (index < 0) return null;
  const low = bands[index]!;
  const next = bands[index + 1];
  return next === undefined ? `${low}+` : `${low}-${next - 1}`;
}

/**
 * The part of a Chinese address up to its district or county (区/县/旗), dropping streets and house numbers;
 * when none is found only the city (市) is kept, and otherwise nothing.
 */
export function addressDistrict(value: string): string | null {
  const district = /^.*?(?:区|县|旗)/u.exec(value);
  if (district) return district[0];
  const city = /^.*?市/u.exec(value);
  return city ? city[0] : null;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : String(value));

/**
 * Turns a mask spec into a function applied to each value; null and undefined stay null.
 *
 * @example compileMask({ fn: 'keep', first: 6, last: 4 }, ctx)('110101199001011234') // '110101********1234'
 */
export function compileMask(spec: MaskSpec, ctx: MaskContext): Masker {
  switch (spec.fn) {
    case 'none':
      return (v) => (v === undefined ? null : v);
    case 'redact':
      return (v) => (v == null ? null : '***');
    case 'keep':
      return (v) => (v == null ? null : keepEnds(text(v), spec.first, spec.last));
    case 'nullify':
      return () => null;
    case 'hmac':
      return (v) => (v == null ? null : hmacValue(ctx.consumerKey, text(v)));
    case 'date':
      return (v) => (v == null ? null : truncateDate(text(v), spec.unit));
    case 'age_band':
      return (v) => (v == null ? null : ageBand(v, ctx.ageBands));
    case 'district':
      return (v) => (v == null ? null : addressDistrict(text(v)));
  }
}

/** How much a mask hides, for "at least as strict" checks: none < generalising < hashing < redacting. */
export const maskStrength: Record<MaskFn, number> = {
  none: 0, keep: 1, date: 1, age_band: 1, district: 1, hmac: 2, redact: 3, nullify: 3,
};
