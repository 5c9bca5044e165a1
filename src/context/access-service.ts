import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Db } from '../platform/db/database.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { assertCan } from '../platform/auth/permissions.js';
import { ngsiProblem } from './ngsi-errors.js';
import { compactIri, expandTerm, type ContextResolver } from './jsonld-context.js';
import type { EntityService, RequestScope } from './entity-service.js';
import { deleteRule, insertRule, listRules, type AccessRuleRow } from './access-store.js';
import { registerNgsiErrors, registerNgsiParsers, scopeOf } from './http-support.js';

export interface AccessRuleInput {
  orgId: string;
  entityType: string;
  attributes?: string[];
  canWrite?: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Per-organisation type/attribute rules of the context layer (access-policy.ts applies them). A rule decides who
 * may read what, so each grant and revocation is a ledger entry, written in the change's transaction.
 */
export class AccessRuleService {
  constructor(
    private readonly db: Db,
    private readonly entities: EntityService,
    private readonly contexts: ContextResolver,
    private readonly ledger?: Ledger,
  ) {}

  private facts(r: AccessRuleRow) {
    return { orgId: r.org_id, tenant: r.tenant, entityType: r.entity_type, attributes: r.attributes, canWrite: r.can_write };
  }

  async add(scope: RequestScope, input: AccessRuleInput): Promise<Record<string, unknown>> {
    assertCan(scope.actor, 'context.access.manage');
    const tenant = await this.entities.tenant(scope.tenant, true);
    if (!UUID.test(input.orgId)) throw ngsiProblem('BadRequestData', 'orgId must be an organisation id (UUID)');
    const row = await this.db.transaction().execute(async (trx) => {
      const r = await insertRule(trx, {
        org_id: input.orgId, tenant, entity_type: expandTerm(scope.ctx, input.entityType),
        attributes: input.attributes ? input.attributes.map((a) => expandTerm(scope.ctx, a)) : null, can_write: input.canWrite ?? false,
      });
      await this.ledger?.append('context.access.granted', scope.actor, `context-access-rule:${r.id}`, this.facts(r), { trx });
      return r;
    });
    return this.view(scope, row);
  }

  async list(scope: RequestScope): Promise<Record<string, unknown>[]> {
    assertCan(scope.actor, 'context.access.manage');
    const tenant = await this.entities.tenant(scope.tenant, false);
    return (await listRules(this.db, tenant)).map((r) => this.view(scope, r));
  }

  async remove(scope: RequestScope, id: string): Promise<void> {
    assertCan(scope.actor, 'context.access.manage');
    const tenant = await this.entities.tenant(scope.tenant, false);
    if (!UUID.test(id)) throw ngsiProblem('ResourceNotFound', `access rule ${id} does not exist`);
    await this.db.transaction().execute(async (trx) => {
      const r = await deleteRule(trx, tenant, id);
      if (!r) throw ngsiProblem('ResourceNotFound', `access rule ${id} does not exist`);
      await this.ledger?.append('context.access.revoked', scope.actor, `context-access-rule:${r.id}`, this.facts(r), { trx });
    });
  }

  private view(scope: RequestScope, r: AccessRuleRow): Record<string, unknown> {
    return {
      id: r.id, orgId: r.org_id, entityType: compactIri(scope.ctx, r.entity_type),
      attributes: r.attributes ? r.attributes.map((a) => compactIri(scope.ctx, a)) : null, canWrite: r.can_write,
    };
  }
}

const Rule = Type.Object({ id: Type.String(), orgId: Type.String(), entityType: Type.String(), attributes: Type.Union([Type.Array(Type.String()), Type.Null()]), canWrite: Type.Boolean() });
const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer() }, { additionalProperties: true });

/** CityHub's own extension: /ngsi-ld/v1/cityhub/accessRules (not part of NGSI-LD). */
export async function accessRoutes(app: FastifyInstance, opts: { rules: AccessRuleService; contexts: ContextResolver }): Promise<void> {
  registerNgsiParsers(app);
  registerNgsiErrors(app);
  const config = { access: 'context.access.manage' as const };
  const problems = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
  app.post('/cityhub/accessRules', {
    config,
    schema: {
      body: Type.Object({ orgId: Type.String(), entityType: Type.String(), attributes: Type.Optional(Type.Array(Type.String())), canWrite: Type.Optional(Type.Boolean()) }),
      response: { 201: Rule, ...problems },
    },
  }, async (req, reply) => reply.code(201).send(await opts.rules.add(await scopeOf(req, opts.contexts), req.body as AccessRuleInput)));
  app.get('/cityhub/accessRules', { config, schema: { response: { 200: Type.Array(Rule), ...problems } } }, async (req) => opts.rules.list(await scopeOf(req, opts.contexts)));
  app.delete('/cityhub/accessRules/:ruleId', { config, schema: { params: Type.Object({ ruleId: Type.String() }), response: { 204: Type.Null(), ...problems } } }, async (req, reply) => {
    await opts.rules.remove(await scopeOf(req, opts.contexts), (req.params as { ruleId: string }).ruleId);
    return reply.code(204).send();
  });
}
