import type { Db } from '../platform/db/database.js';
import { ngsiProblem } from './ngsi-errors.js';
import { compactIri, expandTerm, type LdContext } from './jsonld-context.js';
import { expandList, isUri, renderEntity, renderFeature, LOCATION, type Format, type RenderOptions, type StoredEntity } from './entity-model.js';
import { compileQ, compileQSql, hasLinkedTerms, parseQ, type QExpr } from './q-language.js';
import { checkIdPattern } from './safe-regex.js';
import { parseScopeQ } from './scope-query.js';
import { joinLinked, parseJoin, type Join } from './entity-join.js';
import { matchGeo, parseGeoQuery, prefilterBox, type GeoQuery, type Geometry } from './geo.js';
import * as store from './entity-store.js';
import type { AccessRuleService } from './access-service.js';
import type { AccessPolicy } from './access-policy.js';
import type { TenantService } from './tenant-service.js';
import type { RequestScope } from './request-scope.js';
import type { ContextConfig } from './config.js';
import type { EntityQueryParams, OutputOptions } from './schemas.js';

const OPTIONS = ['keyValues', 'concise', 'normalized', 'sysAttrs', 'noOverwrite', 'replace', 'update', 'temporalValues', 'count'];

/**
 * How to render entities, from the output options of a request (§6.3.7 options, §4.5 formats, attrs, pick/omit,
 * lang).
 */
export function renderOptions(ctx: LdContext, o: OutputOptions): RenderOptions {
  const opts = (o.options ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const x of opts) if (!OPTIONS.includes(x)) throw ngsiProblem('BadRequestData', `unknown option "${x}"`);
  let format: Format = 'normalized';
  const f = o.format ?? (opts.includes('keyValues') ? 'keyValues' : opts.includes('concise') ? 'concise' : 'normalized');
  if (f === 'keyValues' || f === 'simplified') format = 'keyValues';
  else if (f === 'concise') format = 'concise';
  else if (f !== 'normalized') throw ngsiProblem('BadRequestData', `format must be normalized, concise or keyValues, not "${f}"`);
  const attrs = expandList(ctx, o.attrs);
  const pickRaw = o.pick === undefined ? undefined : topLevel(o.pick);
  const omitRaw = o.omit === undefined ? undefined : topLevel(o.omit);
  if (pickRaw && omitRaw) throw ngsiProblem('BadRequestData', 'pick and omit cannot be used together');
  // attrs is the older name of pick (v1.8 §4.21): one or the other.
  if (pickRaw && o.attrs !== undefined) throw ngsiProblem('BadRequestData', 'pick and attrs cannot be used together');
  // A Linked Entity selection `a{b}` picks `a` here (joinOf checks it; the linked entity is shown whole).
  const head = (p: string) => p.replace(/\{.*$/, '');
  const pick = pickRaw?.map(head).filter((p) => p !== 'id' && p !== 'type').map((p) => expandTerm(ctx, p));
  const only = attrs || pick ? new Set([...(attrs ?? []), ...(pick ?? [])]) : undefined;
  return {
    format,
    sysAttrs: opts.includes('sysAttrs'),
    only,
    // Omitting inside a linked entity (`a{b}`) does not omit `a`.
    omit: omitRaw ? new Set(omitRaw.filter((p) => p !== 'id' && p !== 'type' && !p.includes('{')).map((p) => expandTerm(ctx, p))) : undefined,
    includeId: pickRaw ? pickRaw.includes('id') : !omitRaw?.includes('id'),
    includeType: pickRaw ? pickRaw.includes('type') : !omitRaw?.includes('type'),
    lang: o.lang,
    datasets: datasetIds(o.datasetId),
  };
}

/**
 * The `datasetId` parameter (v1.8 §5.7.1.4, §5.7.2.4): a comma-separated list of datasetIds (URIs), `@none` for
 * the default instance, as the keys instances are compared by ('' the default).
 */
export function datasetIds(raw: string | undefined): Set<string> | undefined {
  if (raw === undefined) return undefined;
  const ids = raw.split(',').map((s) => s.trim());
  if (ids.some((d) => d !== '@none' && !isUri(d))) {
    throw ngsiProblem('BadRequestData', 'datasetId must be a comma-separated list of URIs or @none', { errors: [{ field: '/query/datasetId', message: 'not a list of URIs or @none' }] });
  }
  return new Set(ids.map((d) => (d === '@none' ? '' : d)));
}

/**
 * The terms of a pick/omit outside braces, separated by `,` or `|` (§4.21: both spell OR): `a,b{c,d}` is `a` and
 * `b{c,d}`. An empty term (`a||b`, `a,`) is 400.
 */
export function topLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let term = '';
  for (const ch of text) {
    if ((ch === ',' || ch === '|') && depth === 0) {
      out.push(term);
      term = '';
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}') depth--;
    term += ch;
  }
  out.push(term);
  const terms = out.map((s) => s.trim());
  if (terms.some((t) => !t)) throw ngsiProblem('BadRequestData', `"${text.slice(0, 80)}" has an empty term (§4.21)`);
  return terms;
}

/**
 * The pick or omit for the linked entities of a Linked Entity selection (`a{b,c}` gives `b,c`, with id and type
 * for a pick); a list without selections applies to them as it is.
 */
function linkedProjection(list: string | undefined, pick: boolean): string | undefined {
  if (list === undefined || !list.includes('{')) return list;
  const inner = topLevel(list).flatMap((t) => (t.includes('{') ? topLevel(t.slice(t.indexOf('{') + 1, t.lastIndexOf('}'))) : []));
  if (inner.length === 0) return undefined;
  return (pick ? ['id', 'type', ...inner] : inner).join(',');
}

/** How deep the Linked Entity selections (`a{b{c}}`, §4.21) of a pick/omit/q nest: 0 when there is none. */
export function linkedDepth(text: string | undefined): number {
  let depth = 0;
  let max = 0;
  let quoted = false;
  for (const ch of text ?? '') {
    if (ch === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (ch === '{') max = Math.max(max, ++depth);
    else if (ch === '}') depth--;
  }
  return max;
}

const SYSTEM_ATTRS = new Set(['createdAt', 'modifiedAt', 'deletedAt', 'observedAt']);

/** Whether `attrs` or `q` name an attribute that is not a system one (§5.7.2.4 b, c; §5.14.4.4). */
export function namesDataAttribute(p: Pick<EntityQueryParams, 'attrs' | 'q'>): boolean {
  if ((p.attrs ?? '').split(',').map((s) => s.trim()).some((a) => a && !SYSTEM_ATTRS.has(a))) return true;
  // Each term of q starts with its attribute (`a.b[c]==v`): the names before the operators.
  return (p.q ?? '').split(/[;|()]/).map((t) => /^\s*!?\s*([^=!<>~\s.[{]+)/.exec(t)?.[1]).some((a) => a !== undefined && !SYSTEM_ATTRS.has(a));
}

/**
 * §5.7.2.4: a query naming no type, entity, data attribute, geo-query or scope would read everything: 400.
 * (A `csf` is checked here too: a valid q, §4.9.)
 */
export function assertNarrow(p: EntityQueryParams, maxPattern = 256): void {
  if (p.csf !== undefined) {
    try {
      parseQ(p.csf, maxPattern);
    } catch {
      throw ngsiProblem('BadRequestData', 'csf is not a valid query (§4.9)', { errors: [{ field: '/query/csf', message: 'not a valid query' }] });
    }
  }
  if (p.type || p.id || p.idPattern || p.scopeQ || p.georel || p.local || namesDataAttribute(p)) return;
  throw ngsiProblem('BadRequestData', 'a query needs a type, an id or idPattern, a non-system attribute (attrs or q), a geo-query, a scopeQ or local=true (the query is too wide)');
}

const ORDER_KEY = /^(!)?([^\s!<>"'=;()\\,[\]]+)((?:\[[^\s\]]+\])*)(?:;(asc|desc|dist-asc|dist-desc))?$/;

/**
 * `orderBy=a,b;desc,c[k]`: attribute names (expanded with the @context), `id` for the entity id; descending with
 * v1.9's `;desc` (§4.23) or CityHub's `!a`; `[k]` orders by a member of a structured value (§4.23.3 EXAMPLE 4).
 * Ordering by distance (`;dist-asc` with `orderFrom`) is not supported: 400.
 */
export function parseOrderBy(ctx: LdContext, raw: string | undefined): store.EntityFilter['orderBy'] {
  if (raw === undefined) return undefined;
  const terms = raw.split(',').map((s) => s.trim()).map((k) => ORDER_KEY.exec(k));
  if (terms.length > 8 || terms.some((m) => !m)) {
    throw ngsiProblem('BadRequestData', `orderBy "${raw.slice(0, 80)}" must be up to 8 comma-separated attribute names, each with ;asc or ;desc (or preceded by !)`, { errors: [{ field: '/query/orderBy', message: 'not an ordering' }] });
  }
  return terms.map((m) => {
    const [, bang, name, path, dir] = m!;
    if (dir === 'dist-asc' || dir === 'dist-desc') throw ngsiProblem('BadRequestData', 'ordering by distance (dist-asc, dist-desc with orderFrom) is not supported', { errors: [{ field: '/query/orderBy', message: 'distance ordering not supported' }] });
    const keys = [...path.matchAll(/\[([^\]]+)\]/g)].map((k) => k[1]);
    return { attr: name === 'id' ? 'id' : expandTerm(ctx, name), desc: !!bang || dir === 'desc', ...(keys.length ? { keys } : {}) };
  });
}

/**
 * Reading entities (ETSI GS CIM 009 §5.7.1, §5.7.2, §5.7.5–5.7.9): one entity, queries with q, geo-queries,
 * order and count, the types and attributes present. What an organisation's access rules hide is filtered out
 * here, before rendering.
 */
export class EntityQueryService {
  constructor(
    private readonly db: Db,
    private readonly config: ContextConfig,
    private readonly tenants: TenantService,
    private readonly access: AccessRuleService,
  ) {}

  private output(scope: RequestScope, e: StoredEntity, ro: RenderOptions, o: OutputOptions): Record<string, unknown> {
    return o.geoJson
      ? renderFeature(scope.ctx, e, ro, o.geometryProperty ? expandTerm(scope.ctx, o.geometryProperty) : LOCATION)
      : renderEntity(scope.ctx, e, ro);
  }

  /** GET /entities/{id} (§5.7.1). */
  async getEntity(scope: RequestScope, id: string, o: OutputOptions): Promise<Record<string, unknown>> {
    const policy = await this.access.forReading(scope);
    const tenant = await this.tenants.resolve(scope.tenant, false);
    if (!isUri(id)) throw ngsiProblem('BadRequestData', `entity id must be a URI, got ${String(id).slice(0, 80)}`);
    const ro = renderOptions(scope.ctx, o);
    const row = await store.findEntity(this.db, tenant, id);
    if (!row || !policy.canReadEntity(row.types)) throw ngsiProblem('ResourceNotFound', `entity ${id} does not exist`);
    // v1.9 §5.7.1.4: with a type selector, an entity of none of those types is not found.
    if (scope.typeSelector && !row.types.some((t) => scope.typeSelector!.includes(t))) throw ngsiProblem('ResourceNotFound', `entity ${id} is not of the type asked for`);
    const e = policy.project(store.rowToEntity(row));
    if (ro.only && o.attrs && !Object.keys(e.attrs).some((a) => ro.only!.has(a))) {
      throw ngsiProblem('ResourceNotFound', `entity ${id} has none of the attributes ${o.attrs}`);
    }
    return this.output(scope, e, ro, o);
  }

  /** Stored state of entities (for temporal queries and the demo simulator): no access check, no rendering. */
  async findStored(tenant: string, ids: string[]): Promise<StoredEntity[]> {
    return (await store.queryEntities(this.db, { tenant, ids })).map(store.rowToEntity);
  }

  /**
   * Parses the filter part of a query (shared with temporal queries), narrowed to what the policy lets the caller
   * read: its types, and for `q`, `attrs`, `orderBy` and geo-queries only its attributes (a hidden one is absent).
   */
  parseFilter(scope: RequestScope, p: EntityQueryParams, policy: AccessPolicy): { filter: store.EntityFilter; q?: QExpr; geo?: GeoQuery } {
    const ctx = scope.ctx;
    const ids = p.id?.split(',').map((s) => s.trim()).filter(Boolean);
    if (ids && !ids.every(isUri)) throw ngsiProblem('BadRequestData', 'id must be a comma-separated list of URIs');
    let types: string[] | undefined;
    if (p.type !== undefined) {
      if (/[;()]/.test(p.type)) throw ngsiProblem('BadRequestData', 'type: only lists ("A,B") and alternatives ("A|B") are supported');
      const names = p.type.split(/[,|]/).map((s) => s.trim());
      if (names.some((n) => !n || /[<>"'=\s]/.test(n))) throw ngsiProblem('BadRequestData', `type "${p.type}" is not a list of type names`);
      types = names.map((n) => expandTerm(ctx, n));
    }
    // The database matches idPattern with its own engine; RE2 refuses first what is not linear-time (safe-regex.ts).
    if (p.idPattern !== undefined) checkIdPattern(p.idPattern, this.config.patternMaxLength);
    const q = p.q !== undefined ? parseQ(p.q, this.config.patternMaxLength) : undefined;
    const expand = (t: string) => expandTerm(ctx, t);
    const geoproperty = p.geoproperty ? expandTerm(ctx, p.geoproperty) : LOCATION;
    const geo = parseGeoQuery(p.georel, p.geometry, p.coordinates, geoproperty);
    const expandValues = expandList(ctx, p.expandValues);
    const filter: store.EntityFilter = {
      tenant: scope.tenant, ids, types, idPattern: p.idPattern,
      // A q with Linked Entity terms (a{b}==1, v1.8 §4.9) is evaluated across the links; any other stays one path.
      ...(q && hasLinkedTerms(q)
        ? { linkedQ: compileQSql(q, expand, expandValues && new Set(expandValues)) }
        : { q: q ? compileQ(q, expand, expandValues && new Set(expandValues)) : undefined }),
      scopeQ: parseScopeQ(p.scopeQ, this.config.patternMaxLength),
      anyAttrs: expandList(ctx, p.attrs),
      allowedTypes: policy.readableTypes(),
      visible: policy.visibility(),
    };
    // The location box columns pre-filter only when the caller may read `location` in every type it reads:
    // otherwise which candidates pass (and how many, TooComplexQuery) would depend on a hidden location.
    if (geo && geoproperty === LOCATION && policy.readableEverywhere(LOCATION)) {
      const box = prefilterBox(geo);
      if (box) filter.box = box;
      else filter.hasLocation = true;
    }
    return { filter, q, geo };
  }

  /**
   * A query of the entities held here only, whatever a subclass adds (the federated one asks context sources):
   * purge and entity maps ask the sources on their own terms.
   */
  queryHere(scope: RequestScope, p: EntityQueryParams, o: OutputOptions): Promise<{ entities: Record<string, unknown>[]; count?: number; more?: boolean }> {
    return EntityQueryService.prototype.queryEntities.call(this, scope, p, o);
  }

  /** The page size of a query: its `limit`, else the default one. */
  pageLimit(limit: number | undefined): number {
    return limit ?? this.config.defaultLimit;
  }

  /**
   * GET /entities (§5.7.2), POST /entityOperations/query (§5.7.2 too, the query in the body). `more`: whether
   * entities are left after this page (one row more is read to know; §4.12 `next` link).
   */
  async queryEntities(scope: RequestScope, p: EntityQueryParams, o: OutputOptions): Promise<{ entities: Record<string, unknown>[]; count?: number; more?: boolean }> {
    const policy = await this.access.forReading(scope);
    await this.tenants.resolve(scope.tenant, false);
    const limit = p.limit ?? this.config.defaultLimit;
    if (limit > this.config.maxLimit) {
      throw ngsiProblem('TooManyResults', `limit ${limit} is above the maximum page size ${this.config.maxLimit}`, { extra: { maxLimit: this.config.maxLimit } });
    }
    const offset = p.offset ?? 0;
    const ro = renderOptions(scope.ctx, o);
    const { filter, geo } = this.parseFilter(scope, p, policy);
    filter.orderBy = parseOrderBy(scope.ctx, p.orderBy);
    let rows: store.EntityRow[];
    let count: number | undefined;
    let more = false;
    if (geo) {
      // Exact geo predicates run here on the candidates of the bounding-box pre-filter.
      const candidates = await store.queryEntities(this.db, { ...filter, limit: this.config.geoCandidateMax + 1 });
      if (candidates.length > this.config.geoCandidateMax) {
        throw ngsiProblem('TooComplexQuery', `the geo-query matches more than ${this.config.geoCandidateMax} candidates; narrow it with type, q or a smaller area`);
      }
      const matched: { row: store.EntityRow; d: number }[] = [];
      for (const row of candidates) {
        const g = policy.projectAttrs(row.types, row.attrs)[geo.geoproperty]?.find((i) => i.type === 'GeoProperty');
        if (!g) continue;
        const m = matchGeo(geo, g.value as Geometry);
        if (m.match) matched.push({ row, d: m.distance ?? 0 });
      }
      // near answers nearest first unless orderBy says otherwise (the candidates come in orderBy order).
      if (geo.relation === 'near' && !filter.orderBy) matched.sort((a, b) => a.d - b.d || (a.row.id < b.row.id ? -1 : 1));
      count = matched.length;
      more = limit > 0 && offset + limit < matched.length;
      rows = matched.slice(offset, offset + limit).map((m) => m.row);
    } else {
      rows = limit === 0 ? [] : await store.queryEntities(this.db, { ...filter, limit: limit + 1, offset });
      more = rows.length > limit;
      if (more) rows = rows.slice(0, limit);
      if (p.count) count = await store.countEntities(this.db, filter);
    }
    const entities = rows.map((r) => this.output(scope, policy.project(store.rowToEntity(r)), ro, o));
    return { entities, count: p.count ? count : undefined, more };
  }

  /**
   * The `join`/`joinLevel` of a request (v1.8 §4.5.23), checked before anything is read, with what depends on
   * it: a Linked Entity selection (`pick=a{b}`, `q=a{b}==1`, §4.21, §5.7.1.4, §5.7.2.4) needs a join no
   * shallower than its nesting; `geometryProperty` is for application/geo+json answers only.
   */
  joinOf(scope: RequestScope, o: OutputOptions, q?: string): Join | undefined {
    if (o.geometryProperty !== undefined && !o.geoJson) throw ngsiProblem('BadRequestData', 'geometryProperty needs Accept: application/geo+json', { errors: [{ field: '/query/geometryProperty', message: 'only with application/geo+json' }] });
    const join = parseJoin(o.join, o.joinLevel, { keyValues: renderOptions(scope.ctx, o).format === 'keyValues', geoJson: !!o.geoJson, containedBy: o.containedBy }, this.config.joinMaxLevel);
    for (const [field, text] of [['pick', o.pick], ['omit', o.omit], ['q', q]] as const) {
      const depth = linkedDepth(text);
      if (depth === 0) continue;
      if (!join) throw ngsiProblem('BadRequestData', `${field} selects attributes of linked entities ({…}): that needs join=inline or join=flat`, { errors: [{ field: `/query/${field}`, message: 'linked entity selection without join' }] });
      if (depth > join.level) throw ngsiProblem('BadRequestData', `${field} goes ${depth} links deep, more than joinLevel ${join.level}`, { errors: [{ field: `/query/${field}`, message: 'deeper than joinLevel' }] });
    }
    return join;
  }

  /**
   * The entities `roots` link to (entity-join.ts), read by queries of the caller (its access rules, the context
   * sources) and rendered as the roots are: inline ones are put in place, flat ones returned in the order met.
   */
  async linked(scope: RequestScope, roots: Record<string, unknown>[], join: Join, o: OutputOptions): Promise<Record<string, unknown>[]> {
    const plain: OutputOptions = { options: o.options, format: o.format, attrs: o.attrs, pick: linkedProjection(o.pick, true), omit: linkedProjection(o.omit, false), lang: o.lang, datasetId: o.datasetId };
    const fetch = (out: OutputOptions) => async (ids: string[]) => {
      // An id holding a comma cannot be asked for in an id list; such a link is left unjoined.
      const asked = ids.filter((id) => !id.includes(','));
      const found: Record<string, unknown>[] = [];
      for (let i = 0; i < asked.length; i += this.config.maxLimit) {
        const page = asked.slice(i, i + this.config.maxLimit);
        found.push(...(await this.queryEntities(scope, { id: page.join(','), limit: page.length }, out)).entities);
      }
      return found;
    };
    if (renderOptions(scope.ctx, o).format !== 'keyValues') return joinLinked(roots, join, this.config.maxLimit, fetch(plain));
    // keyValues hides which members are relationships (flat only, parseJoin): the links are followed in the
    // normalized form, then the entities found are read as asked.
    const normalized = { ...plain, format: 'normalized', options: (o.options ?? '').split(',').filter((x) => x.trim() !== 'keyValues').join(',') };
    const found = await joinLinked(await fetch(normalized)(roots.map((e) => e.id as string)), join, this.config.maxLimit, fetch(normalized));
    const byId = new Map((await fetch(plain)(found.map((e) => e.id as string))).map((e) => [e.id, e]));
    return found.map((e) => byId.get(e.id)).filter((e): e is Record<string, unknown> => e !== undefined);
  }

  /** The entity types present, with their counts (GET /types, §5.7.5). */
  async entityTypes(scope: RequestScope): Promise<{ type: string; count: number }[]> {
    const policy = await this.access.forReading(scope);
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const allowed = policy.readableTypes();
    return (await store.entityTypeCounts(this.db, tenant))
      .filter((t) => !allowed || allowed.includes(t.type))
      .map((t) => ({ type: compactIri(scope.ctx, t.type), count: t.n }));
  }

  /** The attribute names present per type (GET /types/{type}, GET /attributes, §5.7.6–5.7.9). */
  async attributesOfTypes(scope: RequestScope, type?: string): Promise<{ type: string; attrs: string[] }[]> {
    const policy = await this.access.forReading(scope);
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const rows = await store.attributeNames(this.db, tenant, type ? expandTerm(scope.ctx, type) : undefined);
    const byType = new Map<string, string[]>();
    for (const r of rows) {
      if (!policy.canReadEntity([r.type])) continue;
      const readable = policy.readableAttrs([r.type]);
      if (readable && !readable.has(r.attr)) continue;
      byType.set(r.type, [...(byType.get(r.type) ?? []), compactIri(scope.ctx, r.attr)]);
    }
    return [...byType.entries()].map(([t, attrs]) => ({ type: compactIri(scope.ctx, t), attrs }));
  }
}
