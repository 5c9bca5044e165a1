import { randomBytes } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger, LedgerFacts } from '../platform/ledger/ledger.js';
import { assertCan } from '../platform/auth/permissions.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import { Problem } from '../platform/errors/problem.js';
import { answerHours, type HotlineConfig } from './hotline-config.js';
import * as tickets from './ticket-store.js';
import * as reference from './reference-store.js';
import { FailureThrottle } from '../platform/throttle/failure-throttle.js';
import type { EventBus } from '../platform/events/index.js';
import { allowedActions, openStatuses, planTransition, type TicketAction, type WorkflowTicket } from './ticket-workflow.js';
import {
  handlesTicket, isOwnTicket, toEventView, toPublicEventView, toPublicTicketView, toTicketView,
  type PublicTicketEventView, type PublicTicketView, type TicketEventView, type TicketView,
} from './ticket-view.js';
import type { TicketPatch, TicketRow } from './ticket-store.js';

/** Bus subject of committed ticket changes; the data is `{ ids: string[] }`. */
export const TICKETS_CHANGED = 'hotline.tickets.changed';

export const ticketChannels = ['phone', 'web', 'app', 'open311', 'wechat', 'other'] as const;
export type TicketChannel = (typeof ticketChannels)[number];
export const ticketResults = ['solved', 'unsolved', 'explained'] as const;
export const satisfactions = ['satisfied', 'basically_satisfied', 'unsatisfied'] as const;

/** What a new ticket needs; everything but title and content is optional. */
export interface NewTicket {
  title: string;
  content: string;
  /** default: `web` for citizens, `open311` for API keys, `phone` for agents */
  channel?: TicketChannel;
  citizenName?: string | null;
  citizenPhone?: string | null;
  address?: string | null;
  lon?: number | null;
  lat?: number | null;
  areaId?: string | null;
  categoryId?: string | null;
  /** emergency | urgent | normal (default) | complex */
  urgency?: string;
  tags?: string[];
  attachments?: { name: string; type: string; size: number; url?: string }[];
  /** Where the ticket came from (e.g. `open311`) and its id there; unique together. */
  source?: string | null;
  externalId?: string | null;
  /** Open311: hand back a token (`POST requests` answers with one); `true` generates it. */
  open311Token?: string | true | null;
}

/** What the actions take; each action reads only its own fields (see TicketService.transition). */
export interface TransitionPayload {
  /** dispatch: the unit; when absent the routing suggestion is used */
  unitId?: string;
  /** return: why the unit sends it back (required) */
  reason?: string;
  /** answer: the reply to the citizen and the result (required) */
  replyText?: string;
  result?: (typeof ticketResults)[number];
  /** visit: the return visit (required) */
  contacted?: boolean;
  solved?: boolean;
  satisfaction?: (typeof satisfactions)[number];
  /** merge: the main ticket (required) */
  mainTicketId?: string;
  /** recategorize: the ticket's new category (required) */
  categoryId?: string;
  /** any action: a remark kept in the timeline */
  note?: string;
}

export interface TicketQuery {
  status?: string[];
  unitId?: string;
  areaId?: string;
  categoryId?: string;
  overdue?: boolean;
  supervised?: boolean;
  /** the return visit's rating, e.g. `['unsatisfied']` */
  satisfaction?: string[];
  text?: string;
  mainTicketId?: string;
  /** 1-based */
  page?: number;
  pageSize?: number;
}

export interface TicketPage {
  items: TicketView[];
  total: number;
  page: number;
  pageSize: number;
}

/** Tickets per district for the cockpit's map (`GET /api/hotline/district-counts`). */
export interface DistrictCounts {
  from: string;
  to: string;
  districts: { areaId: string; name: string; tickets: number; open: number; overdue: number; signOverdue: number }[];
}

export interface UnitSuggestion {
  unitId: string | null;
  /** `rule`: a routing rule matched; `district`: 首接负责, the district government; `none`: nothing found */
  source: 'rule' | 'district' | 'none';
  ruleId: string | null;
}

/**
 * A ticket's human-readable number: the local day it was filed and its sequence that day, six digits. The one
 * place the format lives (TicketService.create and the importer both use it).
 *
 * @example formatTicketNumber('20261126', 123) // → '20261126-000123'
 */
export const formatTicketNumber = (day: string, seq: number): string => `${day}-${String(seq).padStart(6, '0')}`;

const HOUR = 3_600_000;
const addHours = (d: Date, hours: number) => new Date(d.getTime() + hours * HOUR);

const fieldError = (field: string, message: string) =>
  new Problem('VALIDATION_FAILED', { errors: [{ field: `/body/${field}`, message }] });

const workflowTicket = (row: TicketRow): WorkflowTicket => ({
  status: row.status,
  unitId: row.unit_id,
  citizenUserId: row.citizen_user_id,
  channel: row.channel,
  satisfaction: row.satisfaction,
});

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

/** A category the classifier is sure enough of, for a ticket filed without one. */
export interface AutoCategory {
  categoryId: string;
  confidence: number;
  modelVersion: number | null;
}

/** Returns null when not sure enough: the ticket then waits for an agent to categorise it. */
export type AutoCategorizer = (title: string, content: string) => AutoCategory | null;

/** Only a citizen (no staff role) is limited to their own tickets. */
const citizenOnly = (actor: Actor) =>
  actor.roles.includes('citizen') && !actor.roles.some((r) => r !== 'citizen');

/**
 * Tickets (工单): create, read with masking, the workflow's transitions, the timeline, routing and deadlines.
 * Every change writes its timeline event and its ledger entry in the same transaction.
 *
 * @example
 * const t = await hotline.create(agent, { title: '路灯不亮', content: '…', areaId, categoryId });
 * await hotline.transition(agent, t.id, 'dispatch', {}); // to the suggested unit
 */
export class TicketService {
  private readonly dayFormat: Intl.DateTimeFormat;
  /** Misses of the public lookup per client address and per number (in the database: one limit for all nodes). */
  private readonly trackThrottle: FailureThrottle;
  private readonly changeHooks: TicketChangeHook[] = [];
  private events: EventBus | undefined;
  private autoCategorizer: AutoCategorizer | undefined;

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly settings: HotlineConfig,
    private readonly clock: Clock,
  ) {
    this.dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: settings.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    this.trackThrottle = new FailureThrottle(db, 'hotline.track', settings.track);
  }

  /** Adds a hook run in the transaction of every workflow action (see TicketChangeHook). */
  onChange(hook: TicketChangeHook): void {
    this.changeHooks.push(hook);
  }

  /** Announces every committed create and workflow action on the bus (`TICKETS_CHANGED`, `{ ids }`). */
  useEvents(events: EventBus): void {
    this.events = events;
  }

  /** Files tickets that come without a category under the classifier's, when it is confident (set by the intel module). */
  useAutoCategorizer(categorizer: AutoCategorizer): void {
    this.autoCategorizer = categorizer;
  }

  /** `20261126` for the city's local date of `at`. */
  dayOf(at: Date): string {
    return this.dayFormat.format(at).replaceAll('-', '');
  }

  /** Files a ticket in status `received` with the next number of the day (e.g. `20261126-000123`). */
  async create(actor: Actor, input: NewTicket): Promise<TicketView> {
    assertCan(actor, 'hotline.ticket.create');
    const now = this.clock();
    const isCitizen = citizenOnly(actor);
    const channel: TicketChannel = input.channel ?? (actor.kind === 'api_key' ? 'open311' : isCitizen ? 'web' : 'phone');
    if (isCitizen && actor.kind === 'user' && !['web', 'app'].includes(channel)) {
      throw fieldError('channel', 'citizens file tickets on the web or the app');
    }
    if (!input.title?.trim()) throw fieldError('title', 'a title is required');
    if (!input.content?.trim()) throw fieldError('content', 'the content is required');
    const urgency = input.urgency ?? 'normal';
    if (!['emergency', 'urgent', 'normal', 'complex'].includes(urgency)) {
      throw fieldError('urgency', 'one of emergency, urgent, normal, complex');
    }
    let districtId: string | null = null;
    if (input.areaId) {
      const area = await reference.findArea(this.db, input.areaId);
      if (!area) throw new Problem('HOTLINE_AREA_NOT_FOUND', { errors: [{ field: '/body/areaId', message: 'no such area' }] });
      districtId = area.level === 'district' ? area.id : area.parent_id;
    }
    if (input.categoryId && !(await reference.findCategory(this.db, input.categoryId))) {
      throw new Problem('HOTLINE_CATEGORY_NOT_FOUND', { errors: [{ field: '/body/categoryId', message: 'no such category' }] });
    }
    // 置信度高的自动分类: only for a ticket that names no category; below the threshold a person decides.
    const auto = input.categoryId ? null : (this.autoCategorizer?.(input.title, input.content) ?? null);
    const token = input.open311Token === true ? randomBytes(12).toString('hex') : (input.open311Token ?? null);
    const day = this.dayOf(now);
    const row = await this.db.transaction().execute(async (trx) => {
      const seq = await tickets.nextTicketSequence(trx, day);
      const created = await tickets.insertTicket(trx, {
        number: formatTicketNumber(day, seq),
        channel,
        citizen_name: input.citizenName ?? null,
        citizen_phone: input.citizenPhone ?? null,
        citizen_user_id: isCitizen && actor.kind === 'user' ? (actor.id ?? null) : null,
        title: input.title.trim(),
        content: input.content.trim(),
        address: input.address ?? null,
        lon: input.lon ?? null,
        lat: input.lat ?? null,
        area_id: input.areaId ?? null,
        district_id: districtId,
        category_id: input.categoryId ?? auto?.categoryId ?? null,
        urgency,
        tags: input.tags ?? [],
        attachments: JSON.stringify(input.attachments ?? []),
        status: 'received',
        source: input.source ?? null,
        external_id: input.externalId ?? null,
        open311_token: token,
        created_at: now,
        updated_at: now,
      });
      const details = { channel, number: created.number, ...(auto ? { autoCategory: { category: auto.categoryId, confidence: auto.confidence, model: auto.modelVersion } } : {}) };
      await this.record(trx, actor, created, 'create', null, 'received', details, now);
      return created;
    });
    this.events?.publish(TICKETS_CHANGED, { ids: [row.id] });
    return toTicketView(row, actor);
  }

  /** One ticket with the actions this actor may take on it now. Citizens see only their own tickets. */
  async get(actor: Actor, id: string): Promise<TicketView & { allowed: TicketAction[] }> {
    assertCan(actor, 'hotline.ticket.read');
    const row = await this.readable(actor, id);
    return { ...toTicketView(row, actor), allowed: allowedActions(workflowTicket(row), actor) };
  }

  /** A page of tickets, newest first; personal fields masked on tickets the actor does not handle. */
  async list(actor: Actor, query: TicketQuery = {}): Promise<TicketPage> {
    assertCan(actor, 'hotline.ticket.read');
    const page = Math.max(1, query.page ?? 1);
    const pageSize = Math.min(200, Math.max(1, query.pageSize ?? 20));
    const { rows, total } = await tickets.listTickets(
      this.db,
      {
        status: query.status,
        unitId: query.unitId,
        areaId: query.areaId,
        categoryId: query.categoryId,
        overdue: query.overdue,
        supervised: query.supervised,
        satisfaction: query.satisfaction,
        text: query.text?.trim() || undefined,
        mainTicketId: query.mainTicketId,
        citizenUserId: citizenOnly(actor) ? (actor.id ?? '00000000-0000-0000-0000-000000000000') : undefined,
      },
      (page - 1) * pageSize,
      pageSize,
    );
    return { items: rows.map((r) => toTicketView(r, actor)), total, page, pageSize };
  }

  /**
   * The public lookup (查询进度): anyone holding the ticket number and the phone given when filing sees its status,
   * timeline and reply — nothing else personal. An unknown number and a wrong phone are the same 404, and misses
   * are counted per client address and per number: past `track.maxFailures` in `track.windowSeconds`, 429.
   *
   * @example await hotline.track(anonymous, '20261126-000001', '13800001234', request.ip)
   */
  async track(actor: Actor, number: string, phone: string, clientAddress: string): Promise<{ ticket: PublicTicketView; timeline: PublicTicketEventView[] }> {
    const now = this.clock();
    const keys = [`a:${clientAddress}`, `n:${number.trim()}`];
    const wait = await this.trackThrottle.retryAfter(keys, now);
    if (wait > 0) throw new Problem('HOTLINE_TRACK_RATE_LIMITED', { detail: `try again in ${wait} s`, headers: { 'retry-after': String(wait) } });
    const row = await tickets.findTicketByNumber(this.db, number.trim());
    if (!row || !samePhone(row.citizen_phone, phone)) {
      await this.trackThrottle.recordFailure(keys, now);
      // the same answer for both, so the lookup does not tell which numbers exist
      throw new Problem('HOTLINE_TICKET_NOT_FOUND', { detail: 'no ticket with this number and phone' });
    }
    const allowed = isOwnTicket(actor, row) ? allowedActions(workflowTicket(row), actor) : [];
    const events = await tickets.listTicketEvents(this.db, row.id);
    return { ticket: toPublicTicketView(row, allowed), timeline: events.map(toPublicEventView) };
  }

  /** Tickets, open, overdue and sign-overdue tickets per district, filed in [from, to) (default: the last 365 days). */
  async districtCounts(actor: Actor, range: { from?: string; to?: string } = {}): Promise<DistrictCounts> {
    assertCan(actor, 'hotline.kpi.read.all');
    const to = range.to ? new Date(range.to) : this.clock();
    const from = range.from ? new Date(range.from) : new Date(to.getTime() - 365 * 24 * HOUR);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
      throw new Problem('VALIDATION_FAILED', { errors: [{ field: '/querystring/from', message: 'from must be a date before to' }] });
    }
    const rows = await tickets.countTicketsByDistrict(this.db, from, to, openStatuses);
    return {
      from: from.toISOString(), to: to.toISOString(),
      districts: rows.map((r) => ({
        areaId: r.id, name: r.name, tickets: Number(r.tickets), open: Number(r.open), overdue: Number(r.overdue), signOverdue: Number(r.sign_overdue),
      })),
    };
  }

  /** The ticket's timeline, oldest first. */
  async timeline(actor: Actor, id: string): Promise<TicketEventView[]> {
    assertCan(actor, 'hotline.ticket.read');
    await this.readable(actor, id);
    return (await tickets.listTicketEvents(this.db, id)).map(toEventView);
  }

  /**
   * Routing: rules category × area → unit, most specific first: a rule on the ticket's own category beats one on
   * its level-2 parent, which beats its level-1 parent, which beats an any-category rule; among those, a street
   * beats its district, which beats any area; then the higher priority, then the older rule. No rule → the
   * government of the ticket's district (首接负责).
   *
   * @example await hotline.suggestUnit(categoryId, streetAreaId) // { unitId, source: 'rule', ruleId }
   */
  async suggestUnit(categoryId: string | null, areaId: string | null, db: Db = this.db): Promise<UnitSuggestion> {
    const area = areaId ? await reference.findArea(db, areaId) : undefined;
    const district = area?.level === 'district' ? area : area?.parent_id ? await reference.findArea(db, area.parent_id) : undefined;
    const areaIds = [area?.id, district?.id].filter((x): x is string => !!x);
    const lineage = categoryId ? await reference.findCategoryLineage(db, categoryId) : [];
    const depth = new Map(lineage.map((c) => [c.id, c.level3 ? 3 : c.level2 ? 2 : 1]));
    const rules = await reference.findCandidateRules(db, lineage.map((c) => c.id), areaIds);
    const areaScore = (r: reference.RoutingRuleRow) => (!r.area_id ? 0 : r.area_id === district?.id ? 1 : 2);
    const score = (r: reference.RoutingRuleRow) => (r.category_id ? depth.get(r.category_id) ?? 0 : 0) * 3 + areaScore(r);
    rules.sort(
      (a, b) => score(b) - score(a) || b.priority - a.priority || new Date(a.created_at).getTime() - new Date(b.created_at).getTime(),
    );
    if (rules[0]) return { unitId: rules[0].unit_id, source: 'rule', ruleId: rules[0].id };
    const governing = district?.org_id ?? area?.org_id ?? null;
    return governing ? { unitId: governing, source: 'district', ruleId: null } : { unitId: null, source: 'none', ruleId: null };
  }

  /**
   * Takes a workflow action: checks it against the state machine (role, organisation, status), applies it, and
   * writes the timeline event and the ledger entry `hotline.ticket.<action>` in one transaction.
   * A forbidden action is a 409 HOTLINE_TRANSITION_NOT_ALLOWED whose `allowed` lists what the actor may do now.
   */
  async transition(actor: Actor, id: string, action: TicketAction, payload: TransitionPayload = {}): Promise<TicketView> {
    assertCan(actor, 'hotline.ticket.act');
    const now = this.clock();
    try {
      const row = await this.db.transaction().execute(async (trx) => {
        const ticket = await tickets.lockTicket(trx, id);
        if (!ticket || (citizenOnly(actor) && !isOwnTicket(actor, ticket))) throw notFound(id);
        const rule = planTransition(workflowTicket(ticket), actor, action);
        const to = rule.to ?? ticket.status;
        const { patch, details } = await this.applyAction(trx, actor, ticket, action, payload, now);
        const updated = await tickets.updateTicket(trx, id, { ...patch, status: to, updated_at: now });
        await this.record(trx, actor, updated, action, ticket.status, to, { ...details, ...(payload.note ? { note: payload.note } : {}) }, now);
        if (action === 'close') await this.closeChildren(trx, actor, updated, now);
        for (const hook of this.changeHooks) await hook(trx, { actor, action, before: ticket, after: updated, at: now });
        return updated;
      });
      this.events?.publish(TICKETS_CHANGED, { ids: [id] });
      return toTicketView(row, actor);
    } catch (err) {
      // The unit is an organisation id; the foreign key is the one check that cannot race with a deleted org.
      if ((err as { code?: string }).code === '23503' && action === 'dispatch') {
        throw new Problem('HOTLINE_UNIT_NOT_FOUND', { errors: [{ field: '/body/unitId', message: 'no such organisation' }] });
      }
      throw err;
    }
  }

  /**
   * Recomputes the deadline flags for `now` (the background job calls it every minute; tests call it with a
   * fake clock). Each flag is one idempotent UPDATE, so several nodes may run it at once.
   */
  async refreshDeadlines(now: Date = this.clock()): Promise<{ signOverdue: number; overdue: number; warning: number }> {
    const signOverdue = await tickets.markSignOverdue(this.db, now);
    const overdue = await tickets.markOverdue(this.db, now);
    const warning = await tickets.markDeadlineWarning(this.db, now, this.settings.deadlines.warningFraction);
    return { signOverdue, overdue, warning };
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────────────────

  private async readable(actor: Actor, id: string): Promise<TicketRow> {
    const row = await tickets.findTicket(this.db, id);
    // A citizen asking for someone else's ticket learns nothing, not even that it exists.
    if (!row || (citizenOnly(actor) && !isOwnTicket(actor, row))) throw notFound(id);
    return row;
  }

  private signDue(now: Date): Date {
    return addHours(now, this.settings.deadlines.signHours);
  }

  /** The change an action makes beyond the status, and what the timeline keeps about it. */
  private async applyAction(
    trx: Db, actor: Actor, ticket: TicketRow, action: TicketAction, p: TransitionPayload, now: Date,
  ): Promise<{ patch: TicketPatch; details: Record<string, unknown> }> {
    const freshRound: TicketPatch = {
      dispatched_at: now, sign_due_at: this.signDue(now), accepted_at: null, due_at: null,
      sign_overdue: false, overdue: false, deadline_warning: false,
    };
    switch (action) {
      case 'dispatch': {
        const suggestion = await this.suggestUnit(ticket.category_id, ticket.area_id, trx);
        const unitId = p.unitId ?? suggestion.unitId;
        if (!unitId) {
          throw new Problem('HOTLINE_NO_UNIT', {
            detail: 'no routing rule and no district government for this ticket: give unitId',
            errors: [{ field: '/body/unitId', message: 'required here' }],
          });
        }
        const override = !!p.unitId && p.unitId !== suggestion.unitId;
        return {
          patch: { ...freshRound, unit_id: unitId },
          details: { unit: unitId, suggestedUnit: suggestion.unitId, routing: suggestion.source, ruleId: suggestion.ruleId, override },
        };
      }
      case 'accept': {
        const late = !!ticket.sign_due_at && now > new Date(ticket.sign_due_at);
        const dueAt = addHours(now, answerHours(this.settings.deadlines, ticket.urgency));
        return {
          patch: { accepted_at: now, due_at: dueAt, sign_overdue: ticket.sign_overdue || late },
          details: { unit: ticket.unit_id, dueAt: dueAt.toISOString(), lateSign: late },
        };
      }
      case 'return': {
        if (!p.reason?.trim()) throw fieldError('reason', 'a return (退单) needs a reason');
        return {
          patch: { return_count: ticket.return_count + 1, return_reason: p.reason.trim() },
          details: { unit: ticket.unit_id, reason: p.reason.trim() },
        };
      }
      case 'start':
        return { patch: {}, details: { unit: ticket.unit_id } };
      case 'answer': {
        if (!p.replyText?.trim()) throw fieldError('replyText', 'the answer (反馈) needs the reply text');
        if (!p.result || !(ticketResults as readonly string[]).includes(p.result)) throw fieldError('result', 'one of solved, unsolved, explained');
        const late = !!ticket.due_at && now > new Date(ticket.due_at);
        return {
          patch: { reply_text: p.replyText.trim(), result: p.result, answered_at: now, overdue: ticket.overdue || late, deadline_warning: false },
          details: { unit: ticket.unit_id, result: p.result, late },
        };
      }
      case 'visit': {
        if (typeof p.contacted !== 'boolean') throw fieldError('contacted', 'whether the citizen was reached (true/false)');
        if (typeof p.solved !== 'boolean') throw fieldError('solved', 'whether the problem is solved (true/false)');
        if (!p.satisfaction || !(satisfactions as readonly string[]).includes(p.satisfaction)) {
          throw fieldError('satisfaction', 'one of satisfied, basically_satisfied, unsatisfied');
        }
        return {
          patch: { visit_contacted: p.contacted, visit_solved: p.solved, satisfaction: p.satisfaction, visited_at: now },
          details: { unit: ticket.unit_id, contacted: p.contacted, solved: p.solved, satisfaction: p.satisfaction, byCitizen: isOwnTicket(actor, ticket) },
        };
      }
      case 'close':
        return { patch: { closed_at: now }, details: { unit: ticket.unit_id } };
      case 'reopen':
        return {
          patch: { ...freshRound, reopen_count: ticket.reopen_count + 1, closed_at: null },
          details: { unit: ticket.unit_id, reopenCount: ticket.reopen_count + 1 },
        };
      case 'supervise':
        return { patch: { supervised: true }, details: { unit: ticket.unit_id } };
      case 'recategorize': {
        if (!p.categoryId) throw fieldError('categoryId', 'the new category (改类)');
        if (p.categoryId === ticket.category_id) throw fieldError('categoryId', 'the ticket is already in this category');
        if (!(await reference.findCategory(trx, p.categoryId))) {
          throw new Problem('HOTLINE_CATEGORY_NOT_FOUND', { errors: [{ field: '/body/categoryId', message: 'no such category' }] });
        }
        return { patch: { category_id: p.categoryId }, details: { unit: ticket.unit_id, fromCategory: ticket.category_id, category: p.categoryId } };
      }
      case 'merge': {
        if (!p.mainTicketId) throw fieldError('mainTicketId', 'the main ticket to merge into');
        if (p.mainTicketId === ticket.id) throw new Problem('HOTLINE_MERGE_INVALID', { detail: 'a ticket cannot be merged into itself' });
        const main = await tickets.lockTicket(trx, p.mainTicketId);
        if (!main) throw new Problem('HOTLINE_TICKET_NOT_FOUND', { errors: [{ field: '/body/mainTicketId', message: 'no such ticket' }] });
        if (main.status === 'merged' || main.status === 'closed') {
          throw new Problem('HOTLINE_MERGE_INVALID', { detail: `the main ticket ${main.number} is ${main.status}; merge into an open main ticket` });
        }
        // Merges never nest: this ticket's own duplicates move under the new main ticket.
        await tickets.repointChildren(trx, ticket.id, main.id);
        return {
          patch: { main_ticket_id: main.id, sign_overdue: false, overdue: false, deadline_warning: false },
          details: { unit: ticket.unit_id, mainTicketId: main.id, mainNumber: main.number },
        };
      }
    }
  }

  /** Duplicates follow their main ticket: when it closes they close, with its reply and result. */
  private async closeChildren(trx: Db, actor: Actor, main: TicketRow, now: Date): Promise<void> {
    for (const child of await tickets.findMergedChildren(trx, main.id)) {
      const closed = await tickets.updateTicket(trx, child.id, {
        status: 'closed', closed_at: now, updated_at: now, reply_text: main.reply_text, result: main.result,
      });
      await this.record(trx, actor, closed, 'close', 'merged', 'closed', { unit: closed.unit_id, viaMainTicketId: main.id }, now);
    }
  }

  /** The timeline event and the ledger entry of one change, in the caller's transaction. */
  private async record(
    trx: Db, actor: Actor, ticket: TicketRow, action: string, from: string | null, to: string,
    details: Record<string, unknown>, at: Date,
  ): Promise<void> {
    await tickets.insertTicketEvent(trx, {
      ticket_id: ticket.id, at, actor: actorRef(actor), actor_org_id: actor.orgId ?? null, action, from_status: from, to_status: to,
      details: JSON.stringify(details),
    });
    // Facts are ids and statuses only: no reply text, reason or citizen data goes into the ledger.
    const facts: LedgerFacts = { from, to, unit: ticket.unit_id, number: ticket.number };
    await this.ledger.append(`hotline.ticket.${action}`, actor, `ticket:${ticket.id}`, facts, { trx });
  }
}

/** Phone numbers compared by their digits, a leading country code 86 ignored (138-0000-1234 = +86 13800001234). */
const phoneDigits = (phone: string): string => {
  const digits = phone.replace(/\D/g, '');
  return digits.length === 13 && digits.startsWith('86') ? digits.slice(2) : digits;
};
const samePhone = (stored: string | null, given: string): boolean =>
  !!stored && phoneDigits(stored).length >= 5 && phoneDigits(stored) === phoneDigits(given);

const notFound = (id: string) => new Problem('HOTLINE_TICKET_NOT_FOUND', { detail: `ticket ${id} does not exist` });

export { handlesTicket };
