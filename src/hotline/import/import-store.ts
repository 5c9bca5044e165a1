import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { actorRef, type Actor } from '../../platform/auth/roles.js';
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

/** Whether any ticket came from this source already (the source+external_id index answers it). */
export const sourceHasTickets = async (db: Db, source: string): Promise<boolean> =>
  (await db.selectFrom('hotline_ticket').select('id').where('source', '=', source).limit(1).executeTakeFirst()) !== undefined;

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

/** A ticket row as the importer writes it (columns in the order of `insertImportedTickets`). */
export interface ImportedTicket {
  number: string;
  channel: string;
  citizen_name: string | null;
  citizen_phone: string | null;
  /** the phone's lookup hash (ticket-personal-fields.ts), when field keys are configured */
  citizen_phone_hash?: string | null;
  title: string;
  content: string;
  address: string | null;
  lon: number | null;
  lat: number | null;
  category_id: string | null;
  area_id: string | null;
  district_id: string | null;
  unit_id: string | null;
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
  sign_due_at: Date | null;
  accepted_at: Date | null;
  due_at: Date | null;
  answered_at: Date | null;
  visited_at: Date | null;
  closed_at: Date | null;
}

const TEXT = ['number', 'channel', 'citizen_name', 'citizen_phone', 'title', 'content', 'address', 'citizen_phone_hash'] as const;
const TIMES = ['created_at', 'updated_at', 'dispatched_at', 'sign_due_at', 'accepted_at', 'due_at', 'answered_at', 'visited_at', 'closed_at'] as const;

/** `{"a","b \"c\""}`: a PostgreSQL array literal, so a whole batch's tag lists travel as one text[] parameter. */
const arrayLiteral = (items: string[]): string =>
  `{${items.map((t) => `"${t.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * Inserts a batch in ONE statement and returns how many rows went in (or, with `returnIds`, their external ids);
 * rows whose source+external_id exist already are skipped (ON CONFLICT DO NOTHING on that unique constraint:
 * the import is idempotent even when two runs race).
 *
 * Raw SQL on purpose: one array parameter per column, expanded by `unnest`, instead of a VALUES list with
 * ~30 parameters per row — the statement stays small whatever the batch size (PostgreSQL allows 65,535
 * parameters per statement) and parses and plans once. Runs on PostgreSQL 15 and PGlite alike.
 */
export async function insertImportedTickets(trx: Db, rows: ImportedTicket[]): Promise<number>;
export async function insertImportedTickets(trx: Db, rows: ImportedTicket[], returnIds: boolean): Promise<number | Set<string>>;
export async function insertImportedTickets(trx: Db, rows: ImportedTicket[], returnIds = false): Promise<number | Set<string>> {
  if (rows.length === 0) return returnIds ? new Set<string>() : 0;
  const col = <K extends keyof ImportedTicket>(k: K) => rows.map((r) => r[k] ?? null);
  const text = TEXT.map((k) => col(k));
  const times = TIMES.map((k) => rows.map((r) => iso(r[k])));
  const result = await sql<{ external_id: string }>`
    insert into hotline_ticket (
      number, channel, citizen_name, citizen_phone, title, content, address, citizen_phone_hash,
      lon, lat, category_id, area_id, district_id, unit_id, urgency, tags, status, reply_text, result, satisfaction, likes,
      source, external_id, overdue,
      created_at, updated_at, dispatched_at, sign_due_at, accepted_at, due_at, answered_at, visited_at, closed_at
    )
    select
      u.number, u.channel, u.citizen_name, u.citizen_phone, u.title, u.content, u.address, u.citizen_phone_hash,
      u.lon, u.lat, u.category_id, u.area_id, u.district_id, u.unit_id, u.urgency, u.tags::text[], u.status, u.reply_text,
      u.result, u.satisfaction, u.likes, u.source, u.external_id, u.overdue,
      u.created_at, u.updated_at, u.dispatched_at, u.sign_due_at, u.accepted_at, u.due_at, u.answered_at, u.visited_at, u.closed_at
    from unnest(
      ${text[0]}::text[], ${text[1]}::text[], ${text[2]}::text[], ${text[3]}::text[], ${text[4]}::text[], ${text[5]}::text[], ${text[6]}::text[], ${text[7]}::text[],
      ${col('lon')}::float8[], ${col('lat')}::float8[], ${col('category_id')}::uuid[], ${col('area_id')}::uuid[],
      ${col('district_id')}::uuid[], ${col('unit_id')}::uuid[], ${col('urgency')}::text[],
      ${rows.map((r) => arrayLiteral(r.tags))}::text[], ${col('status')}::text[], ${col('reply_text')}::text[],
      ${col('result')}::text[], ${col('satisfaction')}::text[], ${col('likes')}::int4[], ${col('source')}::text[],
      ${col('external_id')}::text[], ${col('overdue')}::bool[],
      ${times[0]}::timestamptz[], ${times[1]}::timestamptz[], ${times[2]}::timestamptz[], ${times[3]}::timestamptz[],
      ${times[4]}::timestamptz[], ${times[5]}::timestamptz[], ${times[6]}::timestamptz[], ${times[7]}::timestamptz[],
      ${times[8]}::timestamptz[]
    ) as u(
      number, channel, citizen_name, citizen_phone, title, content, address, citizen_phone_hash,
      lon, lat, category_id, area_id, district_id, unit_id, urgency, tags, status, reply_text, result, satisfaction, likes,
      source, external_id, overdue,
      created_at, updated_at, dispatched_at, sign_due_at, accepted_at, due_at, answered_at, visited_at, closed_at
    )
    on conflict (source, external_id) do nothing
    ${returnIds ? sql`returning external_id` : sql``}
  `.execute(trx);
  return returnIds ? new Set(result.rows.map((r) => r.external_id)) : Number(result.numAffectedRows ?? 0);
}

/** An imported open ticket the routing rules gave a unit, as its timeline will show it. */
export interface RoutedTicket {
  externalId: string;
  at: Date;
  from: string;
  to: string;
  unitId: string;
  /** `rule` or `district` (RoutingService.suggestUnit) */
  routing: string;
  ruleId: string | null;
}

/**
 * The `dispatch` timeline events of routed imported tickets, in one statement: the tickets are found by their
 * source + external id (the unique index), so the batch need not return its generated ids.
 */
export const insertRoutedEvents = async (trx: Db, source: string, actor: Actor, runId: string, events: RoutedTicket[]): Promise<void> => {
  if (events.length === 0) return;
  const details = events.map((e) =>
    JSON.stringify({ unit: e.unitId, suggestedUnit: e.unitId, routing: e.routing, ruleId: e.ruleId, override: false, importRunId: runId }),
  );
  // Raw SQL: an INSERT … SELECT over unnest of arrays has no Kysely builder.
  await sql`
    insert into hotline_ticket_event (ticket_id, at, actor, actor_org_id, action, from_status, to_status, details)
    select t.id, u.at, ${actorRef(actor)}, ${actor.orgId ?? null}::uuid, 'dispatch', u.from_status, u.to_status, u.details::jsonb
    from unnest(${events.map((e) => e.externalId)}::text[], ${events.map((e) => e.at.toISOString())}::timestamptz[],
      ${events.map((e) => e.from)}::text[], ${events.map((e) => e.to)}::text[], ${details}::text[]) as u(external_id, at, from_status, to_status, details)
    join hotline_ticket t on t.source = ${source} and t.external_id = u.external_id`.execute(trx);
};
