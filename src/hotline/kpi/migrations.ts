import { sql, type Kysely, type Migration } from 'kysely';

/*
 * Applied history: the migrations below ran on every database as they read here and must keep their text. The
 * columns they index and compare are declared once in counted-columns.ts, which the store derives from;
 * test/hotline/kpi/kpi-rollup.test.ts reads the indexes and the trigger function back from the database and checks
 * them against that declaration. A column added there needs a new migration here: one that recreates the function
 * with `markDirtyFunctionSql(kpiCountedColumns, kpiEvents)` and the index of the event.
 */

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

/** The counted columns and events as migration `20261126-21-hotline-kpi-rollup` applied them (in its order). */
const countedColumnsOf20261126 = [
  'main_ticket_id', 'unit_id', 'district_id', 'category_id', 'visited_at', 'answered_at', 'accepted_at', 'dispatched_at',
  'due_at', 'visit_contacted', 'visit_solved', 'satisfaction', 'reopen_count', 'return_count',
];
const eventsOf20261126 = ['visited_at', 'answered_at', 'accepted_at', 'dispatched_at'];

/** Marks the local days of the event times `times` of the rows `from` that pass `where` as dirty. */
const markDays = (from: string, times: string, where: string) => `insert into hotline_kpi_dirty_day (day)
      select distinct (e.ts at time zone tz)::date
      from ${from} cross join lateral (values ${times}) as e(ts)
      where e.ts is not null and ${where}
      on conflict (day) do nothing;`;

/**
 * The roll-up's bookkeeping in the database itself, so no writer can forget it (the ticket service, the
 * importer, the demo seeder, a hand-run UPDATE): statement-level triggers mark the local day of every event
 * time a statement touches (old and new values) as dirty; the KPI query counts dirty days from the tickets and
 * reads the roll-up only for clean ones. Transition tables (PostgreSQL 10+, PGlite too) make it one INSERT per
 * statement, not per row, so a 1,000-row import batch pays one small INSERT. An UPDATE that touches none of
 * `counted` (the deadline job's flags, supervision) marks nothing. plpgsql plans each branch at first use, so the
 * branch naming another event's transition table never runs on the wrong trigger.
 */
export const markDirtyFunctionSql = (counted: readonly string[], events: readonly string[]): string => {
  const times = (alias: string) => events.map((c) => `(${alias}.${c})`).join(', ');
  const row = (alias: string) => `(${counted.map((c) => `${alias}.${c}`).join(', ')})`;
  return `
create or replace function hotline_kpi_mark_dirty() returns trigger language plpgsql as $$
declare
  tz text;
begin
  select time_zone into tz from hotline_kpi_rollup_state where id = 1;
  if tz is null then
    return null; -- no roll-up yet: nothing can be stale
  end if;
  if tg_op = 'INSERT' then
    ${markDays('kpi_new n', times('n'), 'true')}
  elsif tg_op = 'DELETE' then
    ${markDays('kpi_old o', times('o'), 'true')}
  else
    ${markDays('kpi_old o join kpi_new n on n.id = o.id', `${times('o')}, ${times('n')}`, `${row('o')} is distinct from ${row('n')}`)}
  end if;
  return null;
end $$`;
};

/** TRUNCATE fires no row events: the roll-ups (`tables`) go with the tickets. */
const truncatedFunctionSql = (tables: readonly string[]) => `
create or replace function hotline_kpi_truncated() returns trigger language plpgsql as $$
begin
${tables.map((t) => `  delete from ${t};`).join('\n')}
  return null;
end $$`;
const truncatedFunction = truncatedFunctionSql(['hotline_kpi_daily', 'hotline_kpi_dirty_day']);

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
  /**
   * The daily roll-up (kpi-rollup-store.ts). Raw SQL: Kysely has no builder for functions, triggers with
   * transition tables or a date column default. No foreign keys: the roll-up is derived data, rebuilt from the
   * tickets, and must not stop an organisation, area or category from being removed.
   */
  '20261126-21-hotline-kpi-rollup': {
    async up(db: Kysely<unknown>) {
      await sql`create table hotline_kpi_daily (
        day date not null, unit_id uuid, district_id uuid, category_id uuid,
        visited integer not null, contacted integer not null, solved integer not null, satisfied integer not null,
        basically_satisfied integer not null, unsatisfied integer not null, reopened integer not null,
        answered integer not null, answered_on_time integer not null, answer_timed integer not null,
        answer_seconds double precision not null, signed integer not null, sign_seconds double precision not null,
        dispatched integer not null, returned integer not null)`.execute(db);
      await sql`create index hotline_kpi_daily_day on hotline_kpi_daily (day)`.execute(db);
      await sql`create table hotline_kpi_dirty_day (day date primary key)`.execute(db);
      await sql`create table hotline_kpi_rollup_state (id integer primary key check (id = 1), time_zone text not null)`.execute(db);
      await sql.raw(markDirtyFunctionSql(countedColumnsOf20261126, eventsOf20261126)).execute(db);
      await sql.raw(truncatedFunction).execute(db);
      await sql`create trigger hotline_kpi_dirty_insert after insert on hotline_ticket
        referencing new table as kpi_new for each statement execute function hotline_kpi_mark_dirty()`.execute(db);
      await sql`create trigger hotline_kpi_dirty_update after update on hotline_ticket
        referencing old table as kpi_old new table as kpi_new for each statement execute function hotline_kpi_mark_dirty()`.execute(db);
      await sql`create trigger hotline_kpi_dirty_delete after delete on hotline_ticket
        referencing old table as kpi_old for each statement execute function hotline_kpi_mark_dirty()`.execute(db);
      await sql`create trigger hotline_kpi_truncate after truncate on hotline_ticket
        for each statement execute function hotline_kpi_truncated()`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['hotline_kpi_dirty_insert', 'hotline_kpi_dirty_update', 'hotline_kpi_dirty_delete', 'hotline_kpi_truncate']) {
        await sql`drop trigger if exists ${sql.id(t)} on hotline_ticket`.execute(db);
      }
      await sql`drop function if exists hotline_kpi_mark_dirty()`.execute(db);
      await sql`drop function if exists hotline_kpi_truncated()`.execute(db);
      for (const t of ['hotline_kpi_daily', 'hotline_kpi_dirty_day', 'hotline_kpi_rollup_state']) await sql`drop table if exists ${sql.id(t)}`.execute(db);
    },
  },
  /**
   * The roll-up per day × unit (issue 20): a month by unit read ~36,000 rows of hotline_kpi_daily in the megacity
   * bench (every unit × district × category of each day), this table has one per unit and day. Filled from the
   * existing roll-up, kept by the same refresh, emptied by the same TRUNCATE trigger.
   */
  '20261207-20-hotline-kpi-rollup-by-unit': {
    async up(db: Kysely<unknown>) {
      // The full roll-up's columns as they are, without the district and category.
      await sql`create table hotline_kpi_daily_unit (like hotline_kpi_daily)`.execute(db);
      await sql`alter table hotline_kpi_daily_unit drop column district_id, drop column category_id`.execute(db);
      await sql`create index hotline_kpi_daily_unit_day on hotline_kpi_daily_unit (day)`.execute(db);
      const { rows } = await sql<{ name: string }>`
        select column_name as name from information_schema.columns
        where table_schema = current_schema() and table_name = 'hotline_kpi_daily_unit' and column_name not in ('day', 'unit_id')
        order by ordinal_position`.execute(db);
      const counts = rows.map((r) => sql.ref(r.name));
      await sql`insert into hotline_kpi_daily_unit (day, unit_id, ${sql.join(counts)})
        select day, unit_id, ${sql.join(counts.map((c) => sql`sum(${c})`))} from hotline_kpi_daily group by day, unit_id`.execute(db);
      await sql.raw(truncatedFunctionSql(['hotline_kpi_daily', 'hotline_kpi_daily_unit', 'hotline_kpi_dirty_day'])).execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql.raw(truncatedFunction).execute(db);
      await sql`drop table if exists hotline_kpi_daily_unit`.execute(db);
    },
  },
};
