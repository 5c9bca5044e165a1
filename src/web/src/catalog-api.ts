import { api, withQuery } from './api.js';
// Types only (erased by the build): the shapes the catalog's routes take and whitelist (src/catalog/schemas.ts).
import type {
  DataUsage, DatasetView, GrantDecision, PublicDatasetQuery, PublicSearchResult, RequestListQuery, RequestOutcome, RequestView,
} from '../../catalog/schemas.js';

export type { DataUsage, DatasetView, Facet, FieldView, GrantDecision, RequestView } from '../../catalog/schemas.js';
/** One dataset of the public catalogue as the search lists it. */
export type PublicDataset = PublicSearchResult['items'][number];

/**
 * The catalog and sharing API the screens call (src/catalog routes, `/openapi.json`): the public catalogue search,
 * sharing requests and decisions, and "who used my data". All URLs live here.
 */
export const catalogApi = {
  /** The public part of the catalogue, for anyone. */
  searchPublic: (q: PublicDatasetQuery) => api<PublicSearchResult>('GET', withQuery('/api/catalog/public/datasets', q)),
  /** Sharing requests as `GET /api/share/requests` lists them (`overdue`: pending past the owner's deadline). */
  requests: (q: RequestListQuery = {}) => api<RequestView[]>('GET', withQuery('/api/share/requests', q)),
  decide: (id: string, d: GrantDecision) => api<RequestOutcome>('POST', `/api/share/requests/${encodeURIComponent(id)}/decision`, d),
  myDataUsage: () => api<DataUsage>('GET', '/api/share/my-data-usage'),
  /** One dataset with its graded fields (staff: `catalog.read`), by id or identifier. */
  dataset: (ref: string) => api<DatasetView>('GET', `/api/catalog/datasets/${encodeURIComponent(ref)}`),
};

/** Roles that may read sharing requests (`share.request.read`) and so see the inbox. */
export const shareRoles = ['handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin', 'admin'] as const;
