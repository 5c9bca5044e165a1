import { api, cachedLookup, documentedRoute, notDocumented, withQuery } from './api.js';
// Types only (erased by the build): the shapes the server's routes take and whitelist, written once in its
// schemas.ts files; a change of the API's shape fails the typecheck of the screens.
import type {
  AreaNode, AreaView, CategoryView, NewTicketBody, TicketDetail, TicketEventView, TicketPage, TicketQuery, TicketView,
  TrackBody, TrackResult, TransitionPayload, UnitSuggestion,
} from '../../hotline/schemas.js';
import type { DistrictCounts, DistrictCountsQuery, KpiTable, KpiTableQuery, KpiTrend, KpiTrendQuery, TicketPoints } from '../../hotline/kpi/schemas.js';
import type { AssistInput, AssistResult } from '../../hotline/intel/schemas.js';
import type { OrgView } from '../../platform/auth/schemas.js';
// The coded fields' values for the screens' pickers, from a leaf of the server (lists of strings, no imports).
import { ticketActions, type TicketAction } from '../../hotline/ticket-enums.js';

export type {
  AreaNode, AreaView, AssistResult, CategoryView, DistrictCounts, KpiTable, KpiTableQuery, KpiTrend, OrgView, TicketAction, TicketPoints,
  TicketDetail, TicketEventView, TicketPage, TicketQuery, TicketView, TransitionPayload,
};
export type { KpiRates } from '../../hotline/kpi/schemas.js';
export type { PublicTicketEventView, PublicTicketView } from '../../hotline/schemas.js';
export type { Satisfaction, TicketResult, Urgency } from '../../hotline/ticket-enums.js';
export { satisfactions, ticketResults, urgencies } from '../../hotline/ticket-enums.js';

/** A KPI period (day, ISO week, month of the city's time zone). */
export type KpiPeriod = NonNullable<KpiTrendQuery['period']>;

/** Whether the server's `allowed` entry is a workflow action this app knows (a newer server may add some). */
export const isTicketAction = (action: string): action is TicketAction => (ticketActions as readonly string[]).includes(action);

/** The area tree flattened: districts and streets. */
export const flattenAreas = (tree: AreaNode[]): AreaView[] => tree.flatMap((a) => [a, ...a.children]);

const H = '/api/hotline';

/**
 * The hotline API the screens call (src/hotline routes, `/openapi.json`). All URLs live here, so a change of the
 * API is one edit.
 */
export const hotline = {
  listTickets: (q: TicketQuery) => api<TicketPage>('GET', withQuery(`${H}/tickets`, { ...q })),
  /** One ticket, with the actions the reader may take now (`allowed`). */
  getTicket: (id: string) => api<TicketDetail>('GET', `${H}/tickets/${encodeURIComponent(id)}`),
  timeline: (id: string) => api<TicketEventView[]>('GET', `${H}/tickets/${encodeURIComponent(id)}/timeline`),
  createTicket: (t: NewTicketBody) => api<TicketView>('POST', `${H}/tickets`, t),
  act: (id: string, action: TicketAction, payload: TransitionPayload = {}) =>
    api<TicketView>('POST', `${H}/tickets/${encodeURIComponent(id)}/${action}`, payload),
  /** Routing: the unit the rules (category × area, else the district government) give this ticket. */
  suggestUnit: (categoryId: string | null, areaId: string | null) =>
    api<UnitSuggestion>('GET', withQuery(`${H}/routing/suggest`, { categoryId, areaId })),
  categories: cachedLookup(() => api<CategoryView[]>('GET', `${H}/categories`)),
  /** The area tree: districts with their streets. */
  areas: cachedLookup(() => api<AreaNode[]>('GET', `${H}/areas`)),
  units: cachedLookup(() => api<OrgView[]>('GET', '/api/orgs')),
  /** `POST /api/hotline/assist` (issue 4); a citizen gets the categories only (`limited`). */
  assist: async (body: AssistInput) => {
    if (!(await documentedRoute('POST', `${H}/assist`))) throw notDocumented('POST', `${H}/assist`);
    return api<AssistResult>('POST', `${H}/assist`, body);
  },
  kpi: (q: KpiTableQuery) => api<KpiTable>('GET', withQuery(`${H}/kpi/`, q)),
  kpiTrend: (q: KpiTrendQuery) => api<KpiTrend>('GET', withQuery(`${H}/kpi/trend`, q)),
  /**
   * A citizen's lookup by number + phone (no login): the public view of the ticket and its timeline. A POST with
   * both in the body: the phone never goes into a URL (server logs, proxies, the browser's history).
   */
  track: (number: string, phone: string) => api<TrackResult>('POST', `${H}/track`, { number, phone } satisfies TrackBody),
  /** Tickets, open and overdue tickets per district (the cockpit map). */
  districtCounts: (q: DistrictCountsQuery = {}) => api<DistrictCounts>('GET', withQuery(`${H}/district-counts`, q)),
  /** Places of tickets (about 100 m) with open and overdue flags: the wall's heat and overdue layers. */
  ticketPoints: (q: DistrictCountsQuery = {}) => api<TicketPoints>('GET', withQuery(`${H}/ticket-points`, q)),
};

export const categoryLabel = (c: CategoryView | undefined): string =>
  c ? [c.level1, c.level2, c.level3].filter(Boolean).join(' / ') : '';
