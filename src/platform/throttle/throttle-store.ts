import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import './tables.js';

/** Per key: failures since `since` and the oldest of them. */
export const countFailures = (db: Db, scope: string, keyHashes: string[], since: Date) =>
  db
    .selectFrom('throttle_failure')
    .select((eb) => ['key_hash', eb.fn.countAll<number>().as('n'), eb.fn.min('at').as('oldest')])
    .where('scope', '=', scope)
    .where('key_hash', 'in', keyHashes)
    .where('at', '>', since)
    .groupBy('key_hash')
    .execute();

/**
 * Holds a key until the transaction ends, so one node's count-then-insert does not interleave with another's
 * (raw sql: Kysely has no advisory locks; 64-bit hash of scope and key).
 */
export const lockKey = (db: Db, scope: string, keyHash: string) =>
  sql`select pg_advisory_xact_lock(hashtextextended(${`${scope}:${keyHash}`}, 0))`.execute(db);

export const insertFailures = (db: Db, scope: string, keyHashes: string[], at: Date) =>
  db.insertInto('throttle_failure').values(keyHashes.map((key_hash) => ({ scope, key_hash, at }))).execute();

export const deleteFailures = (db: Db, scope: string, keyHashes: string[]) =>
  db.deleteFrom('throttle_failure').where('scope', '=', scope).where('key_hash', 'in', keyHashes).execute();

export const deleteFailuresBefore = (db: Db, scope: string, before: Date) =>
  db.deleteFrom('throttle_failure').where('scope', '=', scope).where('at', '<=', before).execute();

/** Takes back one attempt counted at `at` (raw sql: the table has no key of its own, so one row by its ctid). */
export const deleteOneFailure = (db: Db, scope: string, keyHash: string, at: Date) =>
  sql`delete from throttle_failure where ctid = (
    select ctid from throttle_failure where scope = ${scope} and key_hash = ${keyHash} and at = ${at} limit 1)`.execute(db);
