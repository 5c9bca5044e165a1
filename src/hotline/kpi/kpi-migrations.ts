import type { Kysely, Migration } from 'kysely';

/**
 * Indexes for the KPI query (kpi-store.ts): it selects a period's tickets by any of four event times, which the
 * planner answers with a BitmapOr over these four indexes instead of a scan of the whole ticket table.
 * (The core migration's (unit_id, visited_at)-style indexes serve one-unit lookups, not a whole city's month.)
 */
export const kpiMigrations: Record<string, Migration> = {
  '20261126-20-hotline-kpi-event-times': {
    async up(db: Kysely<unknown>) {
      for (const column of ['visited_at', 'answered_at', 'accepted_at', 'dispatched_at']) {
        await db.schema.createIndex(`hotline_ticket_kpi_${column}`).ifNotExists().on('hotline_ticket').column(column).execute();
      }
    },
    async down(db: Kysely<unknown>) {
      for (const column of ['visited_at', 'answered_at', 'accepted_at', 'dispatched_at']) {
        await db.schema.dropIndex(`hotline_ticket_kpi_${column}`).ifExists().execute();
      }
    },
  },
};
