import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { personalReadKinds } from './audit-store.js';
import '../ledger/tables.js';

/** The kinds each series of the security administrator's activity chart counts. */
export const activityKinds = {
  /** refused requests; a `denied_burst` entry (the rest of a prober's minute) counts once */
  denied: ['audit.access.denied', 'audit.access.denied_burst'],
  failedLogins: ['auth.login.failed'],
  personalReads: personalReadKinds,
};

export interface ActivityRow { start: Date | string; denied: number | string; failed_logins: number | string; personal_reads: number | string }

/**
 * Entries of the activity kinds per hour or day of a time zone in [from, to), one row per bucket, empty ones
 * included. Raw SQL: the buckets are a generate_series over local time (so a day is the city's day, also across a
 * DST change) left-joined to the counts; the same on PostgreSQL and PGlite.
 */
export const countActivity = async (db: Db, unit: 'hour' | 'day', from: Date, to: Date, zone: string): Promise<ActivityRow[]> => {
  const kinds = (list: readonly string[]) => sql.join(list.map((k) => sql`${k}`));
  const all = [...activityKinds.denied, ...activityKinds.failedLogins, ...activityKinds.personalReads];
  const local = (t: Date) => sql`(${t.toISOString()}::timestamptz at time zone ${zone})`;
  const { rows } = await sql<ActivityRow>`
    with slot as (
      select s as local_start
      from generate_series(date_trunc(${unit}, ${local(from)}), ${local(to)} - interval '1 microsecond', cast(${`1 ${unit}`} as interval)) s
    ), hit as (
      select date_trunc(${unit}, created_at at time zone ${zone}) as local_start, kind
      from ledger_entry
      where created_at >= ${from.toISOString()}::timestamptz and created_at < ${to.toISOString()}::timestamptz and kind in (${kinds(all)})
    )
    select slot.local_start at time zone ${zone} as start,
      count(hit.kind) filter (where hit.kind in (${kinds(activityKinds.denied)})) as denied,
      count(hit.kind) filter (where hit.kind in (${kinds(activityKinds.failedLogins)})) as failed_logins,
      count(hit.kind) filter (where hit.kind in (${kinds(activityKinds.personalReads)})) as personal_reads
    from slot left join hit on hit.local_start = slot.local_start
    group by slot.local_start
    order by slot.local_start`.execute(db);
  return rows;
};
