import { localParts, localToInstant } from '../../platform/clock/local-time.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11` → the month's [from, to) in the city's zone, `shift` months later (earlier when negative). */
export function monthRange(month: string, timeZone: string, shift = 0, length = 1): { from: Date; to: Date } {
  const [year, m] = month.split('-').map(Number);
  return {
    from: localToInstant({ year, month: m + shift, day: 1 }, timeZone),
    to: localToInstant({ year, month: m + shift + length, day: 1 }, timeZone),
  };
}

/** The month (`2026-11`) holding an instant in the city's zone. */
export const monthOf = (at: Date, timeZone: string): string => {
  const p = localParts(at, timeZone);
  return `${p.year}-${pad(p.month)}`;
};

/** Every month label from the one holding `from` up to `to` (exclusive). */
export function monthsBetween(from: Date, to: Date, timeZone: string): string[] {
  const out: string[] = [];
  for (let m = monthOf(from, timeZone); monthRange(m, timeZone).from < to; m = monthOf(monthRange(m, timeZone).to, timeZone)) out.push(m);
  return out;
}
