import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { ngsiProblem } from './ngsi-errors.js';
import { applyNulls, entityFromBody, entityTypes, expiryDue, expiryTime, mergeAttrs, mergeStructured, normalizeAttributes, parseScopes, splitNulls, type Attrs } from './entity-model.js';
import { entitiesDueToExpire, findEntitiesForUpdate, rowToEntity, setExpiryDue } from './entity-store.js';
import type { EntityChange } from './entity-writer.js';
import type { AccessRuleService } from './access-service.js';
import type { TenantService } from './tenant-service.js';
import type { EntityEdit, EntityWriter } from './entity-writer.js';
import type { RequestScope } from './request-scope.js';
import type { JsonObjectBody } from './schemas.js';

/**
 * The NGSI-LD operations on one whole entity (ETSI GS CIM 009 §5.6.1, §5.6.6, §5.6.17, §5.6.18): create,
 * replace, merge, delete. Rules only — the stores hold the SQL, the routes the HTTP; each change is stored with
 * its history and notifications by the entity writer.
 */
export class EntityService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly tenants: TenantService,
    private readonly access: AccessRuleService,
    private readonly writer: EntityWriter,
  ) {}

  /** POST /entities (§5.6.1); returns the new entity's id. */
  async createEntity(scope: RequestScope, body: JsonObjectBody): Promise<string> {
    const policy = await this.access.forWriting(scope);
    const tenant = await this.tenants.resolve(scope.tenant, true);
    const entity = entityFromBody(scope.ctx, body, this.clock().toISOString());
    policy.assertWrite(entity.types, Object.keys(entity.attrs));
    const created = await this.db.transaction().execute((trx) =>
      this.writer.commit(trx, tenant, [{ id: entity.id, after: entity, written: Object.keys(entity.attrs), deleted: [] }], 'insert'));
    if (created.length === 0) throw ngsiProblem('AlreadyExists', `entity ${entity.id} already exists`);
    return entity.id;
  }

  /** DELETE /entities/{id} (§5.6.6). */
  async deleteEntity(scope: RequestScope, id: string): Promise<void> {
    await this.writer.modify(scope, id, (current, policy) => {
      policy.assertWrite(current.types, Object.keys(current.attrs));
      return { after: undefined, written: [], deleted: Object.keys(current.attrs) };
    });
  }

  /** PUT /entities/{id} (§5.6.18): the attributes given replace all, type may change. */
  async replaceEntity(scope: RequestScope, id: string, body: JsonObjectBody): Promise<void> {
    if (body.id !== undefined && body.id !== id) throw ngsiProblem('BadRequestData', 'the id in the body differs from the id in the path');
    const now = this.clock().toISOString();
    const next = entityFromBody(scope.ctx, body, now, id);
    await this.writer.modify(scope, id, (current, policy) => {
      policy.assertWrite(current.types, Object.keys(next.attrs));
      policy.assertWrite(next.types, Object.keys(next.attrs));
      const attrs = policy.replaceVisible(current, next.attrs);
      const deleted = Object.keys(current.attrs).filter((a) => !(a in attrs));
      return { after: { ...current, types: next.types, attrs, scope: next.scope, modifiedAt: now, expiresAt: next.expiresAt }, written: Object.keys(attrs), deleted };
    });
  }

  /**
   * PATCH /entities/{id} (§5.6.17 merge): attributes merged, NGSI-LD Null (`urn:ngsi-ld:null` in any attribute
   * form) deletes the instance it names, inside a structured value the member it names (RFC 7396); scope, when
   * given, replaces the scopes.
   */
  async mergeEntity(scope: RequestScope, id: string, body: JsonObjectBody): Promise<void> {
    if (body.id !== undefined && body.id !== id) throw ngsiProblem('BadRequestData', 'the id in the body differs from the id in the path');
    const edit = mergeEdit(scope, body, this.clock().toISOString());
    await this.writer.modify(scope, id, edit);
  }

  /**
   * The expiry job (v1.9 expiresAt): entities whose expiresAt has come are deleted, attribute instances whose
   * expiresAt has come are removed (an attribute left without instances is deleted), each as a write would be —
   * history and notifications (entityDeleted, attributeDeleted) included. At most `max` entities a run, the
   * earliest first; returns how many were due.
   */
  async expire(max: number): Promise<number> {
    const now = this.clock();
    const at = now.toISOString();
    const due = await entitiesDueToExpire(this.db, now, max);
    const byTenant = new Map<string, string[]>();
    for (const d of due) byTenant.set(d.tenant, [...(byTenant.get(d.tenant) ?? []), d.id]);
    for (const [tenant, ids] of byTenant) {
      await this.db.transaction().execute(async (trx) => {
        const changes: EntityChange[] = [];
        for (const row of await findEntitiesForUpdate(trx, tenant, ids)) {
          const e = rowToEntity(row);
          if (e.expiresAt !== undefined && e.expiresAt <= at) {
            changes.push({ id: e.id, before: e, written: [], deleted: Object.keys(e.attrs) });
            continue;
          }
          const attrs: Attrs = {};
          const touched: string[] = [];
          for (const [iri, instances] of Object.entries(e.attrs)) {
            const kept = instances.filter((i) => i.expiresAt === undefined || (i.expiresAt as string) > at);
            if (kept.length < instances.length) touched.push(iri);
            if (kept.length) attrs[iri] = kept;
          }
          if (touched.length === 0) {
            // Nothing due any more (a later write replaced what was): only when it expires next changes.
            await setExpiryDue(trx, tenant, e.id, expiryDue(e));
            continue;
          }
          changes.push({
            id: e.id, before: e, after: { ...e, attrs, modifiedAt: at },
            written: touched.filter((a) => a in attrs), deleted: touched.filter((a) => !(a in attrs)),
          });
        }
        if (changes.length) await this.writer.commit(trx, tenant, changes, 'upsert');
      });
    }
    return due.length;
  }
}

/** The read-modify-write of a merge (PATCH /entities/{id} and each entity of /entityOperations/merge, §5.6.17, §5.6.20). */
export function mergeEdit(scope: RequestScope, body: JsonObjectBody, now: string): EntityEdit {
  const { rest, nulls } = splitNulls(scope.ctx, body);
  const types = body.type !== undefined ? entityTypes(scope.ctx, body.type) : undefined;
  const scopes = parseScopes(body.scope);
  const expiresAt = body.expiresAt === undefined ? undefined : expiryTime(body.expiresAt, 'expiresAt');
  const incoming = normalizeAttributes(scope.ctx, rest, now, true);
  return (current, policy) => {
    const newTypes = types ? [...new Set([...current.types, ...types])] : current.types;
    policy.assertWrite(newTypes, [...Object.keys(incoming), ...nulls.map((n) => n.iri)]);
    // Structured values are merged into the stored ones (RFC 7396: NGSI-LD Null removes a member).
    const { attrs, changed } = mergeAttrs(current.attrs, mergeStructured(current.attrs, incoming));
    const removed = applyNulls(attrs, nulls);
    const written = [...new Set([...changed, ...removed.written])];
    const retyped = newTypes.length !== current.types.length || (scopes !== undefined && JSON.stringify(scopes) !== JSON.stringify(current.scope))
      || (expiresAt !== undefined && expiresAt !== current.expiresAt);
    // A change of types, scopes or expiresAt alone is stored too (it writes no attribute).
    return { after: { ...current, types: newTypes, attrs, ...(scopes ? { scope: scopes } : {}), ...(expiresAt ? { expiresAt } : {}), modifiedAt: now }, written, deleted: removed.deleted, force: retyped };
  };
}
