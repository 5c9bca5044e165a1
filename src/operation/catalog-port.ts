import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { systemActor, type Actor, type Role } from '../platform/auth/roles.js';
import { isProblem, Problem } from '../platform/errors/problem.js';
import type { AggregateAnswer, CatalogServices, DatasetView, GrantDecision, LookupAnswer, RowsPage } from '../catalog/index.js';
import type { OperationConfig } from './config.js';
import type { Grade } from './schemas.js';
import { StaleTerms } from './call-terms.js';
import * as store from './delivery-store.js';

/** The slice of identity the port needs: making the in-domain organisation once. */
export interface OrgMaker {
  insertOrg(actor: Actor, input: { name: string; kind: 'other' }): Promise<{ id: string }>;
}

/** What a product reads and under which terms: the request the port makes to the catalog for it. */
export interface DeliveryNeed {
  productId: string;
  datasetId: string;
  /** statistics read aggregates only; the other types read rows inside the domain */
  aggregateOnly: boolean;
  fields: string[];
  /** summable fields of a statistics product, with their clipping bounds */
  sumBounds: Record<string, { min: number; max: number }>;
  /** the licence's end: a grant never outlives it */
  until: Date;
  /**
   * Decided on a node's copy of the call terms: such a call reads through a live grant only and never makes one
   * (a suspended product's grant is gone; a copy that still says "registered" must not ask the catalog again).
   */
  onCopy: boolean;
  /** shown to the providing department and, through "who used my data", to citizens */
  purpose: string;
  legalBasis: string;
}

/** The catalog as the module reads it (the catalog's own reader, for schemas and grading). */
const reader = systemActor('operation', ['data_admin']);
/** The product itself acting, with the narrowest roles each catalog step needs. */
const deliveryActor = (roles: Role[], orgId: string | null): Actor =>
  Object.freeze({ kind: 'system', id: 'operation-delivery', username: 'operation-delivery', orgId, roles }) as Actor;

const DAY = 86_400_000;

/**
 * The seam between authorized operation and the catalog: a licence is not a department's share grant (other
 * parties, fees and disclosure), but its products read data through the same gateway, masking, quotas, privacy
 * budgets and per-call ledger entries as sharing does, not through a copy.
 *
 * Each product reads through a grant of its own, made by the catalog's sharing service to one in-domain
 * organisation (`delivery.orgName`) that no person or key of the operator belongs to: the product's fields,
 * unmasked where the dataset is conditionally shared (the licence is the decision, made on the providing
 * department's behalf as `system:operation-delivery`; the department sees the grant among its own and may
 * revoke it), aggregates only for statistics (whose answers then pass the catalog's disclosure control, with a
 * privacy budget per product), and never beyond the licence's term. A grant that expires is renewed on the next
 * call; one revoked by the department stops the product until the implementing body suspends and resumes it (or
 * registers a changed version), which asks the catalog again.
 */
export class CatalogPort {
  constructor(
    private readonly catalog: CatalogServices,
    private readonly orgs: OrgMaker,
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    private readonly config: OperationConfig,
  ) {}

  /** A dataset with its field schema and grading, as the catalog holds it now. */
  dataset(ref: string): Promise<DatasetView> {
    return this.catalog.catalog.getDataset(reader, ref);
  }

  /**
   * A dataset's owner and its fields' grades as the catalog holds them now — the two reads a call needs (the
   * grade check and the providing department), without the dataset's full view.
   */
  async grading(datasetId: string): Promise<{ ownerOrgId: string; fields: Array<{ name: string; grade: Grade; generalLevel: string | null }> }> {
    const [dataset, fields] = await Promise.all([this.catalog.catalog.requireDataset(datasetId), this.catalog.catalog.fields(datasetId)]);
    return { ownerOrgId: dataset.owner_org_id, fields: fields.map((f) => ({ name: f.name, grade: f.grade, generalLevel: f.general_level })) };
  }

  /** The configured sub-levels of general data, least sensitive first. */
  generalLevels(): string[] {
    return this.catalog.catalog.vocabulary(reader).generalLevels;
  }

  /** The in-domain organisation holding the delivery grants, made on first use (once, whichever node is first). */
  async deliveryOrg(): Promise<string> {
    // Set once and never changed, so a node keeps it once read.
    if (this.orgId) return this.orgId;
    const known = await store.findSetting(this.db, 'delivery_org_id');
    if (known) return (this.orgId = known.value);
    const org = await this.orgs.insertOrg(deliveryActor([], null), { name: this.config.delivery.orgName, kind: 'other' });
    return (this.orgId = await store.claimSetting(this.db, 'delivery_org_id', org.id));
  }

  private orgId: string | undefined;

  /**
   * The product's live delivery grant, made (or renewed after it expired) when there is none. A node keeps the
   * grant it last read until it expires; when the catalog refuses a kept one (revoked meanwhile, on this node or
   * another), the caller forgets it and reads again (`withGrant`).
   */
  async grantFor(need: DeliveryNeed): Promise<string> {
    const now = this.clock();
    const kept = this.kept.get(need.productId);
    if (kept && kept.expiresAt > now) return kept.shareGrantId;
    const current = await store.findActiveDeliveryGrant(this.db, need.productId);
    if (current && new Date(current.expires_at) > now) {
      this.kept.set(need.productId, { shareGrantId: current.share_grant_id, expiresAt: new Date(current.expires_at) });
      return current.share_grant_id;
    }
    if (need.onCopy) throw new StaleTerms();
    if (current) await store.retireDeliveryGrant(this.db, current.id, now);
    const made = await this.makeGrant(need);
    const recorded = await store.findActiveDeliveryGrant(this.db, need.productId);
    if (recorded) this.kept.set(need.productId, { shareGrantId: recorded.share_grant_id, expiresAt: new Date(recorded.expires_at) });
    return made;
  }

  /** The delivery grant this node last read per product. */
  private readonly kept = new Map<string, { shareGrantId: string; expiresAt: Date }>();

  private async makeGrant(need: DeliveryNeed): Promise<string> {
    const now = this.clock();
    const orgId = await this.deliveryOrg();
    const dataset = await this.dataset(need.datasetId);
    const until = new Date(Math.min(need.until.getTime(), now.getTime() + this.config.delivery.grantDays * DAY));
    let grantId: string;
    try {
      const asked = await this.catalog.sharing.request(deliveryActor(['handler'], orgId), {
        dataset: need.datasetId, fields: need.fields, purpose: need.purpose, legalBasis: need.legalBasis,
        until: until.toISOString(), aggregateOnly: need.aggregateOnly,
      });
      if (asked.grant) {
        // Unconditionally shared: granted at once with the owner's default masks (checked at registration).
        grantId = asked.grant.id;
      } else {
        const decision: GrantDecision = {
          decision: 'grant', aggregateOnly: need.aggregateOnly,
          masks: Object.fromEntries(need.fields.map((f) => [f, { fn: 'none' as const }])),
          maxRowsPerDay: this.config.delivery.maxRowsPerDay, maxCallsPerMinute: this.config.delivery.maxCallsPerMinute,
          ...(need.aggregateOnly ? { epsilon: this.config.statistics.budgetEpsilon, sumBounds: need.sumBounds } : {}),
        };
        const decided = await this.catalog.sharing.decide(deliveryActor(['dept_data_owner'], dataset.ownerOrgId), asked.request.id, decision);
        grantId = decided.grant!.id;
      }
    } catch (err) {
      if (isProblem(err)) {
        throw new Problem('OPERATION_SUPPLY_REFUSED', {
          detail: `the catalog refused the product's data (${err.code}: ${err.detail ?? err.title})`, extra: { rule: 'catalog.grant', catalogCode: err.code },
        });
      }
      throw err;
    }
    const recorded = await this.db.transaction().execute(async (trx) => {
      const row = await store.insertDeliveryGrant(trx, {
        product_id: need.productId, dataset_id: need.datasetId, share_grant_id: grantId, expires_at: until, status: 'active', created_at: now,
      });
      if (row) {
        await this.ledger.append('operation.delivery.granted', deliveryActor(['handler'], orgId), `operation_product:${need.productId}`, {
          shareGrant: grantId, dataset: need.datasetId, fields: need.fields, aggregateOnly: need.aggregateOnly, until: until.toISOString(),
        }, { trx });
      }
      return row;
    });
    if (recorded) return grantId;
    // Another node made one first: keep theirs, give this one back.
    await this.catalog.sharing.revoke(deliveryActor(['data_admin'], null), grantId, 'duplicate delivery grant (another node made one first)');
    const winner = await store.findActiveDeliveryGrant(this.db, need.productId);
    return winner!.share_grant_id;
  }

  /**
   * Takes back the delivery grants of products (a licence suspended or terminated, a product suspended): the
   * catalog revokes them at once, so nothing reads the data on any node from then on.
   */
  async withdraw(productIds: string[], reason: string): Promise<number> {
    const now = this.clock();
    for (const id of productIds) this.kept.delete(id);
    let n = 0;
    for (const g of await store.listActiveDeliveryGrants(this.db, productIds)) {
      await store.retireDeliveryGrant(this.db, g.id, now);
      try {
        await this.catalog.sharing.revoke(deliveryActor(['data_admin'], null), g.share_grant_id, reason);
      } catch (err) {
        // already revoked by the department: nothing left to take back
        if (!(isProblem(err) && err.code === 'SHARE_GRANT_REVOKED')) throw err;
      }
      n += 1;
    }
    return n;
  }

  /** Forgets a product's delivery grant that the department revoked, so a new registration asks again. */
  async forget(productId: string): Promise<void> {
    await this.withdraw([productId], 'product registered again');
  }

  /**
   * Reads the product's rows in pages through the gateway (inside the domain: nothing of them leaves the
   * module) until `visit` returns true. Only the product's fields, unmasked as its grant says.
   */
  async scan(need: DeliveryNeed, fields: string[], visit: (row: Record<string, unknown>) => boolean | void): Promise<number> {
    return this.withGrant(need, async (grant, actor) => {
      let after: number | undefined;
      let read = 0;
      for (;;) {
        const answer = await this.catalog.gateway.rows(actor, need.datasetId, { grant, after, limit: this.config.delivery.pageSize, fields, format: 'json' });
        const page = JSON.parse(answer.body) as RowsPage;
        for (const row of page.rows) {
          read += 1;
          if (visit(row)) return read;
        }
        if (page.next === null) return read;
        after = page.next;
      }
    });
  }

  /**
   * The rows whose looked-up fields equal the given values, read by key through the gateway (only they are read
   * and logged for "who used my data"); `within` runs in the gateway's transaction, so the call's metering
   * commits with the read's ledger entry.
   */
  lookup<T>(need: DeliveryNeed, match: Record<string, string | number | boolean>, fields: string[], within: (answer: LookupAnswer, trx: Db) => Promise<T>): Promise<T> {
    return this.withGrant(need, (grant, actor) => this.catalog.gateway.lookup(actor, need.datasetId, { grant, match, fields, limit: this.config.delivery.lookupLimit }, within));
  }

  /** Noisy counts and sums per group through the catalog's disclosure control, charged to the product's grant. */
  aggregate(need: DeliveryNeed, groupBy: string[], sum: string[], epsilon: number): Promise<AggregateAnswer> {
    return this.withGrant(need, (grant, actor) => this.catalog.gateway.aggregate(actor, need.datasetId, { groupBy, sum, grant, epsilon }));
  }

  /** Runs a gateway read under the product's grant, renewing an expired grant once and naming what stopped it. */
  private async withGrant<T>(need: DeliveryNeed, read: (grant: string, actor: Actor) => Promise<T>): Promise<T> {
    const actor = deliveryActor(['handler'], await this.deliveryOrg());
    for (let attempt = 0; ; attempt++) {
      const wasKept = this.kept.has(need.productId);
      const grant = await this.grantFor(need);
      try {
        return await read(grant, actor);
      } catch (err) {
        // the module's own refusals (a quota met while metering inside the read's transaction) pass as they are
        if (!isProblem(err) || err.code.startsWith('OPERATION_')) throw err;
        this.kept.delete(need.productId);
        if (attempt > 0) throw translate(err);
        if (err.code === 'SHARE_GRANT_EXPIRED') {
          const current = await store.findActiveDeliveryGrant(this.db, need.productId);
          if (current) await store.retireDeliveryGrant(this.db, current.id, this.clock());
          continue;
        }
        // A kept grant the catalog no longer honours: read the current one from the database and try once more.
        if (wasKept && (err.code === 'SHARE_GRANT_REVOKED' || err.code === 'SHARE_NO_GRANT')) continue;
        throw translate(err);
      }
    }
  }
}

/** A catalog refusal in the words of authorized operation (the catalog's code kept as `catalogCode`). */
function translate(err: Problem): Problem {
  const extra = { catalogCode: err.code };
  switch (err.code) {
    case 'SHARE_GRANT_REVOKED':
    case 'SHARE_NO_GRANT':
      return new Problem('OPERATION_SUPPLY_WITHDRAWN', { detail: 'the providing department revoked the data supply of this product', extra: { ...extra, rule: 'catalog.grant' } });
    case 'SHARE_QUOTA_EXCEEDED':
    case 'SHARE_RATE_LIMITED':
      return new Problem('OPERATION_SUPPLY_LIMITED', { detail: err.detail, retryAfterSeconds: err.retryAfterSeconds, extra: { ...extra, rule: 'catalog.quota' } });
    case 'CATALOG_PRIVACY_BUDGET_SPENT':
      return new Problem('OPERATION_PRIVACY_BUDGET_SPENT', { detail: err.detail, extra: { ...extra, rule: 'catalog.privacy_budget' } });
    default:
      return new Problem('OPERATION_SUPPLY_REFUSED', { detail: `${err.code}: ${err.detail ?? err.title}`, extra: { ...extra, rule: 'catalog.gateway' } });
  }
}
