import { describe, expect, it } from 'vitest';
import { endOfLocalDay, localDate } from '../../src/platform/clock/local-time.js';

/** The quota day and a term's last moment follow the city's zone, daylight saving time included. */
describe('city time', () => {
  it('gives the local date of an instant', () => {
    expect(localDate(new Date('2026-11-26T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-11-26');
    expect(localDate(new Date('2026-11-26T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-11-27');
    expect(localDate(new Date('2026-11-26T16:00:00Z'), 'UTC')).toBe('2026-11-26');
    expect(localDate(new Date('2026-03-08T04:59:59Z'), 'America/New_York')).toBe('2026-03-07');
    expect(localDate(new Date('2026-03-08T05:00:00Z'), 'America/New_York')).toBe('2026-03-08');
  });

  it('gives the last millisecond of a local day', () => {
    expect(endOfLocalDay('2026-12-31', 'Asia/Shanghai').toISOString()).toBe('2026-12-31T15:59:59.999Z');
    expect(endOfLocalDay('2026-12-31', 'UTC').toISOString()).toBe('2026-12-31T23:59:59.999Z');
    expect(endOfLocalDay('2026-07-01', 'Europe/Berlin').toISOString()).toBe('2026-07-01T21:59:59.999Z');
    expect(endOfLocalDay('2026-12-01', 'Europe/Berlin').toISOString()).toBe('2026-12-01T22:59:59.999Z');
    expect(endOfLocalDay('2026-07-01', 'Asia/Kolkata').toISOString()).toBe('2026-07-01T18:29:59.999Z');
  });

  it('holds across daylight saving changes, also where the clock jumps at midnight', () => {
    // New York: the day the clocks go forward (02:00 → 03:00) and back (02:00 → 01:00)
    expect(endOfLocalDay('2026-03-07', 'America/New_York').toISOString()).toBe('2026-03-08T04:59:59.999Z');
    expect(endOfLocalDay('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-09T03:59:59.999Z');
    expect(endOfLocalDay('2026-10-31', 'America/New_York').toISOString()).toBe('2026-11-01T03:59:59.999Z');
    expect(endOfLocalDay('2026-11-01', 'America/New_York').toISOString()).toBe('2026-11-02T04:59:59.999Z');
    // Santiago goes forward at midnight (24:00 → 01:00 on 2026-09-06): 2026-09-05 ends at 04:00Z, where 09-06 begins at 01:00
    const end = endOfLocalDay('2026-09-05', 'America/Santiago');
    expect(end.toISOString()).toBe('2026-09-06T03:59:59.999Z');
    expect(localDate(end, 'America/Santiago')).toBe('2026-09-05');
    expect(localDate(new Date(end.getTime() + 1), 'America/Santiago')).toBe('2026-09-06');
  });

  it('refuses what is not a calendar date', () => {
    for (const bad of ['2026-13-01', '2026-02-30', '26-01-01', 'tomorrow']) expect(Number.isNaN(endOfLocalDay(bad, 'Asia/Shanghai').getTime())).toBe(true);
  });
});
