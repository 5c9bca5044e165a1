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

export const insertSession = (db: Db, tokenHash: string, userId: string, expiresAt: Date, now: Date, pending: string | null) =>
  db.insertInto('auth_session').values({ token_hash: tokenHash, user_id: userId, expires_at: expiresAt, last_seen_at: now, pending }).execute();

/** The live session's user (with the session's idle clock, absolute end and pending step), if the session exists, has not expired and its user is enabled. */
export const findSessionUser = (db: Db, tokenHash: string, now: Date) =>
  db
    .selectFrom('auth_session')
    .innerJoin('app_user', 'app_user.id', 'auth_session.user_id')
    .select(['app_user.id', 'app_user.username', 'app_user.org_id', 'app_user.roles', 'app_user.display_name', 'auth_session.last_seen_at', 'auth_session.expires_at', 'auth_session.pending'])
    .where('auth_session.token_hash', '=', tokenHash)
    .where('auth_session.expires_at', '>', now)
    .where('app_user.disabled', '=', false)
    .executeTakeFirst();

export const touchSession = (db: Db, tokenHash: string, now: Date) =>
  db.updateTable('auth_session').set({ last_seen_at: now }).where('token_hash', '=', tokenHash).execute();

export const setSessionPending = (db: Db, tokenHash: string, pending: string | null) =>
  db.updateTable('auth_session').set({ pending }).where('token_hash', '=', tokenHash).execute();

/** Ends every session of a user but one (after a password change, the other devices must sign in again). */
export const deleteOtherSessions = (db: Db, userId: string, keepTokenHash: string) =>
  db.deleteFrom('auth_session').where('user_id', '=', userId).where('token_hash', '!=', keepTokenHash).execute();

export const setPassword = (db: Db, userId: string, passwordHash: string, at: Date, mustChange: boolean) =>
  db.updateTable('app_user').set({ password_hash: passwordHash, password_changed_at: at, must_change_password: mustChange }).where('id', '=', userId).execute();

export const insertPasswordHistory = (db: Db, userId: string, passwordHash: string, at: Date) =>
  db.insertInto('auth_password_history').values({ user_id: userId, password_hash: passwordHash, created_at: at }).execute();

/** The user's previous password hashes, newest first. */
export const listPasswordHistory = (db: Db, userId: string, limit: number) =>
  db.selectFrom('auth_password_history').select('password_hash').where('user_id', '=', userId).orderBy('created_at', 'desc').limit(limit).execute();

export const findTotp = (db: Db, userId: string) =>
  db.selectFrom('auth_totp').selectAll().where('user_id', '=', userId).executeTakeFirst();

/** Starts (or restarts) an unconfirmed enrolment; a confirmed one is left alone. */
export const upsertUnconfirmedTotp = (db: Db, userId: string, secret: string) =>
  db.insertInto('auth_totp').values({ user_id: userId, secret })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ secret, last_step: null }).where('auth_totp.confirmed_at', 'is', null))
    .execute();

/**
 * Records an accepted step, only if it is later than the last one: two requests racing with the same code cannot
 * both win. Returns whether this one did.
 */
export const acceptTotpStep = async (db: Db, userId: string, step: number, confirmAt: Date | undefined): Promise<boolean> => {
  const rows = await db.updateTable('auth_totp')
    .set({ last_step: step, ...(confirmAt ? { confirmed_at: confirmAt } : {}) })
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
    .returning('user_id')
    .execute();
  return rows.length > 0;
};

export const deleteTotp = (db: Db, userId: string) =>
  db.deleteFrom('auth_totp').where('user_id', '=', userId).returning('user_id').executeTakeFirst();

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
