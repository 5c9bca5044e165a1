import type { Db } from '../platform/db/database.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import type { Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import { ngsiProblem } from './ngsi-errors.js';
import { compactIri, expandTerm, type LdContext } from './jsonld-context.js';
import { deleteRule, insertRule, listRules, rulesForOrg, type AccessRuleRow } from './access-store.js';
import { AccessPolicy } from './access-policy.js';
import type { TenantService } from './tenant-service.js';
import type { RequestScope } from './request-scope.js';
import type { AccessRule, NewAccessRule } from './schemas.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Per-organisation type/attribute rules of the context layer, and the access policy they give an actor
 * (access-policy.ts applies it). A rule decides who may read what, so each grant and revocation is a ledger
 * entry, written in the change's transaction.
 */
export class AccessRuleService {
  constructor(
    private readonly db: Db,
    private readonly tenants: TenantService,
    private readonly ledger: Ledger,
  ) {}

  /**
   * The actor's policy in the tenant (docs/context.md, "Tenants and access"):
   * - `admin`, `data_admin` (who manages the rules) and the product's own system actors: not narrowed;
   * - an actor of no organisation: nothing (deny by default — a key or user must belong to an organisation to
   *   read or write context data);
   * - an organisation with rules in this tenant: what they grant; with rules only in other tenants: nothing here
   *   (a governed organisation is governed in every tenant); with no rule anywhere: its roles only.
   * `db` is the caller's transaction when inside one (subscriptions are matched in the writing transaction).
   */
  async policy(actor: Actor, tenant: string, db: Db = this.db): Promise<AccessPolicy> {
    if (actor.kind === 'system' || actor.roles.includes('admin') || actor.roles.includes('data_admin')) return AccessPolicy.unrestricted;
    if (!actor.orgId) return AccessPolicy.none;
    const rules = await rulesForOrg(db, actor.orgId);
    if (rules.length === 0) return AccessPolicy.unrestricted;
    return new AccessPolicy(rules.filter((r) => r.tenant === tenant));
  }

  /** Checks the actor may read entities at all, then gives the policy that narrows what. */
  async forReading(scope: RequestScope): Promise<AccessPolicy> {
    assertCan(scope.actor, 'context.entity.read');
    return this.policy(scope.actor, scope.tenant);
  }

  /** Checks the actor may write entities at all, then gives the policy that narrows what. */
  async forWriting(scope: RequestScope): Promise<AccessPolicy> {
    assertCan(scope.actor, 'context.entity.write');
    return this.policy(scope.actor, scope.tenant);
  }

  async add(scope: RequestScope, input: NewAccessRule): Promise<AccessRule> {
    assertCan(scope.actor, 'context.access.manage');
    const tenant = await this.tenants.resolve(scope.tenant, true);
    if (!UUID.test(input.orgId)) throw ngsiProblem('BadRequestData', 'orgId must be an organisation id (UUID)', { errors: [{ field: 'orgId', message: 'must be a UUID' }] });
    const row = await this.db.transaction().execute(async (trx) => {
      const r = await insertRule(trx, {
        org_id: input.orgId, tenant, entity_type: expandTerm(scope.ctx, input.entityType),
        attributes: input.attributes ? input.attributes.map((a) => expandTerm(scope.ctx, a)) : null, can_write: input.canWrite ?? false,
      });
      await this.ledger.append('context.access.granted', scope.actor, `context-access-rule:${r.id}`, facts(r), { trx });
      return r;
    });
    return view(scope.ctx, row);
  }

  async list(scope: RequestScope): Promise<AccessRule[]> {
    assertCan(scope.actor, 'context.access.manage');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    return (await listRules(this.db, tenant)).map((r) => view(scope.ctx, r));
  }

  async remove(scope: RequestScope, id: string): Promise<void> {
    assertCan(scope.actor, 'context.access.manage');
    const tenant = await this.tenants.resolve(scope.tenant, false);
    if (!UUID.test(id)) throw ngsiProblem('ResourceNotFound', `access rule ${id} does not exist`);
    await this.db.transaction().execute(async (trx) => {
      const r = await deleteRule(trx, tenant, id);
      if (!r) throw ngsiProblem('ResourceNotFound', `access rule ${id} does not exist`);
      await this.ledger.append('context.access.revoked', scope.actor, `context-access-rule:${r.id}`, facts(r), { trx });
    });
  }
}

/** What the ledger records of a rule. */
const facts = (r: AccessRuleRow) => ({ orgId: r.org_id, tenant: r.tenant, entityType: r.entity_type, attributes: r.attributes, canWrite: r.can_write });

/** A rule with its names compacted by the caller's @context. */
const view = (ctx: LdContext, r: AccessRuleRow): AccessRule => ({
  id: r.id, orgId: r.org_id, entityType: compactIri(ctx, r.entity_type),
  attributes: r.attributes ? r.attributes.map((a) => compactIri(ctx, a)) : null, canWrite: r.can_write,
});
