import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { HotlinePhotoTable } from './tables.js';
import { openStatuses } from './ticket-workflow.js';

/** SQL of the citizen side (issue 17): photos, "+1 / 关注", notices, open tickets in a box. */

export type PhotoRow = Selectable<HotlinePhotoTable>;

export const insertPhoto = (db: Db, row: Insertable<HotlinePhotoTable>) =>
  db.insertInto('hotline_photo').values(row)
    .returning(['id', 'mime', 'width', 'height', 'size']).executeTakeFirstOrThrow();

/** A photo without its bytes: who may read it is decided from these. */
export const findPhotoMeta = (db: Db, id: string) =>
  db.selectFrom('hotline_photo').select(['id', 'uploaded_by', 'ticket_id', 'mime', 'thumb_mime', 'size']).where('id', '=', id).executeTakeFirst();

export const readPhotoBytes = (db: Db, id: string, variant: 'full' | 'thumbnail') =>
  variant === 'full'
    ? db.selectFrom('hotline_photo').select(['mime', 'bytes']).where('id', '=', id).executeTakeFirst()
    : db.selectFrom('hotline_photo').select(['thumb_mime as mime', 'thumb as bytes']).where('id', '=', id).executeTakeFirst();

/**
 * Links the uploader's unattached photos to a new ticket; returns those linked (a photo of someone else, or one
 * already used, is not among them).
 */
export const attachPhotos = (trx: Db, ticketId: string, uploadedBy: string, ids: string[]) =>
  trx.updateTable('hotline_photo').set({ ticket_id: ticketId })
    .where('id', 'in', ids).where('uploaded_by', '=', uploadedBy).where('ticket_id', 'is', null)
    .returning(['id', 'mime', 'size']).execute();

/** Adds a follower; true when new (a citizen counts once), false when they already followed. */
export const insertFollow = async (trx: Db, ticketId: string, userId: string, at: Date): Promise<boolean> => {
  const rows = await trx.insertInto('hotline_ticket_follow').values({ ticket_id: ticketId, user_id: userId, created_at: at })
    .onConflict((oc) => oc.columns(['ticket_id', 'user_id']).doNothing()).returning('ticket_id').execute();
  return rows.length > 0;
};

export const addLike = (trx: Db, ticketId: string) =>
  trx.updateTable('hotline_ticket').set((eb) => ({ likes: eb('likes', '+', 1) })).where('id', '=', ticketId)
    .returning('likes').executeTakeFirstOrThrow();

export const listFollowers = (db: Db, ticketId: string) =>
  db.selectFrom('hotline_ticket_follow').select('user_id').where('ticket_id', '=', ticketId).execute();

/** Which of these tickets the user follows. */
export const followedAmong = async (db: Db, userId: string, ticketIds: string[]): Promise<Set<string>> => {
  if (ticketIds.length === 0) return new Set();
  const rows = await db.selectFrom('hotline_ticket_follow').select('ticket_id')
    .where('user_id', '=', userId).where('ticket_id', 'in', ticketIds).execute();
  return new Set(rows.map((r) => r.ticket_id));
};

/** Open, unmerged tickets with a position inside the box (the caller then measures the true distance). */
export const listOpenTicketsInBox = (db: Db, box: { west: number; south: number; east: number; north: number }, limit: number) =>
  db.selectFrom('hotline_ticket')
    .select(['id', 'number', 'title', 'content', 'category_id', 'status', 'lon', 'lat', 'likes', 'public', 'citizen_user_id', 'created_at'])
    .where('status', 'in', [...openStatuses])
    .where('lon', '>=', box.west).where('lon', '<=', box.east)
    .where('lat', '>=', box.south).where('lat', '<=', box.north)
    .orderBy('created_at', 'desc').limit(limit).execute();

export const insertNotices = (trx: Db, rows: { user_id: string; ticket_id: string; kind: string; number: string; status: string; created_at: Date }[]) =>
  rows.length === 0 ? Promise.resolve() : trx.insertInto('hotline_notice').values(rows).execute().then(() => undefined);

export const listNotices = (db: Db, userId: string, limit: number) =>
  db.selectFrom('hotline_notice').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').limit(limit).execute();

export const countUnreadNotices = async (db: Db, userId: string): Promise<number> => {
  const row = await db.selectFrom('hotline_notice').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirstOrThrow();
  return Number(row.n);
};

/** Marks the user's notices read (only their own: the user id is part of the condition). */
export const markNoticesRead = (db: Db, userId: string, ids: string[] | 'all', at: Date) => {
  let q = db.updateTable('hotline_notice').set({ read_at: at }).where('user_id', '=', userId).where('read_at', 'is', null);
  if (ids !== 'all') q = q.where('id', 'in', ids);
  return q.execute();
};

/**
 * The delivery job's batch: undelivered notices nobody holds (or whose holder's lease ended), oldest first,
 * claimed until `leaseUntil` (SKIP LOCKED: nodes claiming at once take different rows), with the ticket's phone for SMS.
 */
export async function claimUndeliveredNotices(db: Db, now: Date, leaseUntil: Date, limit: number) {
  const claimed = await db.updateTable('hotline_notice').set({ lease_until: leaseUntil })
    .where('id', 'in', (eb) => eb.selectFrom('hotline_notice').select('id')
      .where('delivered_at', 'is', null)
      .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)]))
      .orderBy('created_at').limit(limit).forUpdate().skipLocked())
    .returning('id').execute();
  if (claimed.length === 0) return [];
  return db.selectFrom('hotline_notice').innerJoin('hotline_ticket', 'hotline_ticket.id', 'hotline_notice.ticket_id')
    .select(['hotline_notice.id', 'hotline_notice.user_id', 'hotline_notice.ticket_id', 'hotline_notice.kind', 'hotline_notice.number',
      'hotline_notice.status', 'hotline_notice.created_at', 'hotline_ticket.citizen_phone', 'hotline_ticket.citizen_user_id'])
    .where('hotline_notice.id', 'in', claimed.map((c) => c.id)).orderBy('hotline_notice.created_at').execute();
}

/** Hands claimed notices back (a channel failed): the next run, on any node, tries them again. */
export const releaseNotices = (db: Db, ids: string[]) =>
  ids.length === 0 ? Promise.resolve() : db.updateTable('hotline_notice').set({ lease_until: null }).where('id', 'in', ids).where('delivered_at', 'is', null).execute().then(() => undefined);

export const markNoticeDelivered = (db: Db, id: string, at: Date) =>
  db.updateTable('hotline_notice').set({ delivered_at: at }).where('id', '=', id).where('delivered_at', 'is', null).execute();

/** The name and phone of the user's latest filing that gave them (to prefill the next one). */
export const findLatestContact = (db: Db, userId: string) =>
  db.selectFrom('hotline_ticket').select(['number', 'citizen_name', 'citizen_phone'])
    .where('citizen_user_id', '=', userId).where('citizen_phone', 'is not', null)
    .orderBy('created_at', 'desc').limit(1).executeTakeFirst();
