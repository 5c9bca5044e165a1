import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { assertCan, can } from '../platform/auth/permissions.js';
import { actorRef } from '../platform/auth/roles.js';
import type { OutboundPolicy } from '../platform/net/outbound.js';
import { isProblem } from '../platform/errors/problem.js';
import { ngsiProblem } from './ngsi-errors.js';
import { csourceProblem } from './csource-problems.js';
import { compactIri, DEFAULT_VOCAB, expandTerm, type ContextResolver, type LdContext } from './jsonld-context.js';
import { expandList, isUri } from './entity-model.js';
import { evaluateQ, parseQ } from './q-language.js';
import { matchGeo, parseGeoQuery } from './geo.js';
import { matchesScopeQ, parseScopeQ } from './scope-query.js';
import { checkIdPattern, patternTest } from './safe-regex.js';
import {
  checkModeRules, conflicts, expandOperations, geoMemberOf, infoAttrs, matchingInfos, propertyValue, parseRegistration, renderRegistration,
  type MatchTarget, type Operation, type StoredRegistration,
} from './csource-model.js';
import * as store from './csource-store.js';
import * as entityStore from './entity-store.js';
import type { AccessPolicy } from './access-policy.js';
import type { AccessRuleService } from './access-service.js';
import type { TenantService } from './tenant-service.js';
import type { RequestScope } from './request-scope.js';
import type { ContextConfig } from './config.js';
import type { CsourceQuery, JsonObjectBody } from './csource-schemas.js';

/** Told of every registration change inside its transaction (the registration subscriptions). */
export interface RegistrationListener {
  onRegistrationChange(trx: Db, tenant: string, before: StoredRegistration | undefined, after: StoredRegistration | undefined, now: Date): Promise<void>;
}

/** A registration a request matched, with the information items that matched. */
export interface MatchedRegistration {
  registration: StoredRegistration;
  operations: Set<Operation>;
}

/**
 * The registry of context sources (§5.9 register, update, delete; §5.10 retrieve and query): who may register
 * is a permission (`context.csource.manage`); endpoints go through the outbound guard; what a narrowed reader
 * may not read (types its organisation has no rule for) is not shown. The forwarder asks it which live
 * registrations match a request.
 */
export class CsourceRegistry {
  private readonly cache = new Map<string, { at: number; regs: { reg: StoredRegistration; ops: Set<Operation> }[] }>();
  private listener?: RegistrationListener;
  private created?: (scope: RequestScope, reg: StoredRegistration) => Promise<void>;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly tenants: TenantService,
    private readonly access: AccessRuleService,
    private readonly config: Pick<ContextConfig, 'patternMaxLength' | 'csources' | 'defaultLimit'>,
    private readonly outbound: OutboundPolicy,
    private readonly log: Logger,
    /** Loads a `contextSourceInfo` `jsonldContext` when it is registered (§4.3.6.6). */
    private readonly contexts?: ContextResolver,
  ) {}

  setListener(listener: RegistrationListener): void {
    this.listener = listener;
  }

  /** Called after a registration is stored (subscriptions made at the new source for the existing ones). */
  onCreated(fn: (scope: RequestScope, reg: StoredRegistration) => Promise<void>): void {
    this.created = fn;
  }

  private parseOptions(scope: RequestScope) {
    return { ctx: scope.ctx, now: this.clock(), outbound: this.outbound, patternMaxLength: this.config.patternMaxLength };
  }

  /** POST /csourceRegistrations (§5.9.2): returns the id. */
  async create(scope: RequestScope, body: JsonObjectBody): Promise<string> {
    assertCan(scope.actor, 'context.csource.manage');
    const tenant = await this.tenants.resolve(scope.tenant, true);
    const id = body.id === undefined ? `urn:ngsi-ld:ContextSourceRegistration:${randomUUID()}` : body.id;
    if (!isUri(id)) throw ngsiProblem('BadRequestData', 'id: must be a URI', { errors: [{ field: 'id', message: 'must be a URI' }] });
    const reg = { ...parseRegistration(body, this.parseOptions(scope), false), id, type: 'ContextSourceRegistration', context: scope.ctx.source } as StoredRegistration;
    checkModeRules(reg);
    await this.assertSourceContext(reg);
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      await this.assertNoConflict(trx, tenant, reg);
      await this.assertNotHeld(trx, tenant, reg);
      const ok = await store.insertRegistration(trx, {
        tenant, id, owner: actorRef(scope.actor), body: reg as unknown as Record<string, unknown>,
        expires_at: reg.expiresAt ? new Date(reg.expiresAt) : null, created_at: now, modified_at: now,
      });
      if (!ok) throw ngsiProblem('AlreadyExists', `registration ${id} already exists`);
      await this.listener?.onRegistrationChange(trx, tenant, undefined, reg, now);
    });
    this.cache.delete(tenant);
    await this.created?.({ ...scope, tenant }, reg);
    return id;
  }

  /**
   * §4.3.6.6: the requests to a source with a `jsonldContext` are compacted with that @context, so it must load
   * now (built in, hosted here, cached, or fetched when `fetchRemoteContexts` is on); else 400 naming it.
   */
  private async assertSourceContext(reg: StoredRegistration): Promise<void> {
    const url = reg.contextSourceInfo?.find((kv) => kv.key === 'jsonldContext')?.value;
    if (url === undefined || !this.contexts) return;
    try {
      await this.contexts.resolve(url);
    } catch (err) {
      const why = isProblem(err) ? err.detail ?? err.title : 'cannot be loaded';
      const message = `cannot be loaded: ${why}`;
      throw ngsiProblem('BadRequestData', `contextSourceInfo.jsonldContext: ${message}`, { errors: [{ field: 'contextSourceInfo.jsonldContext', message }] });
    }
  }

  /**
   * §5.9.2.4: a registration may not take away what this broker already holds — a redirect one any entity it
   * matches, an exclusive one an entity it names that has any of its attributes (409 Conflict).
   */
  private async assertNotHeld(db: Db, tenant: string, reg: StoredRegistration): Promise<void> {
    if (reg.mode !== 'exclusive' && reg.mode !== 'redirect') return;
    for (const info of reg.information) {
      const attrs = infoAttrs(info);
      if (reg.mode === 'exclusive' && !attrs) continue;
      const selectors: { type?: string; id?: string; idPattern?: string }[] = info.entities ?? [{}];
      for (const e of selectors) {
        const held = await entityStore.queryEntities(db, {
          tenant, limit: 1, ...(e.type ? { types: [e.type] } : {}), ...(e.id ? { ids: [e.id] } : {}), ...(e.idPattern ? { idPattern: e.idPattern } : {}),
          ...(attrs ? { anyAttrs: attrs } : {}),
        });
        if (held.length > 0) {
          throw csourceProblem('CONTEXT_CONFLICT', `entity ${held[0].id} is held here: a ${reg.mode} registration cannot take it over`, undefined, { conflictsWith: held[0].id });
        }
      }
    }
  }

  private async assertNoConflict(db: Db, tenant: string, reg: StoredRegistration): Promise<void> {
    for (const row of await store.liveRegistrations(db, tenant, this.clock())) {
      const other = row.body as unknown as StoredRegistration;
      if (other.id !== reg.id && conflicts(reg, other)) {
        throw csourceProblem('CONTEXT_CONFLICT', `registration ${other.id} (${other.mode}) already provides these attributes of these entities`, undefined, { conflictsWith: other.id });
      }
    }
  }

  /** A registration the actor may see; others do not exist for it. */
  private async visible(scope: RequestScope, tenant: string, id: string): Promise<store.CsourceRow> {
    const row = await store.findRegistration(this.db, tenant, id);
    if (!row || !(await this.readable(scope, tenant))(row.body as unknown as StoredRegistration)) {
      throw ngsiProblem('ResourceNotFound', `registration ${id} does not exist`);
    }
    return row;
  }

  /** Which registrations the reader may see: all for an unrestricted reader, else those of types it may read. */
  private async readable(scope: RequestScope, tenant: string): Promise<(r: StoredRegistration) => boolean> {
    const policy: AccessPolicy = await this.access.policy(scope.actor, tenant);
    if (!policy.restricted) return () => true;
    return (r) => r.information.every((i) => !!i.entities && i.entities.every((e) => policy.canReadEntity([e.type])));
  }

  /** GET /csourceRegistrations/{id} (§5.10.1). */
  async get(scope: RequestScope, id: string): Promise<Record<string, unknown>> {
    assertCan(scope.actor, 'context.csource.read');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const row = await this.visible(scope, tenant, id);
    return renderRegistration(scope.ctx, row.body as unknown as StoredRegistration, can(scope.actor, 'context.csource.manage'), { createdAt: row.created_at, modifiedAt: row.modified_at });
  }

  /**
   * GET /csourceRegistrations (§5.10.2): by id, type, idPattern, attrs; `q` and `csf` over the registration's own
   * members (`endpoint`, `mode`, `registrationName`, …); a geo-query on its `location`, `observationSpace` or
   * `operationSpace` (`geoproperty`).
   */
  async query(scope: RequestScope, p: CsourceQuery): Promise<{ items: Record<string, unknown>[]; count: number }> {
    assertCan(scope.actor, 'context.csource.read');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const limit = p.limit ?? this.config.defaultLimit;
    const ids = p.id?.split(',').map((s) => s.trim()).filter(Boolean);
    if (ids && !ids.every(isUri)) throw ngsiProblem('BadRequestData', 'id: must be a comma-separated list of URIs', { errors: [{ field: 'id', message: 'must be a list of URIs' }] });
    if (p.idPattern !== undefined) checkIdPattern(p.idPattern, this.config.patternMaxLength);
    const types = p.type?.split(/[,|]/).map((s) => s.trim()).filter(Boolean).map((t) => expandTerm(scope.ctx, t));
    const attrs = expandList(scope.ctx, p.attrs);
    const filters = [p.q, p.csf].filter((x): x is string => x !== undefined).map((x) => parseQ(x, this.config.patternMaxLength));
    const geoProp = geoMemberOf(p.geoproperty, 'geoproperty');
    const geo = p.georel !== undefined || p.geometry !== undefined ? parseGeoQuery(p.georel, p.geometry, p.coordinates, geoProp) : undefined;
    const scopeQ = parseScopeQ(p.scopeQ, this.config.patternMaxLength);
    const readable = await this.readable(scope, tenant);
    const secrets = can(scope.actor, 'context.csource.manage');
    const matched = (await store.liveRegistrations(this.db, tenant, this.clock())).filter((row) => {
      const r = row.body as unknown as StoredRegistration;
      if (!readable(r)) return false;
      if ((types || attrs || ids || p.idPattern) && !r.information.some((info) => matchesQuery(info, types, attrs, ids, p.idPattern))) return false;
      if (filters.some((f) => !evaluateQ(f, memberAttrs(r, scope.ctx), (t) => t))) return false;
      // A registration without that member is not within any area.
      const space = r[geoProp];
      if (geo && (!space || !matchGeo(geo, space).match)) return false;
      if (scopeQ && !matchesScopeQ(scopeQ, r.scope === undefined ? [] : [r.scope].flat())) return false;
      return true;
    });
    const page = matched.slice(p.offset ?? 0, (p.offset ?? 0) + limit);
    return { items: page.map((row) => renderRegistration(scope.ctx, row.body as unknown as StoredRegistration, secrets, { createdAt: row.created_at, modifiedAt: row.modified_at })), count: matched.length };
  }

  /** PATCH /csourceRegistrations/{id} (§5.9.3): the members given replace the stored ones. */
  async update(scope: RequestScope, id: string, body: JsonObjectBody): Promise<void> {
    assertCan(scope.actor, 'context.csource.manage');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    if (body.id !== undefined && body.id !== id) throw ngsiProblem('BadRequestData', 'id: cannot change', { errors: [{ field: 'id', message: 'cannot change' }] });
    const patch = parseRegistration(body, this.parseOptions(scope), true);
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      const row = await store.findRegistration(trx, tenant, id);
      if (!row) throw ngsiProblem('ResourceNotFound', `registration ${id} does not exist`);
      const before = row.body as unknown as StoredRegistration;
      const after: StoredRegistration = { ...before, ...patch, id, context: patch.information ? scope.ctx.source : before.context };
      // Context Source Properties are members like the others: those given replace theirs, the rest stay.
      if (patch.properties) after.properties = { ...before.properties, ...patch.properties };
      checkModeRules(after);
      if (patch.contextSourceInfo) await this.assertSourceContext(after);
      await this.assertNoConflict(trx, tenant, after);
      if (patch.information || patch.mode) await this.assertNotHeld(trx, tenant, after);
      await store.updateRegistration(trx, tenant, id, { body: after as unknown as Record<string, unknown>, expires_at: after.expiresAt ? new Date(after.expiresAt) : null, modified_at: now });
      await this.listener?.onRegistrationChange(trx, tenant, before, after, now);
    });
    this.cache.delete(tenant);
  }

  /** DELETE /csourceRegistrations/{id} (§5.9.4). */
  async delete(scope: RequestScope, id: string): Promise<void> {
    assertCan(scope.actor, 'context.csource.manage');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      const row = await store.deleteRegistration(trx, tenant, id);
      if (!row) throw ngsiProblem('ResourceNotFound', `registration ${id} does not exist`);
      await this.listener?.onRegistrationChange(trx, tenant, row.body as unknown as StoredRegistration, undefined, now);
    });
    this.cache.delete(tenant);
  }

  /**
   * The live registrations of a tenant that support `op` and match the target, at most `maxSources` (the oldest
   * first). Read from memory for `csources.cacheMs` (another node's change shows after that; this node's at once).
   */
  async matching(tenant: string, op: Operation, target: MatchTarget): Promise<MatchedRegistration[]> {
    const now = this.clock().getTime();
    let hit = this.cache.get(tenant);
    if (!hit || now - hit.at > this.config.csources.cacheMs) {
      const rows = await store.liveRegistrations(this.db, tenant, new Date(now));
      hit = { at: now, regs: rows.map((r) => { const reg = r.body as unknown as StoredRegistration; return { reg, ops: expandOperations(reg.operations) }; }) };
      this.cache.set(tenant, hit);
    }
    const out: MatchedRegistration[] = [];
    for (const { reg, ops } of hit.regs) {
      if (reg.expiresAt && Date.parse(reg.expiresAt) <= now) continue;
      if (!ops.has(op) || matchingInfos(reg, target).length === 0 || (target.csf && !target.csf(reg))) continue;
      out.push({ registration: reg, operations: ops });
      if (out.length >= this.config.csources.maxSources) {
        this.log.warn({ tenant, op, max: this.config.csources.maxSources }, 'more registrations match than csources.maxSources; the rest are not asked');
        break;
      }
    }
    return out;
  }

  /**
   * A `csf` (§4.9, §5.7.2.4) as a registration filter: the q language over each registration's members and
   * Context Source Properties, named in the caller's @context; undefined when none is given.
   */
  csfFilter(ctx: LdContext, csf: string | undefined): ((r: StoredRegistration) => boolean) | undefined {
    if (csf === undefined) return undefined;
    const q = parseQ(csf, this.config.patternMaxLength);
    return (r) => evaluateQ(q, memberAttrs(r, ctx), (t) => t);
  }

  /** Whether any registration of the tenant is live (the fast path: most requests of most cities need none). */
  async any(tenant: string): Promise<boolean> {
    const now = this.clock().getTime();
    const hit = this.cache.get(tenant);
    if (hit && now - hit.at <= this.config.csources.cacheMs) return hit.regs.length > 0;
    return (await this.matchingAll(tenant)).length > 0;
  }

  private async matchingAll(tenant: string) {
    await this.matching(tenant, 'retrieveEntity', {});
    return this.cache.get(tenant)?.regs ?? [];
  }
}

/** Whether an information item matches a registration query's type, attrs, id and idPattern (§5.10.2). */
function matchesQuery(info: StoredRegistration['information'][number], types?: string[], attrs?: string[], ids?: string[], idPattern?: string): boolean {
  if (types && !(info.entities ?? []).some((e) => types.includes(e.type))) return false;
  if (ids && !(info.entities ?? []).some((e) => (e.id ? ids.includes(e.id) : true))) return false;
  if (idPattern && !(info.entities ?? []).some((e) => !e.id || patternTest(idPattern, e.id, Infinity))) return false;
  if (attrs) {
    const provided = [...(info.propertyNames ?? []), ...(info.relationshipNames ?? [])];
    if (provided.length > 0 && !attrs.some((a) => provided.includes(a))) return false;
  }
  return true;
}

/**
 * A registration's own members as attributes, for `q`/`csf` (`endpoint=="http://…"`, `mode=="exclusive"`), with
 * its Context Source Properties named in the reader's @context (`sourceType=="sensor"`).
 */
export function memberAttrs(r: StoredRegistration, ctx?: LdContext): Record<string, { type: 'Property'; value: unknown }[]> {
  const members: Record<string, unknown> = {
    ...Object.fromEntries(Object.entries(r.properties ?? {}).map(([k, p]) => [ctx ? compactIri(ctx, k) : k.replace(DEFAULT_VOCAB, ''), propertyValue(p)])),
    endpoint: r.endpoint, mode: r.mode, registrationName: r.registrationName, description: r.description, tenant: r.tenant,
    operations: r.operations ?? ['federationOps'], scope: r.scope, expiresAt: r.expiresAt,
  };
  return Object.fromEntries(Object.entries(members).filter(([, v]) => v !== undefined).map(([k, v]) => [k, [{ type: 'Property' as const, value: v }]]));
}
