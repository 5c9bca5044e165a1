/** An ISO moment as a `datetime-local` input's value (local time, to the minute); '' for none. */
export const toLocalInput = (iso: string | null): string => {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

/** A `datetime-local` input's value (local time) as an ISO moment; undefined for empty. */
export const fromLocalInput = (value: string): string | undefined => (value ? new Date(value).toISOString() : undefined);
