import type { Insertable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { OperationDisclosureTable } from './tables.js';

// Published annual disclosures, frozen as published.

export const findDisclosure = (db: Db, year: number) =>
  db.selectFrom('operation_disclosure').selectAll().where('year', '=', year).executeTakeFirst();

/** Publishes once: undefined when the year is already published. */
export const insertDisclosure = (db: Db, row: Insertable<OperationDisclosureTable>) =>
  db.insertInto('operation_disclosure').values(row).onConflict((oc) => oc.column('year').doNothing()).returningAll().executeTakeFirst();
