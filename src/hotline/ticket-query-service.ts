import type { Db } from '../platform/db/database.js';
import { assertCan } from '../platform/auth/permissions.js';
import type { Actor } from '../platform/auth/roles.js';
import * as tickets from './ticket-store.js';
import type { TicketRow } from './ticket-store.js';
import { citizenOnly, maySee, ticketNotFound } from './ticket-access.js';
import type { TicketAction } from './ticket-enums.js';
import { allowedActions, workflowTicket } from './ticket-workflow.js';
import { toEventView, toTicketView } from './ticket-view.js';
import type { TicketEventView, TicketPage, TicketQuery, TicketView } from './schemas.js';

/** Matches no ticket: the filter of a citizen account without an id. */
const NO_USER = '00000000-0000-0000-0000-000000000000';

/**
 * Reading tickets: one ticket with the actions the reader may take, a filtered page, a ticket's timeline. Personal
 * fields are masked on tickets the reader does not handle; a citizen sees only their own tickets.
 *
 * @example const page = await hotline.tickets.list(agent, { status: ['received'], pageSize: 50 });
 */
export class TicketQueryService {
  constructor(private readonly db: Db) {}

  /** One ticket with the actions this actor may take on it now. Citizens see only their own tickets. */
  async get(actor: Actor, id: string): Promise<TicketView & { allowed: TicketAction[] }> {
    assertCan(actor, 'hotline.ticket.read');
    const row = await this.readable(actor, id);
    return { ...toTicketView(row, actor), allowed: allowedActions(workflowTicket(row), actor) };
  }

  /** A page of tickets, newest first; personal fields masked on tickets the actor does not handle. */
  async list(actor: Actor, query: TicketQuery = {}): Promise<TicketPage> {
    assertCan(actor, 'hotline.ticket.read');
    const { page: askedPage, pageSize: askedSize, text, ...filter } = query;
    const page = Math.max(1, askedPage ?? 1);
    const pageSize = Math.min(200, Math.max(1, askedSize ?? 20));
    const { rows, total } = await tickets.listTickets(
      this.db,
      {
        ...filter,
        text: text?.trim() || undefined,
        citizenUserId: citizenOnly(actor) ? (actor.id ?? NO_USER) : undefined,
      },
      (page - 1) * pageSize,
      pageSize,
    );
    return { items: rows.map((r) => toTicketView(r, actor)), total, page, pageSize };
  }

  /** The ticket's timeline, oldest first. */
  async timeline(actor: Actor, id: string): Promise<TicketEventView[]> {
    assertCan(actor, 'hotline.ticket.read');
    await this.readable(actor, id);
    return (await tickets.listTicketEvents(this.db, id)).map(toEventView);
  }

  private async readable(actor: Actor, id: string): Promise<TicketRow> {
    const row = await tickets.findTicket(this.db, id);
    if (!row || !maySee(actor, row)) throw ticketNotFound(id);
    return row;
  }
}
