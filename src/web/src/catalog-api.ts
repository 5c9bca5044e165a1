import { api, withQuery } from './api.js';

/**
 * The catalog and sharing API the screens call (src/catalog routes, `/openapi.json`): the public catalogue search,
 * sharing requests and decisions, and "who used my data". All URLs live here.
 */
export interface Facet {
  value: string;
  label?: string;
  count: number;
}

export interface PublicDataset {
  id: string;
  identifier: string;
  title: string;
  description: string;
  ownerOrgId: string;
  ownerName: string | null;
  themes: string[];
  keywords: string[];
  openAttr: string;
  updateCycle: string;
  licence: string | null;
  contactName: string | null;
  distributions: { title: string; format: string }[];
  updatedAt: string;
}

export interface PublicSearch {
  total: number;
  items: PublicDataset[];
  facets: { owner: Facet[]; theme: Facet[]; open: Facet[] };
}

/** A sharing request as `GET /api/share/requests` lists it. */
export interface ShareRequest {
  id: string;
  datasetId: string;
  datasetIdentifier: string;
  datasetTitle: string;
  ownerOrgId: string;
  ownerName: string | null;
  consumerOrgId: string;
  consumerName: string | null;
  fields: string[];
  purpose: string;
  legalBasis: string;
  aggregateOnly: boolean;
  requestedUntil: string;
  status: 'pending' | 'granted' | 'refused' | string;
  dueAt: string;
  /** pending and past the owner's decision deadline */
  overdue: boolean;
  /** when the overdue request was flagged to the data bureau */
  overdueFlaggedAt: string | null;
  decidedAt: string | null;
  decidedBy: string | null;
  reason: string | null;
  createdAt: string;
}

export interface Decision {
  decision: 'grant' | 'refuse';
  reason?: string;
  /** a subset of the requested fields (a narrower grant) */
  fields?: string[];
}

export interface DataUsage {
  linked: boolean;
  accesses: {
    id: number;
    unitId: string;
    unit: string | null;
    purpose: string;
    kind: string;
    dataset: string;
    datasetOwner: string | null;
    accessedAt: string;
    ledgerIndex: number | null;
  }[];
}

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
