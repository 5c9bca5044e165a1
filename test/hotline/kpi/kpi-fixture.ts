import type { Db } from '../../../src/platform/db/database.js';

/** An instant given in Beijing time (UTC+8, the default city.timeZone): 2026-<month>-<day> <hour>:<minute>. */
export const bj = (month: number, day: number, hour: number, minute = 0): Date =>
  new Date(Date.UTC(2026, month - 1, day, hour - 8, minute));

/** A hand-built ticket of the KPI tests: its unit, district and category by fixture key, and its event times. */
export interface KpiFixture<K extends string = string> {
  unit: K;
  district: K;
  category: K;
  dispatched?: Date;
  accepted?: Date;
  due?: Date;
  answered?: Date;
  visited?: Date;
  contacted?: boolean;
  solved?: boolean;
  satisfaction?: 'satisfied' | 'basically_satisfied' | 'unsatisfied';
  returns?: number;
  reopens?: number;
  /** 1-based index of the main ticket among those inserted before */
  mergedInto?: number;
}

/**
 * Inserts one fixture ticket straight into hotline_ticket (the KPI counts columns, not how they were reached) and
 * returns its id. `ids` maps fixture keys to row ids; `mainIds` are the ids inserted so far, for `mergedInto`.
 */
export async function insertKpiTicket<K extends string>(
  db: Db, number: string, t: KpiFixture<K>, ids: Record<K, string>, mainIds: string[] = [],
): Promise<string> {
  const row = await db.insertInto('hotline_ticket').values({
    number, channel: 'phone', citizen_name: null, citizen_phone: null, citizen_user_id: null, title: number,
    content: 'kpi fixture', address: null, lon: null, lat: null, area_id: ids[t.district], district_id: ids[t.district],
    category_id: ids[t.category], urgency: 'normal', tags: [], attachments: JSON.stringify([]),
    status: t.mergedInto ? 'merged' : t.visited ? 'visited' : t.dispatched ? 'dispatched' : 'received',
    unit_id: ids[t.unit], main_ticket_id: t.mergedInto ? mainIds[t.mergedInto - 1] : null,
    return_count: t.returns ?? 0, reopen_count: t.reopens ?? 0, reply_text: null, result: null,
    visit_contacted: t.contacted ?? null, visit_solved: t.solved ?? null, satisfaction: t.satisfaction ?? null,
    source: null, external_id: null, open311_token: null, created_at: t.dispatched ?? bj(11, 1, 0),
    updated_at: bj(11, 1, 0), dispatched_at: t.dispatched ?? null, sign_due_at: null, accepted_at: t.accepted ?? null,
    due_at: t.due ?? null, answered_at: t.answered ?? null, visited_at: t.visited ?? null, closed_at: null,
  }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}
