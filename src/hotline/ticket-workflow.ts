import { Problem } from '../platform/errors/problem.js';
import type { Actor, Role } from '../platform/auth/roles.js';
import { ticketStatuses, type TicketAction, type TicketStatus } from './ticket-enums.js';
import type { TicketRow } from './ticket-store.js';

/**
 * The ticket workflow (接诉即办) as an explicit, pure state machine: which action moves a ticket from which status
 * to which, who may do it, and under which organisation rule. No I/O here: TicketWorkflowService asks this module what is
 * allowed and then writes the change, its timeline event and its ledger entry in one transaction.
 *
 * ```
 *  received ──dispatch──▶ dispatched ──accept──▶ accepted ──start──▶ in_progress ──answer──▶ answered
 *     ▲                      │  ▲                                                             │
 *     │                   return │ reopen (unsatisfied, same unit)                          visit
 *     │                      ▼  │                                                             ▼
 *  (dispatch) ◀──────────  returned          closed ◀──close── visited ◀──────────────────────┘
 *  supervise: any open ticket (status unchanged) · merge: any open ticket → merged (follows its main ticket)
 *  recategorize: any open ticket (status unchanged; the new category also becomes a training label)
 * ```
 */

/** Statuses in which a ticket is still being worked on (supervision and merging apply). */
export const openStatuses: readonly TicketStatus[] = ticketStatuses.filter((s) => s !== 'closed' && s !== 'merged');

/**
 * The organisation rule that goes with a role:
 * - `centre`: the hotline centre (agents and supervisors) acts on every ticket;
 * - `unit`: only on tickets dispatched to the actor's own organisation (承办单位);
 * - `own_online`: only the citizen who filed the ticket, and only when it came in on the web or the app.
 */
export type OrgRule = 'centre' | 'unit' | 'own_online';

export interface TransitionRule {
  action: TicketAction;
  from: readonly TicketStatus[];
  /** `null`: the status does not change (supervise, recategorize). */
  to: TicketStatus | null;
  who: ReadonlyArray<{ role: Role; rule: OrgRule }>;
  /** A condition on the ticket beyond its status, with the reason shown when it fails. */
  guard?: { test: (t: WorkflowTicket) => boolean; reason: string };
  zh: string;
}

const centre = (...roles: Role[]) => roles.map((role) => ({ role, rule: 'centre' as const }));
const unit = { role: 'handler' as const, rule: 'unit' as const };

/** The whole workflow, one line per action. docs/hotline.md renders this table. */
export const transitionRules: readonly TransitionRule[] = [
  { action: 'dispatch', from: ['received', 'returned'], to: 'dispatched', who: centre('agent', 'supervisor'), zh: '派单' },
  { action: 'accept', from: ['dispatched'], to: 'accepted', who: [unit], zh: '签收' },
  { action: 'return', from: ['dispatched'], to: 'returned', who: [unit], zh: '退单' },
  { action: 'start', from: ['accepted'], to: 'in_progress', who: [unit], zh: '办理' },
  { action: 'answer', from: ['in_progress'], to: 'answered', who: [unit], zh: '反馈' },
  {
    action: 'visit', from: ['answered'], to: 'visited',
    who: [...centre('agent', 'supervisor'), { role: 'citizen', rule: 'own_online' }], zh: '回访',
  },
  { action: 'close', from: ['visited'], to: 'closed', who: centre('agent', 'supervisor'), zh: '办结' },
  {
    action: 'reopen', from: ['visited', 'closed'], to: 'dispatched', who: centre('supervisor'), zh: '重办',
    guard: { test: (t) => t.satisfaction === 'unsatisfied' && !!t.unitId, reason: 'only a ticket whose return visit was unsatisfied can be re-opened' },
  },
  {
    action: 'supervise', from: openStatuses, to: null, who: centre('supervisor'), zh: '督办',
    // One supervision per ticket: a second 督办 would only repeat the pressure on the unit and count twice.
    guard: { test: (t) => !t.supervised, reason: 'this ticket is already under supervision (已在督办中); it cannot be supervised twice' },
  },
  { action: 'merge', from: openStatuses, to: 'merged', who: centre('agent', 'supervisor'), zh: '合并' },
  { action: 'recategorize', from: openStatuses, to: null, who: centre('agent', 'supervisor'), zh: '改类' },
];

/** What the workflow needs to know about a ticket. */
export interface WorkflowTicket {
  status: string;
  unitId: string | null;
  citizenUserId: string | null;
  channel: string;
  satisfaction: string | null;
  supervised?: boolean;
}

export const workflowTicket = (row: TicketRow): WorkflowTicket => ({
  status: row.status,
  unitId: row.unit_id,
  citizenUserId: row.citizen_user_id,
  channel: row.channel,
  satisfaction: row.satisfaction,
  supervised: row.supervised,
});

const onlineChannels = new Set(['web', 'app']);

const meetsRule = (actor: Actor, ticket: WorkflowTicket, rule: OrgRule): boolean => {
  switch (rule) {
    case 'centre':
      return true;
    case 'unit':
      return !!actor.orgId && actor.orgId === ticket.unitId;
    case 'own_online':
      return actor.kind === 'user' && !!actor.id && actor.id === ticket.citizenUserId && onlineChannels.has(ticket.channel);
  }
};

/** Whether this actor may take this rule's action on this ticket (status, guard, role and organisation). */
export const permits = (rule: TransitionRule, ticket: WorkflowTicket, actor: Actor): boolean => {
  if (!(rule.from as readonly string[]).includes(ticket.status)) return false;
  if (rule.guard && !rule.guard.test(ticket)) return false;
  if (actor.kind === 'anonymous') return false;
  // An administrator may take any action the ticket's status allows (repairs, tests); it is ledgered like any other.
  if (actor.roles.includes('admin')) return true;
  return rule.who.some((w) => actor.roles.includes(w.role) && meetsRule(actor, ticket, w.rule));
};

/**
 * The actions this actor may take on this ticket now.
 *
 * @example allowedActions({ status: 'dispatched', unitId: u, … }, handlerOfU) // ['accept', 'return', 'merge'…]
 */
export const allowedActions = (ticket: WorkflowTicket, actor: Actor): TicketAction[] =>
  transitionRules.filter((r) => permits(r, ticket, actor)).map((r) => r.action);

export const ruleFor = (action: TicketAction): TransitionRule => transitionRules.find((r) => r.action === action)!;

/**
 * The rule for this action, or a 409 HOTLINE_TRANSITION_NOT_ALLOWED listing what this actor may do now.
 *
 * @example const rule = planTransition(ticket, actor, 'accept'); // rule.to === 'accepted'
 */
export const planTransition = (ticket: WorkflowTicket, actor: Actor, action: TicketAction): TransitionRule => {
  const rule = ruleFor(action);
  if (permits(rule, ticket, actor)) return rule;
  const allowed = allowedActions(ticket, actor);
  let why: string;
  if (!(rule.from as readonly string[]).includes(ticket.status)) {
    why = statusReason(ticket.status, action, rule);
  } else if (rule.guard && !rule.guard.test(ticket)) {
    why = rule.guard.reason;
  } else if (rule.who.some((w) => actor.roles.includes(w.role))) {
    why = `"${action}" (${rule.zh}) on this ticket is reserved to ${rule.who.map((w) => describeWho(w)).join(', ')}`;
  } else {
    why = `"${action}" (${rule.zh}) needs the role ${[...new Set(rule.who.map((w) => w.role))].join(' or ')}`;
  }
  throw new Problem('HOTLINE_TRANSITION_NOT_ALLOWED', {
    detail: why,
    extra: { action, ticketStatus: ticket.status, allowed },
  });
};

/** Status names as the workbench shows them, so the reason reads plainly in both languages. */
const statusZh: Record<string, string> = {
  received: '已受理', dispatched: '已派单', returned: '已退单', accepted: '已签收', in_progress: '办理中', answered: '已反馈',
  visited: '已回访', closed: '已办结', merged: '已合并',
};

/** Why the status forbids the action, e.g. "督办 is not possible: the ticket is closed (已办结)". */
const statusReason = (status: string, action: TicketAction, rule: TransitionRule): string => {
  const now = `${status.replace('_', ' ')} (${statusZh[status] ?? status})`;
  if (status === 'closed' || status === 'merged') return `${rule.zh} (${action}) is not possible: the ticket is already ${now}`;
  return `${rule.zh} (${action}) is not possible while the ticket is ${now}; it is possible when the ticket is ${rule.from.map((s) => statusZh[s] ?? s).join('、')}`;
};

const describeWho = (w: { role: Role; rule: OrgRule }): string =>
  w.rule === 'unit' ? 'handlers of the unit the ticket is dispatched to'
    : w.rule === 'own_online' ? 'the citizen who filed it on the web or app'
      : `${w.role}s of the hotline centre`;
