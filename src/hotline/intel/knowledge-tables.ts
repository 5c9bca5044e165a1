import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** A policy document of the knowledge base (知识库): who owns it and when it is in force. */
export interface HotlineKbDocumentTable {
  id: Generated<string>;
  title: string;
  file_name: string | null;
  /** text | docx | pdf (knowledge-readers.ts) */
  format: string;
  /** the owning unit (发文/主管单位) as written on the document */
  unit: string;
  /** YYYY-MM-DD, kept as text so both engines compare them as the city's calendar dates */
  valid_from: string;
  valid_to: string | null;
  /** active | retired */
  status: string;
  bytes: number;
  sha256: string;
  uploaded_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  retired_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** A citable section of a document: an article (第X条) or the text under a heading. */
export interface HotlineKbSectionTable {
  id: Generated<string>;
  document_id: string;
  ord: number;
  heading: string | null;
  article: string | null;
  text: string;
}

declare module '../../platform/db/schema.js' {
  interface Database {
    hotline_kb_document: HotlineKbDocumentTable;
    hotline_kb_section: HotlineKbSectionTable;
  }
}
