import type { Db } from '../platform/db/database.js';
import './tables.js';

/** The SQL of hosted JSON-LD @contexts (context_jsonld). */

export interface HostedContext {
  id: string;
  body: Record<string, unknown>;
  kind: 'Hosted' | 'ImplicitlyCreated';
  created_at: Date;
}

export const findHosted = async (db: Db, id: string): Promise<HostedContext | undefined> =>
  (await db.selectFrom('context_jsonld').selectAll().where('id', '=', id).executeTakeFirst()) as HostedContext | undefined;

export const listHosted = async (db: Db): Promise<HostedContext[]> =>
  (await db.selectFrom('context_jsonld').selectAll().orderBy('created_at').orderBy('id').execute()) as HostedContext[];

export const countHosted = async (db: Db, kind: HostedContext['kind'] = 'Hosted'): Promise<number> =>
  Number((await db.selectFrom('context_jsonld').select((eb) => eb.fn.countAll().as('n')).where('kind', '=', kind).executeTakeFirstOrThrow()).n);

/** Stores a context; an implicit one is keyed by its content, so storing it again changes nothing. */
export const insertHosted = async (db: Db, id: string, body: Record<string, unknown>, kind: HostedContext['kind'] = 'Hosted'): Promise<void> => {
  await db.insertInto('context_jsonld').values({ id, body: JSON.stringify(body), kind }).onConflict((oc) => oc.column('id').doNothing()).execute();
};

export const deleteHosted = async (db: Db, id: string): Promise<boolean> =>
  Number((await db.deleteFrom('context_jsonld').where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;
