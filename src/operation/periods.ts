import { endOfLocalDay, localDate } from '../platform/clock/local-time.js';
import type { QuotaPeriod } from './schemas.js';

/**
 * Periods of quotas, releases and statements, named by their local calendar: `2026-11-26` (day), `2026-11`
 * (month), `2026` (year), in the city's time zone.
 */
export function periodKey(instant: Date, period: QuotaPeriod, timeZone: string): string {
  const day = localDate(instant, timeZone);
  return period === 'day' ? day : period === 'month' ? day.slice(0, 7) : day.slice(0, 4);
}

/** The last day of a month `2026-02` → `2026-02-28`. */
const lastDayOfMonth = (month: string): string => {
  const [y, m] = month.split('-').map(Number);
  const last = new Date(Date.UTC(y!, m!, 0)).getUTCDate();
  return `${month}-${String(last).padStart(2, '0')}`;
};

/** The last millisecond of a period (for Retry-After and terms). */
export function periodEnd(key: string, timeZone: string): Date {
  const lastDay = key.length === 10 ? key : key.length === 7 ? lastDayOfMonth(key) : `${key}-12-31`;
  return endOfLocalDay(lastDay, timeZone);
}

/** The first instant of a period. */
export function periodStart(key: string, timeZone: string): Date {
  const first = key.length === 10 ? key : key.length === 7 ? `${key}-01` : `${key}-01-01`;
  const [y, m, d] = first.split('-').map(Number);
  // the end of the day before, plus one millisecond
  const before = new Date(Date.UTC(y!, m! - 1, d! - 1)).toISOString().slice(0, 10);
  return new Date(endOfLocalDay(before, timeZone).getTime() + 1);
}
