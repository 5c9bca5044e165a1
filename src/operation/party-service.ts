import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import { Problem } from '../platform/errors/problem.js';
import type { OrgEntry, OrgNames } from './org-names.js';
import type { OperationPartyTable } from './tables.js';
import type { PartyInput, PartyKind, PartyRef, PartyView } from './schemas.js';
import { iso } from './versions.js';
import * as store from './party-store.js';

export type PartyRow = Selectable<OperationPartyTable>;

const isAdmin = (actor: Actor) => actor.roles.includes('admin');

/**
 * The parties (参与方): the implementing body (实施机构, an organisation of the data bureau; one per hub), operators
 * (运营机构) and market users (数据使用者), each an organisation of identity with its 统一社会信用代码 (checked by
 * identity when the organisation is made, GB 32100-2015). Also the checks of who acts for whom.
 */
export class PartyService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    readonly orgs: OrgNames,
  ) {}

  /**
   * Registers an organisation as a party. The implementing body is registered first, by an operation_admin of
   * that organisation (or the administrator); after that, only the implementing body's own staff register parties.
   */
  async register(actor: Actor, input: PartyInput): Promise<PartyView> {
    assertCan(actor, 'operation.party.manage');
    const first = input.kind === 'implementing_body' && !(await store.findImplementingBody(this.db));
    if (!first) await this.assertImplementingBody(actor);
    else if (!isAdmin(actor) && actor.orgId !== input.orgId) {
      // Bootstrapping: staff register their own organisation as the implementing body, never another one.
      throw new Problem('OPERATION_NOT_IMPLEMENTING_BODY', { detail: 'register your own organisation as the implementing body', errors: [{ field: 'orgId', message: 'not your organisation' }] });
    }
    const names = await this.orgs.all();
    const org = names.get(input.orgId);
    if (!org) throw new Problem('AUTH_ORG_NOT_FOUND', { errors: [{ field: 'orgId', message: 'no such organisation' }] });
    if (input.kind !== 'implementing_body' && !org.creditCode) {
      throw new Problem('OPERATION_CREDIT_CODE_REQUIRED', {
        errors: [{ field: 'orgId', message: 'the organisation has no 统一社会信用代码; set it on the organisation first' }],
      });
    }
    if (await store.findPartyByOrg(this.db, input.orgId, input.kind)) throw new Problem('OPERATION_PARTY_EXISTS');
    if (input.kind === 'implementing_body' && (await store.findImplementingBody(this.db))) {
      throw new Problem('OPERATION_PARTY_EXISTS', { detail: 'an implementing body is already registered' });
    }
    const now = this.clock();
    const row = await this.db.transaction().execute(async (trx) => {
      const party = await store.insertParty(trx, {
        org_id: input.orgId, kind: input.kind, credit_code: org.creditCode, contact: input.contact?.trim() || null,
        registered_by: actorRef(actor), registered_at: now,
      });
      await this.ledger.append('operation.party.registered', actor, `operation_party:${party.id}`, {
        org: party.org_id, kind: party.kind, creditCode: party.credit_code,
      }, { trx });
      return party;
    });
    return this.view(row, names);
  }

  async list(actor: Actor, kind?: PartyKind): Promise<PartyView[]> {
    assertCan(actor, 'operation.party.read');
    const names = await this.orgs.all();
    return (await store.listParties(this.db, kind)).map((p) => this.view(p, names));
  }

  /** The parties of a kind, for the module's own reports (the caller checked the permission). */
  rows(kind?: PartyKind): Promise<PartyRow[]> {
    return store.listParties(this.db, kind);
  }

  /** The party or a 404. */
  async require(id: string, kind?: PartyKind): Promise<PartyRow> {
    const party = await store.findParty(this.db, id);
    if (!party || (kind && party.kind !== kind)) {
      throw new Problem('OPERATION_PARTY_NOT_FOUND', { detail: kind ? `no ${kind.replace('_', ' ')} with this id` : undefined });
    }
    return party;
  }

  find(id: string): Promise<PartyRow | undefined> {
    return store.findParty(this.db, id);
  }

  implementingBody(): Promise<PartyRow | undefined> {
    return store.findImplementingBody(this.db);
  }

  /** Whether the actor acts for the implementing body: its organisation's staff, or the administrator. */
  async isImplementingBody(actor: Actor): Promise<boolean> {
    if (isAdmin(actor)) return true;
    const body = await store.findImplementingBody(this.db);
    return !!body && !!actor.orgId && actor.orgId === body.org_id;
  }

  /** Refuses unless the actor acts for the implementing body. */
  async assertImplementingBody(actor: Actor): Promise<void> {
    if (isAdmin(actor)) return;
    const body = await store.findImplementingBody(this.db);
    if (!body) throw new Problem('OPERATION_NO_IMPLEMENTING_BODY', { detail: 'register the implementing body (实施机构) first' });
    if (!actor.orgId || actor.orgId !== body.org_id) {
      throw new Problem('OPERATION_NOT_IMPLEMENTING_BODY', { detail: 'only staff of the implementing body (实施机构) may do this' });
    }
  }

  /** The operator party the actor belongs to, if any. */
  operatorOf(actor: Actor): Promise<PartyRow | undefined> {
    return actor.orgId ? store.findPartyByOrg(this.db, actor.orgId, 'operator') : Promise.resolve(undefined);
  }

  /** The market-user party the actor belongs to, if any. */
  marketUserOf(actor: Actor): Promise<PartyRow | undefined> {
    return actor.orgId ? store.findPartyByOrg(this.db, actor.orgId, 'market_user') : Promise.resolve(undefined);
  }

  /** Refuses unless the actor is the implementing body's or belongs to this operator. */
  async assertOperatorOrBody(actor: Actor, operatorPartyId: string): Promise<'body' | 'operator'> {
    if (await this.isImplementingBody(actor)) return 'body';
    const own = await this.operatorOf(actor);
    if (own && own.id === operatorPartyId) return 'operator';
    throw new Problem('OPERATION_NOT_OPERATOR');
  }

  ref(p: PartyRow, names: Map<string, OrgEntry>): PartyRef {
    return { id: p.id, orgId: p.org_id, name: names.get(p.org_id)?.name ?? null, creditCode: p.credit_code };
  }

  view(p: PartyRow, names: Map<string, OrgEntry>): PartyView {
    return {
      id: p.id, orgId: p.org_id, kind: p.kind, name: names.get(p.org_id)?.name ?? null, creditCode: p.credit_code, contact: p.contact,
      registeredAt: iso(p.registered_at)!, registeredBy: p.registered_by,
    };
  }
}
