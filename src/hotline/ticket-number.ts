/**
 * A ticket's human-readable number: the city's local day it was filed and its sequence that day, six digits.
 * The one place the format lives (intake, the importer and the demo seed use it).
 *
 * @example formatTicketNumber('20261126', 123) // → '20261126-000123'
 */
export const formatTicketNumber = (day: string, seq: number): string => `${day}-${String(seq).padStart(6, '0')}`;

/** Whether a text is a whole ticket number as formatTicketNumber spells it (a day past 999,999 tickets has more digits). */
export const isTicketNumber = (text: string): boolean => /^\d{8}-\d{6,}$/.test(text);

/**
 * The local day of an instant in a time zone, as ticket numbers spell it.
 *
 * @example ticketDay('Asia/Shanghai')(new Date('2026-11-25T17:00:00Z')) // → '20261126'
 */
export const ticketDay = (timeZone: string): ((at: Date) => string) => {
  const format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  return (at) => format.format(at).replaceAll('-', '');
};
