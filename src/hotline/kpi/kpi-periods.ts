/**
 * Periods in the city's time zone. A leader's "November" is November in Beijing time, not in UTC, so bare dates
 * and period boundaries are local; PostgreSQL buckets with `date_trunc(unit, at, zone)` the same way.
 * Weeks start on Monday (ISO 8601, as PostgreSQL's date_trunc('week')). Wall-clock arithmetic is the platform's
 * (src/platform/clock/local-time.ts).
 */
import { localParts, localToInstant } from '../../platform/clock/local-time.js';

export const periods = ['day', 'week', 'month'] as const;
export type Period = (typeof periods)[number];

const bareDate = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * Reads a request's `from`/`to`: a bare date or local date-time (`2026-11-01`, `2026-11-01T08:00`) is local to
 * the zone; a string with `Z` or an offset is taken as it says. Returns undefined for anything else.
 */
export const parseWhen = (text: string, timeZone: string): Date | undefined => {
  const m = bareDate.exec(text);
  if (m) {
    const [year, month, day, hour, minute, second] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
    const instant = localToInstant({ year, month, day, hour, minute, second }, timeZone);
    // 2026-02-30 would roll over to March: refuse it rather than guess.
    return localParts(instant, timeZone).day === day ? instant : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const instant = new Date(text);
  return Number.isNaN(instant.getTime()) ? undefined : instant;
};

/** The start of the period holding the instant. */
export const periodStart = (instant: Date, period: Period, timeZone: string): Date => {
  const p = localParts(instant, timeZone);
  if (period === 'month') return localToInstant({ year: p.year, month: p.month, day: 1 }, timeZone);
  if (period === 'day') return localToInstant({ year: p.year, month: p.month, day: p.day }, timeZone);
  const weekday = (new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay() + 6) % 7; // Monday = 0
  return localToInstant({ year: p.year, month: p.month, day: p.day - weekday }, timeZone);
};

/** The start of the next period after a period start. */
export const nextPeriodStart = (start: Date, period: Period, timeZone: string): Date => {
  const p = localParts(start, timeZone);
  if (period === 'month') return localToInstant({ year: p.year, month: p.month + 1, day: 1 }, timeZone);
  return localToInstant({ year: p.year, month: p.month, day: p.day + (period === 'week' ? 7 : 1) }, timeZone);
};

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11` for a month, `2026-11-02` for a day or the Monday of a week. */
export const periodLabel = (start: Date, period: Period, timeZone: string): string => {
  const p = localParts(start, timeZone);
  return period === 'month' ? `${p.year}-${pad(p.month)}` : `${p.year}-${pad(p.month)}-${pad(p.day)}`;
};

/** Every period start from the one holding `from` up to `to` (exclusive). */
export const periodStarts = (from: Date, to: Date, period: Period, timeZone: string): Date[] => {
  const out: Date[] = [];
  for (let s = periodStart(from, period, timeZone); s < to; s = nextPeriodStart(s, period, timeZone)) out.push(s);
  return out;
};
