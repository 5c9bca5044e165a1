import { api, documentedRoute, notDocumented, withQuery } from './api.js';
// Types only (erased by the build): the screens read the very shapes the server's routes whitelist.
import type { PublicTicketEventView, PublicTicketView, TicketEventView, TicketView } from '../../hotline/ticket-view.js';
import type { DistrictCounts } from '../../hotline/ticket-service.js';
import type { AreaView, CategoryView } from '../../hotline/reference-service.js';
import type { KpiRow as ServerKpiRow, KpiTable as ServerKpiTable, KpiTrend as ServerKpiTrend } from '../../hotline/kpi/kpi-service.js';
import type { KpiCounts as ServerKpiCounts, KpiRates as ServerKpiRates } from '../../hotline/kpi/three-rates.js';
import type { Wire } from './api.js';

export type { DistrictCounts };

/**
 * The hotline API the screens call, typed after `/openapi.json` (src/hotline routes). All URLs live here, so a
 * change of the API is one edit.
 */
/** The server's ticket as `GET /api/hotline/tickets/:id` hands it out, plus `allowed` on the detail. */
export type Ticket = TicketView & {
  /** the actions the reader may take now (detail only) */
  allowed?: string[];
};

export type TicketEvent = TicketEventView;

/** `GET /api/hotline/track`: the public lookup by number + phone (status, reply, rating; nothing personal). */
export type PublicTicket = PublicTicketView;
export type PublicTicketEvent = PublicTicketEventView;

export interface TicketPage {
  items: Ticket[];
  total: number;
  page: number;
  pageSize: number;
}

export type Category = CategoryView;

/** `GET /api/hotline/areas` answers the tree: districts with their streets. */
export type Area = AreaView & { children?: AreaView[] };

/** The area tree flattened: districts and streets. */
export const flattenAreas = (tree: Area[]): Area[] => tree.flatMap((a) => [a, ...(a.children ?? [])]);

export interface Org {
  id: string;
  name: string;
  kind: string;
  parentId: string | null;
}

export interface TicketFilter {
  status?: string[];
  unitId?: string;
  areaId?: string;
  categoryId?: string;
  overdue?: boolean;
  supervised?: boolean;
  /** the return visit's rating: satisfied | basically_satisfied | unsatisfied */
  satisfaction?: string[];
  text?: string;
  page?: number;
  pageSize?: number;
}

export interface NewTicket {
  title: string;
  content: string;
  channel?: string;
  citizenName?: string;
  citizenPhone?: string;
  address?: string;
  lon?: number;
  lat?: number;
  areaId?: string;
  categoryId?: string;
  urgency?: string;
}

export interface ActionPayload {
  unitId?: string;
  reason?: string;
  replyText?: string;
  result?: string;
  contacted?: boolean;
  solved?: boolean;
  satisfaction?: string;
  mainTicketId?: string;
  /** recategorize (改类) */
  categoryId?: string;
  note?: string;
}

/** `POST /api/hotline/assist` (issue 4); a citizen gets the categories only (`limited`). */
export interface Assist {
  /** null when no classifier is trained yet */
  categories: { categoryId: string | null; label: string; level1: string; confidence: number }[] | null;
  classifierReason?: string | null;
  area?: { areaId: string; name: string; via: string } | null;
  unit?: { unitId: string | null; source: string; ruleId: string | null; categoryId: string | null } | null;
  duplicates?: { ticketId: string; number: string; title: string; similarity: number; distanceMeters: number | null; mainTicketId: string }[];
  similar?: { ticketId: string; number: string; title: string; similarity: number; status: string; reply: string | null }[];
  summary?: { text: string; method: string } | null;
  limited?: boolean;
}

/** The KPI answers as they arrive: the server's types with dates as ISO strings. */
export type KpiCounts = ServerKpiCounts;
export type KpiRates = ServerKpiRates;
export type KpiRow = Wire<ServerKpiRow>;
export type KpiTable = Wire<ServerKpiTable>;
export type KpiTrend = Wire<ServerKpiTrend>;

const H = '/api/hotline';

export const hotline = {
  listTickets: (f: TicketFilter) => api<TicketPage>('GET', withQuery(`${H}/tickets`, { ...f })),
  getTicket: (id: string) => api<Ticket>('GET', `${H}/tickets/${encodeURIComponent(id)}`),
  timeline: (id: string) => api<TicketEvent[]>('GET', `${H}/tickets/${encodeURIComponent(id)}/timeline`),
  createTicket: (t: NewTicket) => api<Ticket>('POST', `${H}/tickets`, t),
  act: (id: string, action: string, payload: ActionPayload = {}) =>
    api<Ticket>('POST', `${H}/tickets/${encodeURIComponent(id)}/${action}`, payload),
  /** Routing: the unit the rules (category × area, else the district government) give this ticket. */
  suggestUnit: (categoryId: string | null, areaId: string | null) =>
    api<{ unitId: string | null; source: string; ruleId: string | null }>('GET', withQuery(`${H}/routing/suggest`, { categoryId, areaId })),
  categories: () => api<Category[]>('GET', `${H}/categories`),
  areas: () => api<Area[]>('GET', `${H}/areas`),
  units: () => api<Org[]>('GET', '/api/orgs'),
  assist: async (body: { title: string; content: string; address?: string }) => {
    if (!(await documentedRoute('POST', `${H}/assist`))) throw notDocumented('POST', `${H}/assist`);
    return api<Assist>('POST', `${H}/assist`, body);
  },
  kpi: (q: { groupBy: string; period?: string; from?: string; to?: string }) => api<KpiTable>('GET', withQuery(`${H}/kpi/`, q)),
  kpiTrend: (q: { period?: string; from?: string; to?: string }) => api<KpiTrend>('GET', withQuery(`${H}/kpi/trend`, q)),
  draftReply: (body: { title: string; content: string; unitName?: string | null }) =>
    api<{ text: string; method: string }>('POST', `${H}/replies/draft`, body),
  /** A citizen's lookup by number + phone (no login): the public view of the ticket and its timeline. */
  track: (number: string, phone: string) =>
    api<{ ticket: PublicTicket; timeline: PublicTicketEvent[] }>('GET', withQuery(`${H}/track`, { number, phone })),
  /** Tickets, open and overdue tickets per district (the cockpit map). */
  districtCounts: (q: { from?: string; to?: string } = {}) => api<DistrictCounts>('GET', withQuery(`${H}/district-counts`, q)),
};

export const categoryLabel = (c: Category | undefined): string =>
  c ? [c.level1, c.level2, c.level3].filter(Boolean).join(' / ') : '';
