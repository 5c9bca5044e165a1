import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { ngsiProblem } from './ngsi-errors.js';
import { expandTerm } from './jsonld-context.js';
import { entityFromBody, entityTypes, mergeAttrs, normalizeAttributes } from './entity-model.js';
import type { AccessRuleService } from './access-service.js';
import type { TenantService } from './tenant-service.js';
import type { EntityWriter } from './entity-writer.js';
import type { RequestScope } from './request-scope.js';
import type { JsonObjectBody } from './schemas.js';

const NULL_URI = 'urn:ngsi-ld:null';

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
      return { after: { ...current, types: next.types, attrs, scope: next.scope, modifiedAt: now }, written: Object.keys(attrs), deleted };
    });
  }

  /** PATCH /entities/{id} (§5.6.17 merge): attributes merged, `urn:ngsi-ld:null` deletes one. */
  async mergeEntity(scope: RequestScope, id: string, body: JsonObjectBody): Promise<void> {
    if (body.id !== undefined && body.id !== id) throw ngsiProblem('BadRequestData', 'the id in the body differs from the id in the path');
    const now = this.clock().toISOString();
    const toDelete: string[] = [];
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) {
      if (v === NULL_URI || (v && typeof v === 'object' && ((v as Record<string, unknown>).value === NULL_URI || (v as Record<string, unknown>).object === NULL_URI))) toDelete.push(expandTerm(scope.ctx, k));
      else rest[k] = v;
    }
    const types = body.type !== undefined ? entityTypes(scope.ctx, body.type) : undefined;
    const incoming = normalizeAttributes(scope.ctx, rest, now);
    await this.writer.modify(scope, id, (current, policy) => {
      const newTypes = types ? [...new Set([...current.types, ...types])] : current.types;
      policy.assertWrite(newTypes, [...Object.keys(incoming), ...toDelete]);
      const { attrs, changed } = mergeAttrs(current.attrs, incoming);
      const deleted = toDelete.filter((a) => a in attrs);
      for (const a of deleted) delete attrs[a];
      return { after: { ...current, types: newTypes, attrs, modifiedAt: now }, written: changed, deleted };
    });
  }
}
