import type { Actor } from '../platform/auth/roles.js';
import { Problem } from '../platform/errors/problem.js';
import type { TicketRow } from './ticket-store.js';

/**
 * Who may see which ticket, beyond the permission table: the hotline centre sees every ticket in clear, a handler
 * those of their own unit, a citizen only their own (the workflow's finer rules are in ticket-workflow.ts).
 */

/** Only a citizen (no staff role) is limited to their own tickets. */
export const citizenOnly = (actor: Actor): boolean =>
  actor.roles.includes('citizen') && !actor.roles.some((r) => r !== 'citizen');

/** The hotline centre (agents, supervisors) handles every ticket; a handler only those of their own unit. */
export const handlesTicket = (actor: Actor, ticket: Pick<TicketRow, 'unit_id'>): boolean =>
  actor.roles.some((r) => r === 'admin' || r === 'agent' || r === 'supervisor') ||
  (actor.roles.includes('handler') && !!actor.orgId && actor.orgId === ticket.unit_id);

export const isOwnTicket = (actor: Actor, ticket: Pick<TicketRow, 'citizen_user_id'>): boolean =>
  actor.kind === 'user' && !!actor.id && actor.id === ticket.citizen_user_id;

/** A citizen asking for someone else's ticket learns nothing, not even that it exists. */
export const maySee = (actor: Actor, ticket: Pick<TicketRow, 'citizen_user_id'>): boolean => !citizenOnly(actor) || isOwnTicket(actor, ticket);

export const ticketNotFound = (id: string): Problem => new Problem('HOTLINE_TICKET_NOT_FOUND', { detail: `ticket ${id} does not exist` });
