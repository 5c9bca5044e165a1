import type { Insertable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { Ledger, LedgerBatch, LedgerFacts } from '../platform/ledger/ledger.js';
import type { EventBus } from '../platform/events/index.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import type { TicketAction } from './ticket-enums.js';
import * as tickets from './ticket-store.js';
import type { TicketRow } from './ticket-store.js';
import type { HotlineTicketEventTable } from './tables.js';
import { ticketContent, type TicketContentColumns } from './ticket-content.js';

/**
 * How a ticket change is kept and told: its timeline event and ledger entry (in the change's transaction), the
 * hooks other modules add to workflow actions, and the bus subject announcing committed changes.
 */

/** Bus subject of committed ticket changes (creates and workflow actions); the data is `{ ids: string[] }`. */
export const TICKETS_CHANGED = 'hotline.tickets.changed';

/**
 * Announces committed ticket changes (`TICKETS_CHANGED`) at most once per `windowMs` on this node, the ids of the
 * window together. The reader, every node's similar-case index, gathers what it hears for a window of its own
 * anyway; each announcement is a JetStream publish and a delivery to every node, which once per intake batch was
 * a tenth of three nodes' CPU in bench/cluster. 0: each change at once.
 */
export class TicketChangeAnnouncer {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly events: EventBus,
    private readonly windowMs: number,
  ) {}

  announce(ids: string[]): void {
    if (this.windowMs <= 0) return this.events.publish(TICKETS_CHANGED, { ids });
    for (const id of ids) this.pending.add(id);
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.windowMs);
    this.timer.unref();
  }

  /** Announces what is pending now (a node stopping). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending.clear();
    this.events.publish(TICKETS_CHANGED, { ids });
  }
}

/** One workflow action as seen by a hook, inside the action's transaction. */
export interface TicketChange {
  actor: Actor;
  action: TicketAction;
  before: TicketRow;
  after: TicketRow;
  at: Date;
}

/**
 * Runs inside the transaction of every workflow action, after its timeline event: what another module keeps about
 * the change (the classifier's training label of a 改类) commits or rolls back with it.
 */
export type TicketChangeHook = (trx: Db, change: TicketChange) => Promise<void>;

/** One change of a ticket: its action, the status before (null when filed) and after, and what the timeline keeps. */
export interface RecordedChange {
  action: string;
  from: string | null;
  to: string;
  details: Record<string, unknown>;
  at: Date;
}

/** The timeline event row of one change of ticket `ticketId` (the intake writes it in its ticket's statement). */
export const ticketEventRow = (actor: Actor, ticketId: string, change: RecordedChange): Insertable<HotlineTicketEventTable> => ({
  ticket_id: ticketId, at: change.at, actor: actorRef(actor), actor_org_id: actor.orgId ?? null, action: change.action,
  from_status: change.from, to_status: change.to, details: JSON.stringify(change.details),
});

/**
 * Adds the ledger entry `hotline.ticket.<action>` of one change to a batch (tickets filed together share one head
 * lock). Its facts are ids and statuses only: no reply text, reason or citizen data goes into it — only digests of
 * the ticket's parts (ticket-content.ts).
 */
export function addTicketChange(batch: LedgerBatch, actor: Actor, ticket: TicketContentColumns, change: RecordedChange): void {
  const facts: LedgerFacts = { from: change.from, to: change.to, unit: ticket.unit_id, number: ticket.number };
  // The entry carries the digest of the ticket as it is after the change (reply and satisfaction included), so a
  // row rewritten later behind CityHub's back no longer matches its newest entry (`cityhub ledger verify`).
  batch.add(`hotline.ticket.${change.action}`, actor, `ticket:${ticket.id}`, facts, { content: ticketContent(ticket) });
}

/** Writes the timeline event and the ledger entry of one change, in the caller's transaction. */
export async function recordTicketChange(trx: Db, ledger: Ledger, actor: Actor, ticket: TicketRow, change: RecordedChange): Promise<void> {
  await tickets.insertTicketEvent(trx, ticketEventRow(actor, ticket.id, change));
  const batch = await ledger.batch(trx);
  addTicketChange(batch, actor, ticket, change);
  await batch.write();
}
