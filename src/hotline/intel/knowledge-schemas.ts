import { Type, type Static } from 'typebox';
import { Nullable } from '../../platform/http/common-schemas.js';

/** The knowledge base's and the grounded answers' request and response schemas (issue 19 items 2 and 3). */

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD, the city’s calendar date' });

export const KnowledgeUploadQuery = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  /** the owning unit (发文/主管单位) */
  unit: Type.String({ minLength: 1, maxLength: 200 }),
  validFrom: Day,
  validTo: Type.Optional(Day),
  fileName: Type.Optional(Type.String({ maxLength: 255 })),
}, { additionalProperties: false });
export type KnowledgeUploadQuery = Static<typeof KnowledgeUploadQuery>;

export const KnowledgeDocument = Type.Object({
  id: Type.String(),
  title: Type.String(),
  fileName: Nullable(Type.String()),
  format: Type.Enum(['text', 'docx', 'pdf']),
  unit: Type.String(),
  validFrom: Type.String(),
  validTo: Nullable(Type.String()),
  status: Type.Enum(['active', 'retired']),
  sections: Type.Integer(),
  bytes: Type.Integer(),
  createdAt: Type.String(),
  retiredAt: Nullable(Type.String()),
});
export type KnowledgeDocument = Static<typeof KnowledgeDocument>;

export const KnowledgeSection = Type.Object({
  id: Type.String(),
  heading: Nullable(Type.String()),
  article: Nullable(Type.String()),
  text: Type.String(),
});
export type KnowledgeSection = Static<typeof KnowledgeSection>;

export const KnowledgeDocumentDetail = Type.Object({ ...KnowledgeDocument.properties, sectionList: Type.Array(KnowledgeSection) });
export type KnowledgeDocumentDetail = Static<typeof KnowledgeDocumentDetail>;

export const KnowledgeListQuery = Type.Object({ status: Type.Optional(Type.Enum(['active', 'retired'])) }, { additionalProperties: false });
export const KnowledgeDocumentList = Type.Object({ documents: Type.Array(KnowledgeDocument) });
export type KnowledgeDocumentList = Static<typeof KnowledgeDocumentList>;

export const KnowledgeDocumentParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** A source an answer or a draft rests on: a policy section (P1, P2 …) or a closed case (C1, C2 …). */
export const GroundingSource = Type.Object({
  /** the marker the text cites it by: `[P1]`, `[C2]` */
  ref: Type.String(),
  kind: Type.Enum(['policy', 'case']),
  /** how the agent sees it: 《title》第五条 (unit), or the case number */
  label: Type.String(),
  /** the words taken from it (PII-masked for cases) */
  excerpt: Type.String(),
  /** relevance (policy) or cosine similarity (case), 0..1 */
  score: Type.Number(),
  documentId: Type.Optional(Type.String()),
  sectionId: Type.Optional(Type.String()),
  unit: Type.Optional(Type.String()),
  validFrom: Type.Optional(Type.String()),
  validTo: Type.Optional(Nullable(Type.String())),
  ticketId: Type.Optional(Type.String()),
  number: Type.Optional(Type.String()),
  /** the citizen's rating at the return visit (回访): satisfied | basically_satisfied | unsatisfied */
  satisfaction: Type.Optional(Nullable(Type.String())),
});
export type GroundingSource = Static<typeof GroundingSource>;

export const KnowledgeSearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 500 }),
  asOf: Type.Optional(Day),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
}, { additionalProperties: false });
export type KnowledgeSearchQuery = Static<typeof KnowledgeSearchQuery>;

export const KnowledgeSearchResult = Type.Object({ hits: Type.Array(GroundingSource) });
export type KnowledgeSearchResult = Static<typeof KnowledgeSearchResult>;

export const KnowledgeQuestion = Type.Object({
  question: Type.String({ minLength: 2, maxLength: 1000 }),
  /** the date the answer must hold on (default today) */
  asOf: Type.Optional(Day),
}, { additionalProperties: false });
export type KnowledgeQuestion = Static<typeof KnowledgeQuestion>;

export const KnowledgeAnswer = Type.Object({
  answer: Type.String(),
  /** true when nothing relevant was found: the answer is 知识库中未找到相关依据 and no model was asked */
  refused: Type.Boolean(),
  sources: Type.Array(GroundingSource),
  method: Type.Enum(['llm', 'offline']),
  llmError: Type.Optional(Type.String()),
});
export type KnowledgeAnswer = Static<typeof KnowledgeAnswer>;
