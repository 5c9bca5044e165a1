import { maskPersonalData } from '../personal-data.js';
import type { Open311Status, RequestUpdate, RequestView, ServiceView } from './schemas.js';

/**
 * Presenters: the fields Open311 shows, listed one by one. Nothing about the citizen (name, phone, user id,
 * e-mail) is ever read into these views, and free text (description, address) is passed through the hotline's one
 * mask for public text, `maskPersonalData` (phones however spaced, landlines, QQ/WeChat ids, ID numbers, e-mail
 * addresses, names after 我叫/本人/市民, building/unit/room numbers).
 */

/** `closed` and `merged` (a duplicate that follows its main ticket) are closed; every other state is open. */
export const closedStatuses = ['closed', 'merged'] as const;

export const open311Status = (status: string): Open311Status =>
  (closedStatuses as readonly string[]).includes(status) ? 'closed' : 'open';

const statusNotes: Record<string, string> = {
  received: '已受理 Received',
  dispatched: '已派单至承办单位 Dispatched to the handling unit',
  returned: '退回重新派单 Being re-dispatched',
  accepted: '承办单位已签收 Accepted by the handling unit',
  in_progress: '办理中 In progress',
  answered: '已反馈办理结果 The handling unit has answered',
  visited: '已回访 Return visit done',
  closed: '已办结 Closed',
};

/** Status notes in zh-CN with English; a merged duplicate names the request it follows. */
export const open311StatusNotes = (status: string, mainNumber: string | null): string =>
  status === 'merged'
    ? `已合并至 ${mainNumber ?? '主工单'} 一并办理 Merged as a duplicate into request ${mainNumber ?? '(main)'}`
    : (statusNotes[status] ?? status);

/** W3C-DTF with a zone, seconds precision: `2010-01-01T00:00:00Z` (spec "Date/time format"). */
export const w3cDate = (d: Date | null | undefined): string | null => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : null);

/** Descriptions are limited to 4,000 characters (spec). */
const MAX_DESCRIPTION = 4000;

export interface CategoryRow {
  id: string;
  code: string;
  level1: string;
  level2: string | null;
  level3: string | null;
}

/** A category as an Open311 service: the deepest level is its name, level 1 its group. */
export const serviceView = (c: CategoryRow): ServiceView => {
  const path = [c.level1, c.level2, c.level3].filter((x): x is string => !!x);
  return {
    service_code: c.code,
    service_name: path[path.length - 1],
    description: path.join(' / '),
    // No category has attributes yet, so clients need not call GET Service Definition.
    metadata: false,
    // The ticket number is known as soon as the request is stored.
    type: 'realtime',
    keywords: path.join(', '),
    group: c.level1,
  };
};

/** What the store reads for a request: ticket columns without any personal field. */
export interface RequestRow {
  number: string;
  channel: string;
  status: string;
  title: string;
  content: string;
  address: string | null;
  lat: number | null;
  lon: number | null;
  created_at: Date;
  updated_at: Date;
  closed_at: Date | null;
  due_at: Date | null;
  unit_id: string | null;
  attachments: { name: string; type: string; size: number; url?: string }[] | null;
  open311_address_id: string | null;
  result: string | null;
  category_code: string | null;
  category_level1: string | null;
  category_level2: string | null;
  category_level3: string | null;
  main_number: string | null;
}

/** A ticket as an Open311 service request; `unitName` resolves the handling unit's public name. */
export const requestView = (t: RequestRow, unitName: (id: string) => string | undefined): RequestView => {
  const status = open311Status(t.status);
  const category = [t.category_level1, t.category_level2, t.category_level3].filter((x): x is string => !!x);
  // A request filed through Open311 keeps its description as sent, in `content` (the title is the workbench's
  // excerpt of it); a ticket published from another channel has a title and a text of its own.
  const description = t.channel === 'open311'
    ? maskPersonalData(t.content)
    : maskPersonalData(t.content && t.content !== t.title ? `${t.title}\n${t.content}` : t.title).slice(0, MAX_DESCRIPTION);
  const media = (t.attachments ?? []).find((a) => typeof a.url === 'string' && /^https?:\/\//.test(a.url));
  return {
    service_request_id: t.number,
    status,
    status_notes: open311StatusNotes(t.status, t.main_number),
    service_name: category.length ? category[category.length - 1] : null,
    service_code: t.category_code,
    description,
    agency_responsible: t.unit_id ? (unitName(t.unit_id) ?? null) : null,
    service_notice: null,
    requested_datetime: w3cDate(t.created_at),
    // "For requests with status=closed, this will be the date the request was closed."
    updated_datetime: w3cDate(status === 'closed' ? (t.closed_at ?? t.updated_at) : t.updated_at),
    expected_datetime: w3cDate(t.due_at),
    address: t.address ? maskPersonalData(t.address) : null,
    // Echoed as filed, through the same mask as the address: an id is no place to publish a phone number.
    address_id: t.open311_address_id ? maskPersonalData(t.open311_address_id) : null,
    zipcode: null,
    lat: t.lat,
    long: t.lon,
    media_url: media?.url ?? null,
  };
};

/** What the store reads for a status change: the step, its ticket's number and result, a main ticket's number. */
export interface StatusChangeRow {
  id: number;
  at: Date;
  to_status: string | null;
  details: Record<string, unknown>;
  number: string;
  result: string | null;
  main_number: string | null;
}

/**
 * CityHub states in the words of mySociety's extension (FixMyStreet's statuses): an answered or closed request
 * is `fixed` when the unit solved it, `no_further_action` when it explained or could not solve it.
 */
const updateStatus = (status: string, result: string | null): string => {
  if (status === 'answered' || status === 'visited' || status === 'closed') {
    if (result === 'solved') return 'fixed';
    if (result) return status === 'closed' ? 'closed' : 'no_further_action';
    return status === 'closed' ? 'closed' : 'in_progress';
  }
  return ({ dispatched: 'investigating', accepted: 'action_scheduled', in_progress: 'in_progress', merged: 'duplicate' } as Record<string, string>)[status] ?? 'open';
};

/** A status change as a mySociety `request_update`; the description is the public status note only. */
export const updateView = (e: StatusChangeRow): RequestUpdate => {
  const status = e.to_status ?? 'received';
  const result = typeof e.details?.result === 'string' ? e.details.result : e.result;
  const mainNumber = typeof e.details?.mainNumber === 'string' ? e.details.mainNumber : e.main_number;
  return {
    update_id: String(e.id),
    service_request_id: e.number,
    status: updateStatus(status, result),
    updated_datetime: w3cDate(e.at)!,
    description: open311StatusNotes(status, mainNumber),
    media_url: '',
  };
};
