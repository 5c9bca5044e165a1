import { Type, type Static } from 'typebox';
import { CorsConfigSchema } from '../platform/http/cors.js';

const Category = Type.Object({
  code: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
  nameEn: Type.Optional(Type.String()),
  /** Code of the parent category; absent for top-level ones. */
  parent: Type.Optional(Type.String()),
});

/**
 * `modules.catalog`: the classification tree, the grading vocabulary, sharing deadlines and the gateway's limits.
 * Every threshold taken from rules is here, with a default, never in code.
 */
export const CatalogConfigSchema = Type.Object({
  /** The classification tree (分类), flat with parent codes. The default follows GB/T 43697-2024 Annex-style groups. */
  categories: Type.Array(Category, {
    default: [
      { code: 'personal', name: '个人信息', nameEn: 'Personal information' },
      { code: 'personal.identity', name: '身份信息', nameEn: 'Identity', parent: 'personal' },
      { code: 'personal.contact', name: '联系方式', nameEn: 'Contact', parent: 'personal' },
      { code: 'personal.location', name: '位置与住址', nameEn: 'Location and address', parent: 'personal' },
      { code: 'personal.health', name: '健康生理', nameEn: 'Health', parent: 'personal' },
      { code: 'personal.finance', name: '财产与社保', nameEn: 'Assets and social security', parent: 'personal' },
      { code: 'personal.profile', name: '基本属性', nameEn: 'Basic attributes', parent: 'personal' },
      { code: 'organisation', name: '组织信息', nameEn: 'Organisation information' },
      { code: 'organisation.registration', name: '登记注册', nameEn: 'Registration', parent: 'organisation' },
      { code: 'organisation.operation', name: '经营状况', nameEn: 'Operation', parent: 'organisation' },
      { code: 'public', name: '公共数据', nameEn: 'Public data' },
      { code: 'public.service', name: '公共服务', nameEn: 'Public services', parent: 'public' },
      { code: 'public.infrastructure', name: '基础设施', nameEn: 'Infrastructure', parent: 'public' },
      { code: 'public.administration', name: '行政管理', nameEn: 'Administration', parent: 'public' },
    ],
  }),
  /** Sub-levels of general data (一般数据), least sensitive first (GB/T 43697 lets sectors refine "general"). */
  generalLevels: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, default: ['1', '2', '3', '4'] }),
  /** Hours the owner has to decide a conditional request before it is flagged to the data bureau. */
  decisionDeadlineHours: Type.Number({ minimum: 1, default: 240 }),
  /**
   * How often the background job started by `hub.start()` flags pending requests past their deadline to the data
   * bureau (ledgered once each, `share.request.overdue`); 0 turns the job off (the bureau's overdue list still flags).
   */
  overdueJobIntervalSeconds: Type.Integer({ minimum: 0, default: 300 }),
  /** Longest term a grant may have. */
  maxGrantDays: Type.Integer({ minimum: 1, default: 365 }),
  /** Least (noisy) count of a group published in aggregate answers; grants may raise it. */
  k: Type.Integer({ minimum: 2, default: 10 }),
  /**
   * Disclosure control of aggregate answers: differential privacy with a budget per grant (docs/catalog.md,
   * "Aggregates and the privacy budget").
   */
  disclosure: Type.Object({
    /** A new grant's privacy budget ε for aggregates; an owner may grant less. */
    epsilonPerGrant: Type.Number({ exclusiveMinimum: 0, default: 10 }),
    /** What one aggregate costs unless the consumer asks for another ε. */
    epsilonPerQuery: Type.Number({ exclusiveMinimum: 0, default: 1 }),
    /** The most one aggregate may spend (more ε: less noise, fewer answers). */
    maxEpsilonPerQuery: Type.Number({ exclusiveMinimum: 0, default: 2 }),
    /** δ of a grant's whole budget: the chance that a group made by one person is published at all. */
    deltaPerGrant: Type.Number({ exclusiveMinimum: 0, maximum: 0.001, default: 1e-5 }),
    /** Rows one person (one row, without a subject field) may add to an aggregate; further rows are left out. */
    maxRowsPerSubject: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
  }, { default: {} }),
  /** Default quota and rate limit of a new grant (the owner may set others). */
  defaultMaxRowsPerDay: Type.Integer({ minimum: 1, default: 100_000_000 }),
  defaultMaxCallsPerMinute: Type.Integer({ minimum: 1, default: 600 }),
  /** Largest page the gateway returns. */
  maxPageSize: Type.Integer({ minimum: 1, default: 10_000 }),
  /** Largest upload accepted, in bytes (as sent: an XLSX workbook compressed). */
  uploadMaxBytes: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024 }),
  /** Longest cell of an uploaded CSV or XLSX file, in characters (Excel's own limit is 32,767). */
  uploadMaxCellChars: Type.Integer({ minimum: 16, default: 32_767 }),
  /** Most rows of an upload, the header row included. */
  uploadMaxRows: Type.Integer({ minimum: 1, default: 1_000_000 }),
  /** Most columns of an upload (a dataset has at most 500 fields). */
  uploadMaxColumns: Type.Integer({ minimum: 1, default: 500 }),
  /**
   * An XLSX workbook's expanded size: the sum of its parts' uncompressed sizes, checked in the ZIP directory
   * before anything is inflated, and held while inflating (a part inflating past its declared size is refused).
   */
  uploadMaxExpandedBytes: Type.Integer({ minimum: 1024 * 1024, default: 512 * 1024 * 1024 }),
  /** Largest uncompressed ÷ compressed ratio of any workbook part over 1 MiB (a decompression bomb's is ~1000). */
  uploadMaxCompressionRatio: Type.Number({ minimum: 2, default: 100 }),
  /** Worker threads reading uploads off the event loop (further uploads wait for one). */
  uploadWorkers: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
  /** Heap of each upload worker in MiB: a file needing more fails with 413, the server carries on. */
  uploadWorkerMemoryMb: Type.Integer({ minimum: 32, default: 256 }),
  /** Longest an upload worker may work without producing a batch of rows (500) before it is stopped (413). */
  uploadBatchTimeoutSeconds: Type.Integer({ minimum: 1, default: 30 }),
  /** Age bands' lower bounds for the age → band mask. */
  ageBands: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, default: [0, 18, 30, 40, 50, 60, 70, 80] }),
  /** Errors listed per failed load (the count of bad rows is always given). */
  maxReportedErrors: Type.Integer({ minimum: 1, default: 100 }),
  /** The publisher of the DCAT catalogue (dct:publisher, required by DCAT-AP 3): the body that runs the public catalogue. */
  dcatPublisher: Type.String({ minLength: 1, default: '市数据资源管理局 / City data bureau' }),
  /** Browser access from other origins to the public routes (public search, DCAT export); off unless origins are listed. */
  cors: CorsConfigSchema,
});

export type CatalogConfig = Static<typeof CatalogConfigSchema>;
