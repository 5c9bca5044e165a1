import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Covering indexes for the KPI query (kpi-store.ts): one per kind of event, holding exactly the columns that
 * event's counts read, so a month of a whole city is four index-only range scans, not a walk over the tickets.
 * Partial (`main_ticket_id is null`, event time set): merged duplicates and tickets that never reached the event
 * take no space. Raw SQL because Kysely's index builder has no INCLUDE (PostgreSQL 11+, PGlite too).
 */
const indexes: Record<string, string> = {
  hotline_ticket_kpi_visits:
    'on hotline_ticket (visited_at) include (unit_id, district_id, category_id, visit_contacted, visit_solved, satisfaction, reopen_count) where main_ticket_id is null and visited_at is not null',
  hotline_ticket_kpi_answers:
    'on hotline_ticket (answered_at) include (unit_id, district_id, category_id, due_at, accepted_at) where main_ticket_id is null and answered_at is not null',
  hotline_ticket_kpi_signs:
    'on hotline_ticket (accepted_at) include (unit_id, district_id, category_id, dispatched_at) where main_ticket_id is null and accepted_at is not null',
  hotline_ticket_kpi_dispatches:
    'on hotline_ticket (dispatched_at) include (unit_id, district_id, category_id, return_count) where main_ticket_id is null and dispatched_at is not null',
};

export const kpiMigrations: Record<string, Migration> = {
  '20261126-20-hotline-kpi-indexes': {
    async up(db: Kysely<unknown>) {
      for (const [name, definition] of Object.entries(indexes)) {
        await sql`create index if not exists ${sql.id(name)} ${sql.raw(definition)}`.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      for (const name of Object.keys(indexes)) await sql`drop index if exists ${sql.id(name)}`.execute(db);
    },
  },
};
