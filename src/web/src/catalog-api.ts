import { api, withQuery } from './api.js';
// Types only (erased by the build): the screens read the shapes the server's services return and its routes whitelist.
import type { CatalogService, SharingService, UsageService } from '../../catalog/index.js';

/**
 * The catalog and sharing API the screens call (src/catalog routes, `/openapi.json`): the public catalogue search,
 * sharing requests and decisions, and "who used my data". All URLs live here.
 */
export type PublicSearch = Awaited<ReturnType<CatalogService['publicSearch']>>;
export type PublicDataset = PublicSearch['items'][number];
/** a facet value and its count; publishers also carry their name as `label` */
export type Facet = PublicSearch['facets']['theme'][number] & { label?: string };

/** A sharing request as `GET /api/share/requests` lists it (`overdue`: pending past the owner's deadline). */
export type ShareRequest = ReturnType<SharingService['requestView']>;

export interface Decision {
  decision: 'grant' | 'refuse';
  reason?: string;
  /** a subset of the requested fields (a narrower grant) */
  fields?: string[];
}

/** `GET /api/share/my-data-usage` */
export type DataUsage = Awaited<ReturnType<UsageService['myDataUsage']>>;

export const catalogApi = {
  /** The public part of the catalogue, for anyone. */
  searchPublic: (q: { q?: string; owner?: string; theme?: string; limit?: number; offset?: number }) =>
    api<PublicSearch>('GET', withQuery('/api/catalog/public/datasets', q)),
  requests: (q: { status?: string; overdue?: boolean } = {}) => api<ShareRequest[]>('GET', withQuery('/api/share/requests', q)),
  decide: (id: string, d: Decision) => api<{ request: ShareRequest }>('POST', `/api/share/requests/${encodeURIComponent(id)}/decision`, d),
  myDataUsage: () => api<DataUsage>('GET', '/api/share/my-data-usage'),
};

/** Roles that may read sharing requests (`share.request.read`) and so see the inbox. */
export const shareRoles = ['handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin', 'admin'] as const;
