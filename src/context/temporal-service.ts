import type { Db } from '../platform/db/database.js';
import { assertCan } from '../platform/auth/permissions.js';
import { ngsiProblem } from './ngsi-errors.js';
import { compactIri, expandTerm } from './jsonld-context.js';
import { assertNarrow, type EntityQueryService } from './entity-query-service.js';
import type { AccessRuleService } from './access-service.js';
import type { AccessPolicy } from './access-policy.js';
import type { TenantService } from './tenant-service.js';
import type { RequestScope } from './request-scope.js';
import type { TemporalEntityQuery, TemporalQuery } from './schemas.js';
import { countEntities, queryEntities } from './entity-store.js';
import { aggregateHistory, aggregateHourly, deleteHistory, queryHistory, rollupAnswers, type AggrMethod, type HistoryFilter } from './history-store.js';
import type { ContextConfig } from './config.js';
import { assertAttrName, isUri } from './entity-model.js';
import { historyExists } from './temporal-write-store.js';

const METHODS: AggrMethod[] = ['totalCount', 'distinctCount', 'sum', 'avg', 'min', 'max', 'stddev', 'sumsq'];
const DURATION = /^P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** ISO 8601 duration (weeks, days, hours, minutes, seconds) in milliseconds; months and years vary in length. */
export function durationMs(d: string): number {
  const m = DURATION.exec(d);
  if (!m) throw ngsiProblem('BadRequestData', `aggrPeriodDuration "${d}" must be an ISO 8601 duration of weeks, days, hours, minutes or seconds (e.g. PT1H, P1D)`);
  const [, w, dd, h, mi, s] = m.map((x) => Number(x ?? 0));
  return ((((w * 7 + dd) * 24 + h) * 60 + mi) * 60 + s) * 1000;
}

const isoTime = (name: string, v: string | undefined): string | undefined => {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(t)) throw ngsiProblem('BadRequestData', `${name} must be an ISO 8601 date-time`);
  return new Date(t).toISOString();
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

  private window(p: TemporalEntityQuery): { from?: string; until?: string } {
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

  async query(scope: RequestScope, p: TemporalQuery): Promise<{ entities: Record<string, unknown>[]; count?: number }> {
    assertCan(scope.actor, 'context.entity.read');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const policy = await this.access.policy(scope.actor, tenant);
    if (p.georel) throw ngsiProblem('OperationNotSupported', 'geo-queries are not supported on temporal entities yet');
    assertNarrow(p, this.config.patternMaxLength); // §5.7.4.4 as §5.7.2.4: no type, id, data attribute or scope is 400
    const { filter } = this.queries.parseFilter({ ...scope, tenant }, { ...p, attrs: undefined }, policy);
    const limit = p.limit ?? this.config.defaultLimit;
    if (limit > this.config.maxLimit) throw ngsiProblem('TooManyResults', `limit ${limit} is above the maximum ${this.config.maxLimit}`);
    const rows = await queryEntities(this.reader, { ...filter, limit, offset: p.offset ?? 0 });
    const entities = await this.render(scope, tenant, rows.map((r) => ({ id: r.id, types: r.types })), p, policy);
    return p.count ? { entities, count: await countEntities(this.reader, filter) } : { entities };
  }

  async get(scope: RequestScope, id: string, p: TemporalEntityQuery): Promise<Record<string, unknown>> {
    assertCan(scope.actor, 'context.entity.read');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    if (!isUri(id)) throw ngsiProblem('BadRequestData', 'entity id must be a URI');
    const policy = await this.access.policy(scope.actor, tenant);
    const [e] = await this.queries.findStored(tenant, [id]);
    if (!e || !policy.canReadEntity(e.types)) throw ngsiProblem('ResourceNotFound', `entity ${id} does not exist`);
    const [out] = await this.render(scope, tenant, [{ id: e.id, types: e.types }], p, policy);
    // A temporal entity exists while it has history (its deletion removed it; the entity may remain).
    if (Object.keys(out).length <= 2 && !(await historyExists(this.reader, tenant, id))) throw ngsiProblem('ResourceNotFound', `no temporal history for ${id}`);
    return out;
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
    policy: AccessPolicy,
  ): Promise<Record<string, unknown>[]> {
    const options = (p.options ?? '').split(',').filter(Boolean);
    const aggregated = options.includes('aggregatedValues') || p.format === 'aggregatedValues' || p.aggrMethods !== undefined;
    const simplified = options.includes('temporalValues') || p.format === 'temporalValues';
    const { from, until } = this.window(p);
    if (p.lastN !== undefined && (!Number.isInteger(p.lastN) || p.lastN < 1)) throw ngsiProblem('BadRequestData', 'lastN must be a positive integer');
    const attrs = p.attrs?.split(',').filter(Boolean).map((a) => expandTerm(scope.ctx, a));
    const timeproperty = p.timeproperty ?? 'observedAt';
    if (!['observedAt', 'createdAt', 'modifiedAt'].includes(timeproperty)) {
      throw ngsiProblem('BadRequestData', `timeproperty must be observedAt, createdAt or modifiedAt, not "${timeproperty}"`, { errors: [{ field: 'timeproperty', message: 'unknown time property' }] });
    }
    const f: HistoryFilter = {
      tenant, entityIds: list.map((e) => e.id), attrs, from, until, lastN: p.lastN, cap: this.config.temporal.maxInstances, byWriteTime: timeproperty !== 'observedAt',
    };
    const out = new Map(list.map((e) => [e.id, { id: e.id, type: e.types.length === 1 ? compactIri(scope.ctx, e.types[0]) : e.types.map((t) => compactIri(scope.ctx, t)) } as Record<string, unknown>]));
    const readable = new Map(list.map((e) => [e.id, policy.readableAttrs(e.types)]));
    const allowed = (id: string, attr: string) => !readable.get(id) || readable.get(id)!.has(attr);

    if (aggregated) {
      const methods = (p.aggrMethods ?? '').split(',').filter(Boolean) as AggrMethod[];
      if (methods.length === 0) throw ngsiProblem('BadRequestData', 'aggregatedValues needs aggrMethods');
      const unknown = methods.filter((m) => !METHODS.includes(m));
      if (unknown.length) throw ngsiProblem('BadRequestData', `unknown aggrMethods ${unknown.join(', ')}; use ${METHODS.join(', ')}`);
      const period = p.aggrPeriodDuration ?? 'P36500D';
      const ms = durationMs(period);
      if (ms <= 0) throw ngsiProblem('BadRequestData', 'aggrPeriodDuration must be longer than zero');
      const origin = from ?? '1970-01-01T00:00:00.000Z';
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
      return [...out.values()];
    }

    const rows = await queryHistory(this.reader, f);
    for (const r of rows) {
      if (r.deleted || !allowed(r.entity_id, r.attr)) continue;
      const e = out.get(r.entity_id)!;
      const name = compactIri(scope.ctx, r.attr);
      const inst = r.instance as Record<string, unknown>;
      const at = (inst.observedAt as string | undefined) ?? new Date(r.observed_at).toISOString();
      if (simplified) {
        const key = inst.type === 'Relationship' ? 'objects' : inst.type === 'LanguageProperty' ? 'languageMaps' : 'values';
        const val = inst.type === 'Relationship' ? inst.object : inst.type === 'LanguageProperty' ? inst.languageMap : inst.value;
        const list = (e[name] ??= []) as Record<string, unknown>[];
        let series = list.find((s) => (s.datasetId ?? '') === r.dataset_id);
        if (!series) list.push((series = { type: inst.type, ...(r.dataset_id ? { datasetId: r.dataset_id } : {}), [key]: [] }));
        (series[key] as unknown[]).push([val, at]);
      } else {
        const rendered: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(inst)) {
          if (k === 'createdAt' || k === 'modifiedAt') continue;
          rendered[k.includes(':') ? compactIri(scope.ctx, k) : k] = v;
        }
        rendered.observedAt ??= at;
        rendered.instanceId = r.instance_id;
        ((e[name] ??= []) as unknown[]).push(rendered);
      }
    }
    // One series per attribute renders as an object, not a one-element list (temporalValues).
    if (simplified) for (const e of out.values()) for (const [k, v] of Object.entries(e)) if (Array.isArray(v) && v.length === 1 && k !== 'type') e[k] = v[0];
    return [...out.values()];
  }
}
