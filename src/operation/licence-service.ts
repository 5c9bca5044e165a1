import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import { assertCan, can } from '../platform/auth/permissions.js';
import { Problem, type FieldError } from '../platform/errors/problem.js';
import { endOfLocalDay, localDayStart } from '../platform/clock/local-time.js';
import type { OperationConfig } from './config.js';
import type { CatalogPort } from './catalog-port.js';
import type { PartyService } from './party-service.js';
import type { RegistryService } from './registry-service.js';
import type { AccessService } from './access-service.js';
import type { OrgEntry } from './org-names.js';
import type { OperationLicenceScope, OperationLicenceTable } from './tables.js';
import type { AttestationInput, FeeCapInput, LicenceInput, LicencePatch, LicenceView, VersionView } from './schemas.js';
import { iso, recordVersion, sha256, versionsOf } from './versions.js';
import * as store from './licence-store.js';
import { licenceContent, licenceSnapshot } from './licence-content.js';
import * as registry from './registry-store.js';

export type LicenceRow = Selectable<OperationLicenceTable>;

const DAY = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

type LicenceTerms = Omit<LicenceInput, 'operator'>;

/**
 * Licences (授权协议, 发改数据规〔2025〕27号): the implementing body authorises an operator to run products on
 * public data resources — scope (datasets and fields), scenarios and their purposes, mode (整体/分领域/依场景),
 * term, quotas, fee caps per product and billing unit, the highest grade opened, security obligations. The
 * implementing body approves, amends, suspends and terminates; suspension and termination revoke every market
 * user's key at once, suspend or withdraw the products and take back their data, and a terminated licence ends
 * with the operator's deletion attestation. Every change is a version with its snapshot in the ledger.
 */
export class LicenceService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    private readonly config: OperationConfig,
    private readonly parties: PartyService,
    private readonly registry: RegistryService,
    private readonly accesses: AccessService,
    private readonly port: CatalogPort,
    private readonly timeZone: string,
  ) {}

  /** `2026-01-01` → the start of that local day (for `validFrom`) or its end (for `validUntil`); else an ISO instant. */
  private parseTime(value: string, field: string, end: boolean, errors: FieldError[]): Date {
    const d = DATE.test(value) ? (end ? endOfLocalDay(value, this.timeZone) : localDayStart(value, this.timeZone)) : new Date(value);
    if (Number.isNaN(d.getTime())) errors.push({ field, message: 'a date (2026-12-31) or an ISO date-time' });
    return d;
  }

  /** Checks the terms; returns the scope resolved to catalog dataset ids and the term as instants. */
  private async checkTerms(terms: LicenceTerms, requireFuture: boolean): Promise<{ scope: OperationLicenceScope[]; from: Date; until: Date }> {
    const errors: FieldError[] = [];
    if (terms.mode === 'domain' && !terms.domain?.trim()) errors.push({ field: 'domain', message: 'a 分领域 licence names its field (领域)' });
    const grades = ['general', 'important', 'core'];
    if (grades.indexOf(terms.maxGrade) > grades.indexOf(this.config.maxLicensableGrade)) {
      throw new Problem('OPERATION_GRADE_NOT_LICENSABLE', {
        detail: `this city licenses data up to ${this.config.maxLicensableGrade}; ${terms.maxGrade} data is not licensed`,
        errors: [{ field: 'maxGrade', message: `at most ${this.config.maxLicensableGrade}` }],
      });
    }
    if (terms.maxGeneralLevel != null) {
      if (terms.maxGrade !== 'general') errors.push({ field: 'maxGeneralLevel', message: 'sub-levels apply to general data only' });
      else if (!this.port.generalLevels().includes(terms.maxGeneralLevel)) {
        errors.push({ field: 'maxGeneralLevel', message: `one of ${this.port.generalLevels().join(', ')}` });
      }
    }
    const codes = terms.scenarios.map((s) => s.code);
    codes.forEach((c, i) => { if (codes.indexOf(c) !== i) errors.push({ field: `scenarios/${i}/code`, message: 'duplicate scenario' }); });
    const from = this.parseTime(terms.validFrom, 'validFrom', false, errors);
    const until = this.parseTime(terms.validUntil, 'validUntil', true, errors);
    if (errors.length === 0) {
      if (until <= from) errors.push({ field: 'validUntil', message: 'must be after validFrom' });
      else if (until.getTime() - from.getTime() > this.config.maxLicenceDays * DAY) errors.push({ field: 'validUntil', message: `a term of at most ${this.config.maxLicenceDays} days` });
      if (requireFuture && until <= this.clock()) errors.push({ field: 'validUntil', message: 'must be in the future' });
    }
    const scope: OperationLicenceScope[] = [];
    for (const [i, item] of terms.scope.entries()) {
      const dataset = await this.port.dataset(item.dataset).catch(() => undefined);
      const resource = dataset && (await this.registry.resourceByDataset(dataset.id));
      if (!dataset || !resource) {
        throw new Problem('OPERATION_RESOURCE_NOT_FOUND', {
          detail: `"${item.dataset}" is not a registered public data resource (register it first)`, errors: [{ field: `scope/${i}/dataset`, message: 'not registered' }],
        });
      }
      if (dataset.shareAttr === 'not_shared') {
        throw new Problem('OPERATION_RESOURCE_NOT_LICENSABLE', {
          detail: `${dataset.identifier} is not shared (不予共享): ${dataset.shareBasis ?? ''}`.trim(), errors: [{ field: `scope/${i}/dataset`, message: 'not shared' }],
        });
      }
      if (scope.some((s) => s.datasetId === dataset.id)) errors.push({ field: `scope/${i}/dataset`, message: 'listed twice' });
      const known = new Set(dataset.fields.map((f) => f.name));
      item.fields.forEach((f, j) => { if (!known.has(f)) errors.push({ field: `scope/${i}/fields/${j}`, message: 'not a field of the dataset' }); });
      scope.push({ datasetId: dataset.id, fields: dataset.fields.filter((f) => item.fields.includes(f.name)).map((f) => f.name) });
    }
    if (errors.length > 0) throw new Problem('VALIDATION_FAILED', { errors });
    return { scope, from, until };
  }

  /** An operator applies for a licence (or the implementing body drafts one for it); it waits for approval. */
  async apply(actor: Actor, input: LicenceInput): Promise<LicenceView> {
    assertCan(actor, 'operation.licence.apply');
    const operator = await this.parties.require(input.operator, 'operator');
    await this.parties.assertOperatorOrBody(actor, operator.id);
    const { scope, from, until } = await this.checkTerms(input, true);
    const now = this.clock();
    const row = await this.db.transaction().execute(async (trx) => {
      const number = await this.registry.nextNumber(trx, 'LA');
      const l = await store.insertLicence(trx, {
        number, operator_party_id: operator.id, title: input.title, mode: input.mode, domain: input.domain?.trim() || null,
        scope: JSON.stringify(scope), max_grade: input.maxGrade, max_general_level: input.maxGeneralLevel ?? null,
        scenarios: JSON.stringify(input.scenarios), valid_from: from, valid_until: until,
        quota: JSON.stringify({ period: input.quota.period, calls: input.quota.calls ?? null, records: input.quota.records ?? null }),
        fee_caps: JSON.stringify({}), max_permitted_income_fen: input.maxPermittedIncomeFen ?? null,
        distribution_basis_points: input.distributionBasisPoints ?? null, security_obligations: JSON.stringify(input.securityObligations ?? []),
        status: 'pending', version: 1, applied_by: actorRef(actor), applied_at: now, approved_by: null, approved_at: null,
        suspended_at: null, terminated_at: null, status_reason: null, deletion_attestation: null, updated_at: now,
      });
      await recordVersion(trx, this.ledger, actor, now, {
        kind: 'licence', id: l.id, version: 1, change: 'applied', snapshot: licenceSnapshot(l), content: licenceContent(l),
        facts: { number, operator: operator.id, mode: l.mode, datasets: scope.map((s) => s.datasetId), maxGrade: l.max_grade },
      });
      return l;
    });
    return this.view(row, await this.parties.orgs.all());
  }

  /** Changes a licence at its version, with a ledgered snapshot; `facts` name what changed. */
  private async change(actor: Actor, licence: LicenceRow, change: string, patch: Partial<Record<keyof OperationLicenceTable, unknown>>, facts: Record<string, string | number | boolean | null | string[]>): Promise<LicenceRow> {
    const now = this.clock();
    return this.db.transaction().execute(async (trx) => {
      const l = await store.updateLicence(trx, licence.id, licence.version, { ...patch, version: licence.version + 1, updated_at: now } as never);
      if (!l) throw new Problem('OPERATION_LICENCE_STATE', { detail: 'the licence changed meanwhile; read it again' });
      await recordVersion(trx, this.ledger, actor, now, { kind: 'licence', id: l.id, version: l.version, change, snapshot: licenceSnapshot(l), content: licenceContent(l), facts: { number: l.number, ...facts } });
      return l;
    });
  }

  async require(id: string): Promise<LicenceRow> {
    const l = await store.findLicence(this.db, id);
    if (!l) throw new Problem('OPERATION_LICENCE_NOT_FOUND');
    return l;
  }

  private async requireAsBody(actor: Actor, id: string): Promise<LicenceRow> {
    assertCan(actor, 'operation.licence.manage');
    await this.parties.assertImplementingBody(actor);
    return this.require(id);
  }

  private assertStatus(l: LicenceRow, allowed: LicenceRow['status'][], doing: string): void {
    if (!allowed.includes(l.status)) throw new Problem('OPERATION_LICENCE_STATE', { detail: `licence ${l.number} is ${l.status}: it cannot be ${doing}` });
  }

  /** The implementing body's approval: the licence comes into force for its term. */
  async approve(actor: Actor, id: string): Promise<LicenceView> {
    const l = await this.requireAsBody(actor, id);
    this.assertStatus(l, ['pending'], 'approved');
    if (new Date(l.valid_until) <= this.clock()) throw new Problem('OPERATION_LICENCE_TERM', { detail: 'the term has already ended' });
    const row = await this.change(actor, l, 'approved', { status: 'active', approved_by: actorRef(actor), approved_at: this.clock() }, {});
    return this.view(row, await this.parties.orgs.all());
  }

  async refuse(actor: Actor, id: string, reason: string): Promise<LicenceView> {
    const l = await this.requireAsBody(actor, id);
    this.assertStatus(l, ['pending'], 'refused');
    const row = await this.change(actor, l, 'refused', { status: 'refused', status_reason: reason.trim() }, { reasonSha256: sha256(reason.trim()) });
    return this.view(row, await this.parties.orgs.all());
  }

  /** An amendment (变更) by the implementing body; the licence keeps its status. */
  async amend(actor: Actor, id: string, patch: LicencePatch): Promise<LicenceView> {
    const l = await this.requireAsBody(actor, id);
    this.assertStatus(l, ['pending', 'active', 'suspended'], 'amended');
    const merged: LicenceTerms = {
      title: patch.title ?? l.title, mode: patch.mode ?? l.mode, domain: patch.domain !== undefined ? patch.domain : l.domain,
      scope: patch.scope ?? l.scope.map((s) => ({ dataset: s.datasetId, fields: s.fields })),
      maxGrade: patch.maxGrade ?? l.max_grade, maxGeneralLevel: patch.maxGeneralLevel !== undefined ? patch.maxGeneralLevel : l.max_general_level,
      scenarios: patch.scenarios ?? l.scenarios, validFrom: patch.validFrom ?? iso(l.valid_from)!, validUntil: patch.validUntil ?? iso(l.valid_until)!,
      quota: patch.quota ?? l.quota, maxPermittedIncomeFen: patch.maxPermittedIncomeFen !== undefined ? patch.maxPermittedIncomeFen : l.max_permitted_income_fen,
      distributionBasisPoints: patch.distributionBasisPoints !== undefined ? patch.distributionBasisPoints : l.distribution_basis_points,
      securityObligations: patch.securityObligations ?? l.security_obligations,
    };
    const { scope, from, until } = await this.checkTerms(merged, false);
    const row = await this.change(actor, l, 'amended', {
      title: merged.title, mode: merged.mode, domain: merged.domain?.trim() || null, scope: JSON.stringify(scope), max_grade: merged.maxGrade,
      max_general_level: merged.maxGeneralLevel ?? null, scenarios: JSON.stringify(merged.scenarios), valid_from: from, valid_until: until,
      quota: JSON.stringify({ period: merged.quota.period, calls: merged.quota.calls ?? null, records: merged.quota.records ?? null }),
      max_permitted_income_fen: merged.maxPermittedIncomeFen ?? null, distribution_basis_points: merged.distributionBasisPoints ?? null,
      security_obligations: JSON.stringify(merged.securityObligations ?? []),
    }, { changed: Object.keys(patch) });
    // Products read what the amended scope allows: their delivery grants are made again on the next call.
    if (patch.scope) await this.port.withdraw((await registry.listProducts(this.db, { licenceId: id })).map((p) => p.id), `licence ${l.number} amended`);
    return this.view(row, await this.parties.orgs.all());
  }

  /** The fee cap (上限收费标准) of one product of the licence, set by the implementing body. */
  async setFeeCap(actor: Actor, id: string, productId: string, cap: FeeCapInput): Promise<LicenceView> {
    const l = await this.requireAsBody(actor, id);
    this.assertStatus(l, ['pending', 'active', 'suspended'], 'changed');
    const product = await this.registry.requireProduct(productId);
    if (product.licence_id !== l.id) throw new Problem('OPERATION_PRODUCT_NOT_FOUND', { detail: `the product is not under licence ${l.number}` });
    const caps = { ...l.fee_caps, [productId]: { unit: cap.unit, capFen: cap.capFen } };
    const row = await this.change(actor, l, 'fee_cap_set', { fee_caps: JSON.stringify(caps) }, { product: productId, unit: cap.unit, capFen: cap.capFen });
    return this.view(row, await this.parties.orgs.all());
  }

  /**
   * Suspends a licence at once: every market user's key of it is revoked, its registered products are suspended
   * and their delivery grants revoked in the catalog. Calls stop on every node from the next one (the key is
   * refused by identity, and the licence's status is read from the database on every call).
   */
  async suspend(actor: Actor, id: string, reason: string): Promise<LicenceView> {
    const l = await this.requireAsBody(actor, id);
    this.assertStatus(l, ['active'], 'suspended');
    const now = this.clock();
    const row = await this.change(actor, l, 'suspended', { status: 'suspended', suspended_at: now, status_reason: reason.trim() }, { reasonSha256: sha256(reason.trim()) });
    await this.stopEverything(actor, row, `licence ${l.number} suspended`, 'suspend');
    return this.view(row, await this.parties.orgs.all());
  }

  /** Resumes a suspended licence: its products come back; market users need new keys. */
  async resume(actor: Actor, id: string): Promise<LicenceView> {
    const l = await this.requireAsBody(actor, id);
    this.assertStatus(l, ['suspended'], 'resumed');
    const now = this.clock();
    const row = await this.db.transaction().execute(async (trx) => {
      const resumed = await registry.setLicenceProductsSuspended(trx, id, false, now, null);
      const next = await store.updateLicence(trx, l.id, l.version, { status: 'active', suspended_at: null, status_reason: null, version: l.version + 1, updated_at: now });
      if (!next) throw new Problem('OPERATION_LICENCE_STATE', { detail: 'the licence changed meanwhile; read it again' });
      await recordVersion(trx, this.ledger, actor, now, {
        kind: 'licence', id, version: next.version, change: 'resumed', snapshot: licenceSnapshot(next), content: licenceContent(next),
        facts: { number: l.number, productsResumed: resumed.length },
      });
      return next;
    });
    return this.view(row, await this.parties.orgs.all());
  }

  /** Terminates a licence for good: keys revoked, products withdrawn, data taken back; the operator attests deletion. */
  async terminate(actor: Actor, id: string, reason: string): Promise<LicenceView> {
    const l = await this.requireAsBody(actor, id);
    this.assertStatus(l, ['pending', 'active', 'suspended'], 'terminated');
    const now = this.clock();
    const row = await this.change(actor, l, 'terminated', { status: 'terminated', terminated_at: now, status_reason: reason.trim() }, { reasonSha256: sha256(reason.trim()) });
    await this.stopEverything(actor, row, `licence ${l.number} terminated`, 'withdraw');
    return this.view(row, await this.parties.orgs.all());
  }

  /** Keys, products and delivery grants of a licence that stops; each step ledgered. */
  private async stopEverything(actor: Actor, l: LicenceRow, reason: string, products: 'suspend' | 'withdraw'): Promise<void> {
    const now = this.clock();
    const keys = await this.accesses.revokeForLicence(actor, l.id, reason);
    await this.db.transaction().execute(async (trx) => {
      const rows = products === 'suspend'
        ? await registry.setLicenceProductsSuspended(trx, l.id, true, now, reason)
        : await registry.withdrawLicenceProducts(trx, l.id, now, reason);
      await this.ledger.append(`operation.licence.products_${products === 'suspend' ? 'suspended' : 'withdrawn'}`, actor, `operation_licence:${l.id}`, {
        number: l.number, products: rows.map((r) => r.id), keysRevoked: keys,
      }, { trx });
    });
    await this.port.withdraw((await registry.listProducts(this.db, { licenceId: l.id })).map((p) => p.id), reason);
  }

  /** The operator's attestation that it deleted what it held under a terminated licence (数据销毁). */
  async attestDeletion(actor: Actor, id: string, input: AttestationInput): Promise<LicenceView> {
    assertCan(actor, 'operation.licence.attest');
    const l = await this.require(id);
    const operator = await this.parties.operatorOf(actor);
    if (!operator || operator.id !== l.operator_party_id) throw new Problem('OPERATION_NOT_OPERATOR');
    this.assertStatus(l, ['terminated'], 'attested before termination');
    if (l.deletion_attestation) throw new Problem('OPERATION_LICENCE_STATE', { detail: 'deletion is already attested' });
    const errors: FieldError[] = [];
    const deletedAt = this.parseTime(input.deletedAt, 'deletedAt', true, errors);
    if (errors.length > 0) throw new Problem('VALIDATION_FAILED', { errors });
    const attestation = {
      statement: input.statement.trim(), deletedAt: deletedAt.toISOString(), evidenceSha256: input.evidenceSha256 ?? null,
      attestedAt: this.clock().toISOString(), attestedBy: actorRef(actor),
    };
    const row = await this.change(actor, l, 'deletion_attested', { deletion_attestation: JSON.stringify(attestation) }, {
      statementSha256: sha256(attestation.statement), evidenceSha256: attestation.evidenceSha256, deletedAt: attestation.deletedAt,
    });
    return this.view(row, await this.parties.orgs.all());
  }

  /** Licences the actor may see: the implementing body and supervisors all, an operator its own. */
  async list(actor: Actor): Promise<LicenceView[]> {
    assertCan(actor, 'operation.licence.read');
    const names = await this.parties.orgs.all();
    const rows = await this.visible(actor);
    return Promise.all(rows.map((l) => this.view(l, names)));
  }

  private async visible(actor: Actor): Promise<LicenceRow[]> {
    if (actor.roles.includes('admin') || can(actor, 'operation.review.read')) return store.listLicences(this.db);
    const operator = await this.parties.operatorOf(actor);
    return operator ? store.listLicences(this.db, operator.id) : [];
  }

  async get(actor: Actor, id: string): Promise<LicenceView> {
    assertCan(actor, 'operation.licence.read');
    const l = (await this.visible(actor)).find((x) => x.id === id);
    if (!l) throw new Problem('OPERATION_LICENCE_NOT_FOUND');
    return this.view(l, await this.parties.orgs.all());
  }

  async versions(actor: Actor, id: string): Promise<VersionView[]> {
    await this.get(actor, id);
    return versionsOf(this.db, 'licence', id);
  }

  async view(l: LicenceRow, names: Map<string, OrgEntry>): Promise<LicenceView> {
    const operator = await this.parties.require(l.operator_party_id);
    const scope = await Promise.all(l.scope.map(async (s) => {
      const r = await this.registry.resourceByDataset(s.datasetId);
      return {
        datasetId: s.datasetId, identifier: r?.identifier ?? s.datasetId, title: r?.title ?? '', resourceNumber: r?.number ?? '',
        providerOrgId: r?.provider_org_id ?? '', fields: s.fields,
      };
    }));
    const products = new Map((await registry.listProducts(this.db, { licenceId: l.id })).map((p) => [p.id, p]));
    return {
      id: l.id, number: l.number, operator: this.parties.ref(operator, names), title: l.title, mode: l.mode, domain: l.domain, scope,
      maxGrade: l.max_grade, maxGeneralLevel: l.max_general_level, scenarios: l.scenarios, validFrom: iso(l.valid_from)!, validUntil: iso(l.valid_until)!,
      quota: l.quota,
      feeCaps: Object.entries(l.fee_caps).map(([productId, c]) => ({ productId, productNumber: products.get(productId)?.number ?? null, unit: c.unit, capFen: c.capFen })),
      maxPermittedIncomeFen: l.max_permitted_income_fen, distributionBasisPoints: l.distribution_basis_points, securityObligations: l.security_obligations,
      status: l.status, version: l.version, appliedAt: iso(l.applied_at)!, appliedBy: l.applied_by, approvedAt: iso(l.approved_at), approvedBy: l.approved_by,
      suspendedAt: iso(l.suspended_at), terminatedAt: iso(l.terminated_at), statusReason: l.status_reason, deletionAttestation: l.deletion_attestation,
      updatedAt: iso(l.updated_at)!,
    };
  }
}
