import { Type, type Static } from 'typebox';
import { NStr, Nullable, Uuid } from '../platform/http/common-schemas.js';
import {
  satisfactions, supervisionLevels, ticketActions, ticketChannels, ticketResults, ticketSorts, ticketStatuses, urgencies,
} from './ticket-enums.js';

/**
 * The hotline's request and response schemas (tickets, tracking, routing, reference data), and the types the
 * services take and return, derived from them: each shape is written once, here. A leaf (typebox and the enum
 * lists only), so the web app imports these types with `import type`.
 */

const NNum = Nullable(Type.Number());
const NBool = Nullable(Type.Boolean());
const Lon = Type.Number({ minimum: -180, maximum: 180 });
const Lat = Type.Number({ minimum: -90, maximum: 90 });

export const IdParams = Type.Object({ id: Uuid });
export type IdParams = Static<typeof IdParams>;

// ── tickets ────────────────────────────────────────────────────────────────────────────────────────────

export const Attachment = Type.Object({
  name: Type.String({ maxLength: 200 }), type: Type.String({ maxLength: 100 }), size: Type.Integer({ minimum: 0 }),
  url: Type.Optional(Type.String({ maxLength: 1000 })),
});
export type Attachment = Static<typeof Attachment>;

/**
 * A ticket as services and routes hand it out: camelCase, ISO timestamps, and the citizen's name and phone
 * masked unless the reader handles the ticket (or is the citizen who filed it). A whitelist: anything not
 * listed here never leaves the server.
 */
export const TicketView = Type.Object({
  id: Type.String(), number: Type.String(), channel: Type.String(),
  citizenName: NStr, citizenPhone: NStr,
  /** true when citizenName / citizenPhone are masked for this reader */
  masked: Type.Boolean(),
  title: Type.String(), content: Type.String(), address: NStr, lon: NNum, lat: NNum,
  areaId: NStr, districtId: NStr, categoryId: NStr, urgency: Type.String(),
  tags: Type.Array(Type.String()), attachments: Type.Array(Attachment),
  status: Type.String(), unitId: NStr, mainTicketId: NStr,
  supervised: Type.Boolean(), supervisionLevel: NStr, supervisionDueAt: NStr, signOverdue: Type.Boolean(), overdue: Type.Boolean(), deadlineWarning: Type.Boolean(),
  returnCount: Type.Integer(), reopenCount: Type.Integer(), returnReason: NStr,
  replyText: NStr, result: NStr, visitContacted: NBool, visitSolved: NBool, satisfaction: NStr, likes: Type.Integer(),
  source: NStr, externalId: NStr, open311Token: NStr,
  /** filed for publication: listed (masked) in the public Open311 feed */
  public: Type.Boolean(),
  createdAt: Type.String(), updatedAt: Type.String(), dispatchedAt: NStr, signDueAt: NStr, acceptedAt: NStr, dueAt: NStr,
  answeredAt: NStr, visitedAt: NStr, closedAt: NStr,
});
export type TicketView = Static<typeof TicketView>;

/** One ticket with the actions the reader may take on it now. */
export const TicketDetail = Type.Intersect([TicketView, Type.Object({ allowed: Type.Array(Type.String()) })]);
export type TicketDetail = Static<typeof TicketDetail>;

/** A timeline step: who did what, when, and the details kept with it. */
export const TicketEventView = Type.Object({
  id: Type.Integer(), at: Type.String(), actor: Type.String(), actorOrgId: NStr, action: Type.String(),
  fromStatus: NStr, toStatus: NStr, details: Type.Record(Type.String(), Type.Unknown()),
});
export type TicketEventView = Static<typeof TicketEventView>;

/** `POST /tickets`: what a new ticket needs; everything but title and content is optional. */
export const NewTicketBody = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  content: Type.String({ minLength: 1, maxLength: 10_000 }),
  /** default: `web` for citizens, `open311` for API keys, `phone` for agents */
  channel: Type.Optional(Type.Enum(ticketChannels)),
  citizenName: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  citizenPhone: Type.Optional(Nullable(Type.String({ maxLength: 30, pattern: '^[0-9+\\- ]*$' }))),
  address: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  lon: Type.Optional(Nullable(Lon)),
  lat: Type.Optional(Nullable(Lat)),
  areaId: Type.Optional(Nullable(Uuid)),
  categoryId: Type.Optional(Nullable(Uuid)),
  /** default `normal` */
  urgency: Type.Optional(Type.Enum(urgencies)),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 20 })),
  attachments: Type.Optional(Type.Array(Attachment, { maxItems: 20 })),
  /** photos uploaded before with `POST /api/hotline/photos` (the filer's own, unused) */
  photoIds: Type.Optional(Type.Array(Uuid, { maxItems: 20 })),
  /**
   * Publish the appeal (masked) in the public Open311 feed; default false — a ticket is private unless the citizen
   * asks for publication (tickets filed through Open311 are always public).
   */
  public: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export type NewTicketBody = Static<typeof NewTicketBody>;

/**
 * What the intake service files (`hotline.intake.create`): the request body, plus what only trusted callers set —
 * the Open311 facade and importers, never the HTTP body.
 */
export type NewTicket = NewTicketBody & {
  /** Where the ticket came from (e.g. `open311`) and its id there; unique together. */
  source?: string | null;
  externalId?: string | null;
  /** Open311: hand back a token (`POST requests` answers with one); `true` generates it. */
  open311Token?: string | true | null;
  /** Open311: the client's `address_id`, echoed in GET requests. */
  open311AddressId?: string | null;
  /**
   * Store title and content exactly as given, without trimming: Open311 hands the `description` back byte for
   * byte as the client sent it (leading spaces, CR LF and all).
   */
  keepTextAsSent?: boolean;
};

/** What the workflow actions take; each action reads only its own fields (TicketWorkflowService.transition). */
export const TransitionPayload = Type.Object({
  /** dispatch: the unit; when absent the routing suggestion is used */
  unitId: Type.Optional(Uuid),
  /** return: why the unit sends it back (required) */
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  /** answer: the reply to the citizen and the result (required) */
  replyText: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
  result: Type.Optional(Type.Enum(ticketResults)),
  /** visit: the return visit (required) */
  contacted: Type.Optional(Type.Boolean()),
  solved: Type.Optional(Type.Boolean()),
  satisfaction: Type.Optional(Type.Enum(satisfactions)),
  /** merge: the main ticket (required) */
  mainTicketId: Type.Optional(Uuid),
  /** recategorize: the ticket's new category (required) */
  categoryId: Type.Optional(Uuid),
  /** supervise: 一般督办 (default), 重点督办 or 挂牌督办, and the date the unit must answer by (optional) */
  supervisionLevel: Type.Optional(Type.Enum(supervisionLevels)),
  supervisionDueAt: Type.Optional(Type.String({ format: 'date-time' })),
  /** any action: a remark kept in the timeline */
  note: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: false });
export type TransitionPayload = Static<typeof TransitionPayload>;

export const TransitionParams = Type.Object({ id: Uuid, action: Type.Enum(ticketActions) });
export type TransitionParams = Static<typeof TransitionParams>;

/** Which tickets (`GET /tickets`); every filter is optional and they combine with AND. */
export const TicketFilter = Type.Object({
  status: Type.Optional(Type.Array(Type.Enum(ticketStatuses))),
  unitId: Type.Optional(Uuid),
  /** the ticket's area or its district */
  areaId: Type.Optional(Uuid),
  categoryId: Type.Optional(Uuid),
  mainTicketId: Type.Optional(Uuid),
  overdue: Type.Optional(Type.Boolean()),
  supervised: Type.Optional(Type.Boolean()),
  satisfaction: Type.Optional(Type.Array(Type.Enum(satisfactions), { description: 'the return visit\'s rating (满意度)' })),
  /** a substring of the number, title or content */
  text: Type.Optional(Type.String({ maxLength: 100 })),
  /** only tickets still being worked on (not closed, not merged): the workbench's action queues */
  open: Type.Optional(Type.Boolean()),
  /** filed on or after / before these instants */
  createdFrom: Type.Optional(Type.String({ format: 'date-time' })),
  createdTo: Type.Optional(Type.String({ format: 'date-time' })),
  /** whose answer deadline is before this instant (due soon) */
  dueBefore: Type.Optional(Type.String({ format: 'date-time' })),
  /** newest first (default), oldest first, or the nearest deadline first */
  sort: Type.Optional(Type.Enum(ticketSorts)),
});
export type TicketFilter = Static<typeof TicketFilter>;

/** A ticket filter and a page (1-based); one object, as a querystring schema must be. */
export const TicketQuery = Type.Object({
  ...TicketFilter.properties,
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
});
export type TicketQuery = Static<typeof TicketQuery>;

export const TicketPage = Type.Object({
  items: Type.Array(TicketView),
  /** The tickets that match, counted up to `modules.hotline.list.countLimit`. */
  total: Type.Integer(),
  /** false: at least `total` match (the count stopped at the limit). */
  totalExact: Type.Boolean(),
  page: Type.Integer(),
  pageSize: Type.Integer(),
});
export type TicketPage = Static<typeof TicketPage>;

// ── the public lookup (查询进度) ───────────────────────────────────────────────────────────────────────────

/**
 * `POST /api/hotline/track`: the ticket number and the phone given when filing. A body, never a query string, so the
 * phone stays out of URLs, access logs, proxies' logs and the browser's history (issue 15, finding 9).
 */
export const TrackBody = Type.Object({
  number: Type.String({ minLength: 1, maxLength: 40 }),
  phone: Type.String({ minLength: 1, maxLength: 30 }),
}, { additionalProperties: false });
export type TrackBody = Static<typeof TrackBody>;

/**
 * What the public lookup by number + phone shows (`POST /api/hotline/track`): where the matter stands, the reply
 * and the rating; nothing that names or locates anyone (no name, phone, content, address, units, staff; title and
 * reply pass through the mask for public text).
 */
export const PublicTicketView = Type.Object({
  id: Type.String(), number: Type.String(), title: Type.String(), status: Type.String(), categoryId: NStr,
  overdue: Type.Boolean(), signOverdue: Type.Boolean(), replyText: NStr, result: NStr,
  visitContacted: NBool, visitSolved: NBool, satisfaction: NStr,
  createdAt: Type.String(), updatedAt: Type.String(), dispatchedAt: NStr, dueAt: NStr, answeredAt: NStr, visitedAt: NStr, closedAt: NStr,
  /** the handling unit's name (an organisation, never a person) and its deadlines to sign and to answer (issue 17) */
  unitName: Type.Optional(NStr), signDueAt: Type.Optional(NStr), acceptedAt: Type.Optional(NStr),
  /** times the case went back for redo (重办) */
  reopenCount: Type.Optional(Type.Integer()),
  /** the actions the caller may take now: `visit` (rate) for the logged-in citizen who filed it, else none */
  allowed: Type.Array(Type.String()),
});
export type PublicTicketView = Static<typeof PublicTicketView>;

/** A timeline step as the public lookup shows it: what happened and when, not who or why. */
export const PublicTicketEventView = Type.Object({ id: Type.Integer(), at: Type.String(), action: Type.String(), fromStatus: NStr, toStatus: NStr });
export type PublicTicketEventView = Static<typeof PublicTicketEventView>;

export const TrackResult = Type.Object({ ticket: PublicTicketView, timeline: Type.Array(PublicTicketEventView) });
export type TrackResult = Static<typeof TrackResult>;

// ── routing ────────────────────────────────────────────────────────────────────────────────────────────

export const SuggestQuery = Type.Object({ categoryId: Type.Optional(Uuid), areaId: Type.Optional(Uuid) });
export type SuggestQuery = Static<typeof SuggestQuery>;

/** The unit routing proposes. */
export const UnitSuggestion = Type.Object({
  unitId: NStr,
  /** `rule`: a routing rule matched; `district`: 首接负责, the district government; `none`: nothing found */
  source: Type.Enum(['rule', 'district', 'none']),
  ruleId: NStr,
});
export type UnitSuggestion = Static<typeof UnitSuggestion>;

// ── reference data: areas, categories, routing rules ───────────────────────────────────────────────────

export const AreaView = Type.Object({
  id: Type.String(), parentId: NStr, name: Type.String(),
  /** district | street */
  level: Type.String(),
  orgId: NStr, centerLon: NNum, centerLat: NNum,
});
export type AreaView = Static<typeof AreaView>;

/** A district with its streets. */
export const AreaNode = Type.Intersect([AreaView, Type.Object({ children: Type.Array(AreaView) })]);
export type AreaNode = Static<typeof AreaNode>;

/** A district (no parent) or a street (parent: a district). */
export const NewArea = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }), parentId: Type.Optional(Nullable(Uuid)), orgId: Type.Optional(Nullable(Uuid)),
  centerLon: Type.Optional(Nullable(Lon)), centerLat: Type.Optional(Nullable(Lat)),
}, { additionalProperties: false });
export type NewArea = Static<typeof NewArea>;

export const AreaPatch = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), orgId: Type.Optional(Nullable(Uuid)),
  centerLon: Type.Optional(Nullable(Lon)), centerLat: Type.Optional(Nullable(Lat)),
}, { additionalProperties: false });
export type AreaPatch = Static<typeof AreaPatch>;

export const CategoryView = Type.Object({
  id: Type.String(), code: Type.String(), level1: Type.String(), level2: NStr, level3: NStr,
  /** `城乡建设 / 安全生产 / 安全隐患` */
  path: Type.String(),
  active: Type.Boolean(),
});
export type CategoryView = Static<typeof CategoryView>;

/** One taxonomy node by its path; a taxonomy CSV row (level1,level2,level3) is one too. */
export const CategoryPath = Type.Object({
  level1: Type.String({ minLength: 1, maxLength: 100 }),
  level2: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
  level3: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
}, { additionalProperties: false });
export type CategoryPath = Static<typeof CategoryPath>;

export const CategoryListQuery = Type.Object({ includeInactive: Type.Optional(Type.Boolean()) });
export type CategoryListQuery = Static<typeof CategoryListQuery>;

export const CategoryActive = Type.Object({ active: Type.Boolean() }, { additionalProperties: false });
export type CategoryActive = Static<typeof CategoryActive>;

/** What a taxonomy import did: rows read, nodes added, nodes already there, rows with a hole. */
export const TaxonomyImportResult = Type.Object({ rows: Type.Integer(), created: Type.Integer(), existing: Type.Integer(), bad: Type.Integer() });
export type TaxonomyImportResult = Static<typeof TaxonomyImportResult>;

/** A routing rule: category × area → unit (either may be any). */
export const RoutingRuleView = Type.Object({
  id: Type.String(), categoryId: NStr, areaId: NStr, unitId: Type.String(), priority: Type.Integer(), createdAt: Type.String(),
});
export type RoutingRuleView = Static<typeof RoutingRuleView>;

const RuleFields = {
  categoryId: Type.Optional(Nullable(Uuid)), areaId: Type.Optional(Nullable(Uuid)),
  priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
};
export const NewRoutingRule = Type.Object({ ...RuleFields, unitId: Uuid }, { additionalProperties: false });
export type NewRoutingRule = Static<typeof NewRoutingRule>;

export const RoutingRulePatch = Type.Object({ ...RuleFields, unitId: Type.Optional(Uuid) }, { additionalProperties: false });
export type RoutingRulePatch = Static<typeof RoutingRulePatch>;
