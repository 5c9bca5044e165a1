import { sql, type Insertable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { OperationApplicationTable } from './tables.js';
import type { ApplicationStatus } from './schemas.js';

// The marketplace's SQL: applications, and a market user's calls per month and product.

export const insertApplication = (db: Db, row: Insertable<OperationApplicationTable>) =>
  db.insertInto('operation_application').values(row).returningAll().executeTakeFirstOrThrow();

export const findApplication = (db: Db, id: string) =>
  db.selectFrom('operation_application').selectAll().where('id', '=', id).executeTakeFirst();

/** Applications of a market user, or to an operator, or all; newest first. */
export const listApplications = (db: Db, filter: { marketUserPartyId?: string; operatorPartyId?: string; status?: ApplicationStatus }) => {
  let q = db.selectFrom('operation_application').selectAll();
  if (filter.marketUserPartyId) q = q.where('market_user_party_id', '=', filter.marketUserPartyId);
  if (filter.operatorPartyId) q = q.where('operator_party_id', '=', filter.operatorPartyId);
  if (filter.status) q = q.where('status', '=', filter.status);
  return q.orderBy('applied_at', 'desc').orderBy('id').limit(500).execute();
};

/** Moves an application from one status to the next; undefined when another decision came first. */
export const moveApplication = (db: Db, id: string, from: ApplicationStatus, patch: { status: ApplicationStatus; decided_by?: string; decided_at?: Date; reason?: string | null; quota?: string | null; access_id?: string }) =>
  db.updateTable('operation_application').set(patch).where('id', '=', id).where('status', '=', from).returningAll().executeTakeFirst();

/** A market user's metered calls of a year per month and product (its usage and spending charts). */
export const usageByMonth = (db: Db, marketUserPartyId: string, year: number) =>
  db.selectFrom('operation_call')
    .select(['month', 'product_id', sql<number>`count(*)::int`.as('calls'), sql<number>`count(*) filter (where billable)::int`.as('billable_calls'),
      sql<string>`coalesce(sum(fee_fen), 0)::bigint`.as('fee_fen')])
    .where('market_user_party_id', '=', marketUserPartyId).where('month', 'like', `${year}-%`)
    .groupBy(['month', 'product_id']).orderBy('month').orderBy('product_id').execute();
