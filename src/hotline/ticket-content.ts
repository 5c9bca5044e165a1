import { registerLedgerContent, type LedgerContent } from '../platform/ledger/index.js';
import { listTicketContentRows } from './ticket-content-store.js';

/** The ticket columns its ledger entries vouch for (ticket-content-store.ts lists why these). */
export interface TicketContentColumns {
  id: string;
  number: string;
  status: string;
  unit_id: string | null;
  category_id: string | null;
  urgency: string;
  title: string;
  content: string;
  reply_text: string | null;
  result: string | null;
  visit_contacted: boolean | null;
  visit_solved: boolean | null;
  satisfaction: string | null;
}

/**
 * What a ticket's ledger entry records of it, in three parts so `ledger verify` can say which was rewritten: the
 * appeal and its routing (`ticket`), the unit's answer (`reply`), the return visit's verdict (`visit`). The
 * citizen's name and phone are not in it: they are encrypted at rest where 国密 field encryption is on, and a digest
 * of an 11-digit phone number would reveal it to anyone who tries them all.
 */
export const ticketContent = (t: TicketContentColumns): LedgerContent => ({
  ticket: { id: t.id, number: t.number, status: t.status, unit: t.unit_id, category: t.category_id, urgency: t.urgency, title: t.title, content: t.content },
  reply: { text: t.reply_text, result: t.result },
  visit: { contacted: t.visit_contacted, solved: t.visit_solved, satisfaction: t.satisfaction },
});

registerLedgerContent({
  prefix: 'ticket',
  noun: 'ticket (工单)',
  page: async (db, afterId, limit) =>
    (await listTicketContentRows(db, afterId, limit)).map((row) => ({ id: row.id, label: row.number, content: ticketContent(row) })),
});
