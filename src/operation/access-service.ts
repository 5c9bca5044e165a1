import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { actorRef, systemActor, type Actor, type Role } from '../platform/auth/roles.js';
import { assertCan, can } from '../platform/auth/permissions.js';
import { isProblem, Problem, type FieldError } from '../platform/errors/problem.js';
import type { PartyService } from './party-service.js';
import type { OrgEntry } from './org-names.js';
import type { OperationAccessTable } from './tables.js';
import type { AccessInput, AccessView, IssuedAccess } from './schemas.js';
import { iso, sha256 } from './versions.js';
import * as store from './licence-store.js';
import * as registry from './registry-store.js';

export type AccessRow = Selectable<OperationAccessTable>;
type LicenceOf = NonNullable<Awaited<ReturnType<typeof store.findLicence>>>;

/** The slice of identity that makes and revokes API keys. */
export interface KeyIssuer {
  createApiKey(actor: Actor, input: { name: string; roles: Role[]; orgId: string | null }): Promise<{ id: string; key: string; prefix: string }>;
  revokeApiKey(actor: Actor, id: string): Promise<void>;
}

/** Keys are made and revoked by the module itself (identity lets only the administrator manage keys). */
const keyActor = systemActor('operation-keys', ['admin']);

/**
 * Market users' access (使用许可): which products of a licence a market user may call, for which purposes, with
 * which public-interest uses it may claim, within which quota — and the API key (role `market_user`, the
 * market user's organisation) its calls are made with. Revoking an access revokes its key at once.
 */
export class AccessService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    private readonly parties: PartyService,
    private readonly keys: KeyIssuer,
  ) {}

  /**
   * The licence's operator (or the implementing body) admits a market user to products of an active licence and
   * issues its key, returned once. Only the implementing body may let a market user claim public-interest use.
   */
  async issue(actor: Actor, input: AccessInput): Promise<IssuedAccess> {
    assertCan(actor, 'operation.access.manage');
    const licence = await this.licenceFor(input.licence);
    const as = await this.parties.assertOperatorOrBody(actor, licence.operator_party_id);
    const publicUses = input.publicUses ?? [];
    if (publicUses.length > 0 && as !== 'body') {
      throw new Problem('OPERATION_NOT_IMPLEMENTING_BODY', {
        detail: 'only the implementing body may approve public-governance or public-welfare use', errors: [{ field: 'publicUses', message: 'set by the implementing body' }],
      });
    }
    return this.admit(actor, licence, input, publicUses);
  }

  /**
   * Issues the access a market user applied for in the marketplace and its operator accepted (the acceptance is
   * the decision, ledgered with the application): the key goes to the market user, once. No public-interest use
   * (only the implementing body approves that, through `issue`).
   */
  async issueAccepted(actor: Actor, input: AccessInput): Promise<IssuedAccess> {
    return this.admit(actor, await this.licenceFor(input.licence), { ...input, publicUses: [] }, []);
  }

  /** Checks products and purposes against an active licence (the same rules for an application and an access). */
  async checkTerms(licenceId: string, products: string[], purposes: string[]): Promise<LicenceOf> {
    const licence = await this.licenceFor(licenceId);
    const rows = await registry.listProducts(this.db, { ids: products });
    const errors: FieldError[] = [];
    products.forEach((id, i) => {
      const p = rows.find((x) => x.id === id);
      if (!p || p.licence_id !== licence.id) errors.push({ field: `products/${i}`, message: 'not a product of this licence' });
    });
    const allowed = new Set(licence.scenarios.filter((s) => rows.some((p) => p.scenario === s.code)).flatMap((s) => s.purposes));
    purposes.forEach((p, i) => { if (!allowed.has(p)) errors.push({ field: `purposes/${i}`, message: 'not a purpose of these products\' scenarios' }); });
    if (errors.length > 0) throw new Problem('VALIDATION_FAILED', { errors });
    return licence;
  }

  private async licenceFor(id: string): Promise<LicenceOf> {
    const licence = await store.findLicence(this.db, id);
    if (!licence) throw new Problem('OPERATION_LICENCE_NOT_FOUND', { errors: [{ field: 'licence', message: 'no such licence' }] });
    if (licence.status !== 'active') throw new Problem('OPERATION_LICENCE_STATE', { detail: `licence ${licence.number} is ${licence.status}` });
    return licence;
  }

  private async admit(actor: Actor, licence: LicenceOf, input: AccessInput, publicUses: AccessInput['publicUses'] & object): Promise<IssuedAccess> {
    const user = await this.parties.require(input.marketUser, 'market_user');
    await this.checkTerms(licence.id, input.products, input.purposes);
    const names = await this.parties.orgs.all();
    const key = await this.keys.createApiKey(keyActor, {
      name: input.keyName ?? `${licence.number} ${names.get(user.org_id)?.name ?? user.id}`.slice(0, 100), roles: ['market_user'], orgId: user.org_id,
    });
    const now = this.clock();
    try {
      const row = await this.db.transaction().execute(async (trx) => {
        const a = await store.insertAccess(trx, {
          licence_id: licence.id, market_user_party_id: user.id, products: input.products, purposes: input.purposes, public_uses: publicUses,
          quota: input.quota ? JSON.stringify({ period: input.quota.period, calls: input.quota.calls ?? null, records: input.quota.records ?? null }) : null,
          api_key_id: key.id, key_prefix: key.prefix, status: 'active', created_by: actorRef(actor), created_at: now, revoked_at: null, revoked_reason: null,
        });
        await this.ledger.append('operation.access.issued', actor, `operation_access:${a.id}`, {
          licence: licence.number, marketUser: user.id, products: input.products, purposes: input.purposes, publicUses: [...publicUses],
          apiKey: key.id, quotaCalls: input.quota?.calls ?? null, quotaRecords: input.quota?.records ?? null,
        }, { trx });
        return a;
      });
      return { access: this.view(row, licence.number, names, user), key: key.key };
    } catch (err) {
      await this.keys.revokeApiKey(keyActor, key.id);
      throw err;
    }
  }

  /** Revokes one access and its key at once. */
  async revoke(actor: Actor, id: string, reason: string): Promise<AccessView> {
    assertCan(actor, 'operation.access.manage');
    const access = await store.findAccess(this.db, id);
    if (!access) throw new Problem('OPERATION_ACCESS_NOT_FOUND');
    const licence = (await store.findLicence(this.db, access.licence_id))!;
    await this.parties.assertOperatorOrBody(actor, licence.operator_party_id);
    const now = this.clock();
    const row = await this.db.transaction().execute(async (trx) => {
      const a = await store.revokeAccess(trx, id, now, reason.trim());
      if (!a) throw new Problem('OPERATION_ACCESS_NOT_FOUND', { detail: 'the access is already revoked' });
      await this.ledger.append('operation.access.revoked', actor, `operation_access:${id}`, { licence: licence.number, apiKey: a.api_key_id, reasonSha256: sha256(reason.trim()) }, { trx });
      return a;
    });
    await this.revokeKey(row.api_key_id);
    return this.view(row, licence.number, await this.parties.orgs.all(), await this.parties.require(row.market_user_party_id));
  }

  /**
   * Revokes every access of a licence and their keys (the licence is suspended or terminated). The accesses are
   * revoked in one transaction, the keys right after; until a key is gone, the call path refuses it anyway,
   * because it reads the licence's and the access's status from the database on every call.
   */
  async revokeForLicence(actor: Actor, licenceId: string, reason: string): Promise<number> {
    const now = this.clock();
    const revoked = await this.db.transaction().execute(async (trx) => {
      const rows = await store.revokeLicenceAccesses(trx, licenceId, now, reason);
      for (const a of rows) {
        await this.ledger.append('operation.access.revoked', actor, `operation_access:${a.id}`, { licence: licenceId, apiKey: a.api_key_id, reasonSha256: sha256(reason) }, { trx });
      }
      return rows;
    });
    for (const a of revoked) await this.revokeKey(a.api_key_id);
    return revoked.length;
  }

  private async revokeKey(id: string): Promise<void> {
    try {
      await this.keys.revokeApiKey(keyActor, id);
    } catch (err) {
      // revoked already (by an administrator): nothing left to do
      if (!(isProblem(err) && err.code === 'AUTH_KEY_NOT_FOUND')) throw err;
    }
  }

  /** Accesses the actor may see: the implementing body and supervisors all, an operator those of its licences. */
  async list(actor: Actor): Promise<AccessView[]> {
    assertCan(actor, 'operation.access.read');
    const names = await this.parties.orgs.all();
    const licences = await this.visibleLicences(actor);
    const numbers = new Map(licences.map((l) => [l.id, l.number]));
    const rows = await store.listAccesses(this.db, { licenceIds: licences.map((l) => l.id) });
    return Promise.all(rows.map(async (a) => this.view(a, numbers.get(a.licence_id)!, names, await this.parties.require(a.market_user_party_id))));
  }

  private async visibleLicences(actor: Actor) {
    if (actor.roles.includes('admin') || can(actor, 'operation.review.read')) return store.listLicences(this.db);
    const operator = await this.parties.operatorOf(actor);
    return operator ? store.listLicences(this.db, operator.id) : [];
  }

  view(a: AccessRow, licenceNumber: string, names: Map<string, OrgEntry>, user?: { id: string; org_id: string; credit_code: string | null }): AccessView {
    const marketUser = user
      ? { id: user.id, orgId: user.org_id, name: names.get(user.org_id)?.name ?? null, creditCode: user.credit_code }
      : { id: a.market_user_party_id, orgId: '', name: null, creditCode: null };
    return {
      id: a.id, licenceId: a.licence_id, licenceNumber, marketUser, products: a.products, purposes: a.purposes, publicUses: a.public_uses,
      quota: a.quota, apiKeyId: a.api_key_id, keyPrefix: a.key_prefix, status: a.status, createdAt: iso(a.created_at)!,
      revokedAt: iso(a.revoked_at), revokedReason: a.revoked_reason,
    };
  }
}
