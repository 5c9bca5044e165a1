import { isDeepStrictEqual } from 'node:util';
import { CompiledQuery, sql, type Insertable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { OperationCallTable } from './tables.js';

// Metering (计量): quota counters, per-period charges and the metered calls every figure is summed from.

export const findCounter = (db: Db, holder: string, period: string) =>
  db.selectFrom('operation_quota_counter').select(['calls', 'records']).where('holder', '=', holder).where('period', '=', period).executeTakeFirst();

/**
 * Adds a call and its records to a holder's counter for the period in one statement, only if the limits still
 * hold after it (null: no limit): the first call of a period inserts the row, later ones update it under its row
 * lock with the limits re-checked, so nodes racing for the last call cannot both get it. False when refused.
 */
export const countCall = async (
  db: Db, holder: string, period: string, records: number, limits: { calls: number | null; records: number | null },
): Promise<boolean> => {
  if ((limits.calls !== null && limits.calls < 1) || (limits.records !== null && records > limits.records)) return false;
  const row = await db.insertInto('operation_quota_counter').values({ holder, period, calls: 1, records })
    .onConflict((oc) => {
      let update = oc.columns(['holder', 'period']).doUpdateSet({
        calls: sql`operation_quota_counter.calls + 1`, records: sql`operation_quota_counter.records + ${records}`,
      });
      if (limits.calls !== null) update = update.where(sql<boolean>`operation_quota_counter.calls + 1 <= ${limits.calls}`);
      if (limits.records !== null) update = update.where(sql<boolean>`operation_quota_counter.records + ${records} <= ${limits.records}`);
      return update;
    })
    .returning('calls').executeTakeFirst();
  return !!row;
};

/** Whether this is the first charge of the period for the access and product (then it is recorded). */
export const claimPeriodCharge = async (db: Db, accessId: string, productId: string, period: string): Promise<boolean> => {
  const row = await db.insertInto('operation_period_charge').values({ access_id: accessId, product_id: productId, period })
    .onConflict((oc) => oc.columns(['access_id', 'product_id', 'period']).doNothing()).returning('period').executeTakeFirst();
  return !!row;
};

/** The versions and ids a call was decided on (see `insertCallIfCurrent`). */
export interface DecidedOn {
  licenceId: string;
  licenceVersion: number;
  productId: string;
  productVersion: number;
  accessId: string;
}

/**
 * The statement that inserts a metered call only if what it was decided on still stands in the database: the
 * licence and product at the versions read, the product registered, the licence and the access active. One
 * `insert … select … where exists` returning the call's id (no row when something changed: the caller rolls
 * back), so a node deciding on its copy of the terms pays no read for the check; it rides in the ledger's write
 * (`LedgerBatch.ride`), so the metered row costs no round trip of its own. Both engines type the select's
 * parameters by the insert's columns. The text is compiled once per column list: building this query with Kysely
 * on every call cost about a millisecond of CPU, a tenth of a whole verification call.
 */
export const insertCallIfCurrent = (db: Db, row: Insertable<OperationCallTable>, on: DecidedOn): CompiledQuery => {
  const columns = Object.keys(row) as Array<keyof OperationCallTable & string>;
  const parameters = [
    ...columns.map((c) => row[c]), on.licenceId, on.licenceVersion, 'active', on.productId, on.productVersion, 'registered', on.accessId, 'active',
  ];
  let text = compiledInserts.get(columns.join());
  if (text === undefined) {
    const compiled = insertCallQuery(db, row, on, columns).compile();
    // The parameters above must be those Kysely binds, in its order: checked when the text is first made.
    if (!isDeepStrictEqual(compiled.parameters, parameters)) throw new Error('insertCallIfCurrent: the parameters are not in the compiled statement\'s order');
    compiledInserts.set(columns.join(), (text = compiled.sql));
  }
  return CompiledQuery.raw(text, parameters);
};

const compiledInserts = new Map<string, string>();

const insertCallQuery = (db: Db, row: Insertable<OperationCallTable>, on: DecidedOn, columns: Array<keyof OperationCallTable & string>) => {
  const values = db.selectNoFrom((eb) => columns.map((c) => eb.val(row[c]).as(c)))
    .where(({ exists, selectFrom }) => exists(
      selectFrom('operation_licence as l')
        .innerJoin('operation_product as p', 'p.licence_id', 'l.id')
        .innerJoin('operation_access as a', 'a.licence_id', 'l.id')
        .select(sql<number>`1`.as('one'))
        .where('l.id', '=', on.licenceId).where('l.version', '=', on.licenceVersion).where('l.status', '=', 'active')
        .where('p.id', '=', on.productId).where('p.version', '=', on.productVersion).where('p.status', '=', 'registered')
        .where('a.id', '=', on.accessId).where('a.status', '=', 'active'),
    ));
  return db.insertInto('operation_call').columns(columns).expression(values).returning('id');
};

/** Many metered calls at once (the demo's history), in statements of 1,000 rows. */
export const insertCalls = async (db: Db, rows: Array<Insertable<OperationCallTable>>) => {
  for (let i = 0; i < rows.length; i += 1000) await db.insertInto('operation_call').values(rows.slice(i, i + 1000)).execute();
};

/** Calls per access, product and month of a year (the anomaly screen). */
export const callsPerAccessMonth = (db: Db, year: number) =>
  db.selectFrom('operation_call')
    .select(['access_id', 'product_id', 'market_user_party_id', 'month', sql<number>`count(*)::int`.as('calls')])
    .where('month', 'like', `${year}-%`).groupBy(['access_id', 'product_id', 'market_user_party_id', 'month']).execute();

/** Sums of metered calls grouped by the given columns, for months or a year (`month like '2026-%'`). */
export const sumCalls = (db: Db, filter: { month?: string; year?: number; operatorPartyId?: string; marketUserPartyId?: string }) => {
  let q = db.selectFrom('operation_call')
    .select([
      'product_id', 'licence_id', 'operator_party_id', 'market_user_party_id', 'provider_org_id', 'use', 'billing_unit', 'month',
      sql<number>`count(*)`.as('calls'),
      sql<number>`count(*) filter (where billable)`.as('billable_calls'),
      sql<number>`count(*) filter (where not billable)`.as('public_calls'),
      sql<number>`coalesce(sum(records), 0)`.as('records'),
      sql<number>`coalesce(sum(records) filter (where billable), 0)`.as('billable_records'),
      sql<number>`coalesce(sum(output_units), 0)`.as('output_units'),
      sql<number>`coalesce(sum(compute_ms), 0)`.as('compute_ms'),
      sql<number>`coalesce(sum(fee_fen), 0)`.as('fee_fen'),
    ]);
  if (filter.month) q = q.where('month', '=', filter.month);
  if (filter.year !== undefined) q = q.where('month', 'like', `${filter.year}-%`);
  if (filter.operatorPartyId) q = q.where('operator_party_id', '=', filter.operatorPartyId);
  if (filter.marketUserPartyId) q = q.where('market_user_party_id', '=', filter.marketUserPartyId);
  return q.groupBy(['product_id', 'licence_id', 'operator_party_id', 'market_user_party_id', 'provider_org_id', 'use', 'billing_unit', 'month'])
    .orderBy('product_id').orderBy('month').orderBy('market_user_party_id').orderBy('use')
    .execute()
    // count and sum of bigint come back as int8 (numbers by the pool's parser) or, on some paths, strings
    .then((rows) => rows.map((r) => ({
      ...r, calls: Number(r.calls), billable_calls: Number(r.billable_calls), public_calls: Number(r.public_calls), records: Number(r.records),
      billable_records: Number(r.billable_records), output_units: Number(r.output_units), compute_ms: Number(r.compute_ms), fee_fen: Number(r.fee_fen),
    })));
};

export type CallSums = Awaited<ReturnType<typeof sumCalls>>[number];
