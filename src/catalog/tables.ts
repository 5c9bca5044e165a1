import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { DcatMetadata, FieldType, Grade, LoadMode, MaskSpec, OpenAttribute, RequestStatus, RowFilter, ShareAttribute, SumBound } from './schemas.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** A dataset (数据资源) owned by one organisation. */
export interface CatalogDatasetTable {
  id: Generated<string>;
  /** Short stable name used in URLs (`/api/share/{identifier}/rows`). */
  identifier: string;
  owner_org_id: string;
  title: string;
  description: string;
  keywords: string[];
  themes: string[];
  metadata: JSONColumnType<DcatMetadata>;
  share_attr: ShareAttribute;
  /** Required when share_attr is not_shared (不予共享须有法律、行政法规或政策依据). */
  share_basis: string | null;
  /** Conditions stated for conditional sharing. */
  share_conditions: string | null;
  open_attr: OpenAttribute;
  update_cycle: string;
  source_system: string | null;
  /** The highest grade of its fields (就高从严); computed, never set by hand. */
  grade: Grade;
  /** The highest sub-level among general fields when the grade is general. */
  general_level: string | null;
  /** Metadata version, +1 on every change. */
  version: number;
  /** Data version, +1 on every load. */
  data_version: Generated<number>;
  row_count: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

/** A field of a dataset's schema with its classification and grade. */
export interface CatalogFieldTable {
  dataset_id: string;
  name: string;
  title: string;
  position: number;
  type: FieldType;
  required: boolean;
  /** A code of the configured category tree. */
  category: string;
  grade: Grade;
  /** Sub-level of general data (configured list), null for important and core. */
  general_level: string | null;
  personal: boolean;
  sensitive: boolean;
  /** The field holding the citizen's ID number: its keyed hash becomes the row's subject_key. */
  subject_id: boolean;
  /** The owner's default masking for consumers (a MaskSpec); grants may override it per consumer. */
  default_mask: JSONColumnType<MaskSpec>;
}

/** Every metadata or grading change as a full snapshot. */
export interface CatalogDatasetVersionTable {
  dataset_id: string;
  version: number;
  change: string;
  snapshot: JSONColumnType<Record<string, unknown>>;
  snapshot_hash: string;
  changed_by: string;
  changed_at: Timestamp;
}

/** One load of rows (upload or push). */
export interface CatalogLoadTable {
  id: Generated<string>;
  dataset_id: string;
  data_version: number;
  mode: LoadMode;
  source: string;
  row_count: number;
  content_hash: string;
  loaded_by: string;
  loaded_at: Timestamp;
}

/** A row of data; a row is current while `to_version` is null (a replacing load closes the old ones). */
export interface CatalogRowTable {
  id: Generated<number>;
  dataset_id: string;
  from_version: number;
  to_version: number | null;
  /** Keyed hash of the citizen ID field, for "who used my data"; null when the dataset has none. */
  subject_key: string | null;
  data: JSONColumnType<Record<string, unknown>>;
}

/** Keys the module keeps: the subject-key secret and one HMAC key per consumer organisation. */
export interface CatalogSecretTable {
  name: string;
  secret: string;
  created_at: Generated<Date>;
}

/** A citizen user linked to their ID number (by its subject key only). */
export interface CatalogCitizenLinkTable {
  user_id: string;
  subject_key: string;
  linked_at: Timestamp;
}

export interface ShareRequestTable {
  id: Generated<string>;
  dataset_id: string;
  consumer_org_id: string;
  requested_by: string;
  fields: string[];
  purpose: string;
  legal_basis: string;
  aggregate_only: boolean;
  requested_until: Timestamp;
  status: RequestStatus;
  due_at: Timestamp;
  decided_by: string | null;
  decided_at: NullableTimestamp;
  reason: string | null;
  overdue_flagged_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface ShareGrantTable {
  id: Generated<string>;
  request_id: string;
  dataset_id: string;
  consumer_org_id: string;
  fields: string[];
  /** field → MaskSpec for this consumer */
  masks: JSONColumnType<Record<string, MaskSpec>>;
  row_filters: JSONColumnType<RowFilter[]>;
  aggregate_only: boolean;
  /** Minimum distinct subjects per group for aggregate answers. */
  k: number;
  purpose: string;
  legal_basis: string;
  max_rows_per_day: number;
  max_calls_per_minute: number;
  granted_by: string;
  granted_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  revoked_by: string | null;
  revoke_reason: string | null;
  /** The grant's privacy budget for aggregates (ε); null: the configured `disclosure.epsilonPerGrant`. */
  epsilon: ColumnType<number | null, number | null | undefined, number | null>;
  /** Clipping bounds of each summable field: a sum over a field without bounds is refused. */
  sum_bounds: ColumnType<Record<string, SumBound>, string | undefined, string>;
}

/** A privacy budget (disclosure control): what a holder may spend in ε and has spent. */
export interface CatalogPrivacyBudgetTable {
  /** Who pays: `share_grant:<id>` (later, authorized-operation products). */
  holder: string;
  epsilon: number;
  delta: number;
  spent: number;
  releases: number;
  opened_at: Timestamp;
  updated_at: Timestamp;
}

/** Rows and calls served per grant per day, for the quota. */
export interface ShareUsageTable {
  grant_id: string;
  day: string;
  calls: number;
  rows: number;
}

/** One gateway call, with tags of the subject keys of the rows it returned (for "who used my data"). */
export interface ShareAccessTable {
  id: Generated<number>;
  grant_id: string;
  dataset_id: string;
  consumer_org_id: string;
  actor: string;
  purpose: string;
  kind: 'rows' | 'aggregate';
  row_count: number;
  response_hash: string;
  /** The 52-bit tags (see `subjectTag`) of the subject keys of the rows returned. */
  subject_tags: number[];
  ledger_index: number | null;
  accessed_at: Timestamp;
}

declare module '../platform/db/schema.js' {
  interface Database {
    catalog_dataset: CatalogDatasetTable;
    catalog_field: CatalogFieldTable;
    catalog_dataset_version: CatalogDatasetVersionTable;
    catalog_load: CatalogLoadTable;
    catalog_row: CatalogRowTable;
    catalog_secret: CatalogSecretTable;
    catalog_citizen_link: CatalogCitizenLinkTable;
    share_request: ShareRequestTable;
    share_grant: ShareGrantTable;
    share_usage: ShareUsageTable;
    share_access: ShareAccessTable;
    catalog_privacy_budget: CatalogPrivacyBudgetTable;
  }
}
