/**
 * The values a ticket's coded fields take, one list each. A leaf (no imports): the route schemas
 * (schemas.ts), the workflow, the importer and the web app read them from here.
 */

/** Where a ticket stands (接诉即办). */
export const ticketStatuses = [
  'received', // 受理
  'dispatched', // 派单
  'returned', // 退单 (back to the dispatcher)
  'accepted', // 签收
  'in_progress', // 办理
  'answered', // 反馈
  'visited', // 回访
  'closed', // 办结
  'merged', // a duplicate under its main ticket
] as const;
export type TicketStatus = (typeof ticketStatuses)[number];

/** The workflow's actions (ticket-workflow.ts says who may take which, from which status). */
export const ticketActions = [
  'dispatch', 'return', 'accept', 'start', 'answer', 'visit', 'close', 'reopen', 'supervise', 'merge', 'recategorize',
] as const;
export type TicketAction = (typeof ticketActions)[number];

/** How a ticket came in; the default is `web` for citizens, `open311` for API keys, `phone` for agents. */
export const ticketChannels = ['phone', 'web', 'app', 'open311', 'wechat', 'other'] as const;
export type TicketChannel = (typeof ticketChannels)[number];

/** How urgent: each has its own answer time (modules.hotline.deadlines). */
export const urgencies = ['emergency', 'urgent', 'normal', 'complex'] as const;
export type Urgency = (typeof urgencies)[number];

/** The unit's result when it answers (反馈). */
export const ticketResults = ['solved', 'unsolved', 'explained'] as const;
export type TicketResult = (typeof ticketResults)[number];

/** Orders of the ticket list: newest, oldest, nearest answer deadline first. */
export const ticketSorts = ['newest', 'oldest', 'due'] as const;
export type TicketSort = (typeof ticketSorts)[number];

/** How hard a supervision (督办) presses: 一般督办, 重点督办, 挂牌督办. */
export const supervisionLevels = ['general', 'key', 'listed'] as const;
export type SupervisionLevel = (typeof supervisionLevels)[number];

/** The citizen's rating on the return visit (满意度). */
export const satisfactions = ['satisfied', 'basically_satisfied', 'unsatisfied'] as const;
export type Satisfaction = (typeof satisfactions)[number];
