import { Type, type Static } from 'typebox';
import { NStr, Nullable, Uuid } from '../platform/http/common-schemas.js';

/**
 * The catalog's and sharing's request and response schemas (/api/catalog, /api/share), their vocabularies, and
 * the types the services take and return, derived from them: each shape is written once, here. A leaf (typebox
 * only), so the web app imports these types with `import type`.
 */

const Text = (max = 2000) => Type.String({ minLength: 1, maxLength: max });

// ── vocabularies ───────────────────────────────────────────────────────────────────────────────────────

/** GB/T 43697-2024 grades, from least to most sensitive. */
export const grades = ['general', 'important', 'core'] as const;
export type Grade = (typeof grades)[number];
/** 共享属性 of the government data catalogue. */
export const shareAttributes = ['unconditional', 'conditional', 'not_shared'] as const;
export type ShareAttribute = (typeof shareAttributes)[number];
/** 开放属性. */
export const openAttributes = ['open', 'conditional_open', 'not_open'] as const;
export type OpenAttribute = (typeof openAttributes)[number];
export const updateCycles = ['realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'irregular'] as const;
export type UpdateCycle = (typeof updateCycles)[number];
export const fieldTypes = ['string', 'integer', 'number', 'boolean', 'date', 'datetime', 'cn_id'] as const;
export type FieldType = (typeof fieldTypes)[number];
/** A load adds rows to the current ones or replaces them (the old ones stay, as history). */
export const loadModes = ['append', 'replace'] as const;
export type LoadMode = (typeof loadModes)[number];
export const requestStatuses = ['pending', 'granted', 'refused'] as const;
export type RequestStatus = (typeof requestStatuses)[number];
export const grantStates = ['active', 'revoked', 'expired'] as const;
export const rowFormats = ['json', 'csv'] as const;

const GradeSchema = Type.Enum([...grades]);
const ShareAttr = Type.Enum([...shareAttributes]);
const OpenAttr = Type.Enum([...openAttributes]);

// ── masks and row filters ──────────────────────────────────────────────────────────────────────────────

/** How one field is masked for one consumer. */
export const MaskSpec = Type.Union([
  Type.Object({ fn: Type.Literal('none') }),
  /** The whole value becomes "***" (length is not revealed). */
  Type.Object({ fn: Type.Literal('redact') }),
  /** Keep the first and last characters, star the rest: 110101********1234. */
  Type.Object({ fn: Type.Literal('keep'), first: Type.Integer({ minimum: 0, maximum: 64 }), last: Type.Integer({ minimum: 0, maximum: 64 }) }),
  Type.Object({ fn: Type.Literal('nullify') }),
  /** Keyed HMAC-SHA256 with the consumer's own key: links rows within one consumer, not across consumers. */
  Type.Object({ fn: Type.Literal('hmac') }),
  Type.Object({ fn: Type.Literal('date'), unit: Type.Union([Type.Literal('year'), Type.Literal('month')]) }),
  Type.Object({ fn: Type.Literal('age_band') }),
  /** An address cut after its district (区/县/旗): 云川市临江区. */
  Type.Object({ fn: Type.Literal('district') }),
]);
export type MaskSpec = Static<typeof MaskSpec>;

/** A grant's restriction of the rows a consumer sees: the field's value compared as JSON. */
export const RowFilter = Type.Object({
  field: Type.String({ minLength: 1, maxLength: 64 }),
  op: Type.Union([Type.Literal('eq'), Type.Literal('ne'), Type.Literal('in'), Type.Literal('gte'), Type.Literal('lte')]),
  value: Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Array(Type.Union([Type.String(), Type.Number()]), { maxItems: 1000 })]),
});
export type RowFilter = Static<typeof RowFilter>;

/** Clipping bounds of a summed field in aggregates: each value counts as min ≤ v ≤ max (see disclosure control). */
export const SumBound = Type.Object({ min: Type.Number({ minimum: -1e12, maximum: 1e12 }), max: Type.Number({ minimum: -1e12, maximum: 1e12 }) });
export type SumBound = Static<typeof SumBound>;

// ── datasets ───────────────────────────────────────────────────────────────────────────────────────────

/** A dataset by its id or identifier. */
export const DatasetRef = Type.Object({ ref: Type.String({ minLength: 1, maxLength: 100 }) });
export type DatasetRef = Static<typeof DatasetRef>;

/** Identifiers that would collide with the sharing routes are not allowed. */
const Identifier = Type.String({ pattern: '^(?!(requests|grants|my-data-usage)$)[a-z][a-z0-9-]{1,62}$' });

export const Contact = Type.Object({ name: Text(200), email: Type.Optional(Type.String({ maxLength: 200 })), phone: Type.Optional(Type.String({ maxLength: 50 })) });
export const Temporal = Type.Object({ start: Type.Optional(Type.String({ format: 'date' })), end: Type.Optional(Type.String({ format: 'date' })) });
export const Distribution = Type.Object({
  title: Text(200), format: Type.String({ minLength: 1, maxLength: 20 }), mediaType: Type.Optional(Type.String({ maxLength: 100 })),
  accessUrl: Type.Optional(Type.String({ maxLength: 500 })), description: Type.Optional(Type.String({ maxLength: 1000 })),
});

const dcatProps = {
  contact: Type.Optional(Contact),
  licence: Type.Optional(Type.String({ maxLength: 500 })),
  temporal: Type.Optional(Temporal),
  spatial: Type.Optional(Type.String({ maxLength: 200 })),
  landingPage: Type.Optional(Type.String({ maxLength: 500 })),
  language: Type.Optional(Type.String({ maxLength: 10 })),
  distributions: Type.Optional(Type.Array(Distribution, { maxItems: 20 })),
};
/** The DCAT-AP 3 part of a dataset that has no column of its own (kept as the dataset's `metadata`). */
export const DcatMetadata = Type.Object(dcatProps);
export type DcatMetadata = Static<typeof DcatMetadata>;

/** A field of a dataset's schema with its classification (分类) and grade (分级). */
export const FieldInput = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  title: Text(200),
  type: Type.Enum([...fieldTypes]),
  required: Type.Optional(Type.Boolean()),
  category: Text(100),
  grade: GradeSchema,
  generalLevel: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
  personal: Type.Optional(Type.Boolean()),
  sensitive: Type.Optional(Type.Boolean()),
  subjectId: Type.Optional(Type.Boolean()),
  defaultMask: Type.Optional(MaskSpec),
});
export type FieldInput = Static<typeof FieldInput>;

const metadataProps = {
  title: Text(300),
  description: Text(5000),
  keywords: Type.Optional(Type.Array(Text(50), { maxItems: 50 })),
  themes: Type.Optional(Type.Array(Text(50), { maxItems: 20 })),
  ...dcatProps,
  shareAttr: ShareAttr,
  shareBasis: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  shareConditions: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  openAttr: OpenAttr,
  updateCycle: Type.Enum([...updateCycles]),
  sourceSystem: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  fields: Type.Array(FieldInput, { minItems: 1, maxItems: 500 }),
};

/** A dataset to register; `ownerOrgId` defaults to the caller's organisation. */
export const DatasetInput = Type.Object({ identifier: Identifier, ownerOrgId: Type.Optional(Uuid), ...metadataProps });
export type DatasetInput = Static<typeof DatasetInput>;

/** A change of metadata or grading; `fields`, when given, replaces the whole schema. */
export const DatasetPatch = Type.Partial(Type.Object(metadataProps));
export type DatasetPatch = Static<typeof DatasetPatch>;

export const FieldView = Type.Object({
  name: Type.String(), title: Type.String(), type: Type.Enum([...fieldTypes]), required: Type.Boolean(), category: Type.String(),
  grade: GradeSchema, generalLevel: NStr, personal: Type.Boolean(), sensitive: Type.Boolean(), subjectId: Type.Boolean(),
  defaultMask: MaskSpec,
});
export type FieldView = Static<typeof FieldView>;

export const DatasetView = Type.Object({
  id: Type.String(), identifier: Type.String(), ownerOrgId: Type.String(), ownerName: NStr,
  title: Type.String(), description: Type.String(), keywords: Type.Array(Type.String()), themes: Type.Array(Type.String()),
  contact: Nullable(Contact), licence: NStr, temporal: Nullable(Temporal), spatial: NStr,
  landingPage: NStr, language: NStr, distributions: Type.Array(Distribution),
  shareAttr: ShareAttr, shareBasis: NStr, shareConditions: NStr, openAttr: OpenAttr,
  updateCycle: Type.String(), sourceSystem: NStr, grade: GradeSchema, generalLevel: NStr,
  version: Type.Integer(), dataVersion: Type.Integer(), rowCount: Type.Integer(), createdAt: Type.String(), updatedAt: Type.String(),
  fields: Type.Array(FieldView),
});
export type DatasetView = Static<typeof DatasetView>;

/** The classification tree and grading vocabulary in force. */
export const Vocabulary = Type.Object({
  categories: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), nameEn: NStr, parent: NStr })),
  grades: Type.Array(Type.String()), generalLevels: Type.Array(Type.String()),
  shareAttributes: Type.Array(Type.String()), openAttributes: Type.Array(Type.String()),
});
export type Vocabulary = Static<typeof Vocabulary>;

const searchProps = {
  q: Type.Optional(Type.String({ maxLength: 200 })), owner: Type.Optional(Uuid), theme: Type.Optional(Type.String({ maxLength: 50 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })), offset: Type.Optional(Type.Integer({ minimum: 0 })),
};
/** Search of the catalogue by staff: words, publisher, theme, grade, share attribute; one page. */
export const DatasetSearchQuery = Type.Object({ ...searchProps, grade: Type.Optional(GradeSchema), share: Type.Optional(ShareAttr) });
export type DatasetSearchQuery = Static<typeof DatasetSearchQuery>;
/** Search of the public part of the catalogue. */
export const PublicDatasetQuery = Type.Object(searchProps);
export type PublicDatasetQuery = Static<typeof PublicDatasetQuery>;

/** A facet value and its count; publishers also carry their name as `label`. */
export const Facet = Type.Object({ value: Type.String(), label: Type.Optional(Type.String()), count: Type.Integer() });
export type Facet = Static<typeof Facet>;
const FacetList = Type.Array(Facet);

export const DatasetSummary = Type.Object({
  id: Type.String(), identifier: Type.String(), title: Type.String(), description: Type.String(), ownerOrgId: Type.String(),
  ownerName: NStr, themes: Type.Array(Type.String()), keywords: Type.Array(Type.String()), grade: GradeSchema,
  generalLevel: NStr, shareAttr: ShareAttr, openAttr: OpenAttr, updateCycle: Type.String(),
  version: Type.Integer(), rowCount: Type.Integer(), updatedAt: Type.String(),
});
export const DatasetSearchResult = Type.Object({
  total: Type.Integer(),
  items: Type.Array(DatasetSummary),
  facets: Type.Object({ owner: FacetList, theme: FacetList, grade: FacetList, share: FacetList }),
});
export type DatasetSearchResult = Static<typeof DatasetSearchResult>;

/** What anyone sees of a dataset: what the DCAT-AP export shows, no schema, grading, sharing or rows. */
export const PublicDatasetSummary = Type.Object({
  id: Type.String(), identifier: Type.String(), title: Type.String(), description: Type.String(), ownerOrgId: Type.String(),
  ownerName: NStr, themes: Type.Array(Type.String()), keywords: Type.Array(Type.String()), openAttr: OpenAttr,
  updateCycle: Type.String(), licence: NStr, contactName: NStr,
  distributions: Type.Array(Type.Object({ title: Type.String(), format: Type.String() })), updatedAt: Type.String(),
});
export const PublicSearchResult = Type.Object({
  total: Type.Integer(),
  items: Type.Array(PublicDatasetSummary),
  facets: Type.Object({ owner: FacetList, theme: FacetList, open: FacetList }),
});
export type PublicSearchResult = Static<typeof PublicSearchResult>;

export const DatasetVersionView = Type.Object({
  version: Type.Integer(), change: Type.String(), snapshotHash: Type.String(), changedBy: Type.String(), changedAt: Type.String(),
  snapshot: Type.Record(Type.String(), Type.Unknown()),
});
export type DatasetVersionView = Static<typeof DatasetVersionView>;

/** The public catalogue as a DCAT-AP 3 JSON-LD document. */
export const DcatDocument = Type.Record(Type.String(), Type.Unknown());
export type DcatDocument = Static<typeof DcatDocument>;

// ── loads ──────────────────────────────────────────────────────────────────────────────────────────────

/** A cell as pushed in JSON. */
const Cell = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

/** Rows pushed in JSON, keyed by field name; row n (from 1) is reported as line n. */
export const RowsPush = Type.Object({
  mode: Type.Optional(Type.Enum([...loadModes])),
  rows: Type.Array(Type.Record(Type.String(), Cell), { maxItems: 100_000 }),
});
export type RowsPush = Static<typeof RowsPush>;

export const UploadQuery = Type.Object({ mode: Type.Optional(Type.Enum([...loadModes])) });
export type UploadQuery = Static<typeof UploadQuery>;

export const LoadResult = Type.Object({
  dataVersion: Type.Integer(), mode: Type.Enum([...loadModes]), rows: Type.Integer(), rowCount: Type.Integer(), contentHash: Type.String(),
  /** An uploaded CSV's text encoding as found: `utf-8`, `utf-16le`/`utf-16be` (with a byte-order mark) or `gb18030` (GBK). */
  encoding: Type.Optional(Type.String()),
});
export type LoadResult = Static<typeof LoadResult>;

export const LoadView = Type.Object({
  dataVersion: Type.Integer(), mode: Type.String(), source: Type.String(), rows: Type.Integer(), contentHash: Type.String(),
  loadedBy: Type.String(), loadedAt: Type.String(),
});
export type LoadView = Static<typeof LoadView>;

// ── citizens ───────────────────────────────────────────────────────────────────────────────────────────

export const CitizenParams = Type.Object({ userId: Uuid });
export type CitizenParams = Static<typeof CitizenParams>;
export const CitizenIdentity = Type.Object({ idNumber: Type.String({ minLength: 15, maxLength: 18 }) });
export type CitizenIdentity = Static<typeof CitizenIdentity>;

/** "Who used my data": each gateway call that returned a row about the citizen. */
export const DataUsage = Type.Object({
  linked: Type.Boolean(),
  accesses: Type.Array(Type.Object({
    id: Type.Integer(), unitId: Type.String(), unit: NStr, purpose: Type.String(), kind: Type.String(),
    dataset: Type.String(), datasetOwner: NStr, accessedAt: Type.String(), ledgerIndex: Nullable(Type.Integer()),
  })),
});
export type DataUsage = Static<typeof DataUsage>;

// ── sharing requests and grants ────────────────────────────────────────────────────────────────────────

export const IdParams = Type.Object({ id: Uuid });
export type IdParams = Static<typeof IdParams>;

/** A term's end: an ISO date-time, or a date (the end of that day in the city's time zone). */
const Until = Type.String({ minLength: 10, maxLength: 40 });

export const ShareRequestInput = Type.Object({
  /** the dataset's id or identifier */
  dataset: Type.String({ minLength: 1, maxLength: 100 }),
  fields: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 500, uniqueItems: true }),
  purpose: Text(1000), legalBasis: Text(1000), until: Until,
  aggregateOnly: Type.Optional(Type.Boolean()),
});
export type ShareRequestInput = Static<typeof ShareRequestInput>;

export const RequestListQuery = Type.Object({
  status: Type.Optional(Type.Enum([...requestStatuses])),
  overdue: Type.Optional(Type.Boolean({ description: 'true: only pending requests past their decision deadline' })),
});
export type RequestListQuery = Static<typeof RequestListQuery>;

/** The owner's decision: a grant (possibly narrower than asked) or a refusal with a reason. */
export const GrantDecision = Type.Object({
  decision: Type.Union([Type.Literal('grant'), Type.Literal('refuse')]),
  reason: Type.Optional(Type.String({ maxLength: 2000 })),
  /** a subset of the requested fields (a narrower grant) */
  fields: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, uniqueItems: true })),
  until: Type.Optional(Until),
  masks: Type.Optional(Type.Record(Type.String(), MaskSpec)),
  rowFilters: Type.Optional(Type.Array(RowFilter, { maxItems: 20 })),
  aggregateOnly: Type.Optional(Type.Boolean()),
  k: Type.Optional(Type.Integer({ minimum: 2 })),
  maxRowsPerDay: Type.Optional(Type.Integer({ minimum: 1 })),
  maxCallsPerMinute: Type.Optional(Type.Integer({ minimum: 1 })),
  /** The grant's privacy budget ε for aggregates: at most the configured one (a grant may only be narrower). */
  epsilon: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  /** Fields the consumer may sum in aggregates, each with the bounds its values are clipped to. */
  sumBounds: Type.Optional(Type.Record(Type.String(), SumBound)),
});
export type GrantDecision = Static<typeof GrantDecision>;

export const RevokeInput = Type.Object({ reason: Text(1000) });
export type RevokeInput = Static<typeof RevokeInput>;

/** A sharing request; `overdue`: pending past the owner's decision deadline. */
export const RequestView = Type.Object({
  id: Type.String(), datasetId: Type.String(), datasetIdentifier: Type.String(), datasetTitle: Type.String(),
  ownerOrgId: Type.String(), ownerName: NStr, consumerOrgId: Type.String(), consumerName: NStr,
  fields: Type.Array(Type.String()), purpose: Type.String(), legalBasis: Type.String(), aggregateOnly: Type.Boolean(),
  requestedUntil: Type.String(), status: Type.Enum([...requestStatuses]), dueAt: Type.String(), overdue: Type.Boolean(),
  overdueFlaggedAt: NStr, decidedAt: NStr, decidedBy: NStr, reason: NStr, createdAt: Type.String(),
});
export type RequestView = Static<typeof RequestView>;

export const GrantView = Type.Object({
  id: Type.String(), requestId: Type.String(), datasetId: Type.String(), datasetIdentifier: Type.String(), consumerOrgId: Type.String(),
  fields: Type.Array(Type.String()), masks: Type.Record(Type.String(), MaskSpec), rowFilters: Type.Array(RowFilter),
  aggregateOnly: Type.Boolean(), k: Type.Integer(), purpose: Type.String(), legalBasis: Type.String(),
  maxRowsPerDay: Type.Integer(), maxCallsPerMinute: Type.Integer(), grantedAt: Type.String(), expiresAt: Type.String(),
  revokedAt: NStr, revokeReason: NStr, state: Type.Enum([...grantStates]),
  /** The privacy budget ε of the grant's aggregates, and the fields it may sum with their bounds. */
  epsilon: Type.Number(), sumBounds: Type.Record(Type.String(), SumBound),
});
export type GrantView = Static<typeof GrantView>;

/** A request and, when granted, its grant. */
export const RequestOutcome = Type.Object({ request: RequestView, grant: Nullable(GrantView) });
export type RequestOutcome = Static<typeof RequestOutcome>;

// ── the gateway ────────────────────────────────────────────────────────────────────────────────────────

export const DatasetParam = Type.Object({ dataset: Type.String({ minLength: 1, maxLength: 100 }) });
export type DatasetParam = Static<typeof DatasetParam>;

const rowsProps = {
  /** keyset pagination: rows with an id after this one */
  after: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1 })),
  /** which of the consumer's grants to use (the newest live row grant otherwise) */
  grant: Type.Optional(Uuid),
  format: Type.Optional(Type.Enum([...rowFormats])),
};
/** `GET /api/share/{dataset}/rows`: `fields` a comma-separated subset of the granted fields. */
export const RowsQuery = Type.Object({ ...rowsProps, fields: Type.Optional(Type.String({ maxLength: 5000 })) });
export type RowsQuery = Static<typeof RowsQuery>;
/** The gateway's rows request: `fields` a subset of the granted fields. */
export const RowsRequest = Type.Object({ ...rowsProps, fields: Type.Optional(Type.Array(Type.String())) });
export type RowsRequest = Static<typeof RowsRequest>;

/** A page of masked rows as JSON; `next` is the `after` of the next page, null at the end. */
export const RowsPage = Type.Object({
  dataset: Type.String(), grant: Type.String(), fields: Type.Array(Type.String()),
  rows: Type.Array(Type.Record(Type.String(), Type.Unknown())), next: Nullable(Type.Integer()),
});
export type RowsPage = Static<typeof RowsPage>;

/** A consumer's filters of an aggregate: on granted, unmasked fields. */
export const AggregateFilters = Type.Array(RowFilter, { maxItems: 20 });
export type AggregateFilters = Static<typeof AggregateFilters>;

/**
 * `GET /api/share/{dataset}/aggregate`: comma-separated field lists; `where` a JSON array of filters
 * (`[{"field":"size","op":"gte","value":3}]`); `epsilon` what this answer spends of the grant's privacy budget.
 */
export const AggregateQuery = Type.Object({
  groupBy: Type.String({ minLength: 1, maxLength: 500 }), sum: Type.Optional(Type.String({ maxLength: 500 })), grant: Type.Optional(Uuid),
  where: Type.Optional(Type.String({ maxLength: 20_000 })),
  epsilon: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
});
export type AggregateQuery = Static<typeof AggregateQuery>;
/** The gateway's aggregate request: counts per group of `groupBy` values, sums of `sum` fields, over rows matching `where`. */
export const AggregateRequest = Type.Object({
  groupBy: Type.Array(Type.String()), sum: Type.Optional(Type.Array(Type.String())), grant: Type.Optional(Uuid),
  where: Type.Optional(AggregateFilters), epsilon: Type.Optional(Type.Number()),
});
export type AggregateRequest = Static<typeof AggregateRequest>;

/**
 * Noisy counts and sums per group (differential privacy): `privacy` says what the answer cost, the noise's scale
 * (discrete Laplace of scale b: standard deviation b·√2) and the noisy count a group needed to be published.
 */
export const AggregateAnswer = Type.Object({
  dataset: Type.String(), grant: Type.String(), k: Type.Integer(), groupBy: Type.Array(Type.String()),
  where: AggregateFilters,
  groups: Type.Array(Type.Object({ key: Type.Record(Type.String(), Type.Unknown()), count: Type.Integer(), sums: Type.Record(Type.String(), Type.Number()) })),
  privacy: Type.Object({
    mechanism: Type.Literal('discrete_laplace'),
    epsilon: Type.Number(), delta: Type.Number(), threshold: Type.Number(), countScale: Type.Number(),
    sumScales: Type.Record(Type.String(), Type.Number()), sumBounds: Type.Record(Type.String(), SumBound),
    maxRowsPerSubject: Type.Integer(),
    budget: Type.Object({ epsilon: Type.Number(), delta: Type.Number(), spent: Type.Number(), remaining: Type.Number(), releases: Type.Integer() }),
  }),
});
export type AggregateAnswer = Static<typeof AggregateAnswer>;
