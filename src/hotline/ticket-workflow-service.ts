import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import type { EventBus } from '../platform/events/index.js';
import { assertCan } from '../platform/auth/permissions.js';
import type { Actor } from '../platform/auth/roles.js';
import { invalidField, Problem } from '../platform/errors/problem.js';
import * as tickets from './ticket-store.js';
import * as reference from './reference-store.js';
import type { TicketPatch, TicketRow } from './ticket-store.js';
import { isOwnTicket, maySee, ticketNotFound } from './ticket-access.js';
import { recordTicketChange, TicketChangeAnnouncer, type TicketChangeHook } from './ticket-changes.js';
import { satisfactions, ticketResults, type TicketAction, type TicketStatus } from './ticket-enums.js';
import { planTransition, workflowTicket } from './ticket-workflow.js';
import { toTicketView } from './ticket-view.js';
import type { RoutingService } from './routing-service.js';
import type { DeadlineService } from './deadline-service.js';
import type { TicketView, TransitionPayload } from './schemas.js';
import { TicketPersonalFields } from './ticket-personal-fields.js';

export interface TicketWorkflowDeps {
  db: Db;
  ledger: Ledger;
  clock: Clock;
  /** Committed actions are announced on it (`TICKETS_CHANGED`), through `changes` when given (else at once). */
  events: EventBus;
  changes?: TicketChangeAnnouncer;
  routing: RoutingService;
  deadlines: DeadlineService;
  /**
   * Issue 17: a citizen's own rating of 未解决 or 不满意 sends the case back to its unit for redo (重办) and flags it
   * for the supervisor (督办) (modules.hotline.citizen.redoOnUnsatisfied).
   */
  redoOnUnsatisfied?: boolean;
  /** Opens the citizen's sealed name, phone and address (field encryption); plain when not given. */
  personal?: TicketPersonalFields;
}

const isUnitFkViolation = (err: unknown) => (err as { code?: string }).code === '23503';

/**
 * The workflow's actions on a ticket (派单, 签收, 退单, 办理, 反馈, 回访, 办结, 重办, 督办, 合并, 改类): each is
 * checked against the state machine (ticket-workflow.ts), applied, and written with its timeline event and ledger
 * entry in one transaction, with the hooks other modules added; then announced on the bus.
 *
 * @example await hotline.workflow.transition(agent, ticketId, 'dispatch', {}); // to the suggested unit
 */
export class TicketWorkflowService {
  private readonly changeHooks: TicketChangeHook[] = [];

  private readonly personal: TicketPersonalFields;
  private readonly changes: TicketChangeAnnouncer;

  constructor(private readonly deps: TicketWorkflowDeps) {
    this.personal = deps.personal ?? new TicketPersonalFields();
    this.changes = deps.changes ?? new TicketChangeAnnouncer(deps.events, 0);
  }

  /** Adds a hook run in the transaction of every workflow action (see TicketChangeHook). */
  onChange(hook: TicketChangeHook): void {
    this.changeHooks.push(hook);
  }

  /**
   * Takes a workflow action: checks it against the state machine (role, organisation, status), applies it, and
   * writes the timeline event and the ledger entry `hotline.ticket.<action>` in one transaction.
   * A forbidden action is HOTLINE_TRANSITION_NOT_ALLOWED whose `allowed` lists what the actor may do now.
   */
  async transition(actor: Actor, id: string, action: TicketAction, payload: TransitionPayload = {}): Promise<TicketView> {
    assertCan(actor, 'hotline.ticket.act');
    const { db, clock } = this.deps;
    const now = clock();
    try {
      const row = await db.transaction().execute(async (trx) => {
        const locked = await tickets.lockTicket(trx, id);
        if (!locked || !maySee(actor, locked)) throw ticketNotFound(id);
        const ticket = this.personal.open(locked);
        const rule = planTransition(workflowTicket(ticket), actor, action);
        const { patch, details, to: redirected } = await this.applyAction(trx, actor, ticket, action, payload, now);
        const to = redirected ?? rule.to ?? ticket.status;
        const updated = this.personal.open(await tickets.updateTicket(trx, id, { ...patch, status: to, updated_at: now }));
        await this.record(trx, actor, updated, action, ticket.status, to, { ...details, ...(payload.note ? { note: payload.note } : {}) }, now);
        if (action === 'close') await this.closeChildren(trx, actor, updated, now);
        for (const hook of this.changeHooks) await hook(trx, { actor, action, before: ticket, after: updated, at: now });
        return updated;
      });
      this.changes.announce([id]);
      return toTicketView(row, actor);
    } catch (err) {
      // The unit is an organisation id; the foreign key is the one check that cannot race with a deleted org.
      if (isUnitFkViolation(err) && action === 'dispatch') {
        throw new Problem('HOTLINE_UNIT_NOT_FOUND', { errors: [{ field: 'unitId', message: 'no such organisation' }] });
      }
      throw err;
    }
  }

  /** The change an action makes beyond the status, and what the timeline keeps about it. */
  private async applyAction(
    trx: Db, actor: Actor, ticket: TicketRow, action: TicketAction, p: TransitionPayload, now: Date,
  ): Promise<{ patch: TicketPatch; details: Record<string, unknown>; to?: TicketStatus }> {
    const { routing, deadlines } = this.deps;
    const freshRound: TicketPatch = {
      dispatched_at: now, sign_due_at: deadlines.signDueAt(now), accepted_at: null, due_at: null,
      sign_overdue: false, overdue: false, deadline_warning: false,
    };
    switch (action) {
      case 'dispatch': {
        const suggestion = await routing.suggestUnit(ticket.category_id, ticket.area_id, trx);
        const unitId = p.unitId ?? suggestion.unitId;
        if (!unitId) {
          throw new Problem('HOTLINE_NO_UNIT', {
            detail: 'no routing rule and no district government for this ticket: give unitId',
            errors: [{ field: 'unitId', message: 'required here' }],
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
        const dueAt = deadlines.answerDueAt(now, ticket.urgency);
        return {
          patch: { accepted_at: now, due_at: dueAt, sign_overdue: ticket.sign_overdue || late },
          details: { unit: ticket.unit_id, dueAt: dueAt.toISOString(), lateSign: late },
        };
      }
      case 'return': {
        if (!p.reason?.trim()) throw invalidField('reason', 'a return (退单) needs a reason');
        return {
          patch: { return_count: ticket.return_count + 1, return_reason: p.reason.trim() },
          details: { unit: ticket.unit_id, reason: p.reason.trim() },
        };
      }
      case 'start':
        return { patch: {}, details: { unit: ticket.unit_id } };
      case 'answer': {
        if (!p.replyText?.trim()) throw invalidField('replyText', 'the answer (反馈) needs the reply text');
        if (!p.result || !(ticketResults as readonly string[]).includes(p.result)) throw invalidField('result', `one of ${ticketResults.join(', ')}`);
        const late = !!ticket.due_at && now > new Date(ticket.due_at);
        return {
          patch: { reply_text: p.replyText.trim(), result: p.result, answered_at: now, overdue: ticket.overdue || late, deadline_warning: false },
          details: { unit: ticket.unit_id, result: p.result, late },
        };
      }
      case 'visit': {
        if (typeof p.contacted !== 'boolean') throw invalidField('contacted', 'whether the citizen was reached (true/false)');
        if (typeof p.solved !== 'boolean') throw invalidField('solved', 'whether the problem is solved (true/false)');
        if (!p.satisfaction || !(satisfactions as readonly string[]).includes(p.satisfaction)) {
          throw invalidField('satisfaction', `one of ${satisfactions.join(', ')}`);
        }
        const byCitizen = isOwnTicket(actor, ticket);
        const rated = { visit_contacted: p.contacted, visit_solved: p.solved, satisfaction: p.satisfaction, visited_at: now };
        const details = { unit: ticket.unit_id, contacted: p.contacted, solved: p.solved, satisfaction: p.satisfaction, byCitizen };
        // The citizen says it is not solved or not satisfactory: back to the same unit for a fresh round (重办),
        // flagged for the supervisor; the rating stays on the ticket and in the timeline.
        if (byCitizen && this.deps.redoOnUnsatisfied && ticket.unit_id && (!p.solved || p.satisfaction === 'unsatisfied')) {
          return {
            patch: { ...rated, ...freshRound, reopen_count: ticket.reopen_count + 1, supervised: true },
            details: { ...details, redo: true, reopenCount: ticket.reopen_count + 1 },
            to: 'dispatched',
          };
        }
        return { patch: rated, details };
      }
      case 'close':
        return { patch: { closed_at: now }, details: { unit: ticket.unit_id } };
      case 'reopen':
        return {
          patch: { ...freshRound, reopen_count: ticket.reopen_count + 1, closed_at: null },
          details: { unit: ticket.unit_id, reopenCount: ticket.reopen_count + 1 },
        };
      case 'supervise': {
        const level = p.supervisionLevel ?? 'general';
        const due = p.supervisionDueAt ? new Date(p.supervisionDueAt) : null;
        if (due && due <= now) throw invalidField('supervisionDueAt', 'the supervision deadline must be in the future');
        return {
          patch: { supervised: true, supervision_level: level, supervision_due_at: due },
          details: { unit: ticket.unit_id, level, dueAt: due?.toISOString() ?? null },
        };
      }
      case 'recategorize': {
        if (!p.categoryId) throw invalidField('categoryId', 'the new category (改类)');
        if (p.categoryId === ticket.category_id) throw invalidField('categoryId', 'the ticket is already in this category');
        if (!(await reference.findCategory(trx, p.categoryId))) {
          throw new Problem('HOTLINE_CATEGORY_NOT_FOUND', { errors: [{ field: 'categoryId', message: 'no such category' }] });
        }
        return { patch: { category_id: p.categoryId }, details: { unit: ticket.unit_id, fromCategory: ticket.category_id, category: p.categoryId } };
      }
      case 'merge': {
        if (!p.mainTicketId) throw invalidField('mainTicketId', 'the main ticket to merge into');
        if (p.mainTicketId === ticket.id) throw new Problem('HOTLINE_MERGE_INVALID', { detail: 'a ticket cannot be merged into itself' });
        const main = await tickets.lockTicket(trx, p.mainTicketId);
        if (!main) throw new Problem('HOTLINE_TICKET_NOT_FOUND', { errors: [{ field: 'mainTicketId', message: 'no such ticket' }] });
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

  private record(
    trx: Db, actor: Actor, ticket: TicketRow, action: string, from: string | null, to: string, details: Record<string, unknown>, at: Date,
  ): Promise<void> {
    return recordTicketChange(trx, this.deps.ledger, actor, ticket, { action, from, to, details, at });
  }
}
