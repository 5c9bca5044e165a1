import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type {
  BillingUnit, DisclosureRule, Grade, LicenceMode, LicenceStatus, PartyKind, ProductSpec, ProductStatus, ProductType, PublicUse,
  Quota, ResourceField, ReviewStatus, SandboxInput, SandboxResult, Scenario, StatisticsRelease, Use,
} from './schemas.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** A jsonb column that may hold null. */
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;

/** An organisation taking part: the implementing body (实施机构), an operator (运营机构) or a market user (数据使用者). */
export interface OperationPartyTable {
  id: Generated<string>;
  org_id: string;
  kind: PartyKind;
  /** 统一社会信用代码 as the organisation held it when registered (the disclosure names it). */
  credit_code: string | null;
  contact: string | null;
  registered_by: string;
  registered_at: Timestamp;
}

/** A public data resource registered (登记): a catalog dataset and its grading as read then. */
export interface OperationResourceTable {
  id: Generated<string>;
  number: string;
  /** The catalog's dataset id (read through the catalog's services; no foreign key into its tables). */
  dataset_id: string;
  identifier: string;
  title: string;
  provider_org_id: string;
  grade: Grade;
  general_level: string | null;
  share_attr: string;
  fields: JSONColumnType<ResourceField[]>;
  version: number;
  registered_by: string;
  registered_at: Timestamp;
  updated_at: Timestamp;
}

export interface OperationLicenceScope {
  datasetId: string;
  fields: string[];
}

/** A licence (授权协议) of the implementing body to an operator. */
export interface OperationLicenceTable {
  id: Generated<string>;
  number: string;
  operator_party_id: string;
  title: string;
  mode: LicenceMode;
  domain: string | null;
  scope: JSONColumnType<OperationLicenceScope[]>;
  max_grade: Grade;
  max_general_level: string | null;
  scenarios: JSONColumnType<Scenario[]>;
  valid_from: Timestamp;
  valid_until: Timestamp;
  quota: JSONColumnType<Quota>;
  /** product id → its fee cap (上限收费标准) */
  fee_caps: JSONColumnType<Record<string, { unit: BillingUnit; capFen: number }>>;
  max_permitted_income_fen: number | null;
  distribution_basis_points: number | null;
  security_obligations: JSONColumnType<string[]>;
  status: LicenceStatus;
  version: number;
  applied_by: string;
  applied_at: Timestamp;
  approved_by: string | null;
  approved_at: NullableTimestamp;
  suspended_at: NullableTimestamp;
  terminated_at: NullableTimestamp;
  status_reason: string | null;
  deletion_attestation: NullableJson<{ statement: string; deletedAt: string; evidenceSha256: string | null; attestedAt: string; attestedBy: string }>;
  updated_at: Timestamp;
}

/** Every version of a licence or a product: a full snapshot and its SHA-256 (also in the ledger entry). */
export interface OperationVersionTable {
  /** `licence` or `product` or `resource` */
  kind: string;
  subject_id: string;
  version: number;
  change: string;
  snapshot: JSONColumnType<Record<string, unknown>>;
  snapshot_hash: string;
  changed_by: string;
  changed_at: Timestamp;
}

/** A data product (数据产品) registered under a licence. */
export interface OperationProductTable {
  id: Generated<string>;
  /** Given when the implementing body registers it. */
  number: string | null;
  licence_id: string;
  operator_party_id: string;
  name: string;
  description: string;
  type: ProductType;
  scenario: string;
  dataset_id: string;
  fields: string[];
  field_grades: JSONColumnType<Array<{ field: string; grade: Grade; generalLevel: string | null }>>;
  spec: JSONColumnType<ProductSpec>;
  output_schema: JSONColumnType<Record<string, unknown>>;
  disclosure_rule: JSONColumnType<DisclosureRule>;
  price: NullableJson<{ unit: BillingUnit; priceFen: number }>;
  status: ProductStatus;
  /** Suspended because its licence was: resumed with it. */
  suspended_by_licence: boolean;
  status_reason: string | null;
  version: number;
  submitted_by: string;
  submitted_at: Timestamp;
  registered_at: NullableTimestamp;
  updated_at: Timestamp;
}

/** A market user's admission to products of a licence, with its API key. */
export interface OperationAccessTable {
  id: Generated<string>;
  licence_id: string;
  market_user_party_id: string;
  products: string[];
  purposes: string[];
  public_uses: PublicUse[];
  quota: NullableJson<Quota>;
  api_key_id: string;
  key_prefix: string;
  status: 'active' | 'revoked';
  created_by: string;
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
  revoked_reason: string | null;
}

/** A market user's application in the marketplace for products of one licence, decided by its operator. */
export interface OperationApplicationTable {
  id: Generated<string>;
  licence_id: string;
  operator_party_id: string;
  market_user_party_id: string;
  products: string[];
  purposes: string[];
  quota: NullableJson<Quota>;
  statement: string;
  status: 'pending' | 'accepted' | 'refused' | 'issued';
  applied_by: string;
  applied_at: Timestamp;
  decided_by: string | null;
  decided_at: NullableTimestamp;
  reason: string | null;
  access_id: string | null;
}

/** A catalog grant through which a product reads its dataset in the domain. */
export interface OperationDeliveryGrantTable {
  id: Generated<string>;
  product_id: string;
  dataset_id: string;
  share_grant_id: string;
  expires_at: Timestamp;
  status: 'active' | 'revoked';
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
}

/** Calls and records used per quota holder (`licence:<id>`, `access:<id>`) and period (`2026-11`, `2026-11-26`, `2026`). */
export interface OperationQuotaCounterTable {
  holder: string;
  period: string;
  calls: number;
  records: number;
}

/** A per-period charge made once per access, product and period (the first commercial call of the period pays it). */
export interface OperationPeriodChargeTable {
  access_id: string;
  product_id: string;
  period: string;
}

/** One delivered call, metered: what every statement, income figure and disclosure is summed from. */
export interface OperationCallTable {
  id: Generated<number>;
  called_at: Timestamp;
  /** The local day and month (city time zone) of the call. */
  day: string;
  month: string;
  licence_id: string;
  product_id: string;
  access_id: string;
  operator_party_id: string;
  market_user_party_id: string;
  /** The providing department (the dataset's owner), for the distribution. */
  provider_org_id: string;
  purpose: string;
  use: Use;
  billable: boolean;
  records: number;
  output_units: number;
  compute_ms: number;
  billing_unit: BillingUnit | null;
  unit_price_fen: number;
  units: number;
  fee_fen: number;
  response_hash: string;
  ledger_index: number | null;
}

/** A statistics product's release of a period (noisy, already safe to publish). */
export interface OperationReleaseTable {
  product_id: string;
  period: string;
  release: JSONColumnType<StatisticsRelease>;
  share_grant_id: string;
  released_at: Timestamp;
}

/** A sandbox query's exact answer, held until the implementing body's reviewer lets it out. */
export interface OperationSandboxRunTable {
  id: Generated<string>;
  product_id: string;
  licence_id: string;
  access_id: string;
  market_user_party_id: string;
  call_id: number;
  query: JSONColumnType<SandboxInput>;
  result: JSONColumnType<SandboxResult>;
  result_hash: string;
  status: ReviewStatus;
  submitted_at: Timestamp;
  reviewed_by: string | null;
  reviewed_at: NullableTimestamp;
  reason: string | null;
}

/** Counters of registration numbers per kind and year (`DP:2026`). */
export interface OperationSequenceTable {
  name: string;
  value: number;
}

/** The module's settings made at run time (the in-domain organisation's id). */
export interface OperationSettingTable {
  key: string;
  value: string;
}

/** A published annual disclosure, frozen with its hash. */
export interface OperationDisclosureTable {
  year: number;
  document: JSONColumnType<Record<string, unknown>>;
  document_hash: string;
  published_by: string;
  published_at: Timestamp;
}

declare module '../platform/db/schema.js' {
  interface Database {
    operation_party: OperationPartyTable;
    operation_resource: OperationResourceTable;
    operation_licence: OperationLicenceTable;
    operation_version: OperationVersionTable;
    operation_product: OperationProductTable;
    operation_access: OperationAccessTable;
    operation_application: OperationApplicationTable;
    operation_delivery_grant: OperationDeliveryGrantTable;
    operation_quota_counter: OperationQuotaCounterTable;
    operation_period_charge: OperationPeriodChargeTable;
    operation_call: OperationCallTable;
    operation_release: OperationReleaseTable;
    operation_sandbox_run: OperationSandboxRunTable;
    operation_sequence: OperationSequenceTable;
    operation_setting: OperationSettingTable;
    operation_disclosure: OperationDisclosureTable;
  }
}
