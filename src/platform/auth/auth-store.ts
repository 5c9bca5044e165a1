import type { Insertable, Updateable } from 'kysely';
import type { Db } from '../db/database.js';
import type { ApiKeyTable, AppUserTable, OrgTable } from './tables.js';
import './tables.js';

export const insertOrg = (db: Db, org: Insertable<OrgTable>) =>
  db.insertInto('org').values(org).returningAll().executeTakeFirstOrThrow();

export const findOrg = (db: Db, id: string) => db.selectFrom('org').selectAll().where('id', '=', id).executeTakeFirst();

export const listOrgs = (db: Db) => db.selectFrom('org').selectAll().orderBy('kind').orderBy('name').execute();

export const insertUser = (db: Db, user: Insertable<AppUserTable>) =>
  db.insertInto('app_user').values(user).returningAll().executeTakeFirstOrThrow();

export const findUserByUsername = (db: Db, username: string) =>
  db.selectFrom('app_user').selectAll().where('username', '=', username).executeTakeFirst();

export const findUser = (db: Db, id: string) =>
  db.selectFrom('app_user').selectAll().where('id', '=', id).executeTakeFirst();

export const listUsers = (db: Db) =>
  db.selectFrom('app_user').selectAll().orderBy('username').execute();

export const updateUser = (db: Db, id: string, patch: Updateable<AppUserTable>) =>
  db.updateTable('app_user').set(patch).where('id', '=', id).returningAll().executeTakeFirst();

export const countUsers = async (db: Db): Promise<number> => {
  const row = await db.selectFrom('app_user').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
};

export const insertSession = (db: Db, tokenHash: string, userId: string, expiresAt: Date) =>
  db.insertInto('auth_session').values({ token_hash: tokenHash, user_id: userId, expires_at: expiresAt }).execute();

/** The live session's user, if the session exists, has not expired and its user is enabled. */
export const findSessionUser = (db: Db, tokenHash: string, now: Date) =>
  db
    .selectFrom('auth_session')
    .innerJoin('app_user', 'app_user.id', 'auth_session.user_id')
    .select(['app_user.id', 'app_user.username', 'app_user.org_id', 'app_user.roles', 'app_user.display_name'])
    .where('auth_session.token_hash', '=', tokenHash)
    .where('auth_session.expires_at', '>', now)
    .where('app_user.disabled', '=', false)
    .executeTakeFirst();

export const deleteSession = (db: Db, tokenHash: string) =>
  db.deleteFrom('auth_session').where('token_hash', '=', tokenHash).execute();

export const deleteExpiredSessions = (db: Db, now: Date) =>
  db.deleteFrom('auth_session').where('expires_at', '<=', now).execute();

export const insertApiKey = (db: Db, key: Insertable<ApiKeyTable>) =>
  db.insertInto('api_key').values(key).returningAll().executeTakeFirstOrThrow();

export const findActiveApiKey = (db: Db, keyHash: string) =>
  db
    .selectFrom('api_key')
    .select(['id', 'name', 'org_id', 'roles', 'last_used_at'])
    .where('key_hash', '=', keyHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();

export const listApiKeys = (db: Db) =>
  db
    .selectFrom('api_key')
    .select(['id', 'name', 'prefix', 'org_id', 'roles', 'created_by', 'created_at', 'revoked_at', 'last_used_at'])
    .orderBy('created_at', 'desc')
    .execute();

export const revokeApiKey = (db: Db, id: string, at: Date) =>
  db.updateTable('api_key').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).returning('id').executeTakeFirst();

export const touchApiKey = (db: Db, id: string, at: Date) =>
  db.updateTable('api_key').set({ last_used_at: at }).where('id', '=', id).execute();
