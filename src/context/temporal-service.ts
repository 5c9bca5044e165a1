import type { Db } from '../platform/db/database.js';
import { assertCan } from '../platform/auth/permissions.js';
import { ngsiProblem } from './ngsi-errors.js';
import { compactIri, expandTerm } from './jsonld-context.js';
import { assertNarrow, parseOrderBy, type EntityQueryService } from './entity-query-service.js';
import type { AccessRuleService } from './access-service.js';
import type { AccessPolicy } from './access-policy.js';
import type { TenantService } from './tenant-service.js';
import type { RequestScope } from './request-scope.js';
import type { TemporalEntityQuery, TemporalQuery } from './temporal-schemas.js';
import { countEntities, queryEntities, type EntityFilter, type EntityRow } from './entity-store.js';
import { aggregateHistory, aggregateHourly, deleteHistory, queryHistory, rollupAnswers, type AggrMethod, type HistoryFilter, type HistoryWindow, type WriteTime } from './history-store.js';
import type { ContextConfig } from './config.js';
import { assertAttrName, isUri, NGSI_NULL, renderInstance, type Instance } from './entity-model.js';
import { historyExists } from './temporal-write-store.js';
import { askedAttrs, temporalOutput, type TemporalOutput } from './temporal-output.js';
import { pageInstances } from './temporal-paging.js';
import { matchGeo, type GeoQuery, type Geometry } from './geo.js';
import { durationSeconds, parseDuration } from './iso-duration.js';

const METHODS: AggrMethod[] = ['totalCount', 'distinctCount', 'sum', 'avg', 'min', 'max', 'stddev', 'sumsq'];
/** ISO 8601 duration (weeks, days, hours, minutes, seconds) in milliseconds; months and years vary in length. */
export function durationMs(d: string): number {
  const parts = parseDuration(d);
  if (!parts || parts.years !== undefined || parts.months !== undefined) {
    throw ngsiProblem('BadRequestData', `aggrPeriodDuration "${d}" must be an ISO 8601 duration of weeks, days, hours, minutes or seconds (e.g. PT1H, P1D)`);
  }
  return durationSeconds(parts) * 1000;
}

const isoTime = (name: string, v: string | undefined): string | undefined => {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(t)) throw ngsiProblem('BadRequestData', `${name} must be an ISO 8601 date-time`);
  return new Date(t).toISOString();
};

/** A temporal answer: the entities, the count asked for, and the Content-Range when the temporal limit cut the instances (§6.3.10). */
export interface TemporalAnswer {
  entities: Record<string, unknown>[];
  count?: number;
  range?: string;
}

/** The temporalValues key and the member holding the value of each attribute type (§4.5.9). */
const SIMPLIFIED: Record<string, string> = {
  Relationship: 'objects', LanguageProperty: 'languageMaps', JsonProperty: 'jsons', VocabProperty: 'vocabs', ListProperty: 'valueLists', ListRelationship: 'objectLists',
};

/**
 * The temporal representation of entities (§5.7.3, §5.7.4): the history of every attribute instance, as
 * normalized instances, temporalValues pairs, or aggregated values per period.
 */
export class TemporalService {
  constructor(
    private readonly db: Db,
    private readonly config: ContextConfig,
    private readonly tenants: TenantService,
    private readonly access: AccessRuleService,
    private readonly queries: EntityQueryService,
    /** Where queries read (a replica may lag a moment); deletions go to the primary `db`. */
    private readonly reader: Db = db,
  ) {}

  /** The time window of a query (§4.11) over the time property it names (§5.2.21 timeproperty). */
  private window(p: TemporalEntityQuery): HistoryWindow {
    const timeproperty = p.timeproperty ?? 'observedAt';
    if (!['observedAt', 'createdAt', 'modifiedAt', 'deletedAt'].includes(timeproperty)) {
      throw ngsiProblem('BadRequestData', `timeproperty must be observedAt, createdAt, modifiedAt or deletedAt, not "${timeproperty.slice(0, 40)}"`, { errors: [{ field: 'timeproperty', message: 'unknown time property' }] });
    }
    return { ...this.bounds(p), writeTime: timeproperty === 'observedAt' ? undefined : (timeproperty as WriteTime) };
  }

  private bounds(p: TemporalEntityQuery): { from?: string; until?: string } {
    const timeAt = isoTime('timeAt', p.timeAt);
    const endTimeAt = isoTime('endTimeAt', p.endTimeAt);
    switch (p.timerel) {
      case undefined:
        if (timeAt || endTimeAt) throw ngsiProblem('BadRequestData', 'timeAt needs timerel');
        return {};
      case 'before':
        if (!timeAt) throw ngsiProblem('BadRequestData', 'timerel=before needs timeAt');
        return { until: timeAt };
      case 'after':
        if (!timeAt) throw ngsiProblem('BadRequestData', 'timerel=after needs timeAt');
        return { from: timeAt };
      case 'between':
        if (!timeAt || !endTimeAt) throw ngsiProblem('BadRequestData', 'timerel=between needs timeAt and endTimeAt');
        if (endTimeAt <= timeAt) throw ngsiProblem('BadRequestData', 'endTimeAt must be after timeAt');
        return { from: timeAt, until: endTimeAt };
      default:
        throw ngsiProblem('BadRequestData', `timerel must be before, after or between, not "${p.timerel}"`);
    }
  }

  async query(scope: RequestScope, p: TemporalQuery): Promise<TemporalAnswer> {
    assertCan(scope.actor, 'context.entity.read');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const policy = await this.access.policy(scope.actor, tenant);
    assertNarrow({ ...p, attrs: askedAttrs(p) }, this.config.patternMaxLength); // §5.7.4.4 as §5.7.2.4: no type, id, data attribute, geo-query or scope is 400
    const out = temporalOutput(scope.ctx, p);
    const window = this.window(p);
    const { filter, geo } = this.queries.parseFilter({ ...scope, tenant }, { ...p, attrs: undefined }, policy);
    // §5.7.4.4: q and geo-queries are on the attribute instances of the window, not on the current state.
    const { q, box: _box, hasLocation: _located, ...rest } = filter;
    const selected: EntityFilter = { ...(q ? { ...rest, historyQ: { ...q, window } } : geo ? rest : filter), orderBy: parseOrderBy(scope.ctx, p.orderBy) };
    const limit = p.limit ?? this.config.defaultLimit;
    if (limit > this.config.maxLimit) throw ngsiProblem('TooManyResults', `limit ${limit} is above the maximum ${this.config.maxLimit}`);
    const offset = p.offset ?? 0;
    let rows: EntityRow[];
    let count: number | undefined;
    if (geo) {
      const matched = await this.matchGeoHistory(tenant, selected, geo, window, policy);
      rows = matched.slice(offset, offset + limit);
      count = matched.length;
    } else {
      rows = limit === 0 ? [] : await queryEntities(this.reader, { ...selected, limit, offset });
      if (p.count) count = await countEntities(this.reader, selected);
    }
    const r = await this.render(scope, tenant, rows.map((e) => ({ id: e.id, types: e.types })), p, out, window, policy);
    return { ...r, ...(p.count ? { count } : {}) };
  }

  /**
   * The candidates (the filter without the geo-query) one of whose GeoProperty instances in the window
   * satisfies the geo-query, in id order: the exact test runs here (geo.ts), on the instances the caller may
   * read. At most `geoCandidateMax` candidates, as for entities.
   */
  private async matchGeoHistory(tenant: string, filter: EntityFilter, geo: GeoQuery, window: HistoryWindow, policy: AccessPolicy): Promise<EntityRow[]> {
    const candidates = await queryEntities(this.reader, { ...filter, limit: this.config.geoCandidateMax + 1 });
    if (candidates.length > this.config.geoCandidateMax) {
      throw ngsiProblem('TooComplexQuery', `the geo-query matches more than ${this.config.geoCandidateMax} candidates; narrow it with type, q or a smaller area`);
    }
    const readable = candidates.filter((c) => policy.readableAttrs(c.types)?.has(geo.geoproperty) ?? true);
    const history = await queryHistory(this.reader, { tenant, entityIds: readable.map((c) => c.id), attrs: [geo.geoproperty], ...window, cap: this.config.temporal.maxInstances });
    const hit = new Set<string>();
    for (const r of history) {
      if (r.deleted || hit.has(r.entity_id) || r.instance.type !== 'GeoProperty') continue;
      if (matchGeo(geo, r.instance.value as Geometry).match) hit.add(r.entity_id);
    }
    return readable.filter((c) => hit.has(c.id));
  }

  /** GET /temporal/entities/{id} (§5.7.3): the entity and, when the temporal limit cut its instances, the Content-Range. */
  async get(scope: RequestScope, id: string, p: TemporalEntityQuery): Promise<{ entity: Record<string, unknown>; range?: string }> {
    assertCan(scope.actor, 'context.entity.read');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    if (!isUri(id)) throw ngsiProblem('BadRequestData', 'entity id must be a URI');
    const out = temporalOutput(scope.ctx, p);
    const window = this.window(p);
    const policy = await this.access.policy(scope.actor, tenant);
    const [e] = await this.queries.findStored(tenant, [id]);
    if (!e || !policy.canReadEntity(e.types)) throw ngsiProblem('ResourceNotFound', `entity ${id} does not exist`);
    const { entities: [entity], range } = await this.render(scope, tenant, [{ id: e.id, types: e.types }], p, out, window, policy);
    // A temporal entity exists while it has history (its deletion removed it; the entity may remain).
    if (!Object.keys(entity).some((k) => k !== 'id' && k !== 'type') && !(await historyExists(this.reader, tenant, id))) throw ngsiProblem('ResourceNotFound', `no temporal history for ${id}`);
    // §5.7.3.4, §4.21: a pick or omit that leaves no member at all finds nothing.
    if ((p.pick !== undefined || p.omit !== undefined) && Object.keys(entity).length === 0) throw ngsiProblem('ResourceNotFound', `pick/omit leave nothing of the temporal entity ${id}`);
    return { entity, range };
  }

  async delete(scope: RequestScope, id: string, attr?: string): Promise<void> {
    assertCan(scope.actor, 'context.entity.write');
    if (!isUri(id)) throw ngsiProblem('BadRequestData', 'entity id must be a URI');
    if (attr !== undefined) assertAttrName(attr);
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const iri = attr ? expandTerm(scope.ctx, attr) : undefined;
    const policy = await this.access.policy(scope.actor, tenant);
    if (policy.restricted) {
      // Only the history of an entity the caller may see, of attributes it may write; the history of a deleted
      // entity (whose type is gone) only unrestricted callers delete.
      const [e] = await this.queries.findStored(tenant, [id]);
      if (!e || !policy.canReadEntity(e.types)) throw ngsiProblem('ResourceNotFound', `no temporal history for ${id}`);
      policy.assertWrite(e.types, iri ? [iri] : Object.keys(e.attrs));
      if (!iri && policy.readableAttrs(e.types)) throw ngsiProblem('Forbidden', 'deleting the whole history of an entity needs a rule over all its attributes');
    }
    const n = await deleteHistory(this.db, tenant, id, iri);
    if (n === 0) throw ngsiProblem('ResourceNotFound', `no temporal history for ${id}${attr ? ` attribute ${attr}` : ''}`);
  }

  private async render(
    scope: RequestScope,
    tenant: string,
    list: { id: string; types: string[] }[],
    p: TemporalEntityQuery,
    o: TemporalOutput,
    window: HistoryWindow,
    policy: AccessPolicy,
  ): Promise<{ entities: Record<string, unknown>[]; range?: string }> {
    if (p.lastN !== undefined && (!Number.isInteger(p.lastN) || p.lastN < 1)) throw ngsiProblem('BadRequestData', 'lastN must be a positive integer');
    const cap = this.config.temporal.maxInstances;
    const f: HistoryFilter = {
      tenant, entityIds: list.map((e) => e.id), attrs: o.attrs, ...window, lastN: p.lastN, cap, datasetIds: o.datasetIds,
    };
    const out = new Map(list.map((e) => {
      const head: Record<string, unknown> = {};
      if (o.includeId) head.id = e.id;
      if (o.includeType) head.type = e.types.length === 1 ? compactIri(scope.ctx, e.types[0]) : e.types.map((t) => compactIri(scope.ctx, t));
      return [e.id, head];
    }));
    const readable = new Map(list.map((e) => [e.id, policy.readableAttrs(e.types)]));
    const allowed = (id: string, attr: string) => !o.omit?.has(attr) && (!readable.get(id) || readable.get(id)!.has(attr));

    if (o.format === 'aggregatedValues') {
      const methods = (p.aggrMethods ?? '').split(',').map((m) => m.trim()).filter(Boolean) as AggrMethod[];
      if (methods.length === 0) throw ngsiProblem('BadRequestData', 'aggregatedValues needs aggrMethods');
      const unknown = methods.filter((m) => !METHODS.includes(m));
      if (unknown.length) throw ngsiProblem('BadRequestData', `unknown aggrMethods ${unknown.join(', ')}; use ${METHODS.join(', ')}`);
      const period = p.aggrPeriodDuration ?? 'P36500D';
      const ms = durationMs(period);
      if (ms <= 0) throw ngsiProblem('BadRequestData', 'aggrPeriodDuration must be longer than zero');
      const origin = window.from ?? '1970-01-01T00:00:00.000Z';
      // Whole-hour periods of numeric methods come from the hourly rollup (60× fewer rows for minute data).
      const rows = rollupAnswers(methods, ms / 1000, f, origin)
        ? await aggregateHourly(this.reader, f, methods, ms / 1000, origin)
        : await aggregateHistory(this.reader, f, methods, ms / 1000, origin);
      for (const r of rows) {
        if (!allowed(r.entity_id, r.attr)) continue;
        const e = out.get(r.entity_id)!;
        const name = compactIri(scope.ctx, r.attr);
        const series: Record<string, unknown> = { type: 'Property', ...(r.dataset_id ? { datasetId: r.dataset_id } : {}) };
        for (const m of methods) series[m] = r[m];
        const prev = e[name];
        e[name] = prev === undefined ? series : [...(Array.isArray(prev) ? prev : [prev]), series];
      }
      return { entities: [...out.values()] };
    }

    // §6.3.10: a series the server's limit (not lastN) cuts makes the answer a page; one more instance per series shows it.
    const n = Math.min(p.lastN ?? cap, cap);
    const probe = (p.lastN ?? Infinity) > cap ? n + 1 : n;
    const page = pageInstances(await queryHistory(this.reader, f, probe), n, { newest: p.lastN !== undefined, lastN: p.lastN, from: window.from, until: window.until });
    const simplified = o.format === 'temporalValues';
    const values = { format: 'keyValues' as const, sysAttrs: false, lang: o.lang };
    const normalized = { format: 'normalized' as const, sysAttrs: false, lang: o.lang };
    for (const r of page.rows) {
      // Deletions show only with timeproperty=deletedAt, as instances of NGSI-LD Null with their deletedAt.
      if ((r.deleted && window.writeTime !== 'deletedAt') || !allowed(r.entity_id, r.attr)) continue;
      const e = out.get(r.entity_id)!;
      const name = compactIri(scope.ctx, r.attr);
      const inst: Record<string, unknown> = r.deleted ? { type: 'Property', value: NGSI_NULL, deletedAt: new Date(r.recorded_at).toISOString() } : r.instance;
      const at = r.deleted ? (inst.deletedAt as string) : (inst.observedAt as string | undefined) ?? new Date(r.observed_at).toISOString();
      if (simplified) {
        // With lang a LanguageProperty's values are the strings of that language (§4.15), as a Property's.
        const type = inst.type === 'LanguageProperty' && o.lang ? 'Property' : String(inst.type ?? 'Property');
        const key = SIMPLIFIED[type] ?? 'values';
        const val = type === 'LanguageProperty' ? inst.languageMap : renderInstance(scope.ctx, inst as Instance, values);
        const list = (e[name] ??= []) as Record<string, unknown>[];
        let series = list.find((s) => (s.datasetId ?? '') === r.dataset_id);
        if (!series) list.push((series = { type, ...(r.dataset_id ? { datasetId: r.dataset_id } : {}), [key]: [] }));
        (series[key] as unknown[]).push([val, at]);
      } else {
        const rendered = renderInstance(scope.ctx, inst as Instance, normalized) as Record<string, unknown>;
        if (!r.deleted) {
          rendered.observedAt ??= at;
          rendered.instanceId = r.instance_id;
        }
        if (o.sysAttrs) {
          // An instance of the history is created when it is recorded, and modified then or when it was changed.
          if (typeof inst.expiresAt === 'string') rendered.expiresAt = inst.expiresAt;
          rendered.createdAt = new Date(r.recorded_at).toISOString();
          rendered.modifiedAt = typeof inst.modifiedAt === 'string' ? inst.modifiedAt : rendered.createdAt;
        }
        ((e[name] ??= []) as unknown[]).push(rendered);
      }
    }
    // One series per attribute renders as an object, not a one-element list (temporalValues).
    if (simplified) for (const e of out.values()) for (const [k, v] of Object.entries(e)) if (Array.isArray(v) && v.length === 1 && k !== 'type') e[k] = v[0];
    return { entities: [...out.values()], range: page.range };
  }
}
