import type { Db } from '../platform/db/database.js';

// The module's keys (see secrets.ts).

export const findSecret = (db: Db, name: string) =>
  db.selectFrom('catalog_secret').select('secret').where('name', '=', name).executeTakeFirst();

/** Inserts the secret unless another node did first; the caller reads back whichever won. */
export const insertSecret = (db: Db, name: string, secret: string) =>
  db.insertInto('catalog_secret').values({ name, secret }).onConflict((oc) => oc.column('name').doNothing()).execute();
