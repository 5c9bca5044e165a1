import { isProblem } from '../platform/errors/problem.js';
import { ngsiProblem } from './ngsi-errors.js';
import { csourceProblem } from './csource-problems.js';
import { compactIri, expandTerm } from './jsonld-context.js';
import { expandList } from './entity-model.js';
import { WRITES, infoAttrs, matchingInfos, type MatchTarget, type Operation, type StoredRegistration } from './csource-model.js';
import type { CsourceRegistry, MatchedRegistration } from './csource-service.js';
import { SourceFailure, type CsourceForwarder } from './csource-forwarder.js';
import { EntityQueryService } from './entity-query-service.js';
import { EntityService } from './entity-service.js';
import { AttributeService } from './attribute-service.js';
import type { AccessRuleService } from './access-service.js';
import type { RequestScope } from './request-scope.js';
import type { AttrUpdateResult, DeleteAttributeQuery, EntityQueryParams, JsonObjectBody, OutputOptions } from './schemas.js';


/**
 * Distributed operations (ETSI GS CIM 009 §4.3.6): the entity services of this broker, with the requests that
 * match a context-source registration forwarded to the registered source.
 *
 * - Reads (retrieve, query): the local answer and those of the matching inclusive, exclusive and redirect
 *   sources are merged by entity id (§4.3.6.2); auxiliary sources are asked only when nothing else answered.
 *   What the caller's organisation may not read is dropped from the sources' answers as from local ones.
 * - Writes: the attributes an exclusive registration provides, and everything of an entity a redirect
 *   registration covers, go to the source only; those of an inclusive registration to the source and here;
 *   auxiliary registrations never receive writes (§4.3.6.3). A write the broker does not hold itself succeeds
 *   when a source took it.
 * - A source that fails (timeout, refusal by the outbound guard, an invalid or oversized answer) is left out of
 *   the answer and named in `NGSILD-Warning`; a write whose only target failed answers 502.
 * - A read that already passed through this broker (its `Via`) is answered locally only; such a write that a
 *   source would take answers 508 LoopDetected (§6.3.18).
 */
export class Federation {
  constructor(
    readonly registry: CsourceRegistry,
    readonly forwarder: CsourceForwarder,
    private readonly access: AccessRuleService,
    private readonly findTypes: (tenant: string, id: string) => Promise<string[] | undefined>,
  ) {}

  /** The registrations a request matches, or none when it may not be forwarded (loop, hop limit). */
  async matching(scope: RequestScope, op: Operation, target: MatchTarget): Promise<MatchedRegistration[]> {
    if (!(await this.registry.any(scope.tenant))) return [];
    const regs = await this.registry.matching(scope.tenant, op, target);
    if (regs.length === 0) return [];
    if (!this.forwarder.mayForward()) {
      // §6.3.18: a read in a loop is answered from this broker's own store; a write that would be forwarded again
      // (to any source but an auxiliary one, which never takes writes) is a loop: done here alone it would leave
      // the sources' part undone, forwarded it would go round again.
      if (WRITES.has(op) && regs.some((r) => r.registration.mode !== 'auxiliary')) {
        throw csourceProblem('CONTEXT_LOOP_DETECTED', 'this request has already passed through this broker (Via); it is not forwarded again');
      }
      return [];
    }
    return regs;
  }

  /**
   * Whether a query may go to sources for this caller. A source filters (`q`, geo-queries, `count`) on everything
   * it holds, before this broker drops what the caller may not read; for an organisation whose rules narrow
   * attributes, or a query over types it was not granted, that would let a hidden attribute or type decide what
   * matches. Such queries are answered locally, with a warning saying so.
   */
  async mayQuerySources(scope: RequestScope, types: string[] | undefined): Promise<boolean> {
    const policy = await this.access.policy(scope.actor, scope.tenant);
    if (!policy.restricted) return true;
    const ok = !!types && types.length > 0 && types.every((t) => policy.canReadEntity([t]) && policy.readableAttrs([t]) === undefined);
    if (!ok) this.forwarder.warn('context sources not asked: your organisation\'s access rules narrow what it may read, and a source would filter on the rest');
    return ok;
  }

  /** Drops what the caller's organisation may not read from a source's entities (hidden means absent). */
  async readable(scope: RequestScope, entities: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const policy = await this.access.policy(scope.actor, scope.tenant);
    if (!policy.restricted) return entities;
    const out: Record<string, unknown>[] = [];
    for (const e of entities) {
      const types = (Array.isArray(e.type) ? e.type : [e.type]).map((t) => expandTerm(scope.ctx, String(t)));
      if (!policy.canReadEntity(types)) continue;
      const attrs = policy.readableAttrs(types);
      out.push(attrs ? Object.fromEntries(Object.entries(e).filter(([k]) => ['id', 'type', 'scope', '@context'].includes(k) || attrs.has(expandTerm(scope.ctx, k)))) : e);
    }
    return out;
  }

  /** Asks each source; failures become warnings. */
  async gather(regs: MatchedRegistration[], ask: (reg: StoredRegistration) => Promise<Record<string, unknown>[]>): Promise<Record<string, unknown>[][]> {
    return Promise.all(regs.map(async ({ registration }) => {
      try {
        return await ask(registration);
      } catch (err) {
        this.forwarder.warn(err);
        return [];
      }
    }));
  }

  /** The entity's types here, for matching a write (undefined when the broker does not hold it). */
  typesOf(tenant: string, id: string): Promise<string[] | undefined> {
    return this.findTypes(tenant, id);
  }

  /**
   * Plans a write: which attributes of the body go to which source, and what stays here (§4.3.6.3). `attrs`
   * undefined: the operation names no attributes (a delete of the entity).
   */
  async planWrite(scope: RequestScope, op: Operation, id: string, types: string[] | undefined, attrs: string[] | undefined): Promise<WritePlan | undefined> {
    // Most tenants have no registration: no lookup of the entity's types for them.
    if (!(await this.registry.any(scope.tenant))) return undefined;
    const known = types ?? (await this.typesOf(scope.tenant, id));
    const regs = await this.matching(scope, op, { ids: [id], types: known, attrs });
    if (regs.length === 0) return undefined;
    // The caller's organisation rules hold for what goes to a source as for what is written here; an entity of
    // unknown type is forwarded only for callers no rule narrows (deny by default).
    const policy = await this.access.forWriting(scope);
    if (policy.restricted) policy.assertWrite(known ?? [], attrs ?? []);
    const targets = regs.filter((r) => r.registration.mode !== 'auxiliary');
    if (targets.length === 0) return undefined;
    const remoteOnly = new Set<string>();
    let redirected = false;
    const sends: { reg: StoredRegistration; attrs: string[] | undefined }[] = [];
    for (const { registration: reg } of targets) {
      const provided = matchingInfos(reg, { ids: [id], types: known, attrs }).map(infoAttrs);
      const all = provided.some((p) => p === undefined);
      const covered = attrs === undefined ? undefined : all ? attrs : attrs.filter((a) => provided.some((p) => p!.includes(a)));
      if (reg.mode === 'redirect') redirected = true;
      if (reg.mode === 'exclusive') for (const a of covered ?? []) remoteOnly.add(a);
      sends.push({ reg, attrs: covered });
    }
    return { sends, remoteOnly, redirected };
  }

  /**
   * Sends the planned parts; returns how many sources took the write and which failed. A source answering 404
   * does not hold the entity: neither a success nor a failure (an inclusive source may hold other entities).
   */
  async send(scope: RequestScope, plan: WritePlan, body: Record<string, unknown> | undefined, split: boolean, request: (reg: StoredRegistration) => { method: string; path: string; query?: URLSearchParams }): Promise<SendResult> {
    const result: SendResult = { ok: 0, failed: [] };
    await Promise.all(plan.sends.map(async ({ reg, attrs }) => {
      const part = body && split && attrs ? pick(scope, body, attrs) : body;
      const { method, path, query } = request(reg);
      try {
        const answer = await this.forwarder.call(reg, method, path, { ctx: scope.ctx, body: part, query });
        if (answer.status === 404) return;
        if (answer.status >= 300) throw new SourceFailure(reg.endpoint, `answered ${answer.status}`);
        result.ok++;
      } catch (err) {
        this.forwarder.warn(err);
        result.failed.push({ reg, attrs, reason: err instanceof Error ? err.message : String(err) });
      }
    }));
    return result;
  }
}

export interface SendResult {
  /** Sources that took the write. */
  ok: number;
  failed: { reg: StoredRegistration; attrs: string[] | undefined; reason: string }[];
}

export interface WritePlan {
  sends: { reg: StoredRegistration; attrs: string[] | undefined }[];
  /** Attributes only the sources hold (exclusive registrations): not written here. */
  remoteOnly: Set<string>;
  /** A redirect registration covers the entity: nothing is written here. */
  redirected: boolean;
}

const HEAD = new Set(['id', 'type', 'scope', '@context']);
/** The body with only the given attributes (and the entity's head). */
export const pick = (scope: RequestScope, body: Record<string, unknown>, attrs: string[]) =>
  Object.fromEntries(Object.entries(body).filter(([k]) => HEAD.has(k) || attrs.includes(expandTerm(scope.ctx, k))));
/** The body without the attributes the sources hold alone. */
export const without = (scope: RequestScope, body: Record<string, unknown>, attrs: Set<string>) =>
  Object.fromEntries(Object.entries(body).filter(([k]) => HEAD.has(k) || !attrs.has(expandTerm(scope.ctx, k))));
export const attrNames = (scope: RequestScope, body: Record<string, unknown>) => Object.keys(body).filter((k) => !HEAD.has(k)).map((k) => expandTerm(scope.ctx, k));
const notFound = (err: unknown) => isProblem(err) && err.code === 'CONTEXT_RESOURCE_NOT_FOUND';
const enc = encodeURIComponent;

/**
 * Runs the local part of a write unless a plan sends it all away; a local "not found" is a success when a
 * source took the write; a write nobody took answers 502 naming the failed sources.
 */
export async function combine<T>(plan: WritePlan, sent: SendResult, localNeeded: boolean, local: () => Promise<T>, none: T): Promise<T> {
  if (!plan.redirected && localNeeded) {
    try {
      return await local();
    } catch (err) {
      if (!notFound(err) || sent.ok > 0) {
        if (notFound(err)) return none;
        throw err;
      }
      if (sent.failed.length === 0) throw err;
    }
  }
  if (sent.ok > 0) return none;
  if (sent.failed.length > 0) throw csourceProblem('CONTEXT_SOURCE_FAILED', `no context source took the write: ${sent.failed.map((f) => f.reason).join('; ').slice(0, 500)}`);
  throw ngsiProblem('ResourceNotFound', 'no context source holds the entity');
}

/** Normalized entities merged by id: attributes of both; where both hold one, the later `observedAt` wins, else the first. */
export function mergeEntities(lists: Record<string, unknown>[][], preferLater: Set<string> = new Set()): Record<string, unknown>[] {
  const byId = new Map<string, Record<string, unknown>>();
  for (const list of lists) {
    for (const e of list) {
      const id = String(e.id);
      const had = byId.get(id);
      if (!had) {
        byId.set(id, { ...e });
        continue;
      }
      for (const [k, v] of Object.entries(e)) {
        if (k === 'id') continue;
        if (k === 'type') {
          const types = [...new Set([...(Array.isArray(had.type) ? had.type : [had.type]), ...(Array.isArray(v) ? v : [v])])];
          had.type = types.length === 1 ? types[0] : types;
          continue;
        }
        if (!(k in had) || preferLater.has(k) || observed(v) > observed(had[k])) had[k] = v;
      }
    }
  }
  return [...byId.values()];
}
const observed = (v: unknown): string => (v && typeof v === 'object' && typeof (v as Record<string, unknown>).observedAt === 'string' ? (v as Record<string, string>).observedAt : '');

/** Query members a source gets as they were asked (paging is set by the broker). */
const FORWARDED = ['type', 'id', 'idPattern', 'attrs', 'q', 'scopeQ', 'expandValues', 'georel', 'geometry', 'coordinates', 'geoproperty', 'options', 'format', 'pick', 'omit', 'lang', 'datasetId'] as const;
const queryOf = (p: Record<string, unknown>): URLSearchParams => {
  const qs = new URLSearchParams();
  for (const k of FORWARDED) if (p[k] !== undefined) qs.set(k, typeof p[k] === 'string' ? (p[k] as string) : JSON.stringify(p[k]));
  return qs;
};

/**
 * §4.3.6.1 "all constraints specified in the registration shall be respected": a source whose matching
 * information items all name the attributes they provide is asked for those only (`attrs`, within the caller's).
 */
function narrowed(scope: RequestScope, reg: StoredRegistration, qs: URLSearchParams, target: MatchTarget): URLSearchParams {
  const asked = expandList(scope.ctx, qs.get('attrs') ?? undefined);
  const infos = matchingInfos(reg, { ...target, attrs: asked });
  const provided = infos.map(infoAttrs);
  if (infos.length === 0 || provided.some((a) => a === undefined)) return qs;
  const names = [...new Set(provided.flat() as string[])].filter((a) => !asked || asked.includes(a));
  if (names.length > 0) qs.set('attrs', names.map((a) => compactIri(scope.ctx, a)).join(','));
  return qs;
}

/** Reading entities here and at the matching sources (§4.3.6.2, §5.7.1, §5.7.2). */
export class FederatedQueryService extends EntityQueryService {
  private federation?: Federation;
  private maxLimit = 1000;
  private defaultLimit = 20;

  /** Set once at wiring (index.ts), with the limits of the module's config. */
  federate(federation: Federation, limits: { maxLimit: number; defaultLimit: number }): void {
    this.federation = federation;
    this.maxLimit = limits.maxLimit;
    this.defaultLimit = limits.defaultLimit;
  }

  override async getEntity(scope: RequestScope, id: string, o: OutputOptions): Promise<Record<string, unknown>> {
    const fed = this.federation;
    if (!fed || o.geoJson) return super.getEntity(scope, id, o);
    const regs = await fed.matching(scope, 'retrieveEntity', { ids: [id], attrs: expandList(scope.ctx, o.attrs) });
    if (regs.length === 0) return super.getEntity(scope, id, o);
    let local: Record<string, unknown> | undefined;
    try {
      local = await super.getEntity(scope, id, o);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
    const ask = (reg: StoredRegistration) => fed.forwarder.call(reg, 'GET', `/entities/${enc(id)}`, { ctx: scope.ctx, query: narrowed(scope, reg, queryOf({ ...o }), { ids: [id] }) })
      .then((a) => (a.status === 404 ? [] : a.status === 200 ? fed.forwarder.entitiesOf(reg, a, true) : Promise.reject(new SourceFailure(reg.endpoint, `answered ${a.status}`))));
    const main = regs.filter((r) => r.registration.mode !== 'auxiliary');
    let remote = (await fed.gather(main, ask)).flat();
    if (!local && remote.length === 0) remote = (await fed.gather(regs.filter((r) => r.registration.mode === 'auxiliary'), ask)).flat();
    const merged = mergeEntities([local ? [local] : [], await fed.readable(scope, remote.filter((e) => e.id === id))], exclusiveNames(scope, regs));
    if (merged.length === 0) throw ngsiProblem('ResourceNotFound', `entity ${id} does not exist`);
    return merged[0];
  }

  /**
   * GET /entities with sources: each is asked for the first `offset + limit` entities, the answers merged by id
   * and the page cut from the merge (ordered by id unless `orderBy` or `near` ordered the local part). The count
   * adds the sources' counts to the local one, less the entities found in more than one.
   */
  override async queryEntities(scope: RequestScope, p: EntityQueryParams, o: OutputOptions): Promise<{ entities: Record<string, unknown>[]; count?: number }> {
    const fed = this.federation;
    const limit = p.limit ?? this.defaultLimit;
    if (!fed || o.geoJson || limit > this.maxLimit) return super.queryEntities(scope, p, o);
    const types = p.type?.split(/[,|]/).map((s) => s.trim()).filter(Boolean).map((t) => expandTerm(scope.ctx, t));
    const ids = p.id?.split(',').map((s) => s.trim()).filter(Boolean);
    const regs = await fed.matching(scope, 'queryEntity', { types, ids, attrs: expandList(scope.ctx, p.attrs), csf: fed.registry.csfFilter(scope.ctx, p.csf) });
    if (regs.length === 0 || !(await fed.mayQuerySources(scope, types))) return super.queryEntities(scope, p, o);
    const offset = p.offset ?? 0;
    const window = Math.min(offset + limit, this.maxLimit);
    const local = await super.queryEntities(scope, { ...p, limit: window, offset: 0 }, o);
    const counts: number[] = [];
    const ask = async (reg: StoredRegistration) => {
      const qs = narrowed(scope, reg, queryOf({ ...p, ...o }), { types, ids });
      qs.set('limit', String(window));
      if (p.count) qs.set('count', 'true');
      const a = await fed.forwarder.call(reg, 'GET', '/entities', { ctx: scope.ctx, query: qs });
      if (a.status !== 200) throw new SourceFailure(reg.endpoint, `answered ${a.status}`);
      const list = fed.forwarder.entitiesOf(reg, a, false);
      const n = Number(a.headers['ngsild-results-count']);
      if (p.count) counts.push(Number.isSafeInteger(n) && n >= 0 ? n : list.length);
      return list;
    };
    const main = regs.filter((r) => r.registration.mode !== 'auxiliary');
    let remote = await fed.gather(main, ask);
    if (local.entities.length === 0 && remote.every((l) => l.length === 0)) remote = await fed.gather(regs.filter((r) => r.registration.mode === 'auxiliary'), ask);
    const readable = await Promise.all(remote.map((l) => fed.readable(scope, l)));
    const all = mergeEntities([local.entities, ...readable], exclusiveNames(scope, regs));
    if (!p.orderBy && p.georel === undefined) all.sort((a, b) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0));
    const duplicates = local.entities.length + readable.reduce((n, l) => n + l.length, 0) - all.length;
    const count = p.count ? (local.count ?? 0) + counts.reduce((a, b) => a + b, 0) - duplicates : undefined;
    return { entities: all.slice(offset, offset + limit), count };
  }

  /** GET /types with sources (§5.7.5, distributed): the types here and those the sources hold, counts added up. */
  override async entityTypes(scope: RequestScope): Promise<{ type: string; count: number }[]> {
    const local = await super.entityTypes(scope);
    const remote = await this.sourceTypes(scope, 'retrieveEntityTypes');
    if (remote.length === 0) return local;
    const counts = new Map(local.map((t) => [t.type, t.count]));
    for (const t of remote) counts.set(t.type, (counts.get(t.type) ?? 0) + t.count);
    return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([type, count]) => ({ type, count }));
  }

  /** GET /types/{type}, /attributes (§5.7.6–5.7.9, distributed): the attribute names per type, here and at the sources. */
  override async attributesOfTypes(scope: RequestScope, type?: string): Promise<{ type: string; attrs: string[] }[]> {
    const local = await super.attributesOfTypes(scope, type);
    const remote = await this.sourceTypes(scope, type ? 'retrieveEntityTypeInfo' : 'retrieveAttrTypes', type);
    if (remote.length === 0) return local;
    const byType = new Map(local.map((t) => [t.type, new Set(t.attrs)]));
    for (const t of remote) byType.set(t.type, new Set([...(byType.get(t.type) ?? []), ...t.attrs]));
    return [...byType.entries()].map(([t, attrs]) => ({ type: t, attrs: [...attrs] }));
  }

  /**
   * What each matching source holds per type: its `GET /types` list (or the one type asked), then `GET
   * /types/{type}` for each (entityCount, attributeDetails), at most `maxLimit` types. The names
   * come compacted with the caller's @context (the request's Link). Not asked for callers whose organisation
   * rules narrow what they read (a source would show the rest); a source that fails is a warning.
   */
  private async sourceTypes(scope: RequestScope, op: Operation, type?: string): Promise<{ type: string; count: number; attrs: string[] }[]> {
    const fed = this.federation;
    if (!fed) return [];
    const types = type ? [expandTerm(scope.ctx, type)] : undefined;
    const regs = (await fed.matching(scope, op, { types })).filter((r) => r.registration.mode !== 'auxiliary');
    if (regs.length === 0 || !(await fed.mayQuerySources(scope, types))) return [];
    const answers = await fed.gather(regs, async (reg) => {
      const call = (path: string) => fed.forwarder.call(reg, 'GET', path, { ctx: scope.ctx });
      let names = type ? [type] : [];
      if (!type) {
        const a = await call('/types');
        const list = (a.body as { typeList?: unknown } | undefined)?.typeList;
        if (a.status !== 200 || !Array.isArray(list)) throw new SourceFailure(reg.endpoint, `answered ${a.status} without a typeList`);
        names = list.filter((n): n is string => typeof n === 'string').slice(0, this.maxLimit);
      }
      const infos = await Promise.all(names.map(async (name) => {
        const a = await call(`/types/${enc(name)}`);
        if (a.status === 404) return undefined;
        const info = a.body as { typeName?: unknown; entityCount?: unknown; attributeDetails?: unknown } | undefined;
        if (a.status !== 200 || typeof info?.typeName !== 'string' || !Array.isArray(info.attributeDetails)) throw new SourceFailure(reg.endpoint, `answered ${a.status} without an EntityTypeInfo`);
        const attrs = info.attributeDetails.map((d) => (d as { attributeName?: unknown })?.attributeName).filter((n): n is string => typeof n === 'string');
        return { type: info.typeName, count: Number.isSafeInteger(info.entityCount) ? (info.entityCount as number) : 0, attrs };
      }));
      return infos.filter((i) => i !== undefined) as unknown as Record<string, unknown>[];
    });
    return answers.flat() as unknown as { type: string; count: number; attrs: string[] }[];
  }
}

/** The compact names exclusive registrations provide: the source's value wins over a local copy. */
const exclusiveNames = (scope: RequestScope, regs: MatchedRegistration[]): Set<string> => {
  const names = new Set<string>();
  for (const { registration } of regs) {
    if (registration.mode !== 'exclusive') continue;
    for (const info of registration.information) for (const a of infoAttrs(info) ?? []) names.add(a);
  }
  // Entities from sources come compacted with the caller's context: compare compacted names.
  return new Set([...names].flatMap((iri) => [iri, ...Object.entries(scope.ctx.terms).filter(([, v]) => v === iri).map(([k]) => k), iri.replace('https://uri.etsi.org/ngsi-ld/default-context/', '')]));
};

/** Whole-entity writes here and at the matching sources (§5.6.1, §5.6.6, §5.6.17, §5.6.18). */
export class FederatedEntityService extends EntityService {
  private federation?: Federation;

  federate(federation: Federation): void {
    this.federation = federation;
  }

  override async createEntity(scope: RequestScope, body: JsonObjectBody): Promise<string> {
    const fed = this.federation;
    const id = typeof body.id === 'string' ? body.id : undefined;
    if (!fed || !id) return super.createEntity(scope, body);
    const types = (Array.isArray(body.type) ? body.type : [body.type]).filter((t): t is string => typeof t === 'string').map((t) => expandTerm(scope.ctx, t));
    const plan = await fed.planWrite(scope, 'createEntity', id, types, attrNames(scope, body));
    if (!plan) return super.createEntity(scope, body);
    const sent = await fed.send(scope, plan, body, true, () => ({ method: 'POST', path: '/entities' }));
    await combine(plan, sent, true, () => super.createEntity(scope, without(scope, body, plan.remoteOnly)), id);
    return id;
  }

  override async deleteEntity(scope: RequestScope, id: string): Promise<void> {
    const fed = this.federation;
    const plan = fed && (await fed.planWrite(scope, 'deleteEntity', id, undefined, undefined));
    if (!fed || !plan) return super.deleteEntity(scope, id);
    const sent = await fed.send(scope, plan, undefined, false, () => ({ method: 'DELETE', path: `/entities/${enc(id)}` }));
    await combine(plan, sent, true, () => super.deleteEntity(scope, id), undefined);
  }

  override async replaceEntity(scope: RequestScope, id: string, body: JsonObjectBody): Promise<void> {
    const fed = this.federation;
    const plan = fed && (await fed.planWrite(scope, 'replaceEntity', id, undefined, attrNames(scope, body)));
    if (!fed || !plan) return super.replaceEntity(scope, id, body);
    const sent = await fed.send(scope, plan, body, true, () => ({ method: 'PUT', path: `/entities/${enc(id)}` }));
    await combine(plan, sent, true, () => super.replaceEntity(scope, id, without(scope, body, plan.remoteOnly)), undefined);
  }

  override async mergeEntity(scope: RequestScope, id: string, body: JsonObjectBody): Promise<void> {
    const fed = this.federation;
    const plan = fed && (await fed.planWrite(scope, 'mergeEntity', id, undefined, attrNames(scope, body)));
    if (!fed || !plan) return super.mergeEntity(scope, id, body);
    const sent = await fed.send(scope, plan, body, true, () => ({ method: 'PATCH', path: `/entities/${enc(id)}` }));
    const rest = without(scope, body, plan.remoteOnly);
    await combine(plan, sent, attrNames(scope, rest).length > 0, () => super.mergeEntity(scope, id, rest), undefined);
  }
}

/** Attribute writes here and at the matching sources (§5.6.2–5.6.5, §5.6.19). */
export class FederatedAttributeService extends AttributeService {
  private federation?: Federation;

  federate(federation: Federation): void {
    this.federation = federation;
  }

  /** PATCH/POST …/attrs: the local report plus what sources took or refused. */
  private async attrsWrite(scope: RequestScope, id: string, body: JsonObjectBody, op: Operation, method: string, local: (b: JsonObjectBody) => Promise<AttrUpdateResult>): Promise<AttrUpdateResult> {
    const fed = this.federation!;
    const plan = await fed.planWrite(scope, op, id, undefined, attrNames(scope, body));
    if (!plan) return local(body);
    const sent = await fed.send(scope, plan, body, true, () => ({ method, path: `/entities/${enc(id)}/attrs` }));
    const rest = without(scope, body, plan.remoteOnly);
    const empty: AttrUpdateResult = { updated: [], notUpdated: [] };
    const result = await combine(plan, sent, attrNames(scope, rest).length > 0, () => local(rest), empty);
    const failedNames = new Set(sent.failed.flatMap((f) => (f.attrs ?? attrNames(scope, body))));
    const remoteNames = Object.keys(body).filter((k) => !HEAD.has(k) && plan.sends.some((s) => !s.attrs || s.attrs.includes(expandTerm(scope.ctx, k))));
    const updated = [...new Set([...result.updated, ...remoteNames.filter((k) => !failedNames.has(expandTerm(scope.ctx, k)))])];
    const notUpdated = [
      ...result.notUpdated.filter((n) => !updated.includes(n.attributeName)),
      ...remoteNames.filter((k) => failedNames.has(expandTerm(scope.ctx, k))).map((k) => ({ attributeName: k, reason: sent.failed.map((f) => f.reason).join('; ').slice(0, 300) })),
    ];
    return { updated, notUpdated };
  }

  override async updateAttrs(scope: RequestScope, id: string, body: JsonObjectBody): Promise<AttrUpdateResult> {
    if (!this.federation) return super.updateAttrs(scope, id, body);
    return this.attrsWrite(scope, id, body, 'updateEntity', 'PATCH', (b) => super.updateAttrs(scope, id, b));
  }

  override async appendAttrs(scope: RequestScope, id: string, body: JsonObjectBody, noOverwrite: boolean): Promise<AttrUpdateResult> {
    if (!this.federation) return super.appendAttrs(scope, id, body, noOverwrite);
    return this.attrsWrite(scope, id, body, 'appendAttrs', 'POST', (b) => super.appendAttrs(scope, id, b, noOverwrite));
  }

  override async patchAttr(scope: RequestScope, id: string, attrName: string, body: JsonObjectBody): Promise<void> {
    return this.oneAttr(scope, id, attrName, 'updateAttrs', 'PATCH', body, undefined, () => super.patchAttr(scope, id, attrName, body));
  }

  override async replaceAttr(scope: RequestScope, id: string, attrName: string, body: unknown): Promise<void> {
    return this.oneAttr(scope, id, attrName, 'replaceAttrs', 'PUT', body, undefined, () => super.replaceAttr(scope, id, attrName, body));
  }

  override async deleteAttr(scope: RequestScope, id: string, attrName: string, opts: DeleteAttributeQuery): Promise<void> {
    const query = new URLSearchParams();
    if (opts.datasetId !== undefined) query.set('datasetId', opts.datasetId);
    if (opts.deleteAll) query.set('deleteAll', 'true');
    return this.oneAttr(scope, id, attrName, 'deleteAttrs', 'DELETE', undefined, query, () => super.deleteAttr(scope, id, attrName, opts));
  }

  /** One attribute (PATCH, PUT, DELETE …/attrs/{attrId}): its body, if any, goes to the sources as it came. */
  private async oneAttr(scope: RequestScope, id: string, attrName: string, op: Operation, method: string, body: unknown, query: URLSearchParams | undefined, local: () => Promise<void>): Promise<void> {
    const fed = this.federation;
    const plan = fed && (await fed.planWrite(scope, op, id, undefined, [expandTerm(scope.ctx, attrName)]));
    if (!fed || !plan) return local();
    const sent = await fed.send(scope, plan, body as Record<string, unknown> | undefined, false, () => ({ method, path: `/entities/${enc(id)}/attrs/${enc(attrName)}`, query }));
    await combine(plan, sent, plan.remoteOnly.size === 0, local, undefined);
  }
}
