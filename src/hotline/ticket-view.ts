import type { Actor } from '../platform/auth/roles.js';
import type { TicketEventRow, TicketRow } from './ticket-store.js';
import { handlesTicket, isOwnTicket } from './ticket-access.js';
import type { PublicTicketEventView, PublicTicketView, TicketEventView, TicketView } from './schemas.js';

/**
 * Tickets as services hand them out (the shapes are in schemas.ts): camelCase, ISO timestamps, and the
 * citizen's name and phone masked unless the reader handles the ticket or filed it.
 */

/** 张三 → 张*, 欧阳娜娜 → 欧***: the first character stays so a caller can still be addressed. */
export const maskName = (name: string | null): string | null => {
  if (name === null) return null;
  const chars = [...name.trim()];
  if (chars.length === 0) return '';
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
};

/** 13812341234 → 138****1234; shorter numbers keep at most their last two digits. */
export const maskPhone = (phone: string | null): string | null => {
  if (phone === null) return null;
  const digits = phone.trim();
  if (digits.length >= 11) return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
  if (digits.length >= 7) return `${digits.slice(0, 2)}${'*'.repeat(digits.length - 4)}${digits.slice(-2)}`;
  return '*'.repeat(digits.length);
};

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export const toTicketView = (row: TicketRow, actor: Actor): TicketView => {
  const clear = handlesTicket(actor, row) || isOwnTicket(actor, row);
  return {
    id: row.id,
    number: row.number,
    channel: row.channel,
    citizenName: clear ? row.citizen_name : maskName(row.citizen_name),
    citizenPhone: clear ? row.citizen_phone : maskPhone(row.citizen_phone),
    masked: !clear,
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

export const toPublicTicketView = (row: TicketRow, allowed: string[]): PublicTicketView => ({
  id: row.id,
  number: row.number,
  title: row.title,
  status: row.status,
  categoryId: row.category_id,
  overdue: row.overdue,
  signOverdue: row.sign_overdue,
  replyText: row.reply_text,
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
  allowed,
});

export const toPublicEventView = (e: TicketEventRow): PublicTicketEventView => ({
  id: Number(e.id), at: iso(e.at)!, action: e.action, fromStatus: e.from_status, toStatus: e.to_status,
});

export const toEventView = (e: TicketEventRow): TicketEventView => ({
  id: Number(e.id),
  at: iso(e.at)!,
  actor: e.actor,
  actorOrgId: e.actor_org_id,
  action: e.action,
  fromStatus: e.from_status,
  toStatus: e.to_status,
  details: e.details ?? {},
});
