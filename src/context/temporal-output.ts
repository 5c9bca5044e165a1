import { ngsiProblem } from './ngsi-errors.js';
import { expandTerm, type LdContext } from './jsonld-context.js';
import { datasetIds } from './entity-query-service.js';
import type { TemporalEntityQuery } from './temporal-schemas.js';

/** The temporal representations (§4.5.7 normalized, §4.5.9 temporalValues, §4.5.19 aggregatedValues). */
export type TemporalFormat = 'normalized' | 'temporalValues' | 'aggregatedValues';

/** What a temporal answer shows, from its query parameters. */
export interface TemporalOutput {
  format: TemporalFormat;
  /** Each instance with its createdAt and modifiedAt (§6.3.7 options=sysAttrs). */
  sysAttrs: boolean;
  /** Expanded attribute IRIs asked for (attrs, or the attributes of pick); undefined: all. */
  attrs?: string[];
  /** Expanded attribute IRIs left out (omit). */
  omit?: Set<string>;
  includeId: boolean;
  includeType: boolean;
  /** Only the series of these datasetIds ('' the default instance). */
  datasetIds?: string[];
  lang?: string;
}

const OPTIONS = new Set(['normalized', 'temporalValues', 'aggregatedValues', 'sysAttrs']);
const FORMATS = new Set<string>(['normalized', 'temporalValues', 'aggregatedValues']);

const invalid = (field: string, message: string) => ngsiProblem('InvalidRequest', message, { errors: [{ field: `/query/${field}`, message }] });
const names = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

/**
 * Reads the representation and projection of a temporal retrieval or query (§5.7.3.4, §5.7.4.4, §6.3.12): an
 * unknown `options` value or `format` is InvalidRequest; `format` takes precedence over `options` (§6.3.12); an
 * `aggrMethods` alone asks for aggregatedValues. pick/omit as for entities (§4.21): not together, not with
 * attrs (BadRequestData); `id` and `type` in them keep or drop those members.
 */
export function temporalOutput(ctx: LdContext, p: TemporalEntityQuery): TemporalOutput {
  const options = names(p.options ?? '');
  const unknown = options.filter((o) => !OPTIONS.has(o));
  if (unknown.length) throw invalid('options', `unknown options ${unknown.join(', ').slice(0, 80)}: use temporalValues, aggregatedValues or sysAttrs`);
  if (p.format !== undefined && !FORMATS.has(p.format)) throw invalid('format', `format must be normalized, temporalValues or aggregatedValues, not "${p.format.slice(0, 40)}"`);
  const format = (p.format as TemporalFormat | undefined)
    ?? (options.includes('aggregatedValues') ? 'aggregatedValues' : options.includes('temporalValues') ? 'temporalValues' : p.aggrMethods !== undefined ? 'aggregatedValues' : 'normalized');
  const pick = p.pick === undefined ? undefined : names(p.pick);
  const omit = p.omit === undefined ? undefined : names(p.omit);
  if (pick && omit) throw ngsiProblem('BadRequestData', 'pick and omit cannot be used together', { errors: [{ field: '/query/pick', message: 'with omit' }] });
  if (pick && p.attrs !== undefined) throw ngsiProblem('BadRequestData', 'pick and attrs cannot be used together', { errors: [{ field: '/query/pick', message: 'with attrs' }] });
  if (omit && p.attrs !== undefined) throw ngsiProblem('BadRequestData', 'omit and attrs cannot be used together', { errors: [{ field: '/query/omit', message: 'with attrs' }] });
  const attrNames = pick ? pick.filter((a) => a !== 'id' && a !== 'type') : p.attrs === undefined ? undefined : names(p.attrs);
  const datasets = datasetIds(p.datasetId);
  return {
    format,
    sysAttrs: options.includes('sysAttrs'),
    // A pick of id or type alone asks for no attribute: an empty list, which selects none.
    attrs: attrNames?.map((a) => expandTerm(ctx, a)),
    omit: omit ? new Set(omit.filter((a) => a !== 'id' && a !== 'type').map((a) => expandTerm(ctx, a))) : undefined,
    includeId: pick ? pick.includes('id') : !omit?.includes('id'),
    includeType: pick ? pick.includes('type') : !omit?.includes('type'),
    datasetIds: datasets && [...datasets],
    lang: p.lang,
  };
}

/** The names of the attributes a temporal query asks for (attrs or pick), for the too-wide check (§5.7.4.4). */
export const askedAttrs = (p: Pick<TemporalEntityQuery, 'attrs' | 'pick'>): string | undefined =>
  p.attrs ?? (p.pick === undefined ? undefined : names(p.pick).filter((a) => a !== 'id' && a !== 'type').join(','));
