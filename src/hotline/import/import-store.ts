import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import '../tables.js';

/** An import run that has not finished for this file content and source: a re-run resumes it. */
export const findUnfinishedRun = (db: Db, fileSha256: string, source: string) =>
  db
    .selectFrom('hotline_import_run')
    .selectAll()
    .where('file_sha256', '=', fileSha256)
    .where('source', '=', source)
    .where('finished_at', 'is', null)
    .orderBy('started_at', 'desc')
    .executeTakeFirst();

export const insertRun = (db: Db, fileSha256: string, source: string, startedAt: Date) =>
  db
    .insertInto('hotline_import_run')
    .values({ file_sha256: fileSha256, source, rows_done: 0, rows_imported: 0, rows_bad: 0, started_at: startedAt })
    .returningAll()
    .executeTakeFirstOrThrow();

/** Progress of a run, written in the transaction of the batch it counts, so a kill never loses or repeats rows. */
export const updateRunProgress = (
  trx: Db,
  id: string,
  progress: { rowsDone: number; rowsImported: number; rowsBad: number; finishedAt?: Date },
) =>
  trx
    .updateTable('hotline_import_run')
    .set({
      rows_done: progress.rowsDone,
      rows_imported: progress.rowsImported,
      rows_bad: progress.rowsBad,
      ...(progress.finishedAt ? { finished_at: progress.finishedAt } : {}),
    })
    .where('id', '=', id)
    .execute();

export const findRun = (db: Db, id: string) => db.selectFrom('hotline_import_run').selectAll().where('id', '=', id).executeTakeFirst();

/** Which of these external ids of the source are already tickets (the unique index source+external_id serves it). */
export const findExistingExternalIds = async (trx: Db, source: string, externalIds: string[]): Promise<Set<string>> => {
  if (externalIds.length === 0) return new Set();
  const rows = await trx
    .selectFrom('hotline_ticket')
    .select('external_id')
    .where('source', '=', source)
    .where('external_id', 'in', externalIds)
    .execute();
  return new Set(rows.map((r) => r.external_id!));
};

/** The last number given per day; the caller has locked these rows (see TicketImporter). */
export const readTicketCounters = async (trx: Db, days: string[]): Promise<Map<string, number>> => {
  const rows = await trx.selectFrom('hotline_ticket_counter').select(['day', 'last']).where('day', 'in', days).execute();
  return new Map(rows.map((r) => [r.day, Number(r.last)]));
};

/** A ticket row as the importer writes it (columns in the order of `insertImportedTickets`). */
export interface ImportedTicket {
  number: string;
  channel: string;
  citizen_name: string | null;
  citizen_phone: string | null;
  title: string;
  content: string;
  address: string | null;
  lon: number | null;
  lat: number | null;
  category_id: string | null;
  urgency: string;
  tags: string[];
  status: string;
  reply_text: string | null;
  result: string | null;
  satisfaction: string | null;
  likes: number;
  source: string;
  external_id: string;
  overdue: boolean;
  created_at: Date;
  updated_at: Date;
  dispatched_at: Date | null;
  accepted_at: Date | null;
  due_at: Date | null;
  answered_at: Date | null;
  visited_at: Date | null;
  closed_at: Date | null;
}

const TEXT = ['number', 'channel', 'citizen_name', 'citizen_phone', 'title', 'content', 'address'] as const;
const TIMES = ['created_at', 'updated_at', 'dispatched_at', 'accepted_at', 'due_at', 'answered_at', 'visited_at', 'closed_at'] as const;

/** `{"a","b \"c\""}`: a PostgreSQL array literal, so a whole batch's tag lists travel as one text[] parameter. */
const arrayLiteral = (items: string[]): string =>
  `{${items.map((t) => `"${t.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * Inserts a batch in ONE statement and returns how many rows went in; rows whose source+external_id exist
 * already are skipped (ON CONFLICT DO NOTHING on that unique constraint: the import is idempotent even when
 * two runs race).
 *
 * Raw SQL on purpose: one array parameter per column, expanded by `unnest`, instead of a VALUES list with
 * ~28 parameters per row — the statement stays small whatever the batch size (PostgreSQL allows 65,535
 * parameters per statement) and parses and plans once. Runs on PostgreSQL 15 and PGlite alike.
 */
export const insertImportedTickets = async (trx: Db, rows: ImportedTicket[]): Promise<number> => {
  if (rows.length === 0) return 0;
  const col = <K extends keyof ImportedTicket>(k: K) => rows.map((r) => r[k]);
  const text = TEXT.map((k) => col(k));
  const times = TIMES.map((k) => rows.map((r) => iso(r[k])));
  const result = await sql`
    insert into hotline_ticket (
      number, channel, citizen_name, citizen_phone, title, content, address,
      lon, lat, category_id, urgency, tags, status, reply_text, result, satisfaction, likes, source, external_id, overdue,
      created_at, updated_at, dispatched_at, accepted_at, due_at, answered_at, visited_at, closed_at
    )
    select
      u.number, u.channel, u.citizen_name, u.citizen_phone, u.title, u.content, u.address,
      u.lon, u.lat, u.category_id, u.urgency, u.tags::text[], u.status, u.reply_text, u.result, u.satisfaction, u.likes,
      u.source, u.external_id, u.overdue,
      u.created_at, u.updated_at, u.dispatched_at, u.accepted_at, u.due_at, u.answered_at, u.visited_at, u.closed_at
    from unnest(
      ${text[0]}::text[], ${text[1]}::text[], ${text[2]}::text[], ${text[3]}::text[], ${text[4]}::text[], ${text[5]}::text[], ${text[6]}::text[],
      ${col('lon')}::float8[], ${col('lat')}::float8[], ${col('category_id')}::uuid[], ${col('urgency')}::text[],
      ${rows.map((r) => arrayLiteral(r.tags))}::text[], ${col('status')}::text[], ${col('reply_text')}::text[],
      ${col('result')}::text[], ${col('satisfaction')}::text[], ${col('likes')}::int4[], ${col('source')}::text[],
      ${col('external_id')}::text[], ${col('overdue')}::bool[],
      ${times[0]}::timestamptz[], ${times[1]}::timestamptz[], ${times[2]}::timestamptz[], ${times[3]}::timestamptz[],
      ${times[4]}::timestamptz[], ${times[5]}::timestamptz[], ${times[6]}::timestamptz[], ${times[7]}::timestamptz[]
    ) as u(
      number, channel, citizen_name, citizen_phone, title, content, address,
      lon, lat, category_id, urgency, tags, status, reply_text, result, satisfaction, likes, source, external_id, overdue,
      created_at, updated_at, dispatched_at, accepted_at, due_at, answered_at, visited_at, closed_at
    )
    on conflict (source, external_id) do nothing
  `.execute(trx);
  return Number(result.numAffectedRows ?? 0);
};
