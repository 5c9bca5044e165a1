import { isProblem } from '../platform/errors/problem.js';
import { ngsiProblem } from './ngsi-errors.js';
import { expandTerm } from './jsonld-context.js';
import { isUri } from './entity-model.js';
import { TemporalService, type TemporalAnswer } from './temporal-service.js';
import { TemporalWriteService } from './temporal-write-service.js';
import { SourceFailure } from './csource-forwarder.js';
import { attrNames, combine, without, type Federation } from './csource-federation.js';
import type { Operation, StoredRegistration } from './csource-model.js';
import type { RequestScope } from './request-scope.js';
import type { JsonObjectBody } from './schemas.js';
import type { TemporalEntityQuery, TemporalQuery } from './temporal-schemas.js';

/** The members of a temporal query a source gets as they were asked (paging is set here). */
const FORWARDED = [
  'timerel', 'timeAt', 'endTimeAt', 'timeproperty', 'lastN', 'attrs', 'pick', 'omit', 'datasetId', 'lang', 'options', 'format', 'type', 'id', 'idPattern', 'q', 'scopeQ',
  'georel', 'geometry', 'coordinates', 'geoproperty', 'aggrMethods', 'aggrPeriodDuration',
] as const;
const HEAD = new Set(['id', 'type', 'scope', '@context']);
/** The arrays of a temporalValues attribute (§4.5.9 simplified temporal representation). */
const SERIES = ['values', 'objects', 'languageMaps', 'jsons', 'vocabs', 'valueLists', 'objectLists'];

/**
 * Temporal retrieval and query with context sources (§5.7.3–5.7.4 distributed, `retrieveTemporal` and
 * `queryTemporal`, both in no named group: a registration lists them): the history here and that of each
 * matching inclusive, exclusive or redirect source, merged per entity and attribute (the instances of both, in
 * time order). Aggregated queries (`aggrMethods`) go to the sources too: an entity or attribute only a source
 * holds comes with the source's series; an attribute held on both sides keeps this broker's series (two
 * brokers' buckets cannot be added up without their instances), and the answer says so in `NGSILD-Warning`.
 */
export class FederatedTemporalService extends TemporalService {
  private federation?: Federation;
  private defaultLimit = 20;

  /** Set once at wiring (csources.ts), with the module's default page size. */
  federate(federation: Federation, defaultLimit: number): void {
    this.federation = federation;
    this.defaultLimit = defaultLimit;
  }

  /** The temporal query on this broker's own store only (temporal entity maps ask the sources themselves). */
  queryHere(scope: RequestScope, p: TemporalQuery): Promise<TemporalAnswer> {
    return super.query(scope, p);
  }

  /** With sources the merged answer is not paged (each side's own temporal limit applies). */
  override async get(scope: RequestScope, id: string, p: TemporalEntityQuery): Promise<{ entity: Record<string, unknown>; range?: string }> {
    const fed = this.federation;
    if (!fed || !isUri(id)) return super.get(scope, id, p);
    const regs = (await fed.matching(scope, 'retrieveTemporal', { ids: [id] })).filter((r) => r.registration.mode !== 'auxiliary');
    if (regs.length === 0) return super.get(scope, id, p);
    let local: Record<string, unknown> | undefined;
    try {
      local = (await super.get(scope, id, p)).entity;
    } catch (err) {
      if (!isProblem(err) || err.code !== 'CONTEXT_RESOURCE_NOT_FOUND') throw err;
    }
    const remote = await fed.gather(regs, (reg) => this.ask(reg, scope, `/temporal/entities/${encodeURIComponent(id)}`, p, true));
    const merged = this.merge(p, [local ? [local] : [], ...(await Promise.all(remote.map((l) => fed.readable(scope, l))))]).filter((e) => e.id === id);
    if (merged.length === 0) throw ngsiProblem('ResourceNotFound', `no temporal history for ${id}`);
    return { entity: merged[0] };
  }

  override async query(scope: RequestScope, p: TemporalQuery): Promise<TemporalAnswer> {
    const fed = this.federation;
    if (!fed) return super.query(scope, p);
    const types = p.type?.split(/[,|]/).map((s) => s.trim()).filter(Boolean).map((t) => expandTerm(scope.ctx, t));
    const ids = p.id?.split(',').map((s) => s.trim()).filter(Boolean);
    const regs = (await fed.matching(scope, 'queryTemporal', { types, ids })).filter((r) => r.registration.mode !== 'auxiliary');
    if (regs.length === 0 || !(await fed.mayQuerySources(scope, types))) return super.query(scope, p);
    const offset = p.offset ?? 0;
    const limit = p.limit ?? this.defaultLimit;
    // Each side is asked for the first offset + limit entities; the page is cut from the merge, by id.
    const window = { ...p, offset: 0, limit: offset + limit };
    const local = await super.query(scope, window);
    const remote = await fed.gather(regs, (reg) => this.ask(reg, scope, '/temporal/entities', window, false));
    const all = this.merge(p, [local.entities, ...(await Promise.all(remote.map((l) => fed.readable(scope, l))))]);
    all.sort((a, b) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0));
    return { entities: all.slice(offset, offset + limit) };
  }

  /**
   * DELETE /temporal/entities/{id}(/attrs/{attr}) with sources (`deleteTemporal`, `deleteAttrsTemporal`): sent
   * to the matching sources as the entity deletes are (§4.3.6.3), and done here unless a source holds it alone.
   */
  override async delete(scope: RequestScope, id: string, attr?: string): Promise<void> {
    const fed = this.federation;
    const attrs = attr ? [expandTerm(scope.ctx, attr)] : undefined;
    const plan = fed && isUri(id) ? await fed.planWrite(scope, attr ? 'deleteAttrsTemporal' : 'deleteTemporal', id, undefined, attrs) : undefined;
    if (!fed || !plan) return super.delete(scope, id, attr);
    const path = `/temporal/entities/${encodeURIComponent(id)}${attr ? `/attrs/${encodeURIComponent(attr)}` : ''}`;
    const sent = await fed.send(scope, plan, undefined, false, () => ({ method: 'DELETE', path }));
    await combine(plan, sent, plan.remoteOnly.size === 0, () => super.delete(scope, id, attr), undefined);
  }

  /** Instances joined in time order; aggregated series the first holder's (with a warning when both hold one). */
  private merge(p: TemporalEntityQuery, lists: Record<string, unknown>[][]): Record<string, unknown>[] {
    if (p.aggrMethods === undefined) return mergeTemporal(lists);
    const { entities, shared } = mergeAggregated(lists);
    if (shared.length > 0) this.federation!.forwarder.warn(`aggregated here only, where a context source holds the same attribute: ${shared.slice(0, 10).join(', ')}`);
    return entities;
  }

  /** One source's temporal answer, checked like entities (a URI id and a type each). */
  private async ask(reg: StoredRegistration, scope: RequestScope, path: string, p: Record<string, unknown>, single: boolean): Promise<Record<string, unknown>[]> {
    const fed = this.federation!;
    const query = new URLSearchParams();
    for (const k of FORWARDED) if (p[k] !== undefined) query.set(k, String(p[k]));
    if (!single && p.limit !== undefined) query.set('limit', String(p.limit));
    const a = await fed.forwarder.call(reg, 'GET', path, { ctx: scope.ctx, query });
    if (a.status === 404) return [];
    if (a.status !== 200) throw new SourceFailure(reg.endpoint, `answered ${a.status}`);
    return fed.forwarder.entitiesOf(reg, a, single);
  }
}

/**
 * Temporal writes with context sources (§5.6.11–5.6.12 distributed, `upsertTemporal`, `appendAttrsTemporal`):
 * planned and sent as the entity writes are (exclusive attributes and redirected entities at the source only,
 * inclusive ones at both, auxiliary never); a change or deletion of one instance by its instanceId is sent as
 * it came (the broker holding that instance applies it; the others answer 404).
 */
export class FederatedTemporalWriteService extends TemporalWriteService {
  private federation?: Federation;

  /** Set once at wiring (csources.ts). */
  federate(federation: Federation): void {
    this.federation = federation;
  }

  override async upsert(scope: RequestScope, body: JsonObjectBody): Promise<{ id: string; created: boolean }> {
    const fed = this.federation;
    const id = body.id;
    if (!fed || !isUri(id)) return super.upsert(scope, body);
    const types = (Array.isArray(body.type) ? body.type : [body.type]).filter((t): t is string => typeof t === 'string').map((t) => expandTerm(scope.ctx, t));
    const plan = await fed.planWrite(scope, 'upsertTemporal', id, types, attrNames(scope, body));
    if (!plan) return super.upsert(scope, body);
    const sent = await fed.send(scope, plan, body, true, () => ({ method: 'POST', path: '/temporal/entities' }));
    return combine(plan, sent, true, () => super.upsert(scope, without(scope, body, plan.remoteOnly)), { id, created: false });
  }

  override async append(scope: RequestScope, id: string, body: JsonObjectBody): Promise<void> {
    const fed = this.federation;
    const plan = fed && isUri(id) ? await fed.planWrite(scope, 'appendAttrsTemporal', id, undefined, attrNames(scope, body)) : undefined;
    if (!fed || !plan) return super.append(scope, id, body);
    const sent = await fed.send(scope, plan, body, true, () => ({ method: 'POST', path: `/temporal/entities/${encodeURIComponent(id)}/attrs` }));
    const rest = without(scope, body, plan.remoteOnly);
    await combine(plan, sent, attrNames(scope, rest).length > 0, () => super.append(scope, id, rest), undefined);
  }

  /**
   * PATCH /temporal/entities/{id}/attrs/{attr}/{instanceId} (`updateAttrsTemporal`): sent as it came to the
   * matching sources; an instanceId is the broker's own, so a source that does not hold the instance answers 404
   * (not a failure), and here a missing instance is no error when a source changed it.
   */
  override async modifyInstance(scope: RequestScope, id: string, attr: string, instanceId: string, body: JsonObjectBody): Promise<void> {
    await this.onInstance(scope, 'updateAttrsTemporal', id, attr, instanceId, body, () => super.modifyInstance(scope, id, attr, instanceId, body));
  }

  /** DELETE /temporal/entities/{id}/attrs/{attr}/{instanceId} (`deleteAttrInstanceTemporal`): as modifyInstance. */
  override async deleteInstance(scope: RequestScope, id: string, attr: string, instanceId: string): Promise<void> {
    await this.onInstance(scope, 'deleteAttrInstanceTemporal', id, attr, instanceId, undefined, () => super.deleteInstance(scope, id, attr, instanceId));
  }

  private async onInstance(scope: RequestScope, op: Operation, id: string, attr: string, instanceId: string, body: JsonObjectBody | undefined, local: () => Promise<void>): Promise<void> {
    const fed = this.federation;
    const iri = expandTerm(scope.ctx, attr);
    const plan = fed && isUri(id) ? await fed.planWrite(scope, op, id, undefined, [iri]) : undefined;
    if (!fed || !plan) return local();
    const path = `/temporal/entities/${encodeURIComponent(id)}/attrs/${encodeURIComponent(attr)}/${encodeURIComponent(instanceId)}`;
    // The fragment goes as `{ attr: instance }` (the form that can carry the @context beside it).
    const fragment = body && !(body[attr] && typeof body[attr] === 'object' && !Array.isArray(body[attr])) ? { [attr]: body } : body;
    const sent = await fed.send(scope, plan, fragment, false, () => ({ method: body ? 'PATCH' : 'DELETE', path }));
    await combine(plan, sent, !plan.remoteOnly.has(iri), local, undefined);
  }
}

/**
 * Temporal entities merged by id: an attribute held on both sides gets the instances of both (normalized: the
 * lists joined and sorted by `observedAt`; temporalValues: the series joined); other members come from the first.
 */
export function mergeTemporal(lists: Record<string, unknown>[][]): Record<string, unknown>[] {
  return mergeById(lists, (had, k, v) => (had[k] = joinAttr(had[k], v)));
}

/**
 * Aggregated temporal entities merged by id: each attribute from the first list that holds it (series of two
 * brokers cannot be added up bucket by bucket without their instances); `shared` names the attributes held twice.
 */
export function mergeAggregated(lists: Record<string, unknown>[][]): { entities: Record<string, unknown>[]; shared: string[] } {
  const shared: string[] = [];
  const entities = mergeById(lists, (had, k) => shared.push(`${String(had.id)} ${k}`));
  return { entities, shared };
}

/** Entities merged by id: the first one's head, every attribute either holds; `both` decides one held twice. */
function mergeById(lists: Record<string, unknown>[][], both: (had: Record<string, unknown>, k: string, v: unknown) => void): Record<string, unknown>[] {
  const byId = new Map<string, Record<string, unknown>>();
  for (const list of lists) {
    for (const e of list) {
      const had = byId.get(String(e.id));
      if (!had) {
        byId.set(String(e.id), { ...e });
        continue;
      }
      for (const [k, v] of Object.entries(e)) {
        if (HEAD.has(k)) continue;
        if (k in had) both(had, k, v);
        else had[k] = v;
      }
    }
  }
  return [...byId.values()];
}

const observed = (i: unknown) => String((i as { observedAt?: unknown })?.observedAt ?? '');
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

function joinAttr(a: unknown, b: unknown): unknown {
  const series = SERIES.find((s) => a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray((a as Record<string, unknown>)[s]) && Array.isArray((b as Record<string, unknown>)[s]));
  if (series) {
    const joined = [...((a as Record<string, unknown[]>)[series]), ...((b as Record<string, unknown[]>)[series])];
    return { ...(a as object), [series]: joined.sort((x, y) => String((x as unknown[])?.[1] ?? '').localeCompare(String((y as unknown[])?.[1] ?? ''))) };
  }
  return [...asList(a), ...asList(b)].sort((x, y) => observed(x).localeCompare(observed(y)));
}
