import { sql, type Insertable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { ShareAccessTable } from './tables.js';

// "Who used my data": citizens linked to their subject key and the gateway's access log by subject.

export const upsertCitizenLink = (db: Db, userId: string, subjectKey: string, at: Date) =>
  db.insertInto('catalog_citizen_link').values({ user_id: userId, subject_key: subjectKey, linked_at: at })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ subject_key: subjectKey, linked_at: at })).execute();

export const findCitizenLink = (db: Db, userId: string) =>
  db.selectFrom('catalog_citizen_link').selectAll().where('user_id', '=', userId).executeTakeFirst();

export const insertAccess = (trx: Db, access: Insertable<ShareAccessTable>) =>
  trx.insertInto('share_access').values(access).returning('id').executeTakeFirstOrThrow();

/** Every gateway call that returned a row carrying this subject tag, newest first. */
export const listAccessForSubject = (db: Db, subjectTag: number, limit: number) =>
  db.selectFrom('share_access').innerJoin('catalog_dataset', 'catalog_dataset.id', 'share_access.dataset_id')
    .select(['share_access.id', 'share_access.consumer_org_id', 'share_access.purpose', 'share_access.kind',
      'share_access.accessed_at', 'share_access.ledger_index', 'share_access.dataset_id',
      'catalog_dataset.title as dataset_title', 'catalog_dataset.owner_org_id'])
    // array containment, served by the GIN index
    .where(sql<boolean>`share_access.subject_tags @> array[${subjectTag}]::bigint[]`)
    .orderBy('share_access.accessed_at', 'desc').limit(limit).execute();
