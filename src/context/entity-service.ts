import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import { isProblem, type Problem } from '../platform/errors/problem.js';
import { ngsiProblem, problemDetails } from './ngsi-errors.js';
import { compactIri, expandTerm, type LdContext } from './jsonld-context.js';
import {
  datasetKey, eachOneDefaultInstance, entityHead, entityTypes, expandList, isUri, locationBox, mergeAttrs, normalizeAttribute, normalizeAttributes,
  renderEntity, renderFeature, renderInstance, replaceAttrs, LOCATION,
  type Attrs, type Format, type RenderOptions, type StoredEntity,
} from './entity-model.js';
import { compileQ, parseQ, type QExpr } from './q-language.js';
import { matchGeo, parseGeoQuery, prefilterBox, type GeoQuery, type Geometry } from './geo.js';
import * as store from './entity-store.js';
import { appendHistory, historyRecord, type HistoryWrite } from './history-store.js';
import { rulesForOrg } from './access-store.js';
import { AccessPolicy } from './access-policy.js';
import type { ContextConfig } from './config.js';

/** Who asks, in which tenant, with which @context. */
export interface RequestScope {
  actor: Actor;
  tenant: string;
  ctx: LdContext;
}

/** One entity's change inside a transaction, for history and subscriptions. */
export interface EntityChange {
  id: string;
  before?: StoredEntity;
  /** undefined when the entity was deleted. */
  after?: StoredEntity;
  /** Attribute IRIs written (new or changed) and deleted. */
  written: string[];
  deleted: string[];
}

/** Called inside the writing transaction, so notifications are stored with the change (subscriptions). */
export interface ChangeListener {
  onChanges(trx: Db, tenant: string, changes: EntityChange[], now: Date): Promise<void>;
}

export interface QueryParams {
  id?: string;
  type?: string;
  idPattern?: string;
  attrs?: string;
  pick?: string;
  omit?: string;
  q?: string;
  georel?: string;
  geometry?: string;
  coordinates?: unknown;
  geoproperty?: string;
  limit?: number;
  offset?: number;
  count?: boolean;
  /** `a,!b`: sort by attribute a ascending, then b descending (then id); `id` sorts by the entity id. */
  orderBy?: string;
  options?: string;
  format?: string;
  lang?: string;
}

export interface OutputOptions {
  options?: string;
  format?: string;
  attrs?: string;
  pick?: string;
  omit?: string;
  lang?: string;
  geoJson?: boolean;
  geoproperty?: string;
}

export interface BatchResult {
  success: string[];
  errors: { entityId: string; error: ReturnType<typeof problemDetails> }[];
  created: string[];
}

export interface AttrUpdateResult {
  updated: string[];
  notUpdated: { attributeName: string; reason: string }[];
}

const TENANT_RE = /^[A-Za-z0-9_-]{1,64}$/;
const NULL_URI = 'urn:ngsi-ld:null';

/**
 * The NGSI-LD entity operations (ETSI GS CIM 009 §5.6, §5.7): rules only — the stores hold the SQL, the routes
 * the HTTP. Every change writes the new state, its history rows and the notifications it causes in one
 * transaction.
 */
export class EntityService {
  private readonly knownTenants = new Set<string>(['']);
  private listener?: ChangeListener;

  constructor(
    private readonly db: Db,
    private readonly config: ContextConfig,
    private readonly clock: Clock,
  ) {}

  setListener(listener: ChangeListener): void {
    this.listener = listener;
  }

  // ---- tenants and access -------------------------------------------------------------------------------

  /** Checks the tenant name; on writes creates it on first use, on reads refuses a tenant that does not exist. */
  async tenant(name: string | undefined, write: boolean): Promise<string> {
    const tenant = name ?? '';
    if (this.knownTenants.has(tenant)) return tenant;
    if (!TENANT_RE.test(tenant)) throw ngsiProblem('BadRequestData', `NGSILD-Tenant "${tenant.slice(0, 80)}" must be 1–64 letters, digits, _ or -`);
    if (await store.tenantExists(this.db, tenant)) {
      this.knownTenants.add(tenant);
      return tenant;
    }
    if (!write) throw ngsiProblem('NonexistentTenant', `tenant ${tenant} does not exist`);
    await store.insertTenant(this.db, tenant);
    this.knownTenants.add(tenant);
    return tenant;
  }

  async policy(actor: Actor, tenant: string): Promise<AccessPolicy> {
    if (actor.roles.includes('admin') || !actor.orgId) return AccessPolicy.unrestricted;
    return AccessPolicy.for(actor, await rulesForOrg(this.db, actor.orgId, tenant));
  }

  private async canRead(scope: RequestScope): Promise<AccessPolicy> {
    assertCan(scope.actor, 'context.entity.read');
    return this.policy(scope.actor, scope.tenant);
  }

  private async canWrite(scope: RequestScope): Promise<AccessPolicy> {
    assertCan(scope.actor, 'context.entity.write');
    return this.policy(scope.actor, scope.tenant);
  }

  private now(): string {
    return this.clock().toISOString();
  }

  // ---- writing --------------------------------------------------------------------------------------------

  /** Stores the changes with their history and notifications, in the caller's transaction. */
  private async commit(trx: Db, tenant: string, changes: EntityChange[], mode: 'insert' | 'upsert'): Promise<string[]> {
    const now = this.clock();
    const writes = changes.filter((c) => c.after).map((c) => ({
      id: c.id, types: c.after!.types, attrs: c.after!.attrs, scope: c.after!.scope ?? null,
      created_at: c.after!.createdAt, modified_at: c.after!.modifiedAt, box: locationBox(c.after!.attrs),
    }));
    const written = await store.upsertEntities(trx, tenant, writes, mode);
    const ok = new Set(written);
    const applied = changes.filter((c) => !c.after || ok.has(c.id));
    const deletedIds = applied.filter((c) => !c.after).map((c) => c.id);
    if (deletedIds.length) await store.deleteEntities(trx, tenant, deletedIds);
    await appendHistory(trx, tenant, now.toISOString(), applied.map((c) => historyRow(c)));
    if (this.listener && applied.length) await this.listener.onChanges(trx, tenant, applied, now);
    return written;
  }

  async createEntity(scope: RequestScope, body: Record<string, unknown>): Promise<string> {
    const policy = await this.canWrite(scope);
    const tenant = await this.tenant(scope.tenant, true);
    const entity = this.buildEntity(scope.ctx, body, this.now());
    policy.assertWrite(entity.types, Object.keys(entity.attrs));
    const created = await this.db.transaction().execute((trx) =>
      this.commit(trx, tenant, [{ id: entity.id, after: entity, written: Object.keys(entity.attrs), deleted: [] }], 'insert'));
    if (created.length === 0) throw ngsiProblem('AlreadyExists', `entity ${entity.id} already exists`);
    return entity.id;
  }

  private buildEntity(ctx: LdContext, body: unknown, now: string, idOverride?: string): StoredEntity {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw ngsiProblem('BadRequestData', 'an entity must be a JSON object');
    const b = body as Record<string, unknown>;
    const head = idOverride ? { id: idOverride, types: entityTypes(ctx, b.type ?? b['@type']) } : entityHead(ctx, b);
    const scopes = b.scope === undefined ? undefined : Array.isArray(b.scope) ? b.scope : [b.scope];
    if (scopes && !scopes.every((s) => typeof s === 'string' && /^\/[\w/-]*$/.test(s))) throw ngsiProblem('BadRequestData', 'scope must be paths like /Madrid/Gardens');
    return { id: head.id, types: head.types, attrs: normalizeAttributes(ctx, b, now), ...(scopes ? { scope: scopes as string[] } : {}), createdAt: now, modifiedAt: now };
  }

  /** Runs a read-modify-write of one entity in a transaction; `change` returns the new state. */
  private async modify(
    scope: RequestScope,
    id: string,
    change: (current: StoredEntity, policy: AccessPolicy) => { after?: StoredEntity; written: string[]; deleted: string[] },
  ): Promise<void> {
    const policy = await this.canWrite(scope);
    const tenant = await this.tenant(scope.tenant, false);
    if (!isUri(id)) throw ngsiProblem('BadRequestData', `entity id must be a URI, got ${String(id).slice(0, 80)}`);
    await this.db.transaction().execute(async (trx) => {
      const [row] = await store.findEntitiesForUpdate(trx, tenant, [id]);
      if (!row || !policy.canReadEntity(row.types)) throw ngsiProblem('ResourceNotFound', `entity ${id} does not exist`);
      const current = store.rowToEntity(row);
      const result = change(current, policy);
      if (result.written.length === 0 && result.deleted.length === 0 && result.after) return;
      await this.commit(trx, tenant, [{ id, before: current, ...result }], 'upsert');
    });
  }

  async deleteEntity(scope: RequestScope, id: string): Promise<void> {
    await this.modify(scope, id, (current, policy) => {
      policy.assertWrite(current.types, Object.keys(current.attrs));
      return { after: undefined, written: [], deleted: Object.keys(current.attrs) };
    });
  }

  /** PUT /entities/{id} (§5.6.18): the attributes given replace all, type may change. */
  async replaceEntity(scope: RequestScope, id: string, body: Record<string, unknown>): Promise<void> {
    if (body.id !== undefined && body.id !== id) throw ngsiProblem('BadRequestData', 'the id in the body differs from the id in the path');
    const now = this.now();
    const next = this.buildEntity(scope.ctx, body, now, id);
    await this.modify(scope, id, (current, policy) => {
      policy.assertWrite(next.types, Object.keys(next.attrs));
      const attrs = replaceAttrs(current.attrs, next.attrs);
      const deleted = Object.keys(current.attrs).filter((a) => !(a in attrs));
      return { after: { ...current, types: next.types, attrs, scope: next.scope, modifiedAt: now }, written: Object.keys(attrs), deleted };
    });
  }

  /** PATCH /entities/{id} (§5.6.17 merge): attributes merged, `urn:ngsi-ld:null` deletes one. */
  async mergeEntity(scope: RequestScope, id: string, body: Record<string, unknown>): Promise<void> {
    if (body.id !== undefined && body.id !== id) throw ngsiProblem('BadRequestData', 'the id in the body differs from the id in the path');
    const now = this.now();
    const toDelete: string[] = [];
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) {
      if (v === NULL_URI || (v && typeof v === 'object' && ((v as Record<string, unknown>).value === NULL_URI || (v as Record<string, unknown>).object === NULL_URI))) toDelete.push(expandTerm(scope.ctx, k));
      else rest[k] = v;
    }
    const types = body.type !== undefined ? entityTypes(scope.ctx, body.type) : undefined;
    const incoming = normalizeAttributes(scope.ctx, rest, now);
    await this.modify(scope, id, (current, policy) => {
      const newTypes = types ? [...new Set([...current.types, ...types])] : current.types;
      policy.assertWrite(newTypes, [...Object.keys(incoming), ...toDelete]);
      const { attrs, changed } = mergeAttrs(current.attrs, incoming);
      const deleted = toDelete.filter((a) => a in attrs);
      for (const a of deleted) delete attrs[a];
      return { after: { ...current, types: newTypes, attrs, modifiedAt: now }, written: changed, deleted };
    });
  }

  /** POST /entities/{id}/attrs (§5.6.3): add or replace attributes; with noOverwrite existing ones stay. */
  async appendAttrs(scope: RequestScope, id: string, body: Record<string, unknown>, noOverwrite: boolean): Promise<AttrUpdateResult> {
    const now = this.now();
    const incoming = normalizeAttributes(scope.ctx, body, now);
    if (body.type !== undefined) entityTypes(scope.ctx, body.type);
    let result: AttrUpdateResult = { updated: [], notUpdated: [] };
    await this.modify(scope, id, (current, policy) => {
      const types = body.type !== undefined ? [...new Set([...current.types, ...entityTypes(scope.ctx, body.type)])] : current.types;
      policy.assertWrite(types, Object.keys(incoming));
      const { attrs, changed, skipped } = mergeAttrs(current.attrs, incoming, noOverwrite);
      result = {
        updated: changed.map((a) => compactIri(scope.ctx, a)),
        notUpdated: skipped.map((a) => ({ attributeName: compactIri(scope.ctx, a), reason: 'attribute exists and noOverwrite was given' })),
      };
      return { after: { ...current, types, attrs, modifiedAt: now }, written: changed, deleted: [] };
    });
    return result;
  }

  /** PATCH /entities/{id}/attrs (§5.6.2): only attributes (and datasetIds) that exist are updated. */
  async updateAttrs(scope: RequestScope, id: string, body: Record<string, unknown>): Promise<AttrUpdateResult> {
    const now = this.now();
    const incoming = normalizeAttributes(scope.ctx, body, now);
    let result: AttrUpdateResult = { updated: [], notUpdated: [] };
    await this.modify(scope, id, (current, policy) => {
      policy.assertWrite(current.types, Object.keys(incoming));
      const existing: Attrs = {};
      const notUpdated: AttrUpdateResult['notUpdated'] = [];
      for (const [iri, instances] of Object.entries(incoming)) {
        const old = current.attrs[iri];
        const keep = instances.filter((i) => old?.some((o) => datasetKey(o) === datasetKey(i)));
        if (keep.length) existing[iri] = keep;
        if (keep.length < instances.length) notUpdated.push({ attributeName: compactIri(scope.ctx, iri), reason: old ? 'no instance with this datasetId' : 'attribute does not exist' });
      }
      const { attrs, changed } = mergeAttrs(current.attrs, existing);
      result = { updated: changed.map((a) => compactIri(scope.ctx, a)), notUpdated };
      return { after: { ...current, attrs, modifiedAt: now }, written: changed, deleted: [] };
    });
    return result;
  }

  /**
   * PATCH /entities/{id}/attrs/{attrId} (§5.6.4): the members given replace those stored, the rest stays. The
   * instance is chosen by the datasetId in the body.
   */
  async patchAttr(scope: RequestScope, id: string, attrName: string, body: Record<string, unknown>): Promise<void> {
    const now = this.now();
    const iri = expandTerm(scope.ctx, attrName);
    await this.modify(scope, id, (current, policy) => {
      policy.assertWrite(current.types, [iri]);
      const instances = current.attrs[iri];
      const key = typeof body.datasetId === 'string' ? body.datasetId : '';
      const at = instances?.findIndex((i) => datasetKey(i) === key) ?? -1;
      if (at < 0) throw ngsiProblem('ResourceNotFound', `entity ${id} has no attribute ${attrName}${key ? ` with datasetId ${key}` : ''}`);
      const old = instances[at];
      const compact = renderInstance(scope.ctx, old, { format: 'normalized', sysAttrs: false }) as Record<string, unknown>;
      const merged = { ...compact, ...body, type: body.type ?? old.type };
      if (old.type === 'Relationship' && 'value' in body && !('object' in body)) throw ngsiProblem('BadRequestData', `${attrName} is a Relationship: give "object", not "value"`);
      const [next] = normalizeAttribute(scope.ctx, attrName, merged, now).instances;
      const updated = [...instances];
      updated[at] = { ...next, createdAt: old.createdAt };
      return { after: { ...current, attrs: { ...current.attrs, [iri]: updated }, modifiedAt: now }, written: [iri], deleted: [] };
    });
  }

  /** PUT /entities/{id}/attrs/{attrId} (§5.6.19): replaces the attribute instance, which must exist. */
  async replaceAttr(scope: RequestScope, id: string, attrName: string, body: unknown): Promise<void> {
    const now = this.now();
    const { iri, instances: incoming } = normalizeAttribute(scope.ctx, attrName, body, now);
    await this.modify(scope, id, (current, policy) => {
      policy.assertWrite(current.types, [iri]);
      const old = current.attrs[iri];
      if (!old || !incoming.every((i) => old.some((o) => datasetKey(o) === datasetKey(i)))) {
        throw ngsiProblem('ResourceNotFound', `entity ${id} has no attribute ${attrName} to replace`);
      }
      const { attrs } = mergeAttrs(current.attrs, { [iri]: incoming });
      return { after: { ...current, attrs, modifiedAt: now }, written: [iri], deleted: [] };
    });
  }

  /** DELETE /entities/{id}/attrs/{attrId} (§5.6.5): the default instance, one datasetId, or all. */
  async deleteAttr(scope: RequestScope, id: string, attrName: string, opts: { datasetId?: string; deleteAll?: boolean }): Promise<void> {
    const now = this.now();
    const iri = expandTerm(scope.ctx, attrName);
    await this.modify(scope, id, (current, policy) => {
      policy.assertWrite(current.types, [iri]);
      const instances = current.attrs[iri];
      if (!instances) throw ngsiProblem('ResourceNotFound', `entity ${id} has no attribute ${attrName}`);
      const key = opts.datasetId ?? '';
      const remaining = opts.deleteAll ? [] : instances.filter((i) => datasetKey(i) !== key);
      if (remaining.length === instances.length) throw ngsiProblem('ResourceNotFound', `attribute ${attrName} has no instance with datasetId ${key || '(default)'}`);
      const attrs = { ...current.attrs };
      if (remaining.length) attrs[iri] = remaining;
      else delete attrs[iri];
      return { after: { ...current, attrs, modifiedAt: now }, written: remaining.length ? [iri] : [], deleted: remaining.length ? [] : [iri] };
    });
  }

  // ---- batch ----------------------------------------------------------------------------------------------

  private assertBatch(bodies: unknown): unknown[] {
    if (!Array.isArray(bodies)) throw ngsiProblem('BadRequestData', 'a batch operation needs a JSON array');
    if (bodies.length > this.config.batchMax) {
      throw ngsiProblem('RequestEntityTooLarge', `a batch may hold at most ${this.config.batchMax} entities; this one has ${bodies.length}`, {
        extra: { limit: this.config.batchMax, received: bodies.length },
      });
    }
    return bodies;
  }

  /**
   * /entityOperations/create|upsert|update (§5.6.7–5.6.9): each entity succeeds or fails on its own; the
   * good ones are written in one transaction with one statement each for entities, history and notifications.
   */
  async batchWrite(
    scope: RequestScope,
    op: 'create' | 'upsert' | 'update',
    bodies: unknown,
    options: { replace?: boolean; noOverwrite?: boolean; contexts?: (LdContext | undefined)[] },
  ): Promise<BatchResult> {
    const list = this.assertBatch(bodies);
    const policy = await this.canWrite(scope);
    const tenant = await this.tenant(scope.tenant, true);
    const now = this.now();
    const result: BatchResult = { success: [], errors: [], created: [] };
    const fail = (entityId: string, err: unknown) => {
      if (!isProblem(err)) throw err;
      result.errors.push({ entityId, error: problemDetails(err as Problem) });
    };
    const parsed: StoredEntity[] = [];
    list.forEach((body, i) => {
      const ctx = options.contexts?.[i] ?? scope.ctx;
      const rawId = body && typeof body === 'object' ? String((body as Record<string, unknown>).id ?? (body as Record<string, unknown>)['@id'] ?? '') : '';
      try {
        const e = this.buildEntity(ctx, body, now);
        policy.assertWrite(e.types, Object.keys(e.attrs));
        parsed.push(e);
      } catch (err) {
        fail(rawId, err);
      }
    });
    await this.db.transaction().execute(async (trx) => {
      const rest = op === 'upsert' ? await this.upsertInSql(trx, tenant, parsed, now, options.replace !== false, result) : parsed;
      if (rest.length) await this.mergeBatch(trx, tenant, op, rest, now, options, result, fail);
    });
    // Each path reports its own entities: back to the order of the request.
    const first = new Map<string, number>();
    parsed.forEach((e, i) => first.has(e.id) || first.set(e.id, i));
    const byRequest = (x: string, y: string) => first.get(x)! - first.get(y)!;
    result.success.sort(byRequest);
    result.created.sort(byRequest);
    return result;
  }

  /**
   * The general batch write: the stored entities read and locked, merged here, written back with their history
   * (commit). Batch create and update, and the upserts upsertInSql leaves.
   */
  private async mergeBatch(
    trx: Db, tenant: string, op: 'create' | 'upsert' | 'update', parsed: StoredEntity[], now: string,
    options: { replace?: boolean; noOverwrite?: boolean }, result: BatchResult, fail: (entityId: string, err: unknown) => void,
  ): Promise<void> {
    const ids = [...new Set(parsed.map((e) => e.id))];
    const existing = new Map((op === 'create' ? [] : await store.findEntitiesForUpdate(trx, tenant, ids)).map((r) => [r.id, store.rowToEntity(r)]));
    const state = new Map<string, EntityChange>();
    for (const e of parsed) {
      const prev = state.get(e.id);
      const current = prev ? prev.after : existing.get(e.id);
      if (op === 'create') {
        if (prev) {
          fail(e.id, ngsiProblem('AlreadyExists', `entity ${e.id} appears twice in the batch`));
          continue;
        }
        state.set(e.id, { id: e.id, after: e, written: Object.keys(e.attrs), deleted: [] });
      } else if (op === 'update') {
        if (!current) {
          fail(e.id, ngsiProblem('ResourceNotFound', `entity ${e.id} does not exist`));
          continue;
        }
        const { attrs, changed } = mergeAttrs(current.attrs, e.attrs, options.noOverwrite);
        state.set(e.id, { id: e.id, before: prev?.before ?? current, after: { ...current, attrs, modifiedAt: now }, written: [...new Set([...(prev?.written ?? []), ...changed])], deleted: [] });
      } else if (!current) {
        state.set(e.id, { id: e.id, after: e, written: Object.keys(e.attrs), deleted: [] });
      } else if (options.replace !== false) {
        const attrs = replaceAttrs(current.attrs, e.attrs);
        state.set(e.id, {
          id: e.id, before: prev?.before ?? current, after: { ...current, types: e.types, attrs, scope: e.scope, modifiedAt: now },
          written: Object.keys(attrs), deleted: Object.keys(current.attrs).filter((a) => !(a in attrs)),
        });
      } else {
        const { attrs, changed } = mergeAttrs(current.attrs, e.attrs);
        state.set(e.id, { id: e.id, before: prev?.before ?? current, after: { ...current, types: [...new Set([...current.types, ...e.types])], attrs, modifiedAt: now }, written: [...new Set([...(prev?.written ?? []), ...changed])], deleted: [] });
      }
    }
    // In a batch, each entity's history records only the instances the batch wrote.
    const changes = [...state.values()];
    const written = new Set(await this.commit(trx, tenant, changes, op === 'create' ? 'insert' : 'upsert'));
    for (const c of changes) {
      if (written.has(c.id)) {
        result.success.push(c.id);
        if (!c.before) result.created.push(c.id);
      } else {
        fail(c.id, ngsiProblem('AlreadyExists', `entity ${c.id} already exists`));
      }
    }
  }

  /**
   * Batch upsert of entities with distinct ids in SQL, without reading them here: those whose attributes are
   * each one default instance by upsertFast (one statement, nothing read), the others (datasetIds) merged with
   * the stored state by upsertMerging. Returns the entities left to mergeBatch: those upsertFast found stored
   * with other attributes (mergeBatch stores them in the form the fast path takes next time). Subscriptions get
   * the new state when the tenant has any.
   */
  private async upsertInSql(trx: Db, tenant: string, entities: StoredEntity[], now: string, replace: boolean, result: BatchResult): Promise<StoredEntity[]> {
    if (new Set(entities.map((e) => e.id)).size !== entities.length) return entities;
    const fast: StoredEntity[] = [];
    const merging: StoredEntity[] = [];
    for (const e of entities) (eachOneDefaultInstance(e.attrs) ? fast : merging).push(e);
    const records = new Map(entities.map((e) => [e.id, historyRecord(e.attrs, now)]));
    const changes: EntityChange[] = [];
    const report = (r: { id: string; created: boolean }) => {
      result.success.push(r.id);
      if (r.created) result.created.push(r.id);
    };
    const fastRows = await store.upsertFast(trx, tenant, now, fast.map((e) => ({
      id: e.id, types: e.types, scope: e.scope ?? null, box: locationBox(e.attrs), history: records.get(e.id)!,
    })), replace);
    for (const r of fastRows) {
      report(r);
      if (!r.subscribed) continue;
      const attrs = records.get(r.id)!.a as Attrs;
      changes.push({ id: r.id, after: store.rowToEntity({ ...r, tenant, attrs, modified_at: new Date(now) }), written: Object.keys(attrs), deleted: [] });
    }
    const mergedRows = await store.upsertMerging(trx, tenant, now, merging.map((e) => ({
      id: e.id, types: e.types, scope: e.scope ?? null, box: locationBox(e.attrs),
      defaultLocation: !!e.attrs[LOCATION]?.some((i) => datasetKey(i) === ''),
      history: records.get(e.id)!,
    })), replace);
    const given = new Map(merging.map((e) => [e.id, e]));
    for (const r of mergedRows) {
      report(r);
      if (!r.subscribed) continue;
      // The given attributes are the written ones; with replace, the stored ones not given are the deleted ones.
      const after = store.rowToEntity({ tenant, id: r.id, types: r.types!, attrs: r.attrs!, attr_created: null, scope: r.scope, created_at: r.created_at ?? new Date(now), modified_at: new Date(now) });
      changes.push({ id: r.id, after, written: Object.keys(given.get(r.id)!.attrs), deleted: r.deleted });
    }
    if (this.listener && changes.length) await this.listener.onChanges(trx, tenant, changes, new Date(now));
    const done = new Set([...fastRows, ...mergedRows].map((r) => r.id));
    return entities.filter((e) => !done.has(e.id));
  }

  /** /entityOperations/delete (§5.6.10). */
  async batchDelete(scope: RequestScope, ids: unknown): Promise<BatchResult> {
    const list = this.assertBatch(ids);
    const policy = await this.canWrite(scope);
    const tenant = await this.tenant(scope.tenant, false);
    const result: BatchResult = { success: [], errors: [], created: [] };
    const valid = [...new Set(list.filter((id): id is string => isUri(id)))];
    for (const id of list) if (!isUri(id)) result.errors.push({ entityId: String(id), error: problemDetails(ngsiProblem('BadRequestData', 'entity id must be a URI')) });
    await this.db.transaction().execute(async (trx) => {
      const rows = new Map((await store.findEntitiesForUpdate(trx, tenant, valid)).map((r) => [r.id, store.rowToEntity(r)]));
      const changes: EntityChange[] = [];
      for (const id of valid) {
        const current = rows.get(id);
        if (!current || !policy.canReadEntity(current.types)) {
          result.errors.push({ entityId: id, error: problemDetails(ngsiProblem('ResourceNotFound', `entity ${id} does not exist`)) });
          continue;
        }
        try {
          policy.assertWrite(current.types, Object.keys(current.attrs));
        } catch (err) {
          result.errors.push({ entityId: id, error: problemDetails(err as Problem) });
          continue;
        }
        changes.push({ id, before: current, after: undefined, written: [], deleted: Object.keys(current.attrs) });
        result.success.push(id);
      }
      await this.commit(trx, tenant, changes, 'upsert');
    });
    return result;
  }

  // ---- reading --------------------------------------------------------------------------------------------

  renderOptions(ctx: LdContext, o: OutputOptions): RenderOptions {
    const opts = (o.options ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    for (const x of opts) {
      if (!['keyValues', 'concise', 'normalized', 'sysAttrs', 'noOverwrite', 'replace', 'update', 'temporalValues', 'count'].includes(x)) {
        throw ngsiProblem('BadRequestData', `unknown option "${x}"`);
      }
    }
    let format: Format = 'normalized';
    const f = o.format ?? (opts.includes('keyValues') ? 'keyValues' : opts.includes('concise') ? 'concise' : 'normalized');
    if (f === 'keyValues' || f === 'simplified') format = 'keyValues';
    else if (f === 'concise') format = 'concise';
    else if (f !== 'normalized') throw ngsiProblem('BadRequestData', `format must be normalized, concise or keyValues, not "${f}"`);
    const attrs = expandList(ctx, o.attrs);
    const pickRaw = o.pick?.split(',').map((s) => s.trim()).filter(Boolean);
    const omitRaw = o.omit?.split(',').map((s) => s.trim()).filter(Boolean);
    if (pickRaw && omitRaw) throw ngsiProblem('BadRequestData', 'pick and omit cannot be used together');
    const pick = pickRaw?.filter((p) => p !== 'id' && p !== 'type').map((p) => expandTerm(ctx, p));
    const only = attrs || pick ? new Set([...(attrs ?? []), ...(pick ?? [])]) : undefined;
    return {
      format,
      sysAttrs: opts.includes('sysAttrs'),
      only,
      omit: omitRaw ? new Set(omitRaw.filter((p) => p !== 'id' && p !== 'type').map((p) => expandTerm(ctx, p))) : undefined,
      includeId: pickRaw ? pickRaw.includes('id') : !omitRaw?.includes('id'),
      includeType: pickRaw ? pickRaw.includes('type') : !omitRaw?.includes('type'),
      lang: o.lang,
    };
  }

  private project(policy: AccessPolicy, e: StoredEntity): StoredEntity {
    const readable = policy.readableAttrs(e.types);
    if (!readable) return e;
    return { ...e, attrs: Object.fromEntries(Object.entries(e.attrs).filter(([a]) => readable.has(a))) };
  }

  private output(scope: RequestScope, e: StoredEntity, ro: RenderOptions, o: OutputOptions): Record<string, unknown> {
    return o.geoJson
      ? renderFeature(scope.ctx, e, ro, o.geoproperty ? expandTerm(scope.ctx, o.geoproperty) : LOCATION)
      : renderEntity(scope.ctx, e, ro);
  }

  async getEntity(scope: RequestScope, id: string, o: OutputOptions): Promise<Record<string, unknown>> {
    const policy = await this.canRead(scope);
    const tenant = await this.tenant(scope.tenant, false);
    if (!isUri(id)) throw ngsiProblem('BadRequestData', `entity id must be a URI, got ${String(id).slice(0, 80)}`);
    const ro = this.renderOptions(scope.ctx, o);
    const row = await store.findEntity(this.db, tenant, id);
    if (!row || !policy.canReadEntity(row.types)) throw ngsiProblem('ResourceNotFound', `entity ${id} does not exist`);
    const e = this.project(policy, store.rowToEntity(row));
    if (ro.only && o.attrs && !Object.keys(e.attrs).some((a) => ro.only!.has(a))) {
      throw ngsiProblem('ResourceNotFound', `entity ${id} has none of the attributes ${o.attrs}`);
    }
    return this.output(scope, e, ro, o);
  }

  /** Stored state of entities (for subscriptions, temporal and other modules): no rendering. */
  async findStored(tenant: string, ids: string[]): Promise<StoredEntity[]> {
    return (await store.queryEntities(this.db, { tenant, ids })).map(store.rowToEntity);
  }

  /** Parses the filter part of a query (shared with temporal queries and subscriptions). */
  parseFilter(scope: RequestScope, p: QueryParams): { filter: store.EntityFilter; q?: QExpr; geo?: GeoQuery } {
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
    if (p.idPattern !== undefined) {
      try {
        new RegExp(p.idPattern);
      } catch (err) {
        throw ngsiProblem('BadRequestData', `idPattern is not a valid regular expression: ${(err as Error).message}`);
      }
    }
    const q = p.q !== undefined ? parseQ(p.q) : undefined;
    const expand = (t: string) => expandTerm(ctx, t);
    const geoproperty = p.geoproperty ? expandTerm(ctx, p.geoproperty) : LOCATION;
    const geo = parseGeoQuery(p.georel, p.geometry, p.coordinates, geoproperty);
    const filter: store.EntityFilter = {
      tenant: scope.tenant, ids, types, idPattern: p.idPattern,
      q: q ? compileQ(q, expand) : undefined,
      anyAttrs: expandList(ctx, p.attrs),
    };
    if (geo && geoproperty === LOCATION) {
      const box = prefilterBox(geo);
      if (box) filter.box = box;
      else filter.hasLocation = true;
    }
    return { filter, q, geo };
  }

  /** `orderBy=a,!b`: attribute names (expanded with the @context), `!` for descending, `id` for the entity id. */
  private parseOrderBy(ctx: LdContext, raw: string | undefined): store.EntityFilter['orderBy'] {
    if (raw === undefined) return undefined;
    const keys = raw.split(',').map((s) => s.trim());
    if (keys.length > 8 || keys.some((k) => !/^!?[^\s!<>"'=;()\\,]+$/.test(k))) {
      throw ngsiProblem('BadRequestData', `orderBy "${raw.slice(0, 80)}" must be up to 8 comma-separated attribute names, each optionally preceded by ! (descending)`);
    }
    return keys.map((k) => {
      const name = k.replace(/^!/, '');
      return { attr: name === 'id' ? 'id' : expandTerm(ctx, name), desc: k.startsWith('!') };
    });
  }

  /** GET /entities (§5.7.2). */
  async queryEntities(scope: RequestScope, p: QueryParams, o: OutputOptions): Promise<{ entities: Record<string, unknown>[]; count?: number }> {
    const policy = await this.canRead(scope);
    await this.tenant(scope.tenant, false);
    const limit = p.limit ?? this.config.defaultLimit;
    if (limit > this.config.maxLimit) {
      throw ngsiProblem('TooManyResults', `limit ${limit} is above the maximum page size ${this.config.maxLimit}`, { extra: { maxLimit: this.config.maxLimit } });
    }
    const offset = p.offset ?? 0;
    const ro = this.renderOptions(scope.ctx, o);
    const { filter, geo } = this.parseFilter(scope, p);
    filter.allowedTypes = policy.readableTypes();
    filter.orderBy = this.parseOrderBy(scope.ctx, p.orderBy);
    let rows: store.EntityRow[];
    let count: number | undefined;
    if (geo) {
      // Exact geo predicates run here on the candidates of the bounding-box pre-filter.
      const candidates = await store.queryEntities(this.db, { ...filter, limit: this.config.geoCandidateMax + 1 });
      if (candidates.length > this.config.geoCandidateMax) {
        throw ngsiProblem('TooComplexQuery', `the geo-query matches more than ${this.config.geoCandidateMax} candidates; narrow it with type, q or a smaller area`);
      }
      const matched: { row: store.EntityRow; d: number }[] = [];
      for (const row of candidates) {
        const g = row.attrs[geo.geoproperty]?.find((i) => i.type === 'GeoProperty');
        if (!g) continue;
        const m = matchGeo(geo, g.value as Geometry);
        if (m.match) matched.push({ row, d: m.distance ?? 0 });
      }
      // near answers nearest first unless orderBy says otherwise (the candidates come in orderBy order).
      if (geo.relation === 'near' && !filter.orderBy) matched.sort((a, b) => a.d - b.d || (a.row.id < b.row.id ? -1 : 1));
      count = matched.length;
      rows = matched.slice(offset, offset + limit).map((m) => m.row);
    } else {
      rows = limit === 0 ? [] : await store.queryEntities(this.db, { ...filter, limit, offset });
      if (p.count) count = await store.countEntities(this.db, filter);
    }
    const entities = rows.map((r) => this.output(scope, this.project(policy, store.rowToEntity(r)), ro, o));
    return { entities, count: p.count ? count : undefined };
  }

  async entityTypes(scope: RequestScope): Promise<{ type: string; count: number }[]> {
    const policy = await this.canRead(scope);
    const tenant = await this.tenant(scope.tenant, false);
    const allowed = policy.readableTypes();
    return (await store.entityTypeCounts(this.db, tenant))
      .filter((t) => !allowed || allowed.includes(t.type))
      .map((t) => ({ type: compactIri(scope.ctx, t.type), count: t.n }));
  }

  async attributesOfTypes(scope: RequestScope, type?: string): Promise<{ type: string; attrs: string[] }[]> {
    const policy = await this.canRead(scope);
    const tenant = await this.tenant(scope.tenant, false);
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

/** The history row of a change: every instance written (untouched instances of multi-instance attributes left out), every attribute deleted. */
function historyRow(c: EntityChange): HistoryWrite {
  const attrs: HistoryWrite['attrs'] = {};
  if (c.after) {
    for (const attr of c.written) {
      const written = (c.after.attrs[attr] ?? []).filter((inst) => inst.modifiedAt === c.after!.modifiedAt);
      if (written.length) attrs[attr] = written;
    }
  }
  return { entity_id: c.id, attrs, deleted: c.deleted };
}
