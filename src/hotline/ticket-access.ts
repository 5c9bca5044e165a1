import type { Actor } from '../platform/auth/roles.js';
import { Problem } from '../platform/errors/problem.js';
import type { TicketRow } from './ticket-store.js';

/**
 * Who may see which ticket, beyond the permission table (issue 15, finding 10): the hotline centre sees every
 * ticket in clear; a handler only the tickets of their own unit; a leader every ticket, masked (no name or phone,
 * personal data in the text hidden); a citizen only their own. The workflow's finer rules are in
 * ticket-workflow.ts.
 */

/** Only a citizen (no staff role) is limited to their own tickets. */
export const citizenOnly = (actor: Actor): boolean =>
  actor.roles.includes('citizen') && !actor.roles.some((r) => r !== 'citizen');

/** The hotline centre (and administrators for repairs) works on every ticket. */
const centre = (actor: Actor): boolean => actor.roles.some((r) => r === 'admin' || r === 'agent' || r === 'supervisor');

/** The hotline centre (agents, supervisors) handles every ticket; a handler only those of their own unit. */
export const handlesTicket = (actor: Actor, ticket: Pick<TicketRow, 'unit_id'>): boolean =>
  centre(actor) || (actor.roles.includes('handler') && !!actor.orgId && actor.orgId === ticket.unit_id);

export const isOwnTicket = (actor: Actor, ticket: Pick<TicketRow, 'citizen_user_id'>): boolean =>
  actor.kind === 'user' && !!actor.id && actor.id === ticket.citizen_user_id;

/**
 * Which tickets an actor may read at all: `all` (the centre in clear; leaders masked where they do not handle),
 * `unit` (a handler: tickets dispatched to their organisation, the same rule as `handlesTicket`; none without an
 * organisation), `own` (a citizen), or `none` (any other role, should one be given `hotline.ticket.read`).
 */
export type TicketReadScope = { kind: 'all' } | { kind: 'unit'; unitId: string | null } | { kind: 'own'; userId: string | null } | { kind: 'none' };

export const ticketReadScope = (actor: Actor): TicketReadScope => {
  if (centre(actor) || actor.roles.includes('leader')) return { kind: 'all' };
  if (actor.roles.includes('handler')) return { kind: 'unit', unitId: actor.orgId ?? null };
  if (citizenOnly(actor)) return { kind: 'own', userId: actor.kind === 'user' ? (actor.id ?? null) : null };
  return { kind: 'none' };
};

/**
 * Whether the actor may read this ticket. Anyone else asking learns nothing, not even that it exists (404, not
 * 403): a citizen asking for someone else's ticket, a handler for another unit's.
 */
export const maySee = (actor: Actor, ticket: Pick<TicketRow, 'citizen_user_id' | 'unit_id'>): boolean => {
  const scope = ticketReadScope(actor);
  switch (scope.kind) {
    case 'all': return true;
    case 'unit': return !!scope.unitId && scope.unitId === ticket.unit_id;
    case 'own': return isOwnTicket(actor, ticket);
    default: return false;
  }
};

export const ticketNotFound = (id: string): Problem => new Problem('HOTLINE_TICKET_NOT_FOUND', { detail: `ticket ${id} does not exist` });
