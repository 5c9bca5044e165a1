import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import { assertCan, can } from '../platform/auth/permissions.js';
import { Problem, type FieldError } from '../platform/errors/problem.js';
import type { DatasetView } from '../catalog/index.js';
import type { OperationConfig } from './config.js';
import type { CatalogPort } from './catalog-port.js';
import type { PartyService } from './party-service.js';
import type { OrgEntry } from './org-names.js';
import type { OperationLicenceTable, OperationProductTable, OperationResourceTable } from './tables.js';
import type {
  CertificateView, Grade, PriceInput, ProductInput, ProductPatch, ProductSpec, ProductView, ResourceField, ResourceInput, ResourceView,
  VersionView,
} from './schemas.js';
import { above, gradeText } from './grading.js';
import { disclosureRuleOf, outputSchemaOf, readFields } from './product-runners.js';
import { registrationNumber, type NumberKind } from './registration-numbers.js';
import { withinCap } from './fee-rules.js';
import { iso, recordVersion, sha256, versionsOf } from './versions.js';
import { canonicalJson } from '../platform/ledger/entry-body.js';
import * as store from './registry-store.js';
import * as licenceStore from './licence-store.js';

export type ResourceRow = Selectable<OperationResourceTable>;
export type ProductRow = Selectable<OperationProductTable>;
export type LicenceRow = Selectable<OperationLicenceTable>;

/** What a product reads, checked against its licence and the catalog's grading as they stand. */
export interface ProductCheck {
  dataset: DatasetView;
  fields: string[];
  fieldGrades: Array<{ field: string; grade: Grade; generalLevel: string | null }>;
}

const rowProducts = new Set(['verification', 'score', 'model_inference', 'sandbox_query']);

/**
 * Registration (登记, 《公共数据资源登记管理暂行办法》): public data resources — catalog datasets with their grading
 * as read from the catalog — and the data products derived from them, each with a registration number, a
 * certificate, and every change versioned and ledgered. A product reading a field graded above what its
 * licence allows, or outside the licence's scope or scenarios, cannot be registered.
 */
export class RegistryService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    private readonly config: OperationConfig,
    private readonly parties: PartyService,
    private readonly port: CatalogPort,
    /** The city's IANA time zone: registration numbers carry the local year. */
    private readonly timeZone: string,
  ) {}

  /** The next registration number of a kind for the current local year. */
  async nextNumber(trx: Db, kind: NumberKind): Promise<string> {
    const year = Number(new Intl.DateTimeFormat('en-US', { timeZone: this.timeZone, year: 'numeric' }).format(this.clock()));
    return registrationNumber(this.config.registrationPrefix, kind, year, await store.nextSequence(trx, `${kind}:${year}`));
  }

  // ── data resources ───────────────────────────────────────────────────────────────────────────────────

  private resourceSnapshot(d: DatasetView): { fields: ResourceField[]; snapshot: Record<string, unknown> } {
    const fields = d.fields.map((f) => ({ name: f.name, title: f.title, grade: f.grade, generalLevel: f.generalLevel, personal: f.personal }));
    return {
      fields,
      snapshot: {
        dataset: d.id, identifier: d.identifier, title: d.title, provider: d.ownerOrgId, grade: d.grade, generalLevel: d.generalLevel,
        shareAttr: d.shareAttr, catalogVersion: d.version, fields,
      },
    };
  }

  /** Registers a catalog dataset as a public data resource (数据资源登记): the implementing body. */
  async registerResource(actor: Actor, input: ResourceInput): Promise<ResourceView> {
    assertCan(actor, 'operation.registry.manage');
    await this.parties.assertImplementingBody(actor);
    const d = await this.port.dataset(input.dataset);
    if (await store.findResourceByDataset(this.db, d.id)) throw new Problem('OPERATION_RESOURCE_EXISTS');
    const { fields, snapshot } = this.resourceSnapshot(d);
    const now = this.clock();
    const row = await this.db.transaction().execute(async (trx) => {
      const number = await this.nextNumber(trx, 'DR');
      const r = await store.insertResource(trx, {
        number, dataset_id: d.id, identifier: d.identifier, title: d.title, provider_org_id: d.ownerOrgId, grade: d.grade,
        general_level: d.generalLevel, share_attr: d.shareAttr, fields: JSON.stringify(fields), version: 1,
        registered_by: actorRef(actor), registered_at: now, updated_at: now,
      });
      await recordVersion(trx, this.ledger, actor, now, {
        kind: 'resource', id: r.id, version: 1, change: 'registered', snapshot: { number, ...snapshot },
        facts: { number, dataset: d.id, grade: d.grade, provider: d.ownerOrgId },
      });
      return r;
    });
    return this.resourceView(row, await this.parties.orgs.all());
  }

  /** Reads the dataset's grading again; a change makes a new version (变更登记). */
  async refreshResource(actor: Actor, id: string): Promise<ResourceView> {
    assertCan(actor, 'operation.registry.manage');
    await this.parties.assertImplementingBody(actor);
    const current = await this.requireResource(id);
    const d = await this.port.dataset(current.dataset_id);
    const { fields, snapshot } = this.resourceSnapshot(d);
    const previous = await store.latestVersion(this.db, 'resource', id);
    const { number: _n, ...was } = (previous?.snapshot ?? {}) as Record<string, unknown>;
    if (canonicalJson(was) === canonicalJson(snapshot)) return this.resourceView(current, await this.parties.orgs.all());
    const now = this.clock();
    const row = await this.db.transaction().execute(async (trx) => {
      const r = await store.updateResource(trx, id, {
        title: d.title, identifier: d.identifier, provider_org_id: d.ownerOrgId, grade: d.grade, general_level: d.generalLevel,
        share_attr: d.shareAttr, fields: JSON.stringify(fields), version: current.version + 1, updated_at: now,
      });
      await recordVersion(trx, this.ledger, actor, now, {
        kind: 'resource', id, version: r.version, change: 'updated', snapshot: { number: r.number, ...snapshot },
        facts: { number: r.number, dataset: d.id, grade: d.grade, gradeChanged: d.grade !== current.grade },
      });
      return r;
    });
    return this.resourceView(row, await this.parties.orgs.all());
  }

  async listResources(actor: Actor): Promise<ResourceView[]> {
    assertCan(actor, 'operation.registry.read');
    const names = await this.parties.orgs.all();
    return (await store.listResources(this.db)).map((r) => this.resourceView(r, names));
  }

  async resourceVersions(actor: Actor, id: string): Promise<VersionView[]> {
    assertCan(actor, 'operation.registry.read');
    await this.requireResource(id);
    return versionsOf(this.db, 'resource', id);
  }

  async requireResource(id: string): Promise<ResourceRow> {
    const r = await store.findResource(this.db, id);
    if (!r) throw new Problem('OPERATION_RESOURCE_NOT_FOUND');
    return r;
  }

  resourceByDataset(datasetId: string): Promise<ResourceRow | undefined> {
    return store.findResourceByDataset(this.db, datasetId);
  }

  resourceView(r: ResourceRow, names: Map<string, OrgEntry>): ResourceView {
    return {
      id: r.id, number: r.number, datasetId: r.dataset_id, identifier: r.identifier, title: r.title, providerOrgId: r.provider_org_id,
      providerName: names.get(r.provider_org_id)?.name ?? null, grade: r.grade, generalLevel: r.general_level, shareAttr: r.share_attr,
      fields: r.fields, version: r.version, registeredAt: iso(r.registered_at)!, updatedAt: iso(r.updated_at)!,
    };
  }

  // ── products ─────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Checks a product against its licence and the catalog as they stand: the scenario is the licence's, the
   * dataset and every field it reads are in the licence's scope, no field is graded above the licence's ceiling,
   * and the catalog can deliver the fields as the product needs them. Refusals name the field and its grade.
   */
  async check(licence: LicenceRow, scenario: string, spec: ProductSpec): Promise<ProductCheck> {
    if (!licence.scenarios.some((s) => s.code === scenario)) {
      throw new Problem('OPERATION_SCENARIO_NOT_LICENSED', {
        detail: `scenario "${scenario}" is not among licence ${licence.number}'s (${licence.scenarios.map((s) => s.code).join(', ')})`,
        errors: [{ field: 'scenario', message: 'not a scenario of the licence' }],
      });
    }
    const dataset = await this.port.dataset(spec.dataset);
    const scope = licence.scope.find((s) => s.datasetId === dataset.id);
    if (!scope) {
      throw new Problem('OPERATION_FIELD_OUTSIDE_LICENCE', {
        detail: `dataset "${dataset.identifier}" is not in licence ${licence.number}'s scope`, errors: [{ field: 'spec/dataset', message: 'not licensed' }],
        extra: { rule: 'licence.scope', dataset: dataset.identifier },
      });
    }
    const fields = readFields(spec);
    const schema = new Map(dataset.fields.map((f) => [f.name, f]));
    const unknown = fields.filter((f) => !schema.has(f));
    if (unknown.length > 0) {
      throw new Problem('VALIDATION_FAILED', { errors: unknown.map((f) => ({ field: 'spec', message: `"${f}" is not a field of ${dataset.identifier}` })) });
    }
    const outside = fields.filter((f) => !scope.fields.includes(f));
    if (outside.length > 0) {
      throw new Problem('OPERATION_FIELD_OUTSIDE_LICENCE', {
        detail: `field "${outside[0]}" of ${dataset.identifier} is outside licence ${licence.number}'s scope`,
        errors: outside.map((f) => ({ field: 'spec', message: `"${f}" is not in the licence's scope` })),
        extra: { rule: 'licence.scope', fields: outside },
      });
    }
    const limit = { grade: licence.max_grade, generalLevel: licence.max_grade === 'general' ? licence.max_general_level : null };
    const levels = this.port.generalLevels();
    const tooHigh = fields.map((f) => schema.get(f)!).filter((f) => above({ grade: f.grade, generalLevel: f.generalLevel }, limit, levels));
    if (tooHigh.length > 0) {
      const f = tooHigh[0]!;
      throw new Problem('OPERATION_GRADE_ABOVE_LICENCE', {
        detail: `field "${f.name}" (${f.title}) of ${dataset.identifier} is graded ${gradeText(f)}; licence ${licence.number} allows ${gradeText(limit)} at most`,
        errors: tooHigh.map((x) => ({ field: 'spec', message: `"${x.name}" is graded ${gradeText(x)}, above the licence's ${gradeText(limit)}` })),
        extra: { rule: 'licence.grade', field: f.name, grade: f.grade, generalLevel: f.generalLevel, licenceMaxGrade: limit.grade, licenceMaxGeneralLevel: limit.generalLevel },
      });
    }
    if (dataset.shareAttr === 'not_shared') {
      throw new Problem('OPERATION_RESOURCE_NOT_LICENSABLE', { detail: `${dataset.identifier} is not shared (不予共享): it cannot be delivered to a product` });
    }
    if (dataset.shareAttr === 'unconditional') {
      // The catalog grants unconditionally shared datasets at once with the owner's default masks and no sum
      // bounds: a product cannot compute on a value it only sees masked.
      const masked = spec.type === 'statistics' ? (spec.sum ?? []).map((s) => s.field)
        : rowProducts.has(spec.type) ? fields.filter((f) => schema.get(f)!.defaultMask.fn !== 'none') : [];
      if (masked.length > 0) {
        throw new Problem('OPERATION_FIELD_MASKED_IN_DELIVERY', {
          detail: `field "${masked[0]}" of ${dataset.identifier} reaches products masked (the dataset is unconditionally shared with default masks)`,
          errors: masked.map((f) => ({ field: 'spec', message: `"${f}" is delivered masked` })),
        });
      }
    }
    const errors: FieldError[] = [];
    if (spec.type === 'statistics') {
      if (spec.epsilon > this.config.statistics.maxEpsilonPerRelease) errors.push({ field: 'spec/epsilon', message: `at most ${this.config.statistics.maxEpsilonPerRelease}` });
      (spec.sum ?? []).forEach((s, i) => {
        const f = schema.get(s.field)!;
        if (f.type !== 'integer' && f.type !== 'number') errors.push({ field: `spec/sum/${i}/field`, message: 'not a numeric field' });
        if (!(s.min <= s.max)) errors.push({ field: `spec/sum/${i}/max`, message: 'must not be below min' });
      });
    }
    if (spec.type === 'score' && !(spec.min <= spec.max)) errors.push({ field: 'spec/max', message: 'must not be below min' });
    if (errors.length > 0) throw new Problem('VALIDATION_FAILED', { errors });
    return {
      dataset, fields,
      fieldGrades: fields.map((f) => ({ field: f, grade: schema.get(f)!.grade, generalLevel: schema.get(f)!.generalLevel })),
    };
  }

  private productSnapshot(p: Pick<ProductRow, 'number' | 'licence_id' | 'name' | 'description' | 'type' | 'scenario' | 'dataset_id' | 'fields' | 'field_grades' | 'spec' | 'output_schema' | 'disclosure_rule' | 'price' | 'status'>): Record<string, unknown> {
    return {
      number: p.number, licence: p.licence_id, name: p.name, description: p.description, type: p.type, scenario: p.scenario,
      dataset: p.dataset_id, fields: p.fields, fieldGrades: p.field_grades, spec: p.spec, outputSchema: p.output_schema,
      disclosureRule: p.disclosure_rule, price: p.price, status: p.status,
    };
  }

  private async licenceOf(id: string): Promise<LicenceRow> {
    const licence = await licenceStore.findLicence(this.db, id);
    if (!licence) throw new Problem('OPERATION_LICENCE_NOT_FOUND', { errors: [{ field: 'licence', message: 'no such licence' }] });
    return licence;
  }

  /** The operator applies to register a product under one of its licences; the implementing body registers it. */
  async submitProduct(actor: Actor, input: ProductInput): Promise<ProductView> {
    assertCan(actor, 'operation.product.register');
    const licence = await this.licenceOf(input.licence);
    const operator = await this.parties.operatorOf(actor);
    if (!operator || operator.id !== licence.operator_party_id) throw new Problem('OPERATION_NOT_OPERATOR');
    if (licence.status !== 'pending' && licence.status !== 'active') {
      throw new Problem('OPERATION_LICENCE_STATE', { detail: `licence ${licence.number} is ${licence.status}` });
    }
    const checked = await this.check(licence, input.scenario, input.spec);
    const now = this.clock();
    const row = await this.db.transaction().execute(async (trx) => {
      const fields = {
        number: null, licence_id: licence.id, name: input.name, description: input.description, type: input.spec.type,
        scenario: input.scenario, dataset_id: checked.dataset.id, fields: checked.fields, field_grades: checked.fieldGrades,
        spec: input.spec, output_schema: outputSchemaOf(input.spec), disclosure_rule: disclosureRuleOf(input.spec), price: null, status: 'pending' as const,
      };
      const p = await store.insertProduct(trx, {
        ...fields, operator_party_id: operator.id, field_grades: JSON.stringify(fields.field_grades), spec: JSON.stringify(fields.spec),
        output_schema: JSON.stringify(fields.output_schema), disclosure_rule: JSON.stringify(fields.disclosure_rule),
        suspended_by_licence: false, status_reason: null, version: 1, submitted_by: actorRef(actor), submitted_at: now, registered_at: null, updated_at: now,
      });
      await recordVersion(trx, this.ledger, actor, now, {
        kind: 'product', id: p.id, version: 1, change: 'submitted', snapshot: this.productSnapshot(fields),
        facts: { licence: licence.id, type: p.type, dataset: p.dataset_id, fields: p.fields },
      });
      return p;
    });
    return this.productView(row, await this.parties.orgs.all());
  }

  /** A registration change (变更登记) by the operator: a new version that the implementing body registers again. */
  async changeProduct(actor: Actor, id: string, patch: ProductPatch): Promise<ProductView> {
    assertCan(actor, 'operation.product.register');
    const product = await this.requireProduct(id);
    const operator = await this.parties.operatorOf(actor);
    if (!operator || operator.id !== product.operator_party_id) throw new Problem('OPERATION_NOT_OPERATOR');
    if (product.status === 'withdrawn') throw new Problem('OPERATION_PRODUCT_STATE', { detail: 'the product is withdrawn' });
    const licence = await this.licenceOf(product.licence_id);
    const spec = patch.spec ?? product.spec;
    if (spec.type !== product.type) throw new Problem('VALIDATION_FAILED', { errors: [{ field: 'spec/type', message: 'a product keeps its type' }] });
    const scenario = patch.scenario ?? product.scenario;
    const checked = await this.check(licence, scenario, spec);
    const now = this.clock();
    const next = {
      number: product.number, licence_id: product.licence_id, name: patch.name ?? product.name, description: patch.description ?? product.description,
      type: product.type, scenario, dataset_id: checked.dataset.id, fields: checked.fields, field_grades: checked.fieldGrades, spec,
      output_schema: outputSchemaOf(spec), disclosure_rule: disclosureRuleOf(spec), price: product.price, status: 'pending' as const,
    };
    const row = await this.db.transaction().execute(async (trx) => {
      const p = await store.updateProduct(trx, id, product.version, {
        ...next, field_grades: JSON.stringify(next.field_grades), spec: JSON.stringify(spec), output_schema: JSON.stringify(next.output_schema),
        disclosure_rule: JSON.stringify(next.disclosure_rule), price: next.price ? JSON.stringify(next.price) : null,
        suspended_by_licence: false, status_reason: null, version: product.version + 1, updated_at: now,
      });
      if (!p) throw new Problem('OPERATION_PRODUCT_STATE', { detail: 'the product changed meanwhile; read it again' });
      await recordVersion(trx, this.ledger, actor, now, {
        kind: 'product', id, version: p.version, change: 'changed', snapshot: this.productSnapshot(next),
        facts: { number: p.number, type: p.type, dataset: p.dataset_id, fields: p.fields },
      });
      return p;
    });
    // The product reads what the new version says: its old delivery grant goes.
    await this.port.withdraw([id], 'product registration changed');
    return this.productView(row, await this.parties.orgs.all());
  }

  /** The implementing body's decisions on a product: register (with a number), refuse, suspend, resume. */
  async decideProduct(actor: Actor, id: string, action: 'register' | 'refuse' | 'suspend' | 'resume', reason?: string): Promise<ProductView> {
    assertCan(actor, 'operation.product.approve');
    await this.parties.assertImplementingBody(actor);
    const product = await this.requireProduct(id);
    const licence = await this.licenceOf(product.licence_id);
    const from: Record<typeof action, string[]> = { register: ['pending'], refuse: ['pending'], suspend: ['registered'], resume: ['suspended'] };
    if (!from[action].includes(product.status)) {
      throw new Problem('OPERATION_PRODUCT_STATE', { detail: `a ${product.status} product cannot be ${action === 'register' ? 'registered' : `${action}d`}` });
    }
    if ((action === 'refuse' || action === 'suspend') && !reason?.trim()) {
      throw new Problem('OPERATION_REASON_REQUIRED', { errors: [{ field: 'reason', message: 'give the reason' }] });
    }
    if (action === 'resume' && licence.status !== 'active') {
      throw new Problem('OPERATION_LICENCE_STATE', { detail: `licence ${licence.number} is ${licence.status}` });
    }
    // Registered as the catalog stands now: a field regraded since submission is caught here.
    const checked = action === 'register' ? await this.check(licence, product.scenario, product.spec) : undefined;
    const now = this.clock();
    const status = { register: 'registered', refuse: 'refused', suspend: 'suspended', resume: 'registered' }[action] as ProductRow['status'];
    const row = await this.db.transaction().execute(async (trx) => {
      const number = action === 'register' ? (product.number ?? (await this.nextNumber(trx, 'DP'))) : product.number;
      const p = await store.updateProduct(trx, id, product.version, {
        status, number, status_reason: reason?.trim() || null, suspended_by_licence: false, version: product.version + 1, updated_at: now,
        ...(checked ? { field_grades: JSON.stringify(checked.fieldGrades), registered_at: now } : {}),
      });
      if (!p) throw new Problem('OPERATION_PRODUCT_STATE', { detail: 'the product changed meanwhile; read it again' });
      const change = { register: 'registered', refuse: 'refused', suspend: 'suspended', resume: 'resumed' }[action];
      await recordVersion(trx, this.ledger, actor, now, {
        kind: 'product', id, version: p.version, change, snapshot: this.productSnapshot(p),
        facts: { number: p.number, licence: licence.number, reasonSha256: reason?.trim() ? sha256(reason.trim()) : null },
      });
      return p;
    });
    if (action === 'suspend') await this.port.withdraw([id], `product suspended: ${reason}`);
    if (action === 'register') await this.port.forget(id);
    return this.productView(row, await this.parties.orgs.all());
  }

  /** The operator sets the product's price (具体收费标准): never above the licence's fee cap, in its unit. */
  async setPrice(actor: Actor, id: string, price: PriceInput): Promise<ProductView> {
    assertCan(actor, 'operation.product.price');
    const product = await this.requireProduct(id);
    const operator = await this.parties.operatorOf(actor);
    if (!operator || operator.id !== product.operator_party_id) throw new Problem('OPERATION_NOT_OPERATOR');
    if (product.status === 'withdrawn' || product.status === 'refused') throw new Problem('OPERATION_PRODUCT_STATE', { detail: `the product is ${product.status}` });
    const licence = await this.licenceOf(product.licence_id);
    const cap = licence.fee_caps[id];
    if (!cap) {
      throw new Problem('OPERATION_NO_FEE_CAP', {
        detail: `licence ${licence.number} sets no fee cap for this product yet (the implementing body sets it)`, extra: { rule: 'licence.fee_cap' },
      });
    }
    if (!withinCap(price, cap)) {
      throw new Problem('OPERATION_PRICE_ABOVE_CAP', {
        detail: `the cap in licence ${licence.number} is ${cap.capFen} fen ${cap.unit}; ${price.priceFen} fen ${price.unit} is refused`,
        errors: [{ field: price.unit !== cap.unit ? 'unit' : 'priceFen', message: `at most ${cap.capFen} fen ${cap.unit}` }],
        extra: { rule: 'licence.fee_cap', capFen: cap.capFen, unit: cap.unit },
      });
    }
    const now = this.clock();
    const row = await this.db.transaction().execute(async (trx) => {
      const p = await store.updateProduct(trx, id, product.version, { price: JSON.stringify(price), version: product.version + 1, updated_at: now });
      if (!p) throw new Problem('OPERATION_PRODUCT_STATE', { detail: 'the product changed meanwhile; read it again' });
      await recordVersion(trx, this.ledger, actor, now, {
        kind: 'product', id, version: p.version, change: 'priced', snapshot: this.productSnapshot(p),
        facts: { number: p.number, unit: price.unit, priceFen: price.priceFen, capFen: cap.capFen },
      });
      return p;
    });
    return this.productView(row, await this.parties.orgs.all());
  }

  /** Products the actor may see: the implementing body and supervisors all, an operator its own, a market user the registered ones. */
  async listProducts(actor: Actor): Promise<ProductView[]> {
    assertCan(actor, 'operation.product.read');
    const names = await this.parties.orgs.all();
    const rows = await this.visibleProducts(actor);
    const licences = new Map((await licenceStore.listLicences(this.db)).map((l) => [l.id, l]));
    return Promise.all(rows.map((p) => this.productView(p, names, licences.get(p.licence_id))));
  }

  private async visibleProducts(actor: Actor): Promise<ProductRow[]> {
    if (actor.roles.includes('admin') || can(actor, 'operation.review.read')) return store.listProducts(this.db);
    const operator = await this.parties.operatorOf(actor);
    if (operator && actor.roles.includes('market_operator')) return store.listProducts(this.db, { operatorPartyId: operator.id });
    return (await store.listProducts(this.db)).filter((p) => p.status === 'registered');
  }

  async getProduct(actor: Actor, id: string): Promise<ProductView> {
    assertCan(actor, 'operation.product.read');
    const visible = await this.visibleProducts(actor);
    const product = visible.find((p) => p.id === id);
    if (!product) throw new Problem('OPERATION_PRODUCT_NOT_FOUND');
    return this.productView(product, await this.parties.orgs.all());
  }

  async productVersions(actor: Actor, id: string): Promise<VersionView[]> {
    assertCan(actor, 'operation.product.read');
    await this.getProduct(actor, id);
    return versionsOf(this.db, 'product', id);
  }

  async requireProduct(id: string): Promise<ProductRow> {
    const p = await store.findProduct(this.db, id);
    if (!p) throw new Problem('OPERATION_PRODUCT_NOT_FOUND');
    return p;
  }

  async productView(p: ProductRow, names: Map<string, OrgEntry>, licence?: LicenceRow): Promise<ProductView> {
    const l = licence ?? (await this.licenceOf(p.licence_id));
    const operator = await this.parties.require(p.operator_party_id);
    const resource = await store.findResourceByDataset(this.db, p.dataset_id);
    return {
      id: p.id, number: p.number, licenceId: p.licence_id, licenceNumber: l.number, operator: this.parties.ref(operator, names),
      name: p.name, description: p.description, type: p.type, scenario: p.scenario, datasetId: p.dataset_id,
      datasetIdentifier: resource?.identifier ?? p.dataset_id, resourceNumber: resource?.number ?? '', fields: p.fields, fieldGrades: p.field_grades,
      spec: p.spec, outputSchema: p.output_schema, disclosureRule: p.disclosure_rule, price: p.price, status: p.status,
      statusReason: p.status_reason, version: p.version, submittedAt: iso(p.submitted_at)!, registeredAt: iso(p.registered_at), updatedAt: iso(p.updated_at)!,
    };
  }

  // ── certificates ─────────────────────────────────────────────────────────────────────────────────────

  /** The public certificate (登记证书) of a registration number: resource, product or licence. */
  async certificate(number: string): Promise<CertificateView> {
    const names = await this.parties.orgs.all();
    const kind = number.split('-')[1];
    if (kind === 'DR') {
      const r = await store.findResourceByNumber(this.db, number);
      if (r) {
        const v = await store.latestVersion(this.db, 'resource', r.id);
        return {
          number, kind: 'resource', name: r.title, holder: names.get(r.provider_org_id)?.name ?? null, holderCreditCode: names.get(r.provider_org_id)?.creditCode ?? null,
          type: null, scenario: null, datasets: [r.identifier], status: 'registered', version: r.version, registeredAt: iso(r.registered_at), snapshotHash: v?.snapshot_hash ?? '',
        };
      }
    } else if (kind === 'DP') {
      const p = await store.findProductByNumber(this.db, number);
      if (p) {
        const operator = await this.parties.require(p.operator_party_id);
        const resource = await store.findResourceByDataset(this.db, p.dataset_id);
        const v = await store.latestVersion(this.db, 'product', p.id);
        return {
          number, kind: 'product', name: p.name, holder: names.get(operator.org_id)?.name ?? null, holderCreditCode: operator.credit_code, type: p.type,
          scenario: p.scenario, datasets: resource ? [resource.number] : [], status: p.status, version: p.version, registeredAt: iso(p.registered_at),
          snapshotHash: v?.snapshot_hash ?? '',
        };
      }
    } else if (kind === 'LA') {
      const l = await licenceStore.findLicenceByNumber(this.db, number);
      if (l && l.status !== 'pending' && l.status !== 'refused') {
        const operator = await this.parties.require(l.operator_party_id);
        const resources = await Promise.all(l.scope.map((s) => store.findResourceByDataset(this.db, s.datasetId)));
        const v = await store.latestVersion(this.db, 'licence', l.id);
        return {
          number, kind: 'licence', name: l.title, holder: names.get(operator.org_id)?.name ?? null, holderCreditCode: operator.credit_code, type: l.mode,
          scenario: l.scenarios.map((s) => s.code).join(','), datasets: resources.flatMap((r) => (r ? [r.number] : [])), status: l.status, version: l.version,
          registeredAt: iso(l.approved_at), snapshotHash: v?.snapshot_hash ?? '',
        };
      }
    }
    throw new Problem('NOT_FOUND', { detail: `no registration ${number}` });
  }
}
