import { Type, type Static } from 'typebox';

/**
 * `modules.hotline` in the configuration file: deadlines and the deadline job. Every deadline comes from the
 * city's rules, so it is configuration, never a constant in code (docs/hotline.md, docs/configuration.md). Ticket
 * numbers (`20261126-000123`) use the local date of the city's one time zone, `city.timeZone`.
 */
export const HotlineConfigSchema = Type.Object({
  deadlines: Type.Object(
    {
      /** Hours to answer, counted from signing (签收), per urgency. */
      emergencyHours: Type.Number({ exclusiveMinimum: 0, default: 2 }),
      urgentHours: Type.Number({ exclusiveMinimum: 0, default: 24 }),
      normalHours: Type.Number({ exclusiveMinimum: 0, default: 7 * 24 }),
      complexHours: Type.Number({ exclusiveMinimum: 0, default: 15 * 24 }),
      /** Hours a unit has to sign for (签收) a dispatched ticket. */
      signHours: Type.Number({ exclusiveMinimum: 0, default: 2 }),
      /** Share of the answer time after which a ticket carries a deadline warning (预警). */
      warningFraction: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.8 }),
    },
    { default: {} },
  ),
  /**
   * Ticket intake's `Idempotency-Key` header: how long a caller's key is kept, i.e. how late a retry of the same
   * filing still gets the first ticket back instead of a second one (docs/hotline.md), and how often the purge job
   * deletes the keys past it (0: never; a caller's expired keys then go only at its next keyed filing).
   */
  intake: Type.Object(
    {
      idempotencyKeyHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 30, default: 24 }),
      keyPurgeIntervalSeconds: Type.Integer({ minimum: 0, default: 3600 }),
      /**
       * Filings that arrive while others are being written go together in one transaction, up to this many: the
       * day's counter row and the ledger's head are taken once per batch (docs/deploy/cluster.md). 1: one by one.
       */
      maxBatch: Type.Integer({ minimum: 1, maximum: 500, default: 32 }),
    },
    { default: {} },
  ),
  /**
   * The ticket list counts the tickets that match exactly up to this many and answers "this many or more" beyond
   * (`totalExact: false`): an exact count reads every matching row, the whole table for a city-wide list.
   */
  list: Type.Object({ countLimit: Type.Integer({ minimum: 100, maximum: 10_000_000, default: 1000 }) }, { default: {} }),
  /**
   * Committed ticket changes are announced on the bus (`hotline.tickets.changed`, read by every node's
   * similar-case index) at most once per this many milliseconds per node, the window's tickets together; 0: each
   * change at once.
   */
  ticketsChangedEventMs: Type.Integer({ minimum: 0, maximum: 5000, default: 50 }),
  /** How often the deadline job refreshes the sign_overdue / overdue / deadline_warning flags; 0 turns it off. */
  deadlineJobIntervalSeconds: Type.Integer({ minimum: 0, default: 60 }),
  /**
   * The public lookup by ticket number + phone (`POST /api/hotline/track`): after `maxFailures` misses (unknown
   * number or wrong phone) within `windowSeconds`, from one client address or on one number, it answers 429.
   */
  track: Type.Object(
    {
      maxFailures: Type.Integer({ minimum: 1, default: 10 }),
      windowSeconds: Type.Integer({ minimum: 1, default: 900 }),
    },
    { default: {} },
  ),
  /** The citizen's side (issue 17): photos, nearby appeals, the rating that sends a case back, the base map. */
  citizen: Type.Object(
    {
      /** Largest photo accepted, in bytes (the browser compresses before sending). */
      photoMaxBytes: Type.Integer({ minimum: 10_000, maximum: 20_000_000, default: 2_000_000 }),
      /** Largest thumbnail accepted, in bytes. */
      thumbnailMaxBytes: Type.Integer({ minimum: 1_000, maximum: 1_000_000, default: 100_000 }),
      /** Largest side of a photo in pixels; bigger images (decompression bombs) are refused from their header. */
      photoMaxSide: Type.Integer({ minimum: 256, maximum: 20_000, default: 4096 }),
      /** Photos per ticket. */
      photosPerTicket: Type.Integer({ minimum: 0, maximum: 20, default: 6 }),
      /** Radius in metres of "nearby open appeals" shown while a citizen files. */
      nearbyRadiusMeters: Type.Integer({ minimum: 50, maximum: 20_000, default: 800 }),
      /**
       * When the citizen's own rating (回访) says 未解决 or 不满意, the ticket goes back to its unit for redo (重办)
       * and is flagged for the supervisor (督办). false: the rating is recorded and the supervisor decides.
       */
      redoOnUnsatisfied: Type.Boolean({ default: true }),
      /** How long a node may take to send a notice it claimed (SMS, WeChat) before another node may send it. */
      noticeLeaseSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 120 }),
    },
    { default: {} },
  ),
  /**
   * The base map every face draws under its layers (docs/web.md). `offline`: the demo city's own basemap, shipped
   * with the web app, no network. `xyz`: a tile URL with {z}/{x}/{y} (and {s} for subdomains), e.g. a city's own
   * tile service or 天地图 (`…/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=KEY`).
   */
  map: Type.Object(
    {
      base: Type.Union([Type.Literal('offline'), Type.Literal('xyz')], { default: 'offline' }),
      tileUrl: Type.String({ maxLength: 500, default: '' }),
      /** A label layer drawn over the tiles (天地图's cva_w), optional. */
      labelUrl: Type.String({ maxLength: 500, default: '' }),
      subdomains: Type.String({ maxLength: 20, default: '' }),
      attribution: Type.String({ maxLength: 300, default: '' }),
      /** The tiles' coordinate system: wgs84 (天地图, OSM) or gcj02 (most commercial Chinese maps); data is WGS 84. */
      coordinateSystem: Type.Union([Type.Literal('wgs84'), Type.Literal('gcj02')], { default: 'wgs84' }),
      minZoom: Type.Integer({ minimum: 0, maximum: 22, default: 10 }),
      maxZoom: Type.Integer({ minimum: 0, maximum: 22, default: 18 }),
      /** The city's centre [lon, lat] and starting zoom. */
      center: Type.Tuple([Type.Number({ minimum: -180, maximum: 180 }), Type.Number({ minimum: -90, maximum: 90 })], { default: [112.95, 28.2] }),
      zoom: Type.Integer({ minimum: 0, maximum: 22, default: 11 }),
    },
    { default: {} },
  ),
});

export type HotlineConfig = Static<typeof HotlineConfigSchema>;
export type HotlineDeadlines = HotlineConfig['deadlines'];
export type CitizenConfig = HotlineConfig['citizen'];
export type MapConfig = HotlineConfig['map'];

