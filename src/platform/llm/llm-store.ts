import type { Insertable } from 'kysely';
import type { Db } from '../db/database.js';
import type { LlmCallTable } from './tables.js';

export const insertLlmCall = (db: Db, row: Insertable<LlmCallTable>) => db.insertInto('llm_call').values(row).execute();

/** Tokens and calls since a moment, grouped by module or by actor. */
export const sumLlmUsage = (db: Db, by: 'module' | 'actor', since: Date) =>
  db
    .selectFrom('llm_call')
    .select((eb) => [
      eb.ref(by).as('key'),
      eb.fn.countAll<string>().as('calls'),
      eb.fn.sum<string>('prompt_tokens').as('prompt_tokens'),
      eb.fn.sum<string>('completion_tokens').as('completion_tokens'),
    ])
    .where('at', '>=', since)
    .groupBy(by)
    .orderBy(by)
    .execute();
