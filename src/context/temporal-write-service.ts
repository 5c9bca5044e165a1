import { randomUUID } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { ngsiProblem } from './ngsi-errors.js';
import { entityMembers, expandTerm } from './jsonld-context.js';
import { assertAttrName, datasetKey, entityFromBody, isUri, locationBox, normalizeAttribute, type Attrs, type Instance } from './entity-model.js';
import { findEntitiesForUpdate, rowToEntity, upsertEntities } from './entity-store.js';
import { appendHistory } from './history-store.js';
import { rewriteInstance } from './temporal-write-store.js';
import type { AccessRuleService } from './access-service.js';
import type { EntityWriter } from './entity-writer.js';
import type { TenantService } from './tenant-service.js';
import type { RequestScope } from './request-scope.js';
import type { JsonObjectBody } from './schemas.js';

/** Each attribute of a temporal body: a list of instances (or one), each normalized on its own and named. */
function temporalAttrs(scope: RequestScope, body: Record<string, unknown>, now: string): Attrs {
  const attrs: Attrs = {};
  for (const [name, raw] of Object.entries(body)) {
    if (entityMembers.has(name)) continue;
    // A temporal attribute is its instances (or one instance): a bare value (`"urn:ngsi-ld:null"` included) is not.
    if (raw === null || typeof raw !== 'object') {
      throw ngsiProblem('BadRequestData', `attribute ${name} must be a list of instances`, { errors: [{ field: name, message: 'not a list of attribute instances' }] });
    }
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.length === 0) throw ngsiProblem('BadRequestData', `attribute ${name} has no instances`, { errors: [{ field: name, message: 'no instances' }] });
    const instances: Instance[] = [];
    for (const [i, inst] of list.entries()) {
      // The deleted-instance representation (value "urn:ngsi-ld:null", §4.5.7) is history, not a deletion.
      const { instances: one } = normalizeAttribute(scope.ctx, name, inst, now, `${name}/${i}`, true);
      for (const x of one) instances.push({ ...x, instanceId: `urn:ngsi-ld:Instance:${randomUUID()}` });
    }
    attrs[expandTerm(scope.ctx, name)] = instances;
  }
  return attrs;
}

/** The path of one instance (§6.22): entity id and instanceId URIs, a valid attribute name (400 otherwise, before any lookup). */
function assertInstancePath(id: string, attrName: string, instanceId: string): void {
  if (!isUri(id)) throw ngsiProblem('BadRequestData', `entity id must be a URI, got ${id}`);
  assertAttrName(attrName);
  if (!isUri(instanceId)) throw ngsiProblem('BadRequestData', `instanceId must be a URI, got ${instanceId}`, { errors: [{ field: 'instanceId', message: 'not a URI' }] });
}

/** Of each attribute, the newest instance per datasetId: the state an entity created by the temporal API starts with. */
function latestOf(attrs: Attrs): Attrs {
  const out: Attrs = {};
  const at = (i: Instance) => (typeof i.observedAt === 'string' ? i.observedAt : '');
  for (const [iri, list] of Object.entries(attrs)) {
    const newest = new Map<string, Instance>();
    for (const inst of list) {
      const prev = newest.get(datasetKey(inst));
      if (!prev || at(inst) >= at(prev)) newest.set(datasetKey(inst), inst);
    }
    out[iri] = [...newest.values()].map(({ instanceId: _, ...rest }) => rest as Instance);
  }
  return out;
}

/**
 * The temporal writes (GS CIM 009 §5.6.11–5.6.16): attribute instances added to, changed in and removed from
 * the history. The temporal representation of an entity is the history of an entity of the current state, so
 * creating one that does not exist creates the entity with the newest instance of each attribute (and no
 * notification: the temporal API writes the past); for an existing entity only the history grows.
 */
export class TemporalWriteService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly tenants: TenantService,
    private readonly access: AccessRuleService,
    private readonly writer: EntityWriter,
  ) {}

  /** POST /temporal/entities (§5.6.11): true when the entity was created (201), false when its history grew (204). */
  async upsert(scope: RequestScope, body: JsonObjectBody): Promise<{ id: string; created: boolean }> {
    const policy = await this.access.forWriting(scope);
    const now = this.clock().toISOString();
    // The entity's own members (v1.9 expiresAt included: checked, kept on an entity this creates).
    const members = Object.fromEntries(['scope', 'expiresAt'].filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
    const head = entityFromBody(scope.ctx, { id: body.id, type: body.type, ...members }, now);
    const attrs = temporalAttrs(scope, body, now);
    policy.assertWrite(head.types, Object.keys(attrs));
    const tenant = await this.tenants.resolve(scope.tenant, true);
    return this.db.transaction().execute(async (trx) => {
      const [row] = await findEntitiesForUpdate(trx, tenant, [head.id]);
      if (row) {
        const current = rowToEntity(row);
        if (!policy.canReadEntity(current.types)) throw ngsiProblem('Forbidden', `entity ${head.id} belongs to a type you may not write`);
        policy.assertWrite(current.types, Object.keys(attrs));
        // §5.6.11.4: the upsert adds the entity type names it gives that the entity does not have yet.
        const types = [...new Set([...current.types, ...head.types])];
        if (types.length > current.types.length) {
          await upsertEntities(trx, tenant, [{ id: current.id, types, attrs: current.attrs, scope: current.scope ?? null, created_at: current.createdAt, modified_at: now, box: locationBox(current.attrs), expires_at: current.expiresAt ?? null }], 'upsert');
        }
      } else {
        const state = latestOf(attrs);
        await upsertEntities(trx, tenant, [{ id: head.id, types: head.types, attrs: state, scope: head.scope ?? null, created_at: now, modified_at: now, box: locationBox(state), expires_at: head.expiresAt ?? null }], 'insert');
      }
      await appendHistory(trx, tenant, now, [{ entity_id: head.id, attrs, deleted: [] }]);
      return { id: head.id, created: !row };
    });
  }

  /** POST /temporal/entities/{id}/attrs (§5.6.12): instances added to the history of an existing entity. */
  async append(scope: RequestScope, id: string, body: JsonObjectBody): Promise<void> {
    const now = this.clock().toISOString();
    const attrs = temporalAttrs(scope, body, now);
    await this.withEntity(scope, id, Object.keys(attrs), async (trx, tenant) => appendHistory(trx, tenant, now, [{ entity_id: id, attrs, deleted: [] }]));
  }

  /** PATCH /temporal/entities/{id}/attrs/{attrId}/{instanceId} (§5.6.14): the members given replace the instance's. */
  async modifyInstance(scope: RequestScope, id: string, attrName: string, instanceId: string, body: JsonObjectBody): Promise<void> {
    assertInstancePath(id, attrName, instanceId);
    const now = this.clock().toISOString();
    const iri = expandTerm(scope.ctx, attrName);
    // The body is an attribute fragment: the instance's members, or the attribute name → the instance.
    const given = (body[attrName] && typeof body[attrName] === 'object' && !Array.isArray(body[attrName]) ? body[attrName] : body) as Record<string, unknown>;
    await this.withEntity(scope, id, [iri], async (trx, tenant) => {
      const found = await rewriteInstance(trx, tenant, id, iri, instanceId, (old) => {
        const merged = { ...old, ...given, type: given.type ?? old.type };
        const [next] = normalizeAttribute(scope.ctx, attrName, merged, now).instances;
        return next;
      });
      if (!found) throw ngsiProblem('ResourceNotFound', `attribute ${attrName} of ${id} has no instance ${instanceId}`);
    });
  }

  /** DELETE /temporal/entities/{id}/attrs/{attrId}/{instanceId} (§5.6.15). */
  async deleteInstance(scope: RequestScope, id: string, attrName: string, instanceId: string): Promise<void> {
    assertInstancePath(id, attrName, instanceId);
    const iri = expandTerm(scope.ctx, attrName);
    await this.withEntity(scope, id, [iri], async (trx, tenant) => {
      if (!(await rewriteInstance(trx, tenant, id, iri, instanceId, () => undefined))) {
        throw ngsiProblem('ResourceNotFound', `attribute ${attrName} of ${id} has no instance ${instanceId}`);
      }
    });
  }

  /** Runs a write on the history of an entity the caller may write these attributes of (404 otherwise), in a transaction. */
  private async withEntity(scope: RequestScope, id: string, attrs: string[], run: (trx: Db, tenant: string) => Promise<unknown>): Promise<void> {
    await this.writer.withLocked(scope, id, async (trx, tenant, current, policy) => {
      policy.assertWrite(current.types, attrs);
      await run(trx, tenant);
    });
  }
}
