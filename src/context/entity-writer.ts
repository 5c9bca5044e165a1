import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { ngsiProblem } from './ngsi-errors.js';
import { isUri, locationBox, type StoredEntity } from './entity-model.js';
import { deleteEntities, findEntitiesForUpdate, rowToEntity, upsertEntities } from './entity-store.js';
import { appendHistory, type HistoryWrite } from './history-store.js';
import type { AccessPolicy } from './access-policy.js';
import type { AccessRuleService } from './access-service.js';
import type { TenantService } from './tenant-service.js';
import type { RequestScope } from './request-scope.js';

/** One entity's change inside a transaction, for history and subscriptions. */
export interface EntityChange {
  id: string;
  before?: StoredEntity;
  /** undefined when the entity was deleted. */
  after?: StoredEntity;
  /** Attribute IRIs written (new or changed) and deleted. */
  written: string[];
  deleted: string[];
  /** An upsert done in SQL without reading the entity: true when it was stored before (`before` unknown). */
  existed?: boolean;
}

/** Called inside the writing transaction, so notifications are stored with the change (subscriptions). */
export interface ChangeListener {
  onChanges(trx: Db, tenant: string, changes: EntityChange[], now: Date): Promise<void>;
}

/** What a read-modify-write makes of the stored entity: its new state (none: deleted) and the attributes touched. */
export type EntityEdit = (current: StoredEntity, policy: AccessPolicy) => { after?: StoredEntity; written: string[]; deleted: string[]; force?: boolean };

/**
 * Where every entity change is stored: the new state, its history row and the notifications it causes, in the
 * caller's transaction (so none is kept without the others).
 */
export class EntityWriter {
  private listener?: ChangeListener;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly tenants: TenantService,
    private readonly access: AccessRuleService,
  ) {}

  /** Subscriptions listen to every change (set once, at wiring: the two services know each other). */
  setListener(listener: ChangeListener): void {
    this.listener = listener;
  }

  /** Stores the changes with their history and notifications; returns the ids written (an insert skips existing ones). */
  async commit(trx: Db, tenant: string, changes: EntityChange[], mode: 'insert' | 'upsert'): Promise<string[]> {
    const now = this.clock();
    const writes = changes.filter((c) => c.after).map((c) => ({
      id: c.id, types: c.after!.types, attrs: c.after!.attrs, scope: c.after!.scope ?? null,
      created_at: c.after!.createdAt, modified_at: c.after!.modifiedAt, box: locationBox(c.after!.attrs), expires_at: c.after!.expiresAt ?? null,
    }));
    const written = await upsertEntities(trx, tenant, writes, mode);
    const ok = new Set(written);
    const applied = changes.filter((c) => !c.after || ok.has(c.id));
    const deletedIds = applied.filter((c) => !c.after).map((c) => c.id);
    if (deletedIds.length) await deleteEntities(trx, tenant, deletedIds);
    await appendHistory(trx, tenant, now.toISOString(), applied.map((c) => historyRow(c)));
    await this.notify(trx, tenant, applied, now);
    return written;
  }

  /** Hands changes stored some other way (the batch upserts in SQL) to the subscriptions. */
  async notify(trx: Db, tenant: string, changes: EntityChange[], now: Date): Promise<void> {
    if (this.listener && changes.length) await this.listener.onChanges(trx, tenant, changes, now);
  }

  /**
   * A read-modify-write of one entity in a transaction (its row locked): `edit` returns the new state; nothing is
   * stored when it changes nothing. An entity the actor may not read does not exist for them.
   */
  async modify(scope: RequestScope, id: string, edit: EntityEdit): Promise<void> {
    await this.withLocked(scope, id, async (trx, tenant, current, policy) => {
      const { force, ...result } = edit(current, policy);
      if (!force && result.written.length === 0 && result.deleted.length === 0 && result.after) return;
      await this.commit(trx, tenant, [{ id, before: current, ...result }], 'upsert');
    });
  }

  /**
   * Runs `work` in a transaction holding the entity's row lock, for a writer (404 for an entity the actor may
   * not read); the read-modify-write above and the temporal writes (which change its history) go through it.
   */
  async withLocked(scope: RequestScope, id: string, work: (trx: Db, tenant: string, current: StoredEntity, policy: AccessPolicy) => Promise<void>): Promise<void> {
    const policy = await this.access.forWriting(scope);
    const tenant = await this.tenants.resolve(scope.tenant, false);
    if (!isUri(id)) throw ngsiProblem('BadRequestData', `entity id must be a URI, got ${String(id).slice(0, 80)}`);
    await this.db.transaction().execute(async (trx) => {
      const [row] = await findEntitiesForUpdate(trx, tenant, [id]);
      if (!row || !policy.canReadEntity(row.types)) throw ngsiProblem('ResourceNotFound', `entity ${id} does not exist`);
      if (scope.typeSelector && !row.types.some((t) => scope.typeSelector!.includes(t))) throw ngsiProblem('ResourceNotFound', `entity ${id} is not of the type asked for`);
      await work(trx, tenant, rowToEntity(row), policy);
    });
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
