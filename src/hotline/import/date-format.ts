/**
 * Date parsing for import mappings: a pattern such as `MM/DD/YYYY hh:mm:ss A` or `YYYY-MM-DD HH:mm:ss`, read in a
 * time zone (an IANA name such as `Asia/Shanghai`, or a fixed offset `+08:00`), or `iso` for ISO 8601 text that
 * carries its own zone. Patterns compile once into a regular expression; zone offsets are cached per hour.
 */

export type DateParser = (text: string) => Date | undefined;

const TOKENS: Record<string, { re: string; key: keyof Parts }> = {
  YYYY: { re: '(\\d{4})', key: 'year' },
  MM: { re: '(\\d{1,2})', key: 'month' },
  M: { re: '(\\d{1,2})', key: 'month' },
  DD: { re: '(\\d{1,2})', key: 'day' },
  D: { re: '(\\d{1,2})', key: 'day' },
  HH: { re: '(\\d{1,2})', key: 'hour' },
  H: { re: '(\\d{1,2})', key: 'hour' },
  hh: { re: '(\\d{1,2})', key: 'hour12' },
  h: { re: '(\\d{1,2})', key: 'hour12' },
  mm: { re: '(\\d{1,2})', key: 'minute' },
  ss: { re: '(\\d{1,2})', key: 'second' },
  SSS: { re: '(\\d{1,3})', key: 'ms' },
  A: { re: '([AaPp][Mm])', key: 'ampm' },
};
const TOKEN_RE = /YYYY|SSS|MM|DD|HH|hh|mm|ss|M|D|H|h|A/g;

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  hour12: number;
  minute: number;
  second: number;
  ms: number;
  ampm: string;
}

const OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

/** Minutes east of UTC of `zone` at the instant `utcMs`. */
export type ZoneOffset = (utcMs: number) => number;

/** A zone's offset function: fixed for `Z`/`±hh:mm`, via Intl for an IANA name (cached per hour). */
export function zoneOffset(zone: string): ZoneOffset {
  if (zone === 'UTC' || zone === 'Z') return () => 0;
  const fixed = OFFSET.exec(zone);
  if (fixed) {
    const minutes = (Number(fixed[2]) * 60 + Number(fixed[3])) * (fixed[1] === '-' ? -1 : 1);
    return () => minutes;
  }
  // Throws RangeError for an unknown zone, so a bad mapping fails at load time.
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const cache = new Map<number, number>();
  return (utcMs) => {
    const hourKey = Math.floor(utcMs / 3_600_000);
    let offset = cache.get(hourKey);
    if (offset === undefined) {
      const p: Record<string, number> = {};
      for (const part of fmt.formatToParts(new Date(hourKey * 3_600_000))) if (part.type !== 'literal') p[part.type] = Number(part.value);
      const local = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
      offset = Math.round((local - hourKey * 3_600_000) / 60_000);
      if (cache.size > 100_000) cache.clear();
      cache.set(hourKey, offset);
    }
    return offset;
  };
}

/** Local wall-clock time in a zone → the instant. Two passes handle the offset change around DST shifts. */
const localToUtc = (localMs: number, offset: ZoneOffset): number => {
  let utc = localMs - offset(localMs) * 60_000;
  utc = localMs - offset(utc) * 60_000;
  return utc;
};

const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Compiles a date pattern. Text that does not match gives `undefined` (the row is reported as bad).
 *
 * @example compileDateParser('MM/DD/YYYY hh:mm:ss A', 'America/New_York')('04/12/2018 11:11:26 AM')
 * // 2018-04-12T15:11:26.000Z
 */
export function compileDateParser(pattern: string, zone: string): DateParser {
  const offset = zoneOffset(zone);
  if (pattern === 'iso') {
    return (text) => {
      const t = text.trim();
      if (!ISO.test(t)) return undefined;
      const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(t) && t.length > 10;
      if (hasZone) {
        const d = new Date(t.replace(' ', 'T'));
        return Number.isNaN(d.getTime()) ? undefined : d;
      }
      // No zone in the text: read it as wall-clock time in the mapping's zone.
      const d = new Date(`${t.replace(' ', 'T')}${t.length === 10 ? 'T00:00:00' : ''}Z`);
      return Number.isNaN(d.getTime()) ? undefined : new Date(localToUtc(d.getTime(), offset));
    };
  }
  const keys: (keyof Parts)[] = [];
  let source = '';
  let last = 0;
  for (const m of pattern.matchAll(TOKEN_RE)) {
    source += pattern.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    source += TOKENS[m[0]].re;
    keys.push(TOKENS[m[0]].key);
    last = m.index + m[0].length;
  }
  source += pattern.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (!keys.includes('year') || !keys.includes('month') || !keys.includes('day')) {
    throw new Error(`date pattern "${pattern}" needs YYYY, MM and DD`);
  }
  const re = new RegExp(`^${source}$`);
  return (text) => {
    const m = re.exec(text.trim());
    if (!m) return undefined;
    const p: Partial<Parts> = {};
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (k === 'ampm') p.ampm = m[i + 1].toUpperCase();
      else p[k] = Number(m[i + 1]);
    }
    let hour = p.hour ?? 0;
    if (p.hour12 !== undefined) {
      if (p.hour12 < 1 || p.hour12 > 12) return undefined;
      hour = (p.hour12 % 12) + (p.ampm === 'PM' ? 12 : 0);
    }
    const { year = 0, month = 0, day = 0, minute = 0, second = 0, ms = 0 } = p;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
    const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
    // Reject 31 February and the like instead of rolling over.
    if (new Date(local).getUTCDate() !== day) return undefined;
    return new Date(localToUtc(local, offset));
  };
}
