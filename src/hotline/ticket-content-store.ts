import type { Db } from '../platform/db/database.js';

/**
 * The columns a ticket's ledger entries vouch for, a page at a time in id order (`ledger verify` reads the table
 * back in the ledger's snapshot). Only columns that change through a recorded workflow action are listed:
 * deadline flags, likes, attachments and the Open311 token change without an entry of their own.
 */
export const listTicketContentRows = (db: Db, afterId: string | undefined, limit: number) => {
  let q = db
    .selectFrom('hotline_ticket')
    .select(['id', 'number', 'status', 'unit_id', 'category_id', 'urgency', 'title', 'content', 'reply_text', 'result', 'visit_contacted', 'visit_solved', 'satisfaction'])
    .orderBy('id')
    .limit(limit);
  if (afterId !== undefined) q = q.where('id', '>', afterId);
  return q.execute();
};
