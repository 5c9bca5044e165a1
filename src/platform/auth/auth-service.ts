import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import { Problem } from '../errors/problem.js';
import type { Clock } from '../clock/clock.js';
import type { Ledger } from '../ledger/ledger.js';
import { assertCan } from './permissions.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from './password.js';
import { FailureThrottle } from '../throttle/failure-throttle.js';
import { isRole, type Actor, type Role } from './roles.js';
import * as store from './auth-store.js';
import type { NewKey, NewOrg, NewUser, UserPatch } from './schemas.js';

export interface AuthSettings {
  sessionTtlHours: number;
  /** failed logins allowed per (username, address) and per address within the window */
  loginMaxAttempts: number;
  /** failed logins allowed per username from all addresses together (default 100) */
  loginMaxAttemptsPerUsername?: number;
  loginWindowSeconds: number;
}

/** The default of `auth.loginMaxAttemptsPerUsername` (config.ts), for settings built without it. */
const DEFAULT_MAX_ATTEMPTS_PER_USERNAME = 100;

export type { NewOrg, NewUser } from './schemas.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

// 统一社会信用代码 (GB 32100-2015): 18 characters from this alphabet; the last is a check character.
const creditCodeAlphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const creditCodeWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The check character of an 统一社会信用代码 from its first 17 characters. */
export const creditCodeCheckCharacter = (first17: string): string => {
  const sum = creditCodeWeights.reduce((acc, w, i) => acc + creditCodeAlphabet.indexOf(first17[i]) * w, 0);
  return creditCodeAlphabet[(31 - (sum % 31)) % 31];
};

/** Whether an 统一社会信用代码 is well formed and its check character is right. */
export const validCreditCode = (code: string): boolean =>
  /^[0-9A-HJ-NP-RTUWXY]{18}$/.test(code) && creditCodeCheckCharacter(code.slice(0, 17)) === code[17];

const toRoles = (values: string[]): Role[] => values.filter(isRole);

const validatePassword = (password: string): void => {
  if (password.length < 8) {
    throw new Problem('AUTH_WEAK_PASSWORD', {
      errors: [{ field: 'password', message: 'at least 8 characters / 至少 8 个字符' }],
    });
  }
};

/** Identity and access: organisations, users, sessions and API keys. */
export class AuthService {
  private readonly throttle: FailureThrottle;

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly settings: AuthSettings,
    private readonly clock: Clock,
  ) {
    this.throttle = new FailureThrottle(db, 'login', { maxFailures: settings.loginMaxAttempts, windowSeconds: settings.loginWindowSeconds });
  }

  /**
   * Checks a password and opens a session; every attempt is ledgered (the username only as a hash).
   *
   * Failures are counted per (username, address) and per address against `loginMaxAttempts`, and per username
   * alone only against the much higher `loginMaxAttemptsPerUsername`: an attacker guessing from one address is
   * stopped after a few tries, but cannot lock a user out (their own address has its own count), while guessing
   * one user's password from many addresses is still bounded. `clientAddress` is the socket's address, or the
   * client's behind a trusted proxy (`http.trustProxy`).
   */
  async login(username: string, password: string, clientAddress: string): Promise<{ token: string; actor: Actor; expiresAt: Date }> {
    const now = this.clock();
    const perUsername = this.settings.loginMaxAttemptsPerUsername ?? DEFAULT_MAX_ATTEMPTS_PER_USERNAME;
    const pairKey = `ua:${JSON.stringify([username, clientAddress])}`;
    const keys = [pairKey, `a:${clientAddress}`, { key: `u:${username}`, maxFailures: perUsername }];
    const wait = await this.throttle.retryAfter(keys, now);
    if (wait > 0) {
      throw new Problem('AUTH_LOGIN_RATE_LIMITED', { detail: `try again in ${wait} s`, retryAfterSeconds: wait });
    }
    const user = await store.findUserByUsername(this.db, username);
    // Always one scrypt: against the user's hash, or a dummy one for an unknown or disabled user, so the time an
    // answer takes does not tell which usernames exist.
    const passwordOk = await verifyPassword(password, user && !user.disabled ? user.password_hash : await dummyPasswordHash());
    const ok = passwordOk && !!user && !user.disabled;
    const subject = user ? `user:${user.id}` : `username-sha256:${sha256(username)}`;
    if (!ok || !user) {
      await this.throttle.recordFailure(keys, now);
      await this.ledger.append('auth.login.failed', { kind: 'anonymous', roles: [] }, subject, {});
      throw new Problem('INVALID_CREDENTIALS');
    }
    // The pair's count only: the address's failures run out with the window (logging in to one's own account
    // between guesses at others does not reset them), and so do the username's (a success between the guesses of
    // many addresses does not give them a fresh allowance).
    await this.throttle.reset([pairKey]);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.settings.sessionTtlHours * 3_600_000);
    const actor: Actor = { kind: 'user', id: user.id, username: user.username, orgId: user.org_id, roles: toRoles(user.roles) };
    await this.db.transaction().execute(async (trx) => {
      await store.insertSession(trx, sha256(token), user.id, expiresAt);
      await this.ledger.append('auth.login', actor, subject, {}, { trx });
    });
    return { token, actor, expiresAt };
  }

  async logout(token: string): Promise<void> {
    await store.deleteSession(this.db, sha256(token));
  }

  /** The actor behind a session cookie, or undefined when the session is unknown or expired. */
  async actorForSession(token: string): Promise<Actor | undefined> {
    const user = await store.findSessionUser(this.db, sha256(token), this.clock());
    if (!user) return undefined;
    return { kind: 'user', id: user.id, username: user.username, orgId: user.org_id, roles: toRoles(user.roles) };
  }

  /** The actor behind an API key, or undefined when the key is unknown or revoked. */
  async actorForApiKey(key: string): Promise<Actor | undefined> {
    const row = await store.findActiveApiKey(this.db, sha256(key));
    if (!row) return undefined;
    // last_used_at to the minute: a device calling many times a second should not pay a write (and a WAL
    // flush) on every request.
    const now = this.clock();
    if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() >= 60_000) await store.touchApiKey(this.db, row.id, now);
    return { kind: 'api_key', id: row.id, username: `key:${row.name}`, orgId: row.org_id, roles: toRoles(row.roles) };
  }

  async me(actor: Actor) {
    assertCan(actor, 'session.self');
    const user = actor.kind === 'user' && actor.id ? await store.findUser(this.db, actor.id) : undefined;
    const org = actor.orgId ? await store.findOrg(this.db, actor.orgId) : undefined;
    return {
      kind: actor.kind,
      id: actor.id ?? null,
      username: actor.username ?? null,
      displayName: user?.display_name ?? actor.username ?? null,
      roles: actor.roles,
      org: org ? { id: org.id, name: org.name, kind: org.kind } : null,
    };
  }

  async createOrg(actor: Actor, input: NewOrg) {
    assertCan(actor, 'auth.org.manage');
    return this.insertOrg(actor, input);
  }

  /** Creates an organisation without a permission check: for the CLI, the demo seed and other trusted callers. */
  async insertOrg(actor: Actor, input: NewOrg) {
    if (input.creditCode && !validCreditCode(input.creditCode)) {
      throw new Problem('VALIDATION_FAILED', {
        errors: [{ field: 'creditCode', message: 'not a valid 统一社会信用代码 (check character wrong?)' }],
      });
    }
    if (input.parentId && !(await store.findOrg(this.db, input.parentId))) {
      throw new Problem('AUTH_ORG_NOT_FOUND', { errors: [{ field: 'parentId', message: 'no such organisation' }] });
    }
    return this.db.transaction().execute(async (trx) => {
      const org = await store.insertOrg(trx, {
        name: input.name,
        kind: input.kind,
        credit_code: input.creditCode ?? null,
        parent_id: input.parentId ?? null,
      });
      await this.ledger.append('auth.org.created', actor, `org:${org.id}`, { kind: org.kind }, { trx });
      return org;
    });
  }

  /** An organisation's name, for screens that show which unit handles something (no permission: names are public). */
  async orgName(id: string): Promise<string | null> {
    return (await store.findOrg(this.db, id))?.name ?? null;
  }

  async listOrgs(actor: Actor) {
    assertCan(actor, 'auth.org.read');
    return store.listOrgs(this.db);
  }

  async createUser(actor: Actor, input: NewUser) {
    assertCan(actor, 'auth.user.manage');
    return this.insertUser(actor, input);
  }

  /** Creates a user without a permission check: for `cityhub admin create` and the demo seed. */
  async insertUser(actor: Actor, input: NewUser) {
    validatePassword(input.password);
    if (await store.findUserByUsername(this.db, input.username)) {
      throw new Problem('AUTH_USERNAME_TAKEN', { errors: [{ field: 'username', message: 'already exists' }] });
    }
    if (input.orgId && !(await store.findOrg(this.db, input.orgId))) {
      throw new Problem('AUTH_ORG_NOT_FOUND', { errors: [{ field: 'orgId', message: 'no such organisation' }] });
    }
    const passwordHash = await hashPassword(input.password);
    return this.db.transaction().execute(async (trx) => {
      const user = await store.insertUser(trx, {
        username: input.username,
        display_name: input.displayName ?? input.username,
        password_hash: passwordHash,
        org_id: input.orgId ?? null,
        roles: input.roles,
      });
      await this.ledger.append('auth.user.created', actor, `user:${user.id}`, { roles: input.roles }, { trx });
      return user;
    });
  }

  async listUsers(actor: Actor) {
    assertCan(actor, 'auth.user.read');
    return store.listUsers(this.db);
  }

  /** Changes a user's roles or organisation (a permission change, so ledgered). */
  async updateUser(actor: Actor, id: string, patch: UserPatch) {
    assertCan(actor, 'auth.user.manage');
    return this.db.transaction().execute(async (trx) => {
      const user = await store.updateUser(trx, id, {
        ...(patch.roles ? { roles: patch.roles } : {}),
        ...(patch.orgId !== undefined ? { org_id: patch.orgId } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
      });
      if (!user) throw new Problem('AUTH_USER_NOT_FOUND');
      await this.ledger.append('auth.user.permissions_changed', actor, `user:${id}`, {
        roles: user.roles,
        org: user.org_id,
        disabled: user.disabled,
      }, { trx });
      return user;
    });
  }

  /** Makes an API key; the key is returned once and only its hash is kept. */
  async createApiKey(actor: Actor, input: NewKey) {
    assertCan(actor, 'auth.key.manage');
    if (input.orgId && !(await store.findOrg(this.db, input.orgId))) {
      throw new Problem('AUTH_ORG_NOT_FOUND', { errors: [{ field: 'orgId', message: 'no such organisation' }] });
    }
    const key = `chk_${randomBytes(24).toString('base64url')}`;
    return this.db.transaction().execute(async (trx) => {
      const row = await store.insertApiKey(trx, {
        name: input.name,
        prefix: key.slice(0, 10),
        key_hash: sha256(key),
        org_id: input.orgId ?? null,
        roles: input.roles,
        created_by: actor.kind === 'user' ? (actor.id ?? null) : null,
      });
      await this.ledger.append('auth.key.created', actor, `api_key:${row.id}`, { roles: input.roles, org: row.org_id }, { trx });
      return { id: row.id, key, prefix: row.prefix, name: row.name, roles: toRoles(row.roles), orgId: row.org_id };
    });
  }

  async listApiKeys(actor: Actor) {
    assertCan(actor, 'auth.key.manage');
    return store.listApiKeys(this.db);
  }

  async revokeApiKey(actor: Actor, id: string) {
    assertCan(actor, 'auth.key.manage');
    await this.db.transaction().execute(async (trx) => {
      const row = await store.revokeApiKey(trx, id, this.clock());
      if (!row) throw new Problem('AUTH_KEY_NOT_FOUND');
      await this.ledger.append('auth.key.revoked', actor, `api_key:${id}`, {}, { trx });
    });
  }

  async userCount(): Promise<number> {
    return store.countUsers(this.db);
  }
}
