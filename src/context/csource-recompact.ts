import { attributeMembers, compactIri, entityMembers, expandTerm, type LdContext } from './jsonld-context.js';

/**
 * Entities carried between a caller's @context and a context source's own (`contextSourceInfo` `jsonldContext`,
 * GS CIM 009 §4.3.6.6): each attribute, sub-attribute and type name is expanded with one context and compacted
 * with the other, so the source reads (and answers in) the terms of its own @context. Values are left as they are
 * (a structured value's members are data, not terms).
 *
 * @example recompact([{ id, type: 'Lamp', lux: { type: 'Property', value: 5 } }], callerCtx, sourceCtx)
 */
export function recompact(body: unknown, from: LdContext, to: LdContext): unknown {
  if (Array.isArray(body)) return body.map((e) => recompact(e, from, to));
  if (!isObject(body)) return body;
  const name = (term: string) => compactIri(to, expandTerm(from, term));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === '@context') continue;
    if (k === 'type') out.type = Array.isArray(v) ? v.map((t) => (typeof t === 'string' ? name(t) : t)) : typeof v === 'string' ? name(v) : v;
    else if (entityMembers.has(k)) out[k] = v;
    else out[name(k)] = attribute(v, name);
  }
  return out;
}

/** An attribute (or its instances, or a temporal attribute's list): sub-attribute names renamed, members kept. */
function attribute(v: unknown, name: (term: string) => string): unknown {
  if (Array.isArray(v)) return v.map((x) => attribute(x, name));
  if (!isObject(v) || !('type' in v || 'value' in v || 'object' in v || 'languageMap' in v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => (attributeMembers.has(k) ? [k, x] : [name(k), attribute(x, name)])));
}

/** Names in a forwarded query string (`type`, `attrs`, `pick`, `omit`: lists of terms) in the source's terms. */
export function recompactQuery(query: URLSearchParams | undefined, from: LdContext, to: LdContext): URLSearchParams | undefined {
  if (!query) return query;
  const out = new URLSearchParams(query);
  const name = (term: string) => (term === '' ? term : compactIri(to, expandTerm(from, term)));
  for (const k of ['type', 'attrs', 'pick', 'omit', 'geoproperty']) {
    const v = query.get(k);
    if (v !== null) out.set(k, v.replace(/[^,|]+/g, (t) => name(t.trim())));
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
