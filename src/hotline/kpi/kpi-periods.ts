/**
 * Periods in the city's time zone. A leader's "November" is November in Beijing time, not in UTC, so bare dates
 * and period boundaries are local; PostgreSQL buckets with `date_trunc(unit, at, zone)` the same way.
 * Weeks start on Monday (ISO 8601, as PostgreSQL's date_trunc('week')).
 */
export const periods = ['day', 'week', 'month'] as const;
export type Period = (typeof periods)[number];

interface LocalParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const formatter = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
};

/** Whether the runtime knows the IANA zone (checked at boot with the config). */
export const validTimeZone = (timeZone: string): boolean => {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
};

/** The wall-clock reading of an instant in a zone. */
export const localParts = (instant: Date, timeZone: string): LocalParts => {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second };
};

const offsetMs = (instant: Date, timeZone: string): number => {
  const p = localParts(instant, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant.getTime() / 1000) * 1000;
};

/** The instant a wall-clock time happens in a zone (Date.UTC normalises overflowing days and months). */
export const localToInstant = (p: Partial<LocalParts> & { year: number; month: number; day: number }, timeZone: string): Date => {
  const guess = Date.UTC(p.year, p.month - 1, p.day, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  // Two passes so a zone with daylight saving lands on the offset valid at the result.
  let instant = guess - offsetMs(new Date(guess), timeZone);
  instant = guess - offsetMs(new Date(instant), timeZone);
  return new Date(instant);
};

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

/** The instant a local date (`2026-06-15`) starts, or the start of the day `plusDays` later. */
export const localDayStart = (day: string, timeZone: string, plusDays = 0): Date => {
  const [year, month, date] = day.split('-').map(Number);
  return localToInstant({ year, month, day: date + plusDays }, timeZone);
};
