import { Type, type Static } from 'typebox';
import { NStr, Nullable, Uuid } from '../platform/http/common-schemas.js';

/**
 * Authorized operation's request and response schemas (/api/operation), its vocabularies and the types the
 * services take and return, derived from them. A leaf (typebox only), so the web app may import the types.
 */

const Text = (max = 2000) => Type.String({ minLength: 1, maxLength: max });
const Fen = Type.Integer({ minimum: 0, maximum: 1e13, description: 'an amount in fen (分), an integer' });
const FieldName = Type.String({ minLength: 1, maxLength: 64 });
/** A scenario or purpose code: `credit_check`, `public-housing`. */
const Code = Type.String({ pattern: '^[a-z][a-z0-9_-]{1,40}$' });
/** A local date `2026-12-31` (that day in the city's time zone) or an ISO date-time. */
const DateOrTime = Type.String({ minLength: 10, maxLength: 40 });

// ── vocabularies ───────────────────────────────────────────────────────────────────────────────────────

/** 实施机构 / 运营机构 / 数据使用者. */
export const partyKinds = ['implementing_body', 'operator', 'market_user'] as const;
export type PartyKind = (typeof partyKinds)[number];
/** 核验, 评分, 统计, 模型推理, 沙箱查询. */
export const productTypes = ['verification', 'score', 'statistics', 'model_inference', 'sandbox_query'] as const;
export type ProductType = (typeof productTypes)[number];
/** 整体授权 / 分领域授权 / 依场景授权 (发改数据规〔2025〕27号). */
export const licenceModes = ['whole', 'domain', 'scenario'] as const;
export type LicenceMode = (typeof licenceModes)[number];
export const licenceStatuses = ['pending', 'active', 'suspended', 'terminated', 'refused'] as const;
export type LicenceStatus = (typeof licenceStatuses)[number];
export const productStatuses = ['pending', 'registered', 'suspended', 'withdrawn', 'refused'] as const;
export type ProductStatus = (typeof productStatuses)[number];
/**
 * How a product is charged (发改价格〔2025〕65号: by calls, data volume, product count or service time):
 * per call, per record touched, per output unit delivered, per period of use.
 */
export const billingUnits = ['per_call', 'per_record', 'per_output', 'per_period'] as const;
export type BillingUnit = (typeof billingUnits)[number];
/** What a call is for: industrial and commercial use pays; public governance and public welfare do not. */
export const uses = ['commercial', 'public_governance', 'public_welfare'] as const;
export type Use = (typeof uses)[number];
export const publicUses = ['public_governance', 'public_welfare'] as const;
export type PublicUse = (typeof publicUses)[number];
export const quotaPeriods = ['day', 'month', 'year'] as const;
export type QuotaPeriod = (typeof quotaPeriods)[number];
/** GB/T 43697-2024, least sensitive first. */
export const grades = ['general', 'important', 'core'] as const;
export type Grade = (typeof grades)[number];
export const reviewStatuses = ['pending', 'approved', 'refused'] as const;
export type ReviewStatus = (typeof reviewStatuses)[number];

const Enum = <T extends readonly string[]>(values: T) => Type.Enum([...values] as T[number][]);

// ── params and small pieces ────────────────────────────────────────────────────────────────────────────

export const IdParams = Type.Object({ id: Uuid });
export type IdParams = Static<typeof IdParams>;
export const FeeCapParams = Type.Object({ id: Uuid, productId: Uuid });
export type FeeCapParams = Static<typeof FeeCapParams>;
export const NumberParams = Type.Object({ number: Type.String({ pattern: '^[A-Z]{2,8}-(DR|DP|LA)-\\d{4}-\\d{6}$' }) });
export type NumberParams = Static<typeof NumberParams>;
export const YearParams = Type.Object({ year: Type.Integer({ minimum: 2000, maximum: 2999 }) });
export type YearParams = Static<typeof YearParams>;
export const FormatQuery = Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) });
export type FormatQuery = Static<typeof FormatQuery>;
export const ReasonInput = Type.Object({ reason: Text(1000) });
export type ReasonInput = Static<typeof ReasonInput>;
export const OptionalReason = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1000 })) });
export type OptionalReason = Static<typeof OptionalReason>;

export const PartyRef = Type.Object({ id: Type.String(), orgId: Type.String(), name: NStr, creditCode: NStr });
export type PartyRef = Static<typeof PartyRef>;

export const VersionView = Type.Object({
  version: Type.Integer(), change: Type.String(), snapshotHash: Type.String(), changedBy: Type.String(), changedAt: Type.String(),
  snapshot: Type.Record(Type.String(), Type.Unknown()),
});
export type VersionView = Static<typeof VersionView>;

// ── parties ────────────────────────────────────────────────────────────────────────────────────────────

/** An organisation (made through /api/orgs, with its 统一社会信用代码) taking a part in authorized operation. */
export const PartyInput = Type.Object({
  orgId: Uuid,
  kind: Enum(partyKinds),
  contact: Type.Optional(Type.String({ maxLength: 500 })),
});
export type PartyInput = Static<typeof PartyInput>;

export const PartyView = Type.Object({
  id: Type.String(), orgId: Type.String(), kind: Enum(partyKinds), name: NStr, creditCode: NStr, contact: NStr,
  registeredAt: Type.String(), registeredBy: Type.String(),
});
export type PartyView = Static<typeof PartyView>;

// ── data resources (登记) ──────────────────────────────────────────────────────────────────────────────

export const ResourceInput = Type.Object({ dataset: Type.String({ minLength: 1, maxLength: 100, description: 'the catalog dataset, by id or identifier' }) });
export type ResourceInput = Static<typeof ResourceInput>;

export const ResourceField = Type.Object({ name: Type.String(), title: Type.String(), grade: Enum(grades), generalLevel: NStr, personal: Type.Boolean() });
export type ResourceField = Static<typeof ResourceField>;

/** A public data resource as registered: a catalog dataset and its grading as read at registration. */
export const ResourceView = Type.Object({
  id: Type.String(), number: Type.String(), datasetId: Type.String(), identifier: Type.String(), title: Type.String(),
  providerOrgId: Type.String(), providerName: NStr, grade: Enum(grades), generalLevel: NStr, shareAttr: Type.String(),
  fields: Type.Array(ResourceField), version: Type.Integer(), registeredAt: Type.String(), updatedAt: Type.String(),
});
export type ResourceView = Static<typeof ResourceView>;

// ── licences (授权协议) ─────────────────────────────────────────────────────────────────────────────────

export const ScopeItem = Type.Object({
  dataset: Type.String({ minLength: 1, maxLength: 100, description: 'a registered resource\'s dataset, by id or identifier' }),
  fields: Type.Array(FieldName, { minItems: 1, maxItems: 500, uniqueItems: true }),
});
export const Scenario = Type.Object({
  code: Code, name: Text(200),
  /** The purposes (用途) a call under this scenario may name. */
  purposes: Type.Array(Code, { minItems: 1, maxItems: 50, uniqueItems: true }),
});
export type Scenario = Static<typeof Scenario>;
export const Quota = Type.Object({
  period: Enum(quotaPeriods),
  calls: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  records: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
});
export type Quota = Static<typeof Quota>;

const licenceProps = {
  title: Text(300),
  mode: Enum(licenceModes),
  /** The field (领域) of a 分领域 licence, e.g. 金融, 医疗. */
  domain: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  scope: Type.Array(ScopeItem, { minItems: 1, maxItems: 50 }),
  /** The highest grade the licence opens; `general` may be narrowed to a sub-level. */
  maxGrade: Type.Union([Type.Literal('general'), Type.Literal('important'), Type.Literal('core')]),
  maxGeneralLevel: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
  scenarios: Type.Array(Scenario, { minItems: 1, maxItems: 50 }),
  validFrom: DateOrTime,
  validUntil: DateOrTime,
  quota: Quota,
  /** 最高准许收入 per year, in fen: what the operator may earn on the licence (补偿成本、合理盈利). */
  maxPermittedIncomeFen: Type.Optional(Nullable(Fen)),
  /** Basis points of income that go to the providing departments, instead of the configured rule. */
  distributionBasisPoints: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 10_000 }))),
  securityObligations: Type.Optional(Type.Array(Text(1000), { maxItems: 50 })),
};

/** A licence applied for (by the operator, or drafted for it by the implementing body). */
export const LicenceInput = Type.Object({ operator: Uuid, ...licenceProps });
export type LicenceInput = Static<typeof LicenceInput>;
/** An amendment by the implementing body: what is given replaces what was. */
export const LicencePatch = Type.Partial(Type.Object(licenceProps));
export type LicencePatch = Static<typeof LicencePatch>;

export const FeeCapInput = Type.Object({ unit: Enum(billingUnits), capFen: Fen });
export type FeeCapInput = Static<typeof FeeCapInput>;
export const FeeCap = Type.Object({ productId: Type.String(), productNumber: NStr, unit: Enum(billingUnits), capFen: Type.Integer() });
export type FeeCap = Static<typeof FeeCap>;

export const AttestationInput = Type.Object({
  /** What was deleted and how (数据销毁说明). */
  statement: Text(5000),
  deletedAt: DateOrTime,
  /** SHA-256 of the evidence kept (destruction report, screenshots), hex. */
  evidenceSha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
});
export type AttestationInput = Static<typeof AttestationInput>;

export const LicenceView = Type.Object({
  id: Type.String(), number: Type.String(), operator: PartyRef, title: Type.String(), mode: Enum(licenceModes), domain: NStr,
  scope: Type.Array(Type.Object({
    datasetId: Type.String(), identifier: Type.String(), title: Type.String(), resourceNumber: Type.String(), providerOrgId: Type.String(),
    fields: Type.Array(Type.String()),
  })),
  maxGrade: Enum(grades), maxGeneralLevel: NStr, scenarios: Type.Array(Scenario),
  validFrom: Type.String(), validUntil: Type.String(), quota: Quota, feeCaps: Type.Array(FeeCap),
  maxPermittedIncomeFen: Nullable(Type.Integer()), distributionBasisPoints: Nullable(Type.Integer()),
  securityObligations: Type.Array(Type.String()),
  status: Enum(licenceStatuses), version: Type.Integer(), appliedAt: Type.String(), appliedBy: Type.String(),
  approvedAt: NStr, approvedBy: NStr, suspendedAt: NStr, terminatedAt: NStr, statusReason: NStr,
  deletionAttestation: Nullable(Type.Object({
    statement: Type.String(), deletedAt: Type.String(), evidenceSha256: NStr, attestedAt: Type.String(), attestedBy: Type.String(),
  })),
  updatedAt: Type.String(),
});
export type LicenceView = Static<typeof LicenceView>;

// ── products (数据产品登记) ─────────────────────────────────────────────────────────────────────────────

const Scalar = Type.Union([Type.String({ maxLength: 500 }), Type.Number(), Type.Boolean()]);
const Condition = Type.Object({
  op: Type.Union([Type.Literal('eq'), Type.Literal('ne'), Type.Literal('gte'), Type.Literal('lte')]),
  value: Scalar,
});

/** 核验: does a record with exactly these values exist? Answers yes or no, never the record. */
export const VerificationSpec = Type.Object({
  type: Type.Literal('verification'), dataset: Type.String({ minLength: 1, maxLength: 100 }),
  match: Type.Array(FieldName, { minItems: 1, maxItems: 10, uniqueItems: true }),
});
/** 评分: a points score of one subject's record (Σ weight × value, or weight when a condition holds), clipped. */
export const ScoreSpec = Type.Object({
  type: Type.Literal('score'), dataset: Type.String({ minLength: 1, maxLength: 100 }),
  key: FieldName,
  terms: Type.Array(Type.Object({ field: FieldName, weight: Type.Number(), when: Type.Optional(Condition) }), { minItems: 1, maxItems: 50 }),
  base: Type.Optional(Type.Number()),
  min: Type.Number(), max: Type.Number(),
});
/** 模型推理: a logistic model over one subject's record; answers a probability and a label, never the inputs. */
export const ModelSpec = Type.Object({
  type: Type.Literal('model_inference'), dataset: Type.String({ minLength: 1, maxLength: 100 }),
  key: FieldName,
  features: Type.Array(Type.Object({ field: FieldName, weight: Type.Number() }), { minItems: 1, maxItems: 100 }),
  intercept: Type.Number(),
  threshold: Type.Number({ minimum: 0, maximum: 1 }),
});
/** 统计: noisy counts (and sums) per group, one release per period through the catalog's disclosure control. */
export const StatisticsSpec = Type.Object({
  type: Type.Literal('statistics'), dataset: Type.String({ minLength: 1, maxLength: 100 }),
  groupBy: Type.Array(FieldName, { minItems: 1, maxItems: 5, uniqueItems: true }),
  sum: Type.Optional(Type.Array(Type.Object({ field: FieldName, min: Type.Number(), max: Type.Number() }), { maxItems: 5 })),
  /** ε each release spends. */
  epsilon: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
  /** A new release each day, month or year; calls in between get the same one. */
  refresh: Enum(quotaPeriods),
});
/** 沙箱查询: exact counts and sums over the licensed fields, held for output review before they leave. */
export const SandboxSpec = Type.Object({
  type: Type.Literal('sandbox_query'), dataset: Type.String({ minLength: 1, maxLength: 100 }),
  fields: Type.Array(FieldName, { minItems: 1, maxItems: 100, uniqueItems: true }),
});
export const ProductSpec = Type.Union([VerificationSpec, ScoreSpec, StatisticsSpec, ModelSpec, SandboxSpec]);
export type ProductSpec = Static<typeof ProductSpec>;
export type VerificationSpec = Static<typeof VerificationSpec>;
export type ScoreSpec = Static<typeof ScoreSpec>;
export type ModelSpec = Static<typeof ModelSpec>;
export type StatisticsSpec = Static<typeof StatisticsSpec>;
export type SandboxSpec = Static<typeof SandboxSpec>;

const productProps = {
  name: Text(200),
  description: Text(5000),
  /** The scenario of its licence this product serves. */
  scenario: Code,
  spec: ProductSpec,
};
export const ProductInput = Type.Object({ licence: Uuid, ...productProps });
export type ProductInput = Static<typeof ProductInput>;
/** A registration change (变更登记): a new version, registered again by the implementing body. */
export const ProductPatch = Type.Partial(Type.Object(productProps));
export type ProductPatch = Static<typeof ProductPatch>;

export const PriceInput = Type.Object({ unit: Enum(billingUnits), priceFen: Fen });
export type PriceInput = Static<typeof PriceInput>;

/** How the product's output is protected, fixed by its type. */
export const DisclosureRule = Type.Object({
  kind: Type.Union([Type.Literal('yes_no'), Type.Literal('derived_value'), Type.Literal('differential_privacy'), Type.Literal('output_review')]),
  text: Type.String(),
  epsilon: Type.Optional(Type.Number()),
  refresh: Type.Optional(Type.String()),
});
export type DisclosureRule = Static<typeof DisclosureRule>;

export const ProductView = Type.Object({
  id: Type.String(), number: NStr, licenceId: Type.String(), licenceNumber: Type.String(), operator: PartyRef,
  name: Type.String(), description: Type.String(), type: Enum(productTypes), scenario: Type.String(),
  datasetId: Type.String(), datasetIdentifier: Type.String(), resourceNumber: Type.String(), fields: Type.Array(Type.String()),
  fieldGrades: Type.Array(Type.Object({ field: Type.String(), grade: Enum(grades), generalLevel: NStr })),
  spec: ProductSpec, outputSchema: Type.Record(Type.String(), Type.Unknown()), disclosureRule: DisclosureRule,
  price: Nullable(Type.Object({ unit: Enum(billingUnits), priceFen: Type.Integer() })),
  status: Enum(productStatuses), statusReason: NStr, version: Type.Integer(),
  submittedAt: Type.String(), registeredAt: NStr, updatedAt: Type.String(),
});
export type ProductView = Static<typeof ProductView>;

/** The registration certificate (登记证书) of a resource or product, public. */
export const CertificateView = Type.Object({
  number: Type.String(), kind: Type.Union([Type.Literal('resource'), Type.Literal('product'), Type.Literal('licence')]),
  name: Type.String(), holder: NStr, holderCreditCode: NStr, type: NStr, scenario: NStr, datasets: Type.Array(Type.String()),
  status: Type.String(), version: Type.Integer(), registeredAt: NStr, snapshotHash: Type.String(),
});
export type CertificateView = Static<typeof CertificateView>;

// ── market users' access (keys) ────────────────────────────────────────────────────────────────────────

export const AccessInput = Type.Object({
  licence: Uuid,
  marketUser: Uuid,
  products: Type.Array(Uuid, { minItems: 1, maxItems: 100, uniqueItems: true }),
  purposes: Type.Array(Code, { minItems: 1, maxItems: 50, uniqueItems: true }),
  /** Public-governance / public-welfare use the market user may claim (free); set by the implementing body only. */
  publicUses: Type.Optional(Type.Array(Enum(publicUses), { uniqueItems: true })),
  quota: Type.Optional(Nullable(Quota)),
  keyName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});
export type AccessInput = Static<typeof AccessInput>;

export const AccessView = Type.Object({
  id: Type.String(), licenceId: Type.String(), licenceNumber: Type.String(), marketUser: PartyRef,
  products: Type.Array(Type.String()), purposes: Type.Array(Type.String()), publicUses: Type.Array(Enum(publicUses)),
  quota: Nullable(Quota), apiKeyId: Type.String(), keyPrefix: Type.String(), status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
  createdAt: Type.String(), revokedAt: NStr, revokedReason: NStr,
});
export type AccessView = Static<typeof AccessView>;
/** The key is in this answer only, once. */
export const IssuedAccess = Type.Object({ access: AccessView, key: Type.String() });
export type IssuedAccess = Static<typeof IssuedAccess>;

// ── marketplace ────────────────────────────────────────────────────────────────────────────────────────

/** A registered product as the marketplace shows it: what it does, for which scenario, its price and provider. */
export const MarketProduct = Type.Object({
  id: Type.String(), number: NStr, name: Type.String(), description: Type.String(), type: Enum(productTypes),
  scenario: Type.Object({ code: Type.String(), name: Type.String(), purposes: Type.Array(Type.String()) }),
  price: Nullable(Type.Object({ unit: Enum(billingUnits), priceFen: Type.Integer() })),
  provider: PartyRef, datasetIdentifier: Type.String(), inputFields: Type.Array(Type.String()), disclosureRule: Type.String(),
  licence: Type.Object({ id: Type.String(), number: Type.String(), status: Type.String(), validUntil: Type.String() }),
  /** the asking market user's standing for this product: its latest application and whether it holds an active access */
  mine: Type.Object({ application: Nullable(Type.Object({ id: Type.String(), status: Type.String() })), access: Type.Boolean() }),
});
export type MarketProduct = Static<typeof MarketProduct>;

export const applicationStatuses = ['pending', 'accepted', 'refused', 'issued'] as const;
export type ApplicationStatus = (typeof applicationStatuses)[number];

/** A market user's application for products of one licence (申请使用). */
export const ApplicationInput = Type.Object({
  products: Type.Array(Uuid, { minItems: 1, maxItems: 20, uniqueItems: true }),
  purposes: Type.Array(Code, { minItems: 1, maxItems: 20, uniqueItems: true }),
  quota: Type.Optional(Nullable(Quota)),
  /** what the market user will use the products for (shown to the operator, kept for the disclosure's records) */
  statement: Type.String({ minLength: 1, maxLength: 2000 }),
});
export type ApplicationInput = Static<typeof ApplicationInput>;

export const ApplicationDecision = Type.Object({
  decision: Type.Union([Type.Literal('accept'), Type.Literal('refuse')]),
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  /** the operator may grant a smaller quota than asked */
  quota: Type.Optional(Nullable(Quota)),
});
export type ApplicationDecision = Static<typeof ApplicationDecision>;

export const ApplicationView = Type.Object({
  id: Type.String(), licenceId: Type.String(), licenceNumber: Type.String(), marketUser: PartyRef, operator: PartyRef,
  products: Type.Array(Type.Object({ id: Type.String(), number: NStr, name: Type.String() })),
  purposes: Type.Array(Type.String()), quota: Nullable(Quota), statement: Type.String(), status: Enum(applicationStatuses),
  appliedAt: Type.String(), decidedAt: NStr, reason: NStr, accessId: NStr,
});
export type ApplicationView = Static<typeof ApplicationView>;

export const ApplicationQuery = Type.Object({ status: Type.Optional(Enum(applicationStatuses)) });
export type ApplicationQuery = Static<typeof ApplicationQuery>;

/** A market user's calls and spending per month and product (its usage charts). */
export const MarketUsage = Type.Object({
  marketUser: PartyRef, year: Type.Integer(),
  months: Type.Array(Type.Object({
    month: Type.String(), productId: Type.String(), productName: Type.String(), calls: Type.Integer(), billableCalls: Type.Integer(), feeFen: Type.Integer(),
  })),
  totals: Type.Object({ calls: Type.Integer(), feeFen: Type.Integer() }),
});
export type MarketUsage = Static<typeof MarketUsage>;

export const MarketUsageQuery = Type.Object({ year: Type.Integer({ minimum: 2000, maximum: 2999 }), party: Type.Optional(Uuid) });
export type MarketUsageQuery = Static<typeof MarketUsageQuery>;

/** Last year's disclosure and its due date (the end-of-March reminder). */
export const DisclosureReminder = Type.Object({
  year: Type.Integer(), due: Type.String(), published: Type.Boolean(), publishedAt: NStr, daysLeft: Type.Integer(), overdue: Type.Boolean(),
});
export type DisclosureReminder = Static<typeof DisclosureReminder>;

/** A month in which a market user's calls to a product jumped far above its usual months (a quota spike). */
export const Anomaly = Type.Object({
  kind: Type.Literal('call_spike'), month: Type.String(), accessId: Type.String(), marketUser: PartyRef, productId: Type.String(), productName: Type.String(),
  calls: Type.Integer(), usualCalls: Type.Number(), ratio: Type.Number(),
});
export type Anomaly = Static<typeof Anomaly>;
export const AnomalyQuery = Type.Object({ year: Type.Integer({ minimum: 2000, maximum: 2999 }) });
export type AnomalyQuery = Static<typeof AnomalyQuery>;

// ── calls ──────────────────────────────────────────────────────────────────────────────────────────────

export const CallInput = Type.Object({
  /** A purpose of the product's scenario, granted to the caller. */
  purpose: Code,
  use: Type.Optional(Enum(uses)),
  /** The product's input: `{values}` (verification), `{key}` (score, model), `{}` (statistics), `{groupBy, sum?, where?}` (sandbox). */
  input: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type CallInput = Static<typeof CallInput>;

export const VerificationInput = Type.Object({ values: Type.Record(FieldName, Scalar) });
export const KeyInput = Type.Object({ key: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Number()]) });
export const SandboxInput = Type.Object({
  groupBy: Type.Array(FieldName, { maxItems: 5, uniqueItems: true }),
  sum: Type.Optional(Type.Array(FieldName, { maxItems: 5, uniqueItems: true })),
  where: Type.Optional(Type.Array(Type.Object({ field: FieldName, op: Condition.properties.op, value: Scalar }), { maxItems: 10 })),
});
export type SandboxInput = Static<typeof SandboxInput>;

export const ReleasedGroup = Type.Object({ key: Type.Record(Type.String(), Type.Unknown()), count: Type.Integer(), sums: Type.Record(Type.String(), Type.Number()) });
export type ReleasedGroup = Static<typeof ReleasedGroup>;
export const StatisticsRelease = Type.Object({
  period: Type.String(), releasedAt: Type.String(), epsilon: Type.Number(), threshold: Type.Number(), groups: Type.Array(ReleasedGroup),
});
export type StatisticsRelease = Static<typeof StatisticsRelease>;

/** What a product answers: never a record, never the inputs. */
export const CallResult = Type.Union([
  Type.Object({ kind: Type.Literal('verification'), match: Type.Boolean() }),
  Type.Object({ kind: Type.Literal('score'), found: Type.Boolean(), score: Nullable(Type.Number()) }),
  Type.Object({ kind: Type.Literal('model_inference'), found: Type.Boolean(), probability: Nullable(Type.Number()), label: Nullable(Type.Boolean()) }),
  Type.Object({ kind: Type.Literal('statistics'), release: StatisticsRelease }),
  Type.Object({ kind: Type.Literal('sandbox_query'), runId: Type.String(), status: Type.Literal('pending') }),
]);
export type CallResult = Static<typeof CallResult>;

export const CallAnswer = Type.Object({
  callId: Type.Integer(), product: Type.String(), use: Enum(uses), result: CallResult,
  metered: Type.Object({ records: Type.Integer(), outputUnits: Type.Integer(), computeMs: Type.Integer() }),
  fee: Type.Object({ billable: Type.Boolean(), unit: Nullable(Enum(billingUnits)), unitPriceFen: Type.Integer(), units: Type.Integer(), feeFen: Type.Integer() }),
});
export type CallAnswer = Static<typeof CallAnswer>;

// ── output review (sandbox) ────────────────────────────────────────────────────────────────────────────

export const SandboxGroup = Type.Object({ key: Type.Record(Type.String(), Type.Unknown()), count: Type.Integer(), sums: Type.Record(Type.String(), Type.Number()) });
export const SandboxResult = Type.Object({ groups: Type.Array(SandboxGroup), withheldGroups: Type.Integer(), rows: Type.Integer() });
export type SandboxResult = Static<typeof SandboxResult>;

export const ReviewQuery = Type.Object({ status: Type.Optional(Enum(reviewStatuses)) });
export type ReviewQuery = Static<typeof ReviewQuery>;
export const ReviewDecision = Type.Object({
  decision: Type.Union([Type.Literal('approve'), Type.Literal('refuse')]),
  reason: Type.Optional(Type.String({ maxLength: 2000 })),
});
export type ReviewDecision = Static<typeof ReviewDecision>;

/** A sandbox run as the reviewer sees it (the result included) or as the market user sees it (only once approved). */
export const SandboxRunView = Type.Object({
  id: Type.String(), productId: Type.String(), productNumber: NStr, licenceNumber: Type.String(), marketUser: PartyRef,
  query: SandboxInput, status: Enum(reviewStatuses), submittedAt: Type.String(), reviewedAt: NStr, reviewedBy: NStr, reason: NStr,
  result: Nullable(SandboxResult),
});
export type SandboxRunView = Static<typeof SandboxRunView>;

// ── statements, income, distribution, disclosure ───────────────────────────────────────────────────────

export const StatementQuery = Type.Object({
  month: Type.String({ pattern: '^\\d{4}-\\d{2}$' }),
  party: Uuid,
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')])),
});
export type StatementQuery = Static<typeof StatementQuery>;

const Totals = {
  calls: Type.Integer(), billableCalls: Type.Integer(), publicInterestCalls: Type.Integer(), records: Type.Integer(),
  outputUnits: Type.Integer(), computeMs: Type.Integer(), feeFen: Type.Integer(),
};
export const StatementLine = Type.Object({
  productId: Type.String(), productNumber: NStr, productName: Type.String(), licenceNumber: Type.String(),
  counterparty: PartyRef, use: Enum(uses), billingUnit: Nullable(Enum(billingUnits)), ...Totals,
});
export type StatementLine = Static<typeof StatementLine>;
/** A month's statement (对账单) of an operator (its sales) or a market user (its purchases). */
export const Statement = Type.Object({
  month: Type.String(), party: PartyRef, kind: Enum(partyKinds), lines: Type.Array(StatementLine), totals: Type.Object(Totals),
  generatedAt: Type.String(),
});
export type Statement = Static<typeof Statement>;

export const YearQuery = Type.Object({ year: Type.Integer({ minimum: 2000, maximum: 2999 }), operator: Type.Optional(Uuid) });
export type YearQuery = Static<typeof YearQuery>;

export const IncomeReport = Type.Object({
  year: Type.Integer(),
  operators: Type.Array(Type.Object({
    operator: PartyRef, incomeFen: Type.Integer(), maxPermittedIncomeFen: Nullable(Type.Integer()), remainingFen: Nullable(Type.Integer()),
    exceeded: Type.Boolean(),
    products: Type.Array(Type.Object({
      productId: Type.String(), productNumber: NStr, productName: Type.String(), incomeFen: Type.Integer(), billableCalls: Type.Integer(),
      publicInterestCalls: Type.Integer(), records: Type.Integer(), months: Type.Array(Type.Object({ month: Type.String(), incomeFen: Type.Integer() })),
    })),
  })),
  totals: Type.Object({ incomeFen: Type.Integer(), billableCalls: Type.Integer(), publicInterestCalls: Type.Integer() }),
});
export type IncomeReport = Static<typeof IncomeReport>;

export const DistributionReport = Type.Object({
  year: Type.Integer(),
  rule: Type.Object({ method: Type.String(), basisPoints: Nullable(Type.Integer()), fenPerRecord: Nullable(Type.Integer()) }),
  departments: Type.Array(Type.Object({
    orgId: Type.String(), name: NStr, shareFen: Type.Integer(),
    products: Type.Array(Type.Object({ productId: Type.String(), productNumber: NStr, month: Type.String(), incomeFen: Type.Integer(), shareFen: Type.Integer() })),
  })),
  operators: Type.Array(Type.Object({ operator: PartyRef, incomeFen: Type.Integer(), departmentSharesFen: Type.Integer(), retainedFen: Type.Integer() })),
  totals: Type.Object({ incomeFen: Type.Integer(), departmentSharesFen: Type.Integer(), retainedFen: Type.Integer() }),
});
export type DistributionReport = Static<typeof DistributionReport>;

/**
 * The annual disclosure (信息披露, 国家数据局综合司 2026 notice): the implementing body's information, its
 * authorisations and fee caps; each operator's information, authorised resources, product list and actual fees.
 */
export const Disclosure = Type.Object({
  year: Type.Integer(), dueBy: Type.String(), generatedAt: Type.String(), publishedAt: NStr, documentSha256: NStr,
  implementingBody: Nullable(Type.Object({ name: NStr, creditCode: NStr, contact: NStr })),
  licences: Type.Array(Type.Object({
    number: Type.String(), title: Type.String(), operator: Type.String(), operatorCreditCode: NStr, mode: Enum(licenceModes), domain: NStr,
    resources: Type.Array(Type.String()), scenarios: Type.Array(Type.String()), validFrom: Type.String(), validUntil: Type.String(),
    status: Type.String(), approvedAt: NStr,
  })),
  feeCaps: Type.Array(Type.Object({ licenceNumber: Type.String(), productNumber: NStr, productName: Type.String(), unit: Enum(billingUnits), capFen: Type.Integer() })),
  operators: Type.Array(Type.Object({
    name: NStr, creditCode: NStr, contact: NStr,
    resources: Type.Array(Type.Object({ number: Type.String(), title: Type.String(), provider: NStr, grade: Enum(grades) })),
    products: Type.Array(Type.Object({
      number: NStr, name: Type.String(), type: Enum(productTypes), scenario: Type.String(), status: Type.String(),
      unit: Nullable(Enum(billingUnits)), priceFen: Nullable(Type.Integer()), capFen: Nullable(Type.Integer()),
      billableCalls: Type.Integer(), publicInterestCalls: Type.Integer(), incomeFen: Type.Integer(),
    })),
    incomeFen: Type.Integer(), maxPermittedIncomeFen: Nullable(Type.Integer()),
  })),
});
export type Disclosure = Static<typeof Disclosure>;

export const LedgerCheck = Type.Object({
  ok: Type.Boolean(), entries: Type.Integer(), checkpoints: Type.Integer(), firstBadIndex: Nullable(Type.Integer()), message: NStr,
});
export type LedgerCheck = Static<typeof LedgerCheck>;
