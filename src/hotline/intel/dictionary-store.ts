import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import '../tables.js';

export const listWords = (db: Db) =>
  db.selectFrom('hotline_intel_word').selectAll().orderBy('kind').orderBy('word').execute();

export type WordRow = Awaited<ReturnType<typeof listWords>>[number];

/** Inserts the words not there yet; returns the inserted rows. */
export const insertWords = (db: Db, rows: { word: string; kind: string; added_by: string; created_at: Date }[]) =>
  db.insertInto('hotline_intel_word').values(rows).onConflict((oc) => oc.column('word').doNothing()).returningAll().execute();

export const deleteWord = (db: Db, word: string) =>
  db.deleteFrom('hotline_intel_word').where('word', '=', word).returningAll().executeTakeFirst();

/** Changes whenever a word is added, removed or changes kind (nodes compare it on their refresh). */
export const dictionarySignature = async (db: Db): Promise<string> => {
  const r = await sql<{ sig: string | null }>`select md5(string_agg(word || ':' || kind, ',' order by word)) as sig from hotline_intel_word`.execute(db);
  return r.rows[0]?.sig ?? '';
};

/** Area names: place names the segmenter keeps whole. */
export const findAreaNames = async (db: Db): Promise<string[]> =>
  (await db.selectFrom('hotline_area').select('name').execute()).map((a) => a.name);
