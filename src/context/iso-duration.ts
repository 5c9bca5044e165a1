/** The parts of an ISO 8601 / xsd duration (`P1Y2M3W4DT5H6M7.5S`): at least one part, a `T` only before a time part. */
export interface DurationParts { years?: number; months?: number; weeks?: number; days?: number; hours?: number; minutes?: number; seconds?: number }

const DURATION = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const PARTS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'] as const;

/** The duration's parts (those written), or undefined when `text` is not a duration. */
export function parseDuration(text: string): DurationParts | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const parts: DurationParts = {};
  PARTS.forEach((name, i) => {
    if (m[i + 1] !== undefined) parts[name] = Number(m[i + 1]);
  });
  return parts;
}

/** Seconds of the parts, a year counted as 365 days and a month as 30 (where a calendar is not needed). */
export function durationSeconds(p: DurationParts): number {
  const days = (p.years ?? 0) * 365 + (p.months ?? 0) * 30 + (p.weeks ?? 0) * 7 + (p.days ?? 0);
  return ((days * 24 + (p.hours ?? 0)) * 60 + (p.minutes ?? 0)) * 60 + (p.seconds ?? 0);
}
