import type { Actor } from '../platform/auth/roles.js';
import type { TicketEventRow, TicketRow } from './ticket-store.js';

/**
 * A ticket as services and routes hand it out: camelCase, ISO timestamps, and the citizen's name and phone
 * masked unless the reader handles the ticket (or is the citizen who filed it).
 */
export interface TicketView {
  id: string;
  number: string;
  channel: string;
  citizenName: string | null;
  citizenPhone: string | null;
  /** true when citizenName / citizenPhone are masked for this reader */
  masked: boolean;
  title: string;
  content: string;
  address: string | null;
  lon: number | null;
  lat: number | null;
  areaId: string | null;
  districtId: string | null;
  categoryId: string | null;
  urgency: string;
  tags: string[];
  attachments: { name: string; type: string; size: number; url?: string }[];
  status: string;
  unitId: string | null;
  mainTicketId: string | null;
  supervised: boolean;
  signOverdue: boolean;
  overdue: boolean;
  deadlineWarning: boolean;
  returnCount: number;
  reopenCount: number;
  returnReason: string | null;
  replyText: string | null;
  result: string | null;
  visitContacted: boolean | null;
  visitSolved: boolean | null;
  satisfaction: string | null;
  likes: number;
  source: string | null;
  externalId: string | null;
  open311Token: string | null;
  createdAt: string;
  updatedAt: string;
  dispatchedAt: string | null;
  signDueAt: string | null;
  acceptedAt: string | null;
  dueAt: string | null;
  answeredAt: string | null;
  visitedAt: string | null;
  closedAt: string | null;
}

/**
 * What the public lookup by number + phone shows (`GET /api/hotline/track`): where the matter stands, the reply
 * and the rating; nothing that names or locates anyone (no name, phone, content, address, units, staff).
 */
export interface PublicTicketView {
  id: string;
  number: string;
  title: string;
  status: string;
  categoryId: string | null;
  overdue: boolean;
  signOverdue: boolean;
  replyText: string | null;
  result: string | null;
  visitContacted: boolean | null;
  visitSolved: boolean | null;
  satisfaction: string | null;
  createdAt: string;
  updatedAt: string;
  dispatchedAt: string | null;
  dueAt: string | null;
  answeredAt: string | null;
  visitedAt: string | null;
  closedAt: string | null;
  /** the actions the caller may take now: `visit` (rate) for the logged-in citizen who filed it, else none */
  allowed: string[];
}

/** A timeline step as the public lookup shows it: what happened and when, not who or why. */
export interface PublicTicketEventView {
  id: number;
  at: string;
  action: string;
  fromStatus: string | null;
  toStatus: string | null;
}

export interface TicketEventView {
  id: number;
  at: string;
  actor: string;
  actorOrgId: string | null;
  action: string;
  fromStatus: string | null;
  toStatus: string | null;
  details: Record<string, unknown>;
}

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

/** The hotline centre (agents, supervisors) handles every ticket; a handler only those of their own unit. */
export const handlesTicket = (actor: Actor, ticket: Pick<TicketRow, 'unit_id'>): boolean =>
  actor.roles.some((r) => r === 'admin' || r === 'agent' || r === 'supervisor') ||
  (actor.roles.includes('handler') && !!actor.orgId && actor.orgId === ticket.unit_id);

export const isOwnTicket = (actor: Actor, ticket: Pick<TicketRow, 'citizen_user_id'>): boolean =>
  actor.kind === 'user' && !!actor.id && actor.id === ticket.citizen_user_id;

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
