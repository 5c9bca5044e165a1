import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { isProblem, type Problem } from '../platform/errors/problem.js';
import { ngsiProblem, problemDetails } from './ngsi-errors.js';
import type { LdContext } from './jsonld-context.js';
import { datasetKey, eachOneDefaultInstance, entityFromBody, expiryDue, isUri, locationBox, mergeAttrs, LOCATION, type Attrs, type StoredEntity } from './entity-model.js';
import * as store from './entity-store.js';
import { historyRecord, type HistoryRecord } from './history-store.js';
import type { AccessRuleService } from './access-service.js';
import type { AccessPolicy } from './access-policy.js';
import type { TenantService } from './tenant-service.js';
import type { EntityChange, EntityWriter } from './entity-writer.js';
import type { RequestScope } from './request-scope.js';
import type { ContextConfig } from './config.js';
import type { BatchResult, EntityQueryParams, JsonObjectBody } from './schemas.js';
import { mergeEdit } from './entity-service.js';

/** A merge keeps the stored expiresAt unless the entity given has one (v1.9). */
const expiry = (e: StoredEntity) => (e.expiresAt ? { expiresAt: e.expiresAt } : {});

/** Ids given once each (one statement cannot change a row twice). */
const distinctIds = (entities: StoredEntity[]) => new Set(entities.map((e) => e.id)).size === entities.length;

/**
 * Which SQL upsert each entity takes: each attribute one default instance → upsertFast, datasetIds → upsertMerging.
 * Entities with an expiresAt (theirs or an instance's) take neither: the general path keeps when they expire.
 */
function upsertPaths(entities: StoredEntity[]): { fast: StoredEntity[]; merging: StoredEntity[] } {
  const fast: StoredEntity[] = [];
  const merging: StoredEntity[] = [];
  for (const e of entities) if (expiryDue(e) === null) (eachOneDefaultInstance(e.attrs) ? fast : merging).push(e);
  return { fast, merging };
}

const fastUpserts = (entities: StoredEntity[], records: Map<string, HistoryRecord>): store.FastUpsert[] =>
  entities.map((e) => ({ id: e.id, types: e.types, scope: e.scope ?? null, box: locationBox(e.attrs), history: records.get(e.id)! }));

const reportUpserted = (result: BatchResult, r: { id: string; created: boolean }) => {
  result.success.push(r.id);
  if (r.created) result.created.push(r.id);
};

/** How many tenants the batch service remembers having subscriptions (beyond, it forgets them all: a hint only). */
const SUBSCRIBED_TENANTS = 1024;

/** The batch writes (/entityOperations/create|upsert|update). */
export type BatchWrite = 'create' | 'upsert' | 'update';

/** How a batch writes: `replace` (upsert, the default) or merge (`options=update`); `noOverwrite` keeps stored attributes; each entity's own @context (JSON-LD bodies). */
export interface BatchOptions {
  replace?: boolean;
  noOverwrite?: boolean;
  contexts?: (LdContext | undefined)[];
}

/**
 * The NGSI-LD batch operations (ETSI GS CIM 009 §5.6.7–5.6.10): create, upsert, update and delete of many
 * entities, each succeeding or failing on its own, the good ones written in one transaction. Upserts of
 * device-shaped entities go through SQL without being read here (entity-store upsertFast/upsertMerging).
 */
export class EntityBatchService {
  /** Tenants whose last upsert found an active subscription: their next one goes straight to a transaction. */
  private readonly subscribedTenants = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly config: ContextConfig,
    private readonly clock: Clock,
    private readonly tenants: TenantService,
    private readonly access: AccessRuleService,
    private readonly writer: EntityWriter,
  ) {}

  /** Entities per round of a purge: one batch, and one page of a query. */
  get maxBatch(): number {
    return Math.min(this.config.batchMax, this.config.maxLimit);
  }

  /** A batch larger than `batchMax` is refused whole (413), before anything is parsed. */
  private assertSize(items: unknown[]): void {
    if (items.length > this.config.batchMax) {
      throw ngsiProblem('RequestEntityTooLarge', `a batch may hold at most ${this.config.batchMax} entities; this one has ${items.length}`, {
        extra: { limit: this.config.batchMax, received: items.length },
      });
    }
  }

  /**
   * /entityOperations/create|upsert|update (§5.6.7–5.6.9): each entity succeeds or fails on its own; the
   * good ones are written in one transaction with one statement each for entities, history and notifications.
   */
  async batchWrite(
    scope: RequestScope,
    op: BatchWrite,
    list: unknown[],
    options: BatchOptions,
  ): Promise<BatchResult> {
    this.assertSize(list);
    const policy = await this.access.forWriting(scope);
    const tenant = await this.tenants.resolve(scope.tenant, true);
    const now = this.clock().toISOString();
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
        const e = entityFromBody(ctx, body, now);
        policy.assertWrite(e.types, Object.keys(e.attrs));
        parsed.push(e);
      } catch (err) {
        fail(rawId, err);
      }
    });
    // The SQL upserts do not read the stored entities: a caller narrowed by access rules takes the merging path,
    // which checks each stored entity's types and keeps the attributes hidden from the caller.
    const inSql = op === 'upsert' && !policy.restricted;
    // What the statement committed alone left (stored with other attributes) is merged; nothing written: all of it
    const left = inSql ? await this.upsertAlone(tenant, parsed, now, options.replace !== false, result) : undefined;
    const pending = left ?? parsed;
    if (pending.length) {
      await this.db.transaction().execute(async (trx) => {
        const rest = inSql && !left ? await this.upsertInSql(trx, tenant, pending, now, options.replace !== false, result) : pending;
        if (rest.length) await this.mergeBatch(trx, tenant, op, rest, now, options, policy, result, fail);
      });
    }
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
    trx: Db, tenant: string, op: BatchWrite, parsed: StoredEntity[], now: string,
    options: { replace?: boolean; noOverwrite?: boolean }, policy: AccessPolicy, result: BatchResult, fail: (entityId: string, err: unknown) => void,
  ): Promise<void> {
    const ids = [...new Set(parsed.map((e) => e.id))];
    const existing = new Map((op === 'create' ? [] : await store.findEntitiesForUpdate(trx, tenant, ids)).map((r) => [r.id, store.rowToEntity(r)]));
    const state = new Map<string, EntityChange>();
    for (const e of parsed) {
      const prev = state.get(e.id);
      const stored = existing.get(e.id);
      // A stored entity is written under its own types too, not only those the body declares.
      if (stored && policy.restricted) {
        if (!policy.canReadEntity(stored.types)) {
          fail(e.id, op === 'update' ? ngsiProblem('ResourceNotFound', `entity ${e.id} does not exist`) : ngsiProblem('Forbidden', `entity ${e.id} exists and your organisation may not write it`));
          continue;
        }
        try {
          policy.assertWrite(stored.types, Object.keys(e.attrs));
        } catch (err) {
          fail(e.id, err);
          continue;
        }
      }
      const current = prev ? prev.after : stored;
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
        state.set(e.id, { id: e.id, before: prev?.before ?? current, after: { ...current, attrs, modifiedAt: now, ...expiry(e) }, written: [...new Set([...(prev?.written ?? []), ...changed])], deleted: [] });
      } else if (!current) {
        state.set(e.id, { id: e.id, after: e, written: Object.keys(e.attrs), deleted: [] });
      } else if (options.replace !== false) {
        const attrs = policy.replaceVisible(current, e.attrs);
        state.set(e.id, {
          id: e.id, before: prev?.before ?? current, after: { ...current, types: e.types, attrs, scope: e.scope, modifiedAt: now, expiresAt: e.expiresAt },
          written: Object.keys(attrs), deleted: Object.keys(current.attrs).filter((a) => !(a in attrs)),
        });
      } else {
        const { attrs, changed } = mergeAttrs(current.attrs, e.attrs);
        state.set(e.id, { id: e.id, before: prev?.before ?? current, after: { ...current, types: [...new Set([...current.types, ...e.types])], attrs, modifiedAt: now, ...expiry(e) }, written: [...new Set([...(prev?.written ?? []), ...changed])], deleted: [] });
      }
    }
    // In a batch, each entity's history records only the instances the batch wrote.
    const changes = [...state.values()];
    const written = new Set(await this.writer.commit(trx, tenant, changes, op === 'create' ? 'insert' : 'upsert'));
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
   * A batch upsert in one statement committed by itself (no BEGIN and COMMIT round trips): when every entity
   * takes upsertFast and the tenant has no active subscription (else the statement writes nothing, and the
   * transaction takes them all, notifications with the changes). Returns undefined when it wrote nothing, else the
   * entities it left: those stored with other attributes (for mergeBatch, in a transaction of their own). A
   * device's stream of readings is this case.
   */
  private async upsertAlone(tenant: string, entities: StoredEntity[], now: string, replace: boolean, result: BatchResult): Promise<StoredEntity[] | undefined> {
    if (this.subscribedTenants.has(tenant) || entities.length === 0 || !distinctIds(entities)) return undefined;
    if (upsertPaths(entities).fast.length !== entities.length) return undefined;
    const records = new Map(entities.map((e) => [e.id, historyRecord(e.attrs, now)]));
    const written = await store.upsertFast(this.db, tenant, now, fastUpserts(entities, records), replace, true);
    this.noteSubscribed(tenant, written.subscribed);
    if (written.subscribed) return undefined;
    for (const r of written.rows) reportUpserted(result, r);
    const done = new Set(written.rows.map((r) => r.id));
    return entities.filter((e) => !done.has(e.id));
  }

  private noteSubscribed(tenant: string, subscribed: boolean): void {
    if (!subscribed) this.subscribedTenants.delete(tenant);
    else if (!this.subscribedTenants.has(tenant)) {
      if (this.subscribedTenants.size >= SUBSCRIBED_TENANTS) this.subscribedTenants.clear();
      this.subscribedTenants.add(tenant);
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
    if (!distinctIds(entities)) return entities;
    const { fast, merging } = upsertPaths(entities);
    const records = new Map(entities.map((e) => [e.id, historyRecord(e.attrs, now)]));
    const changes: EntityChange[] = [];
    const fastWrite = await store.upsertFast(trx, tenant, now, fastUpserts(fast, records), replace);
    if (fast.length) this.noteSubscribed(tenant, fastWrite.subscribed);
    const fastRows = fastWrite.rows;
    for (const r of fastRows) {
      reportUpserted(result, r);
      if (!fastWrite.subscribed) continue;
      const attrs = records.get(r.id)!.a as Attrs;
      changes.push({ id: r.id, after: store.rowToEntity({ ...r, tenant, attrs, modified_at: new Date(now) }), written: Object.keys(attrs), deleted: [], existed: !r.created });
    }
    const mergedRows = await store.upsertMerging(trx, tenant, now, merging.map((e) => ({
      id: e.id, types: e.types, scope: e.scope ?? null, box: locationBox(e.attrs),
      defaultLocation: !!e.attrs[LOCATION]?.some((i) => datasetKey(i) === ''),
      history: records.get(e.id)!,
    })), replace);
    const given = new Map(merging.map((e) => [e.id, e]));
    for (const r of mergedRows) {
      reportUpserted(result, r);
      if (!r.subscribed) continue;
      // The given attributes are the written ones; with replace, the stored ones not given are the deleted ones.
      const after = store.rowToEntity({ tenant, id: r.id, types: r.types!, attrs: r.attrs!, attr_created: null, scope: r.scope, created_at: r.created_at ?? new Date(now), modified_at: new Date(now) });
      changes.push({ id: r.id, after, written: Object.keys(given.get(r.id)!.attrs), deleted: r.deleted, existed: !r.created });
    }
    await this.writer.notify(trx, tenant, changes, new Date(now));
    const done = new Set([...fastRows, ...mergedRows].map((r) => r.id));
    return entities.filter((e) => !done.has(e.id));
  }

  /** /entityOperations/delete (§5.6.10). */
  async batchDelete(scope: RequestScope, list: unknown[]): Promise<BatchResult> {
    this.assertSize(list);
    const policy = await this.access.forWriting(scope);
    const tenant = await this.tenants.resolve(scope.tenant, false);
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
      await this.writer.commit(trx, tenant, changes, 'upsert');
    });
    return result;
  }

  /**
   * /entityOperations/merge (§5.6.20): each entity merged into the stored one as PATCH /entities/{id} does
   * (NGSI-LD Null deletes), each succeeding or failing on its own (an entity that does not exist fails).
   */
  async batchMerge(scope: RequestScope, list: unknown[]): Promise<BatchResult> {
    this.assertSize(list);
    await this.access.forWriting(scope);
    const result: BatchResult = { success: [], errors: [], created: [] };
    const now = this.clock().toISOString();
    for (const item of list) {
      const id = item && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>).id : undefined;
      try {
        if (!isUri(id)) throw ngsiProblem('BadRequestData', 'entity id must be a URI');
        await this.writer.modify(scope, id, mergeEdit(scope, item as JsonObjectBody, now));
        result.success.push(id);
      } catch (err) {
        if (!isProblem(err)) throw err;
        result.errors.push({ entityId: typeof id === 'string' ? id : String(id), error: problemDetails(err) });
      }
    }
    return result;
  }

  /**
   * DELETE /entities?type=…&q=… (purge, §5.6.21): every entity the filter selects that the caller may delete,
   * in rounds of `batchMax`; what cannot be deleted is reported (207) and ends the rounds. `filter` is the
   * purge's own query, for a subclass that passes it on (csource-batch.ts).
   */
  async purge(scope: RequestScope, ids: (round: number) => Promise<string[]>, _filter?: EntityQueryParams): Promise<BatchResult> {
    const result: BatchResult = { success: [], errors: [], created: [] };
    for (let round = 0; round < 10_000; round++) {
      const batch = (await ids(round)).filter((id) => !result.errors.some((e) => e.entityId === id));
      if (batch.length === 0) break;
      const r = await this.batchDelete(scope, batch);
      result.success.push(...r.success);
      result.errors.push(...r.errors);
      if (r.success.length === 0) break;
    }
    return result;
  }
}
