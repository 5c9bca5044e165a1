import { sql, type Insertable } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { HotlineKbDocumentTable } from './knowledge-tables.js';
import type { Section } from './knowledge-sections.js';
import './knowledge-tables.js';

type NewDocument = Insertable<HotlineKbDocumentTable>;

/** Inserts a document and its sections (the caller's transaction); returns the document row. */
export async function insertDocument(db: Db, doc: NewDocument, sections: readonly Section[]) {
  const row = await db.insertInto('hotline_kb_document').values(doc).returningAll().executeTakeFirstOrThrow();
  // Inserted in slices: a long document has thousands of sections and a statement's parameters are limited.
  for (let i = 0; i < sections.length; i += 500) {
    await db.insertInto('hotline_kb_section')
      .values(sections.slice(i, i + 500).map((s, k) => ({ document_id: row.id, ord: i + k + 1, heading: s.heading, article: s.article, text: s.text })))
      .execute();
  }
  return row;
}

export type DocumentRow = Awaited<ReturnType<typeof insertDocument>>;

export const listDocuments = (db: Db, status: string | undefined) => {
  let q = db.selectFrom('hotline_kb_document as d')
    .selectAll('d')
    .select((eb) => eb.selectFrom('hotline_kb_section as s').whereRef('s.document_id', '=', 'd.id').select(eb.fn.countAll<string>().as('n')).as('sections'))
    .orderBy('d.created_at', 'desc');
  if (status) q = q.where('d.status', '=', status);
  return q.execute();
};

export const findDocument = (db: Db, id: string) =>
  db.selectFrom('hotline_kb_document').selectAll().where('id', '=', id).executeTakeFirst();

export const findSections = (db: Db, documentId: string) =>
  db.selectFrom('hotline_kb_section').select(['id', 'ord', 'heading', 'article', 'text']).where('document_id', '=', documentId).orderBy('ord').execute();

/** Every section of the active documents with its document's title, unit and validity (the search index's input). */
export const findActiveSections = (db: Db) =>
  db.selectFrom('hotline_kb_section as s')
    .innerJoin('hotline_kb_document as d', 'd.id', 's.document_id')
    .select(['s.id', 's.document_id', 's.heading', 's.article', 's.text', 'd.title', 'd.unit', 'd.valid_from', 'd.valid_to'])
    .where('d.status', '=', 'active')
    .orderBy('d.created_at').orderBy('s.ord')
    .execute();

export type ActiveSectionRow = Awaited<ReturnType<typeof findActiveSections>>[number];

export const retireDocument = (db: Db, id: string, at: Date) =>
  db.updateTable('hotline_kb_document').set({ status: 'retired', retired_at: at, updated_at: at })
    .where('id', '=', id).where('status', '=', 'active').returningAll().executeTakeFirst();

/** Changes whenever a document is added or retired (every node compares it before searching). */
export const knowledgeSignature = async (db: Db): Promise<string> => {
  const r = await sql<{ sig: string | null }>`select count(*) || ':' || coalesce(max(updated_at)::text, '') as sig from hotline_kb_document`.execute(db);
  return r.rows[0]?.sig ?? '';
};

/** Satisfaction of the given tickets (回访满意度), for the cases a draft cites. */
export const findSatisfaction = async (db: Db, ids: readonly string[]): Promise<Map<string, string | null>> => {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('hotline_ticket').select(['id', 'satisfaction']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.satisfaction]));
};
