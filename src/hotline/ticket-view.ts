import type { Actor } from '../platform/auth/roles.js';
import type { TicketEventRow, TicketRow } from './ticket-store.js';
import { handlesTicket, isOwnTicket } from './ticket-access.js';
import { maskPersonalData, maskPersonalDataDeep } from './personal-data.js';
import type { PublicTicketEventView, PublicTicketView, TicketEventView, TicketView } from './schemas.js';

/**
 * Tickets as services hand them out (the shapes are in schemas.ts): camelCase, ISO timestamps — in clear for those
 * who handle the ticket (the hotline centre, handlers of its unit) and the citizen who filed it; masked for every
 * other reader (leaders' city-wide view): no name or phone, personal data in every free text hidden
 * (`maskPersonalData`), the place rounded to about 100 m, attachments without their links (issue 15, finding 10).
 */

/** Three decimals of a degree: about 100 m, enough for a map of where problems are, not of who lives where. */
const roughly = (deg: number | null): number | null => (deg === null ? null : Math.round(deg * 1000) / 1000);

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** Whether this reader sees the ticket in clear (handles it, or filed it). */
export const readsInClear = (actor: Actor, row: Pick<TicketRow, 'unit_id' | 'citizen_user_id'>): boolean =>
  handlesTicket(actor, row) || isOwnTicket(actor, row);

export const toTicketView = (row: TicketRow, actor: Actor): TicketView => {
  const view = clearTicketView(row);
  return readsInClear(actor, row) ? view : maskedTicketView(view);
};

/** The masked view: nothing that names, reaches or locates the citizen. */
const maskedTicketView = (v: TicketView): TicketView => ({
  ...v,
  citizenName: null,
  citizenPhone: null,
  masked: true,
  title: maskPersonalData(v.title),
  content: maskPersonalData(v.content),
  address: maskPersonalData(v.address),
  lon: roughly(v.lon),
  lat: roughly(v.lat),
  tags: v.tags.map((t) => maskPersonalData(t)),
  attachments: v.attachments.map((a) => ({ name: maskPersonalData(a.name), type: a.type, size: a.size })),
  returnReason: maskPersonalData(v.returnReason),
  replyText: maskPersonalData(v.replyText),
  open311Token: null,
});

const clearTicketView = (row: TicketRow): TicketView => {
  return {
    id: row.id,
    number: row.number,
    channel: row.channel,
    citizenName: row.citizen_name,
    citizenPhone: row.citizen_phone,
    masked: false,
    title: row.title,
    content: row.content,
    address: row.address,
    lon: row.lon,
    lat: row.lat,
    areaId: row.area_id,
    districtId: row.district_id,
    categoryId: row.category_id,
    urgency: row.urgency,
    tags: row.tags ?? [],
    attachments: row.attachments ?? [],
    status: row.status,
    unitId: row.unit_id,
    mainTicketId: row.main_ticket_id,
    supervised: row.supervised,
    supervisionLevel: row.supervision_level ?? null,
    supervisionDueAt: row.supervision_due_at ? new Date(row.supervision_due_at).toISOString() : null,
    signOverdue: row.sign_overdue,
    overdue: row.overdue,
    deadlineWarning: row.deadline_warning,
    returnCount: row.return_count,
    reopenCount: row.reopen_count,
    returnReason: row.return_reason ?? null,
    replyText: row.reply_text,
    result: row.result,
    visitContacted: row.visit_contacted,
    visitSolved: row.visit_solved,
    satisfaction: row.satisfaction,
    likes: row.likes,
    source: row.source,
    externalId: row.external_id,
    open311Token: row.open311_token,
    public: row.public,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    dispatchedAt: iso(row.dispatched_at),
    signDueAt: iso(row.sign_due_at),
    acceptedAt: iso(row.accepted_at),
    dueAt: iso(row.due_at),
    answeredAt: iso(row.answered_at),
    visitedAt: iso(row.visited_at),
    closedAt: iso(row.closed_at),
  };
};

/** The public lookup's view: title and reply pass the mask for public text (anyone holding number + phone reads it). */
export const toPublicTicketView = (row: TicketRow, allowed: string[], unitName: string | null = null): PublicTicketView => ({
  id: row.id,
  number: row.number,
  title: maskPersonalData(row.title),
  status: row.status,
  categoryId: row.category_id,
  overdue: row.overdue,
  signOverdue: row.sign_overdue,
  replyText: maskPersonalData(row.reply_text),
  result: row.result,
  visitContacted: row.visit_contacted,
  visitSolved: row.visit_solved,
  satisfaction: row.satisfaction,
  createdAt: iso(row.created_at)!,
  updatedAt: iso(row.updated_at)!,
  dispatchedAt: iso(row.dispatched_at),
  dueAt: iso(row.due_at),
  answeredAt: iso(row.answered_at),
  visitedAt: iso(row.visited_at),
  closedAt: iso(row.closed_at),
  unitName,
  signDueAt: iso(row.sign_due_at),
  acceptedAt: iso(row.accepted_at),
  reopenCount: row.reopen_count,
  allowed,
});

export const toPublicEventView = (e: TicketEventRow): PublicTicketEventView => ({
  id: Number(e.id), at: iso(e.at)!, action: e.action, fromStatus: e.from_status, toStatus: e.to_status,
});

/** A timeline step; for a masked reader the free text in its details (reasons, notes) is masked too. */
export const toEventView = (e: TicketEventRow, masked = false): TicketEventView => ({
  id: Number(e.id),
  at: iso(e.at)!,
  actor: e.actor,
  actorOrgId: e.actor_org_id,
  action: e.action,
  fromStatus: e.from_status,
  toStatus: e.to_status,
  details: masked ? (maskPersonalDataDeep(e.details ?? {}) as Record<string, unknown>) : (e.details ?? {}),
});
