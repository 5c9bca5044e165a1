/**
 * Wall-clock time in the city's time zone (`city.timeZone`, an IANA name), for every module: the three rates'
 * periods, the gateway's quota day, the last moment of a sharing term given as a date. Computed with Intl, so
 * daylight saving time and zones whose clocks jump at midnight give the right instants.
 */

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

export interface LocalParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock reading of an instant in a zone. */
export const localParts = (instant: Date | number, timeZone: string): LocalParts => {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(instant)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second! };
};

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** How far the zone's wall clock is ahead of UTC at this instant, in ms. */
const offsetMs = (instant: number, timeZone: string): number => {
  const p = localParts(instant, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - (instant - (((instant % 1000) + 1000) % 1000));
};

/**
 * The local date (YYYY-MM-DD) of an instant in the zone.
 *
 * @example localDate(new Date('2026-11-26T17:00:00Z'), 'Asia/Shanghai') // '2026-11-27'
 */
export function localDate(instant: Date, timeZone: string): string {
  const p = localParts(instant.getTime(), timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** The first instant of a local day (UTC midnight of the date given as year, month 1–12, day; days may overflow). */
const startOfLocalDay = (year: number, month: number, day: number, timeZone: string): number => {
  const wall = Date.UTC(year, month - 1, day);
  const target = new Date(wall).toISOString().slice(0, 10);
  // The offset in force is one of those a day either side (a zone changes it at most once in that span). Of the
  // instants showing the wall time under each, the earliest on the target date is the day's start; where the
  // clock jumps over midnight (no 00:00 that day), the one under the earlier offset lands on the jump.
  const candidates = [offsetMs(wall - 86_400_000, timeZone), offsetMs(wall + 86_400_000, timeZone)]
    .map((offset) => wall - offset)
    .filter((instant) => localDate(new Date(instant), timeZone) === target);
  return Math.min(...candidates);
};

/**
 * The last millisecond of a local calendar day in the zone; an Invalid Date when `date` is not a real YYYY-MM-DD.
 *
 * @example endOfLocalDay('2026-12-31', 'Asia/Shanghai').toISOString() // '2026-12-31T15:59:59.999Z'
 */
export function endOfLocalDay(date: string, timeZone: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return new Date(NaN);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const utc = new Date(Date.UTC(year, month - 1, day));
  if (Number.isNaN(utc.getTime()) || utc.toISOString().slice(0, 10) !== date) return new Date(NaN);
  return new Date(startOfLocalDay(year, month, day + 1, timeZone) - 1);
}

/** The instant a wall-clock time happens in a zone (Date.UTC normalises overflowing days and months). */
export const localToInstant = (p: Partial<LocalParts> & { year: number; month: number; day: number }, timeZone: string): Date => {
  const guess = Date.UTC(p.year, p.month - 1, p.day, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  // Two passes so a zone with daylight saving lands on the offset valid at the result.
  let instant = guess - offsetMs(guess, timeZone);
  instant = guess - offsetMs(instant, timeZone);
  return new Date(instant);
};

/** The instant a local date (`2026-06-15`) starts, or the start of the day `plusDays` later. */
export const localDayStart = (day: string, timeZone: string, plusDays = 0): Date => {
  const [year, month, date] = day.split('-').map(Number);
  return localToInstant({ year, month, day: date + plusDays }, timeZone);
};
