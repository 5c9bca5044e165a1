import type { Db } from '../platform/db/database.js';
import { assertCan } from '../platform/auth/permissions.js';
import type { Actor } from '../platform/auth/roles.js';
import type { AuditService } from '../platform/audit/audit-service.js';
import * as tickets from './ticket-store.js';
import type { TicketRow } from './ticket-store.js';
import { maySee, ticketNotFound, ticketReadScope } from './ticket-access.js';
import type { TicketAction } from './ticket-enums.js';
import { allowedActions, workflowTicket } from './ticket-workflow.js';
import { readsInClear, toEventView, toTicketView } from './ticket-view.js';
import type { TicketEventView, TicketPage, TicketQuery, TicketView } from './schemas.js';
import { TicketPersonalFields } from './ticket-personal-fields.js';

/** Matches no ticket: the filter of a citizen account without an id, of a handler without an organisation. */
const NOBODY = '00000000-0000-0000-0000-000000000000';

/**
 * Reading tickets: one ticket with the actions the reader may take, a filtered page, a ticket's timeline. Each
 * reader sees only their scope (ticket-access.ts: a handler their unit's tickets, a citizen their own) and the
 * tickets they do not handle masked (a leader's city-wide view).
 *
 * @example const page = await hotline.tickets.list(agent, { status: ['received'], pageSize: 50 });
 */
export class TicketQueryService {
  constructor(
    private readonly db: Db,
    /** Matching tickets counted exactly up to this many (`modules.hotline.list.countLimit`). */
    private readonly countLimit: number,
    private readonly audit?: Pick<AuditService, 'recordRead'>,
    /** Opens the citizen's sealed name, phone and address (field encryption). */
    private readonly personal = new TicketPersonalFields(),
  ) {}

  /**
   * One ticket with the actions this actor may take on it now. Citizens see only their own tickets. A read of
   * someone else's name, phone and address in clear is audited (等保 8.1.4.3; the citizen's own is not).
   */
  async get(actor: Actor, id: string): Promise<TicketView & { allowed: TicketAction[] }> {
    assertCan(actor, 'hotline.ticket.read');
    const row = await this.readable(actor, id);
    if (this.audit && readsInClear(actor, row) && row.citizen_user_id !== actor.id) await this.audit.recordRead(actor, 'ticket', `ticket:${id}`);
    return { ...toTicketView(row, actor), allowed: allowedActions(workflowTicket(row), actor) };
  }

  /**
   * A page of tickets, newest first, within the reader's scope: a handler lists only the tickets dispatched to
   * their unit (whatever `unitId` they ask for), a citizen their own; personal fields masked on tickets the actor
   * does not handle.
   */
  async list(actor: Actor, query: TicketQuery = {}): Promise<TicketPage> {
    assertCan(actor, 'hotline.ticket.read');
    const { page: askedPage, pageSize: askedSize, text, sort, ...filter } = query;
    const page = Math.max(1, askedPage ?? 1);
    const pageSize = Math.min(200, Math.max(1, askedSize ?? 20));
    const scope = ticketReadScope(actor);
    const { rows, total, totalExact } = await tickets.listTickets(
      this.db,
      {
        ...filter,
        text: text?.trim() || undefined,
        citizenUserId: scope.kind === 'own' ? (scope.userId ?? NOBODY) : scope.kind === 'none' ? NOBODY : undefined,
        scopeUnitId: scope.kind === 'unit' ? (scope.unitId ?? NOBODY) : undefined,
      },
      { offset: (page - 1) * pageSize, limit: pageSize, countLimit: this.countLimit },
      sort,
    );
    return { items: this.personal.openAll(rows).map((r) => toTicketView(r, actor)), total, totalExact, page, pageSize };
  }

  /** The ticket's timeline, oldest first. */
  async timeline(actor: Actor, id: string): Promise<TicketEventView[]> {
    assertCan(actor, 'hotline.ticket.read');
    const row = await this.readable(actor, id);
    const masked = !readsInClear(actor, row);
    return (await tickets.listTicketEvents(this.db, id)).map((e) => toEventView(e, masked));
  }

  private async readable(actor: Actor, id: string): Promise<TicketRow> {
    const row = await tickets.findTicket(this.db, id);
    if (!row || !maySee(actor, row)) throw ticketNotFound(id);
    return this.personal.open(row);
  }
}
