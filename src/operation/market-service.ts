import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import { assertCan, can } from '../platform/auth/permissions.js';
import { Problem, type FieldError } from '../platform/errors/problem.js';
import type { PartyRow, PartyService } from './party-service.js';
import type { AccessService } from './access-service.js';
import type { OperationApplicationTable } from './tables.js';
import type {
  ApplicationDecision, ApplicationInput, ApplicationQuery, ApplicationView, IssuedAccess, MarketProduct, MarketUsage, MarketUsageQuery, ProductSpec,
} from './schemas.js';
import { iso, sha256 } from './versions.js';
import * as store from './market-store.js';
import * as licenceStore from './licence-store.js';
import * as registryStore from './registry-store.js';

type ApplicationRow = Selectable<OperationApplicationTable>;

/** What a market user sends when calling a product of this type (shown in the marketplace). */
const inputFieldsOf = (spec: ProductSpec): string[] => {
  switch (spec.type) {
    case 'verification': return spec.match;
    case 'score':
    case 'model_inference': return [spec.key];
    case 'statistics': return [];
    case 'sandbox_query': return spec.fields;
  }
};

/**
 * The product marketplace (数据产品超市) in the portal: registered products of licences in force, with type,
 * scenario, price, provider and the asker's standing; a market user's person applies for products of one licence,
 * the licence's operator (or the implementing body) accepts or refuses, and the market user collects its key,
 * once. Every step is ledgered; a market user sees only its own applications and usage, an operator only those
 * to its licences.
 */
export class MarketService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    private readonly parties: PartyService,
    private readonly accesses: AccessService,
  ) {}

  /** Registered products of active licences, with the asking market user's applications and accesses. */
  async products(actor: Actor): Promise<MarketProduct[]> {
    assertCan(actor, 'operation.market.read');
    const [products, licences, names, me, resources] = await Promise.all([
      registryStore.listProducts(this.db), licenceStore.listLicences(this.db), this.parties.orgs.all(), this.parties.marketUserOf(actor),
      registryStore.listResources(this.db),
    ]);
    const datasets = new Map(resources.map((r) => [r.dataset_id, r.identifier]));
    const active = new Map(licences.filter((l) => l.status === 'active').map((l) => [l.id, l]));
    const mine = me ? await store.listApplications(this.db, { marketUserPartyId: me.id }) : [];
    const myAccesses = me ? (await licenceStore.listAccesses(this.db, { licenceIds: [...active.keys()] })).filter((a) => a.market_user_party_id === me.id && a.status === 'active') : [];
    const operators = new Map((await this.parties.rows('operator')).map((p) => [p.id, p]));
    return products.filter((p) => p.status === 'registered' && active.has(p.licence_id)).map((p) => {
      const licence = active.get(p.licence_id)!;
      const scenario = licence.scenarios.find((s) => s.code === p.scenario);
      const application = mine.find((a) => a.products.includes(p.id));
      return {
        id: p.id, number: p.number, name: p.name, description: p.description, type: p.type,
        scenario: { code: p.scenario, name: scenario?.name ?? p.scenario, purposes: scenario?.purposes ?? [] },
        price: p.price, provider: this.parties.ref(operators.get(p.operator_party_id)!, names), datasetIdentifier: datasets.get(p.dataset_id) ?? p.dataset_id,
        inputFields: inputFieldsOf(p.spec), disclosureRule: p.disclosure_rule.text,
        licence: { id: licence.id, number: licence.number, status: licence.status, validUntil: iso(licence.valid_until)! },
        mine: { application: application ? { id: application.id, status: application.status } : null, access: myAccesses.some((a) => a.products.includes(p.id)) },
      };
    });
  }

  /** A market user's person applies for registered products of one licence, for purposes of their scenarios. */
  async apply(actor: Actor, input: ApplicationInput): Promise<ApplicationView> {
    assertCan(actor, 'operation.market.apply');
    const me = await this.marketUser(actor);
    const products = await registryStore.listProducts(this.db, { ids: input.products });
    const licenceId = products.find((p) => p.id === input.products[0])?.licence_id;
    const errors: FieldError[] = [];
    input.products.forEach((id, i) => {
      const p = products.find((x) => x.id === id);
      if (!p || p.status !== 'registered') errors.push({ field: `products/${i}`, message: 'not a registered product' });
      else if (p.licence_id !== licenceId) errors.push({ field: `products/${i}`, message: 'apply for the products of one licence at a time' });
    });
    if (errors.length > 0 || !licenceId) throw new Problem('VALIDATION_FAILED', { errors });
    const licence = await this.accesses.checkTerms(licenceId, input.products, input.purposes);
    const now = this.clock();
    const row = await this.db.transaction().execute(async (trx) => {
      const a = await store.insertApplication(trx, {
        licence_id: licence.id, operator_party_id: licence.operator_party_id, market_user_party_id: me.id, products: input.products, purposes: input.purposes,
        quota: input.quota ? JSON.stringify(input.quota) : null, statement: input.statement.trim(), status: 'pending',
        applied_by: actorRef(actor), applied_at: now, decided_by: null, decided_at: null, reason: null, access_id: null,
      });
      await this.ledger.append('operation.application.submitted', actor, `operation_application:${a.id}`, {
        licence: licence.number, marketUser: me.id, products: input.products, purposes: input.purposes, statementSha256: sha256(a.statement),
      }, { trx });
      return a;
    });
    return (await this.views([row]))[0]!;
  }

  /** Applications the actor may see: a market user its own, an operator those to its licences, staff all. */
  async list(actor: Actor, q: ApplicationQuery = {}): Promise<ApplicationView[]> {
    assertCan(actor, 'operation.application.read');
    if (can(actor, 'operation.review.read')) return this.views(await store.listApplications(this.db, q));
    const [operator, me] = await Promise.all([this.parties.operatorOf(actor), this.parties.marketUserOf(actor)]);
    const rows = operator
      ? await store.listApplications(this.db, { ...q, operatorPartyId: operator.id })
      : me ? await store.listApplications(this.db, { ...q, marketUserPartyId: me.id }) : [];
    return this.views(rows);
  }

  /** The licence's operator (or the implementing body) accepts or refuses a pending application. */
  async decide(actor: Actor, id: string, d: ApplicationDecision): Promise<ApplicationView> {
    assertCan(actor, 'operation.access.manage');
    const app = await store.findApplication(this.db, id);
    if (!app) throw new Problem('OPERATION_APPLICATION_NOT_FOUND');
    await this.parties.assertOperatorOrBody(actor, app.operator_party_id);
    if (app.status !== 'pending') throw new Problem('OPERATION_APPLICATION_STATE', { detail: `the application is ${app.status}` });
    const reason = d.reason?.trim() || null;
    if (d.decision === 'refuse' && !reason) throw new Problem('OPERATION_REASON_REQUIRED', { errors: [{ field: 'reason', message: 'required to refuse' }] });
    // accepting checks the terms again: the licence may have been suspended or a product withdrawn meanwhile
    if (d.decision === 'accept') await this.accesses.checkTerms(app.licence_id, app.products, app.purposes);
    const quota = d.quota === undefined ? app.quota : d.quota;
    const row = await this.db.transaction().execute(async (trx) => {
      const moved = await store.moveApplication(trx, id, 'pending', {
        status: d.decision === 'accept' ? 'accepted' : 'refused', decided_by: actorRef(actor), decided_at: this.clock(), reason,
        quota: quota ? JSON.stringify(quota) : null,
      });
      if (!moved) throw new Problem('OPERATION_APPLICATION_STATE', { detail: 'the application was decided meanwhile' });
      await this.ledger.append(`operation.application.${moved.status}`, actor, `operation_application:${id}`, {
        marketUser: moved.market_user_party_id, quotaCalls: quota?.calls ?? null, quotaRecords: quota?.records ?? null, reasonSha256: reason ? sha256(reason) : null,
      }, { trx });
      return moved;
    });
    return (await this.views([row]))[0]!;
  }

  /**
   * The market user collects the key of an accepted application: the access is issued and its key answered
   * once. The application is claimed first, so two requests at once cannot make two keys.
   */
  async collectKey(actor: Actor, id: string): Promise<IssuedAccess> {
    assertCan(actor, 'operation.market.apply');
    const me = await this.marketUser(actor);
    const app = await store.findApplication(this.db, id);
    // another market user's application is as absent as one that does not exist
    if (!app || app.market_user_party_id !== me.id) throw new Problem('OPERATION_APPLICATION_NOT_FOUND');
    if (app.status !== 'accepted') {
      throw new Problem('OPERATION_APPLICATION_STATE', { detail: app.status === 'issued' ? 'the key was issued already; ask the operator to revoke it and apply again' : `the application is ${app.status}` });
    }
    const claimed = await store.moveApplication(this.db, id, 'accepted', { status: 'issued' });
    if (!claimed) throw new Problem('OPERATION_APPLICATION_STATE', { detail: 'the key was issued already' });
    try {
      const issued = await this.accesses.issueAccepted(actor, {
        licence: app.licence_id, marketUser: me.id, products: app.products, purposes: app.purposes, quota: app.quota,
      });
      await store.moveApplication(this.db, id, 'issued', { status: 'issued', access_id: issued.access.id });
      return issued;
    } catch (err) {
      await store.moveApplication(this.db, id, 'issued', { status: 'accepted' });
      throw err;
    }
  }

  /** Calls and spending per month and product of a year: a market user its own, staff any market user's. */
  async usage(actor: Actor, q: MarketUsageQuery): Promise<MarketUsage> {
    assertCan(actor, 'operation.statement.read');
    let party: PartyRow;
    if (can(actor, 'operation.review.read') && q.party) party = await this.parties.require(q.party, 'market_user');
    else {
      party = await this.marketUser(actor);
      if (q.party && q.party !== party.id) throw new Problem('OPERATION_PARTY_NOT_FOUND', { errors: [{ field: 'party', message: 'only your own usage' }] });
    }
    const [rows, names, products] = await Promise.all([store.usageByMonth(this.db, party.id, q.year), this.parties.orgs.all(), registryStore.listProducts(this.db)]);
    const productName = new Map(products.map((p) => [p.id, p.name]));
    const months = rows.map((r) => ({
      month: r.month, productId: r.product_id, productName: productName.get(r.product_id) ?? r.product_id,
      calls: Number(r.calls), billableCalls: Number(r.billable_calls), feeFen: Number(r.fee_fen),
    }));
    return {
      marketUser: this.parties.ref(party, names), year: q.year, months,
      totals: { calls: months.reduce((n, m) => n + m.calls, 0), feeFen: months.reduce((n, m) => n + m.feeFen, 0) },
    };
  }

  /** The market-user party of a person acting for it (not a product key: keys call products, people apply). */
  private async marketUser(actor: Actor): Promise<PartyRow> {
    const me = actor.kind !== 'api_key' ? await this.parties.marketUserOf(actor) : undefined;
    if (!me) throw new Problem('OPERATION_NOT_MARKET_USER');
    return me;
  }

  private async views(rows: ApplicationRow[]): Promise<ApplicationView[]> {
    if (rows.length === 0) return [];
    const [names, licences, products] = await Promise.all([
      this.parties.orgs.all(), licenceStore.listLicences(this.db), registryStore.listProducts(this.db, { ids: [...new Set(rows.flatMap((r) => r.products))] }),
    ]);
    const parties = new Map<string, PartyRow>();
    for (const id of new Set(rows.flatMap((r) => [r.market_user_party_id, r.operator_party_id]))) parties.set(id, await this.parties.require(id));
    const ref = (id: string) => this.parties.ref(parties.get(id)!, names);
    return rows.map((r) => ({
      id: r.id, licenceId: r.licence_id, licenceNumber: licences.find((l) => l.id === r.licence_id)?.number ?? '', marketUser: ref(r.market_user_party_id),
      operator: ref(r.operator_party_id),
      products: r.products.map((id) => { const p = products.find((x) => x.id === id); return { id, number: p?.number ?? null, name: p?.name ?? id }; }),
      purposes: r.purposes, quota: r.quota, statement: r.statement, status: r.status, appliedAt: iso(r.applied_at)!, decidedAt: iso(r.decided_at),
      reason: r.reason, accessId: r.access_id,
    }));
  }
}
