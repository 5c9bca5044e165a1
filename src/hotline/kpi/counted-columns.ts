import type { HotlineTicketTable } from '../tables.js';

/** A column of hotline_ticket. */
export type TicketColumn = keyof HotlineTicketTable & string;

/**
 * The one declaration of what the KPI reads from a ticket. Everything else derives from it or is checked against it:
 * - kpi-store.ts builds each event's count expressions from its columns only (a count that reads another column
 *   does not typecheck), and the roll-up (kpi-rollup-store.ts) dates a ticket's days by the events listed here;
 * - the covering indexes (migration `20261126-20-hotline-kpi-indexes`) INCLUDE the group columns and an event's
 *   columns, and the dirty-day trigger (migration `20261126-21-hotline-kpi-rollup`) compares `kpiCountedColumns`.
 *   Those migrations are applied history and keep the text they were applied with; `test/hotline/kpi/
 *   kpi-rollup.test.ts` reads the trigger and the indexes back from the database and fails when they differ from
 *   this declaration — a column added here needs a new migration that replaces the function and the index
 *   (`markDirtyFunctionSql(kpiCountedColumns, kpiEvents)` in migrations.ts writes the function).
 */

/** The columns that put a ticket in a group (unit, district, category); every count and filter reads them. */
export const kpiGroupColumns = ['unit_id', 'district_id', 'category_id'] as const satisfies readonly TicketColumn[];

/**
 * The four events the KPI counts, by the column that dates them, each with the other ticket columns its counts
 * read: return visit (回访), answer (反馈), signing (签收), dispatch (派单).
 */
export const kpiEventColumns = {
  visited_at: ['visit_contacted', 'visit_solved', 'satisfaction', 'reopen_count'],
  answered_at: ['due_at', 'accepted_at'],
  accepted_at: ['dispatched_at'],
  dispatched_at: ['return_count'],
} as const satisfies Partial<Record<TicketColumn, readonly TicketColumn[]>>;

export type KpiEvent = keyof typeof kpiEventColumns;

/** The events in their declared order (the order of the store's branches and of the trigger's lists). */
export const kpiEvents = Object.keys(kpiEventColumns) as readonly KpiEvent[];

/** The columns an event's counts may read: its own time, the group columns and its declared columns. */
export type EventColumn<E extends KpiEvent> = E | (typeof kpiGroupColumns)[number] | (typeof kpiEventColumns)[E][number];

/** The columns an event's counts may read, as a list. */
export const eventColumns = <E extends KpiEvent>(event: E): EventColumn<E>[] => [event, ...kpiGroupColumns, ...kpiEventColumns[event]];

/**
 * Every ticket column a KPI count reads (merged duplicates, `main_ticket_id` set, are left out): a change to any
 * of them makes the local days of the ticket's events stale.
 */
export const kpiCountedColumns: readonly TicketColumn[] = [
  ...new Set<TicketColumn>(['main_ticket_id', ...kpiGroupColumns, ...kpiEvents, ...kpiEvents.flatMap((e) => kpiEventColumns[e])]),
];
