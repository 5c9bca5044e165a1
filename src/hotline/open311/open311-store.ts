import type { Db } from '../../platform/db/database.js';
import type { CategoryRow, RequestRow, StatusChangeRow } from './open311-views.js';
import { closedStatuses } from './open311-views.js';
import '../tables.js';

/** Active categories, the Open311 services, in taxonomy order. */
export const listActiveCategories = (db: Db): Promise<CategoryRow[]> =>
  db
    .selectFrom('hotline_category')
    .select(['id', 'code', 'level1', 'level2', 'level3'])
    .where('active', '=', true)
    .orderBy('level1')
    .orderBy('level2')
    .orderBy('level3')
    .execute();

export const findActiveCategoryByCode = (db: Db, code: string): Promise<CategoryRow | undefined> =>
  db
    .selectFrom('hotline_category')
    .select(['id', 'code', 'level1', 'level2', 'level3'])
    .where('code', '=', code)
    .where('active', '=', true)
    .executeTakeFirst();

/**
 * The public columns of a ticket with its category and, for a merged duplicate, its main ticket's number — of
 * tickets filed for publication only (`public`: filed through Open311, or a citizen who ticked "publish"); every
 * other ticket does not exist as far as Open311 is concerned (issue 15, finding 9).
 */
const requestQuery = (db: Db) =>
  db
    .selectFrom('hotline_ticket as t')
    .leftJoin('hotline_category as c', 'c.id', 't.category_id')
    .leftJoin('hotline_ticket as m', 'm.id', 't.main_ticket_id')
    .where('t.public', '=', true)
    // Whitelist: no citizen_* column is ever read here.
    .select([
      't.number',
      't.channel',
      't.status',
      't.title',
      't.content',
      't.address',
      't.lat',
      't.lon',
      't.created_at',
      't.updated_at',
      't.closed_at',
      't.due_at',
      't.unit_id',
      't.attachments',
      't.open311_address_id',
      't.result',
      'c.code as category_code',
      'c.level1 as category_level1',
      'c.level2 as category_level2',
      'c.level3 as category_level3',
      'm.number as main_number',
    ]);

export const findRequestsByNumbers = (db: Db, numbers: string[], limit: number): Promise<RequestRow[]> =>
  requestQuery(db).where('t.number', 'in', numbers).orderBy('t.created_at', 'desc').limit(limit).execute();

export interface RequestFilter {
  /** category ids; an empty list matches nothing */
  categoryIds?: string[];
  status?: 'open' | 'closed';
  from: Date;
  to: Date;
  limit: number;
}

/** Requests whose requested_datetime (created_at) lies in [from, to], newest first (uses hotline_ticket_public_created). */
export const listRequests = (db: Db, f: RequestFilter): Promise<RequestRow[]> => {
  let q = requestQuery(db).where('t.created_at', '>=', f.from).where('t.created_at', '<=', f.to);
  if (f.categoryIds) q = q.where('t.category_id', 'in', f.categoryIds.length ? f.categoryIds : ['00000000-0000-0000-0000-000000000000']);
  if (f.status === 'closed') q = q.where('t.status', 'in', [...closedStatuses]);
  if (f.status === 'open') q = q.where('t.status', 'not in', [...closedStatuses]);
  return q.orderBy('t.created_at', 'desc').orderBy('t.number', 'desc').limit(f.limit).execute();
};

export const findNumberByToken = async (db: Db, token: string): Promise<string | undefined> => {
  const row = await db.selectFrom('hotline_ticket').select('number').where('open311_token', '=', token).where('public', '=', true).executeTakeFirst();
  return row?.number;
};

/** Stores the token handed back by POST requests, in the transaction that created the ticket. */
export const setOpen311Token = async (db: Db, ticketId: string, token: string): Promise<void> => {
  await db.updateTable('hotline_ticket').set({ open311_token: token }).where('id', '=', ticketId).execute();
};

/**
 * Status changes of published tickets in [from, to], oldest first: timeline steps that moved the ticket to
 * another state (supervision and notes, which leave the state as it was, are internal).
 */
export const listStatusChanges = (db: Db, f: { from: Date; to: Date; limit: number }): Promise<StatusChangeRow[]> =>
  db
    .selectFrom('hotline_ticket_event as e')
    .innerJoin('hotline_ticket as t', 't.id', 'e.ticket_id')
    .leftJoin('hotline_ticket as m', 'm.id', 't.main_ticket_id')
    .where('t.public', '=', true)
    .where('e.at', '>=', f.from)
    .where('e.at', '<=', f.to)
    .where('e.to_status', 'is not', null)
    .where((eb) => eb.or([eb('e.from_status', 'is', null), eb('e.from_status', '!=', eb.ref('e.to_status'))]))
    .select(['e.id', 'e.at', 'e.to_status', 'e.details', 't.number', 't.result', 'm.number as main_number'])
    .orderBy('e.at')
    .orderBy('e.id')
    .limit(f.limit)
    .execute();

/** The token stored with a ticket filed through Open311 (a replayed filing answers with the first one's). */
export const findTokenOf = async (db: Db, ticketId: string): Promise<string | null | undefined> =>
  (await db.selectFrom('hotline_ticket').select('open311_token').where('id', '=', ticketId).executeTakeFirst())?.open311_token;
