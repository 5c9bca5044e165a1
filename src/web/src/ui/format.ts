/** A moment for the screens, in the reader's language (short date and time); `—` when there is none. */
export const fmtTime = (iso: string | null | undefined, lang: 'zh' | 'en'): string =>
  iso ? new Date(iso).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'short', timeStyle: 'short' }) : '—';

/** A rate in [0, 1] as a percentage with one decimal; `—` when it has no value (nothing to count yet). */
export const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
