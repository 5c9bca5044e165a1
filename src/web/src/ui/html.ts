/**
 * HTML strings for the few places a library wants markup instead of elements (ECharts tooltip formatters). React
 * escapes what it renders; a string handed to ECharts is set as innerHTML, so every value put into it is escaped
 * here (issue 15, finding 4: an entity named `<img src=x onerror=alert(1)>` must show as text, never run).
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Any value as HTML text: `<`, `>`, `&` and quotes become entities. */
export const escapeHtml = (value: unknown): string => String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]);

/**
 * A template tag for markup: the literal parts are the markup, every interpolated value is escaped.
 *
 * @example html`${entity.id}<br/>${summary}` // '&lt;img src=x onerror=alert(1)&gt;<br/>…'
 */
export const html = (markup: TemplateStringsArray, ...values: unknown[]): string =>
  markup.reduce((out, part, i) => out + part + (i < values.length ? escapeHtml(values[i]) : ''), '');
