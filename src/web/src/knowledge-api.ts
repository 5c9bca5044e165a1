import { api, withQuery } from './api.js';
// Types only: the shapes of the grounded drafts and the knowledge base (src/hotline/intel/*schemas.ts).
import type { DraftInput, DraftResult } from '../../hotline/intel/schemas.js';
import type { KnowledgeAnswer, KnowledgeDocumentList, KnowledgeQuestion, KnowledgeSearchQuery, KnowledgeSearchResult } from '../../hotline/intel/knowledge-schemas.js';

export type { GroundingSource, KnowledgeAnswer } from '../../hotline/intel/knowledge-schemas.js';
export type { DraftResult } from '../../hotline/intel/schemas.js';

const K = '/api/hotline/knowledge';

/** Grounded reply drafts and the policy knowledge base (issue 19 items 2 and 3). */
export const knowledgeApi = {
  /** A draft citing closed cases [C1] and policy sections [P1], with those sources. */
  draft: (body: DraftInput) => api<DraftResult>('POST', '/api/hotline/replies/draft', body),
  ask: (body: KnowledgeQuestion) => api<KnowledgeAnswer>('POST', `${K}/ask`, body),
  search: (q: KnowledgeSearchQuery) => api<KnowledgeSearchResult>('GET', withQuery(`${K}/search`, q)),
  documents: () => api<KnowledgeDocumentList>('GET', `${K}/documents`),
};
