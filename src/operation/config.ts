import { Type, type Static } from 'typebox';

/**
 * `modules.operation`: authorized operation of public data (公共数据授权运营, docs/operation.md). Every number a
 * city sets by its own rules is here with a default, never in code: registration numbers, the highest grade a
 * licence may open, the longest term, how products reach the catalog's gateway, the statistics releases, the
 * fee rules and the distribution of income to the providing departments. Periods (quota days and months,
 * statement months, disclosure years) are counted in the city's time zone (`city.timeZone`).
 */
export const OperationConfigSchema = Type.Object({
  /**
   * The city's code in registration numbers: `<prefix>-DR-2026-000001` (data resource), `<prefix>-DP-2026-000123`
   * (data product), `<prefix>-LA-2026-000007` (licence, 授权协议).
   */
  registrationPrefix: Type.String({ pattern: '^[A-Z]{2,8}$', default: 'YC' }),
  /**
   * The highest grade (GB/T 43697-2024) a licence may open to an operator. Core data (核心数据) is never licensed;
   * a city that licenses only general data sets `general`.
   */
  maxLicensableGrade: Type.Union([Type.Literal('general'), Type.Literal('important')], { default: 'important' }),
  /** The longest licence term in days (a licence is renewed by a new one). */
  maxLicenceDays: Type.Integer({ minimum: 1, default: 5 * 366 }),
  /**
   * How products read the catalog: through grants of the catalog's sharing gateway made to one in-domain
   * organisation (no person or key of the operator holds them), one per product, renewed before they expire.
   */
  delivery: Type.Object({
    /** The in-domain organisation that holds the delivery grants (created on first use). */
    orgName: Type.String({ minLength: 1, default: '公共数据授权运营域内计算环境' }),
    /** Term of a delivery grant; must not exceed the catalog's `maxGrantDays`. A grant is renewed when it runs out. */
    grantDays: Type.Integer({ minimum: 1, default: 365 }),
    /** Rows a delivery grant may read per day (the catalog's quota). */
    maxRowsPerDay: Type.Integer({ minimum: 1, default: 1_000_000_000 }),
    /** Calls per minute a delivery grant allows (the catalog's rate limit, per node). */
    maxCallsPerMinute: Type.Integer({ minimum: 1, default: 1_000_000 }),
    /** Rows per gateway page when a sandbox query reads rows in the domain. */
    pageSize: Type.Integer({ minimum: 1, default: 10_000 }),
    /** Rows a keyed read (verification, score, model inference) reads at most for one subject. */
    lookupLimit: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
    /**
     * Call terms (a key's access, the product, its licence) each node keeps, so a call does not read them every
     * time; they are checked against the database when the call is metered, in its transaction (0: read always).
     */
    termsCacheEntries: Type.Integer({ minimum: 0, default: 10_000 }),
  }, { default: {} }),
  /**
   * Statistics products: each publishes one release per period through the catalog's disclosure control
   * (differential privacy) and serves every call of that period from it, so repeating or combining calls
   * costs no privacy budget and differencing finds nothing new.
   */
  statistics: Type.Object({
    /** Privacy budget ε of a product's delivery grant (at most the catalog's `disclosure.epsilonPerGrant`). */
    budgetEpsilon: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 10 }),
    /** The most ε one release may spend (at most the catalog's `disclosure.maxEpsilonPerQuery`). */
    maxEpsilonPerRelease: Type.Number({ exclusiveMinimum: 0, default: 2 }),
  }, { default: {} }),
  /** Sandbox queries (沙箱查询): exact answers held for output review. */
  sandbox: Type.Object({
    /** Least size of a group the sandbox lets a reviewer see at all; smaller groups are withheld and counted. */
    minGroupSize: Type.Integer({ minimum: 2, default: 10 }),
    /** Most groups one sandbox answer may hold. */
    maxGroups: Type.Integer({ minimum: 1, default: 1000 }),
  }, { default: {} }),
  /**
   * Distribution of income to the providing departments (收益分配), per product and month, in integer fen:
   * `income_share` gives them `basisPoints` / 10,000 of the product's income (rounded down; the rest stays with
   * the operator); `per_record` gives them `fenPerRecord` for each record the product's billable calls touched,
   * never more than the income. A licence may set its own basis points.
   */
  distribution: Type.Union([
    Type.Object({ method: Type.Literal('income_share'), basisPoints: Type.Integer({ minimum: 0, maximum: 10_000 }) }),
    Type.Object({ method: Type.Literal('per_record'), fenPerRecord: Type.Integer({ minimum: 0 }) }),
  ], { default: { method: 'income_share', basisPoints: 3000 } }),
  /**
   * Anomalies on the supervisor's screen: a month whose calls by one market user to one product reach
   * `spikeFactor` × the median of its other months of the year, and at least `minCalls`.
   */
  anomalies: Type.Object({
    spikeFactor: Type.Number({ exclusiveMinimum: 1, default: 3 }),
    minCalls: Type.Integer({ minimum: 1, default: 50 }),
  }, { default: {} }),
  /** The annual disclosure is due by this month and day of the following year (the 2026 notice: end of March). */
  disclosureDue: Type.String({ pattern: '^\\d{2}-\\d{2}$', default: '03-31' }),
});

export type OperationConfig = Static<typeof OperationConfigSchema>;
