import { sql, type CompiledQuery, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { HotlineTicketEventTable, HotlineTicketTable } from './tables.js';
import type { TicketFilter } from './schemas.js';
import type { TicketSort } from './ticket-enums.js';
import { formatTicketNumber, isTicketNumber } from './ticket-number.js';
import './tables.js';

export type TicketRow = Selectable<HotlineTicketTable>;
export type NewTicketRow = Insertable<HotlineTicketTable>;
export type TicketPatch = Updateable<HotlineTicketTable>;
export type TicketEventRow = Selectable<HotlineTicketEventTable>;

/**
 * The statement taking the next number of its day for each entry of `days`, and how to read the numbers
 * (`20261126-000123`, in the order given) from its rows. The upsert adds each day's count to its counter row, which
 * stays locked until the caller commits: concurrent creators (intake on several nodes, imports) never share a
 * number, a rolled-back transaction gives its numbers back (no gap), and the rows are taken in day order, so two
 * transactions cannot deadlock on them. The intake runs it in the round trip that locks the ledger's head.
 */
export function ticketNumbersQuery(db: Db, days: string[]): { query: CompiledQuery; numbers: (rows: Array<Record<string, unknown>>) => string[] } {
  const counts = new Map<string, number>();
  for (const day of days) counts.set(day, (counts.get(day) ?? 0) + 1);
  const query = db
    .insertInto('hotline_ticket_counter')
    .values([...counts.keys()].sort().map((day) => ({ day, last: counts.get(day)! })))
    .onConflict((oc) => oc.column('day').doUpdateSet({ last: sql<number>`hotline_ticket_counter.last + excluded.last` }))
    .returning(['day', 'last'])
    .compile();
  const numbers = (rows: Array<Record<string, unknown>>) => {
    const next = new Map(rows.map((r) => [String(r.day), Number(r.last) - counts.get(String(r.day))! + 1]));
    return days.map((day) => {
      const n = next.get(day);
      if (n === undefined) throw new Error(`no ticket number was taken for ${day}`);
      next.set(day, n + 1);
      return formatTicketNumber(day, n);
    });
  };
  return { query, numbers };
}

/** Takes the next number of its day for each entry of `days`, in one statement (see ticketNumbersQuery). */
export async function takeTicketNumbers(trx: Db, days: string[]): Promise<string[]> {
  if (days.length === 0) return [];
  const { query, numbers } = ticketNumbersQuery(trx, days);
  return numbers((await trx.executeQuery<Record<string, unknown>>(query)).rows);
}

/**
 * The statement filing tickets and their first timeline events (the events as a data-modifying CTE; their
 * references to the tickets are checked at the statement's end), returning the tickets' rows. The intake has it
 * ride in the ledger's write: one round trip for the tickets, their events and their entries.
 */
export const insertTicketsWithEventsQuery = (db: Db, rows: Array<NewTicketRow & { id: string }>, events: Insertable<HotlineTicketEventTable>[]): CompiledQuery =>
  db.with('event', (q) => q.insertInto('hotline_ticket_event').values(events).returning('id'))
    .insertInto('hotline_ticket').values(rows).returningAll().compile();

export const findTicket = (db: Db, id: string) =>
  db.selectFrom('hotline_ticket').selectAll().where('id', '=', id).executeTakeFirst();

export const findTicketByNumber = (db: Db, number: string) =>
  db.selectFrom('hotline_ticket').selectAll().where('number', '=', number).executeTakeFirst();

/** The ticket, locked for the rest of the transaction so two transitions on one ticket run one after the other. */
export const lockTicket = (trx: Db, id: string) =>
  trx.selectFrom('hotline_ticket').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();

export const updateTicket = (trx: Db, id: string, patch: TicketPatch) =>
  trx.updateTable('hotline_ticket').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

/** Tickets merged under this main ticket that are still waiting for it. */
export const findMergedChildren = (trx: Db, mainId: string) =>
  trx.selectFrom('hotline_ticket').selectAll().where('main_ticket_id', '=', mainId).where('status', '=', 'merged').execute();

/** Re-points the children of a ticket that is itself being merged, so merges never nest. */
export const repointChildren = (trx: Db, fromMainId: string, toMainId: string) =>
  trx.updateTable('hotline_ticket').set({ main_ticket_id: toMainId }).where('main_ticket_id', '=', fromMainId).execute();

export const insertTicketEvent = (trx: Db, event: Insertable<HotlineTicketEventTable>) =>
  trx.insertInto('hotline_ticket_event').values(event).returningAll().executeTakeFirstOrThrow();

export const listTicketEvents = (db: Db, ticketId: string) =>
  db.selectFrom('hotline_ticket_event').selectAll().where('ticket_id', '=', ticketId).orderBy('id').execute();

/** The ticket filter of the listing (schemas.ts), and the one condition only the service sets. */
export type TicketRowFilter = TicketFilter & {
  /** only this citizen's tickets */
  citizenUserId?: string;
  /** only tickets dispatched to this unit (a handler's scope; `unitId` may narrow it further, never widen it) */
  scopeUnitId?: string;
};

/** `%`, `_` and `\` are LIKE wildcards / escape (PostgreSQL's default escape is `\`); a search text is literal. */
const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The characters of a ticket's searchable text, as its GIN index holds them (migration 20261207-95): the list's
 * search must write this expression exactly so for the planner to use the index.
 */
const TEXT_CHARACTERS = sql<string[]>`string_to_array(lower(number || ' ' || title || ' ' || content), null)`;

/** A ticket neither closed nor merged: the workbench's action queues, and the predicate of their partial indexes. */
const OPEN_TICKET = sql<boolean>`status not in ('closed', 'merged')`;

const filtered = (db: Db, f: TicketRowFilter) => {
  let q = db.selectFrom('hotline_ticket');
  if (f.status?.length) q = q.where('status', 'in', f.status);
  if (f.unitId) q = q.where('unit_id', '=', f.unitId);
  if (f.areaId) q = q.where((eb) => eb.or([eb('area_id', '=', f.areaId!), eb('district_id', '=', f.areaId!)]));
  if (f.categoryId) q = q.where('category_id', '=', f.categoryId);
  // Flags and `open` as literal SQL: the queues' partial indexes are chosen only for a condition the planner can
  // match to the index's own (migration 20261207-91), which a bound parameter does not always let it prove.
  if (f.overdue !== undefined) q = q.where(f.overdue ? sql<boolean>`overdue` : sql<boolean>`not overdue`);
  if (f.supervised !== undefined) q = q.where(f.supervised ? sql<boolean>`supervised` : sql<boolean>`not supervised`);
  if (f.satisfaction?.length) q = q.where('satisfaction', 'in', f.satisfaction);
  if (f.citizenUserId) q = q.where('citizen_user_id', '=', f.citizenUserId);
  if (f.scopeUnitId) q = q.where('unit_id', '=', f.scopeUnitId);
  if (f.mainTicketId) q = q.where('main_ticket_id', '=', f.mainTicketId);
  if (f.open) q = q.where(OPEN_TICKET);
  if (f.createdFrom) q = q.where('created_at', '>=', new Date(f.createdFrom));
  if (f.createdTo) q = q.where('created_at', '<', new Date(f.createdTo));
  if (f.dueBefore) q = q.where('due_at', '<', new Date(f.dueBefore));
  // A whole number is the search box's most common question (a citizen calls back with it): the unique index on
  // `number` answers it, where a search of every title and content reads the whole table (seconds at millions).
  if (f.text && isTicketNumber(f.text)) q = q.where('number', '=', f.text);
  else if (f.text) {
    const pattern = likePattern(f.text);
    // A ticket that holds the text holds each of its characters: the index narrows, the `ilike` decides.
    q = q.where(sql<boolean>`${TEXT_CHARACTERS} @> string_to_array(lower(${f.text}::text), null)`);
    q = q.where((eb) => eb.or([eb('number', 'like', pattern), eb('title', 'ilike', pattern), eb('content', 'ilike', pattern)]));
  }
  return q;
};

/**
 * One page of tickets in the asked order (newest first by default), and how many match: exactly up to
 * `countLimit`, beyond it `countLimit` with `totalExact` false (the count stops reading there). One statement
 * (the count an uncorrelated subquery, run once): a second query only for a page past the last.
 */
export const listTickets = async (db: Db, f: TicketRowFilter, page: { offset: number; limit: number; countLimit: number }, sort: TicketSort = 'newest') => {
  const matching = filtered(db, f).select(sql<number>`1`.as('one')).limit(page.countLimit + 1).as('matching');
  const count = db.selectFrom(matching).select((eb) => eb.fn.countAll<number>().as('n'));
  let ordered = filtered(db, f).selectAll().select(() => count.as('matching_count'));
  // Tickets without a deadline yet (not signed) come after those with one; the id keeps pages stable.
  if (sort === 'due') ordered = ordered.orderBy(sql`due_at asc nulls last`).orderBy('created_at', 'asc');
  else ordered = ordered.orderBy('created_at', sort === 'oldest' ? 'asc' : 'desc');
  const counted = await ordered.orderBy('id').offset(page.offset).limit(page.limit).execute();
  const n = Number(counted[0]?.matching_count ?? (page.offset > 0 ? (await count.executeTakeFirstOrThrow()).n : 0));
  const rows = counted.map(({ matching_count: _, ...row }) => row);
  return { rows, total: Math.min(n, page.countLimit), totalExact: n <= page.countLimit };
};

/**
 * Deadline flags, one idempotent UPDATE each: every statement only touches rows whose flag is wrong for `now`,
 * so running it twice, or on several nodes at once, gives the same table (docs/hotline.md, "Deadlines").
 */
export const markSignOverdue = async (db: Db, now: Date): Promise<number> => {
  const r = await db
    .updateTable('hotline_ticket')
    .set({ sign_overdue: true })
    .where('status', '=', 'dispatched')
    .where('sign_due_at', '<=', now)
    .where('sign_overdue', '=', false)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
};

export const markOverdue = async (db: Db, now: Date): Promise<number> => {
  const r = await db
    .updateTable('hotline_ticket')
    .set({ overdue: true, deadline_warning: false })
    .where('status', 'in', ['accepted', 'in_progress'])
    .where('due_at', '<=', now)
    .where('overdue', '=', false)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
};

export const markDeadlineWarning = async (db: Db, now: Date, fraction: number): Promise<number> => {
  const r = await db
    .updateTable('hotline_ticket')
    .set({ deadline_warning: true })
    .where('status', 'in', ['accepted', 'in_progress'])
    .where('due_at', '>', now)
    .where('overdue', '=', false)
    .where('deadline_warning', '=', false)
    // accepted_at + fraction × (due_at − accepted_at) ≤ now: interval arithmetic, same on PostgreSQL 15 and PGlite
    .where(sql<boolean>`accepted_at + (due_at - accepted_at) * ${fraction}::float8 <= ${now}`)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
};

/** Bulk insert for the demo seeder and similar trusted generators (multi-row INSERT). */
export const insertTicketsBulk = (trx: Db, rows: NewTicketRow[]) =>
  trx.insertInto('hotline_ticket').values(rows).execute();

export const insertTicketEventsBulk = (trx: Db, rows: Insertable<HotlineTicketEventTable>[]) =>
  trx.insertInto('hotline_ticket_event').values(rows).execute();

/** Raises each day's counter to at least `last` (after a bulk insert that numbered its own tickets). */
export const raiseTicketCounters = async (trx: Db, counters: { day: string; last: number }[]) => {
  if (counters.length === 0) return;
  await trx
    .insertInto('hotline_ticket_counter')
    .values(counters)
    .onConflict((oc) => oc.column('day').doUpdateSet({ last: sql<number>`greatest(hotline_ticket_counter.last, excluded.last)` }))
    .execute();
};

/** A caller's unexpired Idempotency-Key of the intake (issue 20), with the ticket it filed. */
export const findIntakeKey = (db: Db, caller: string, key: string, now: Date) =>
  db.selectFrom('hotline_intake_key').select(['body_hash', 'ticket_id']).where('caller', '=', caller).where('idem_key', '=', key)
    .where('expires_at', '>', now).executeTakeFirst();

/**
 * Records, in the filing's transaction, that the caller's key filed `ticketId`; false when the key is already
 * held unexpired (by a filing committed meanwhile: PostgreSQL waits here for a concurrent one to end). An
 * expired key is taken over, and the caller's other expired keys go.
 */
export async function claimIntakeKey(trx: Db, row: { caller: string; idem_key: string; body_hash: string; ticket_id: string; expires_at: Date }, now: Date): Promise<boolean> {
  await trx.deleteFrom('hotline_intake_key').where('caller', '=', row.caller).where('expires_at', '<=', now).where('idem_key', '<>', row.idem_key).execute();
  const claimed = await trx.insertInto('hotline_intake_key').values(row)
    .onConflict((c) => c.columns(['caller', 'idem_key']).doUpdateSet({ body_hash: row.body_hash, ticket_id: row.ticket_id, expires_at: row.expires_at })
      .where('hotline_intake_key.expires_at', '<=', now))
    .returning('ticket_id').executeTakeFirst();
  return claimed !== undefined;
}

/**
 * Deletes every expired intake key, whoever's (the periodic purge): a caller who never files with a key again
 * would otherwise keep its expired rows for as long as their tickets. A key taken over meanwhile is unexpired
 * again and stays (PostgreSQL re-checks the condition on a row updated under it).
 */
export async function purgeExpiredIntakeKeys(db: Db, now: Date): Promise<number> {
  const r = await db.deleteFrom('hotline_intake_key').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
