import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import { Problem } from '../errors/problem.js';
import { FieldProtection } from '../crypto/field-protection.js';
import { FieldCipherError } from '../crypto/field-cipher.js';
import { totpSecretPlace } from './totp-secrets.js';
import type { Clock } from '../clock/clock.js';
import type { Ledger } from '../ledger/ledger.js';
import { assertCan } from './permissions.js';
import { can } from './permissions.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from './password.js';
import { FailureThrottle } from '../throttle/failure-throttle.js';
import { IdentityCache, type CachedKey, type CachedSession } from './identity-cache.js';
import { administratorRoles, heldAdministratorRoles, isRole, type Actor, type Role } from './roles.js';
import { assertPasswordPolicy, defaultPasswordPolicy, type PasswordPolicy } from './password-policy.js';
import { base32Decode, matchTotp, newTotpSecret, otpauthUri } from './totp.js';
import * as store from './auth-store.js';
import type { NewKey, NewOrg, NewUser, PasswordChange, UserPatch } from './schemas.js';

export interface AuthSettings {
  sessionTtlHours: number;
  /** failed logins allowed per (username, address) and per address within the window */
  loginMaxAttempts: number;
  /** failed logins allowed per username from all addresses together (default 100) */
  loginMaxAttemptsPerUsername?: number;
  loginWindowSeconds: number;
  /** Idle timeout of a session in minutes (default 30). */
  sessionIdleMinutes?: number;
  /** A session's last-seen time is written at most this often (default 30 s): a busy user costs no write per request. */
  sessionTouchSeconds?: number;
  password?: PasswordPolicy;
  totp?: { requiredForRoles: string[]; issuer: string; window: number };
}

/** The defaults of `auth.totp` (config.ts), for settings built without it. */
const defaultTotp = { requiredForRoles: ['admin', 'security_admin', 'audit_admin'], issuer: 'CityHub', window: 1 };
const DEFAULT_IDLE_MINUTES = 30;
const DEFAULT_TOUCH_SECONDS = 30;
/** An API key's last use is kept to the minute: a device calling many times a second costs no write (and WAL flush) per call. */
const KEY_TOUCH_MS = 60_000;

type Pending = NonNullable<Actor['pending']>;

/** The default of `auth.loginMaxAttemptsPerUsername` (config.ts), for settings built without it. */
const DEFAULT_MAX_ATTEMPTS_PER_USERNAME = 100;

export type { NewOrg, NewUser } from './schemas.js';

/** The session machinery itself, ending a user's idle session (`system:session-timeout:<user>` in the ledger). */
const systemActorFor = (userId: string): Actor => ({ kind: 'system', id: `session-timeout`, username: `session-timeout:${userId}`, roles: [] });

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

/** 三员分立: at most one of the administrator roles on one account or key. */
const assertExclusiveRoles = (held: readonly string[]): void => {
  const admins = heldAdministratorRoles(held);
  if (admins.length > 1) {
    throw new Problem('AUTH_ROLES_EXCLUSIVE', {
      detail: `${admins.join(', ')} may not be held together (系统、安全、审计管理员不能由同一账号兼任)`,
      errors: [{ field: 'roles', message: `holds ${admins.join(' and ')}: choose one` }],
    });
  }
};

/** Roles only people hold: a key cannot sign in with a second factor, so it never holds them. */
const personOnlyRoles: readonly string[] = ['security_admin', 'audit_admin'];

/** Identity and access: organisations, users, sessions and API keys. */
export class AuthService {
  private readonly throttle: FailureThrottle;

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly settings: AuthSettings,
    private readonly clock: Clock,
    /** This node's copies of sessions and keys (none by default), forgotten on every node when they change. */
    private readonly identities = new IdentityCache({ ttlSeconds: 0, maxEntries: 0 }),
    /** Seals second-factor secrets at rest when field encryption is on (totp-secrets.ts). */
    private readonly fields = FieldProtection.off,
    /** Told when a sealed second-factor secret does not open (the login is refused). */
    private readonly onSealedSecretError?: (userId: string, err: Error) => void,
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
  async login(username: string, password: string, clientAddress: string, totpCode?: string): Promise<{ token: string; actor: Actor; expiresAt: Date }> {
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
    const fail = async (reason: string, problem: Problem): Promise<never> => {
      await this.throttle.recordFailure(keys, now);
      await this.ledger.append('auth.login.failed', { kind: 'anonymous', roles: [] }, subject, { address: clientAddress, reason });
      throw problem;
    };
    if (!ok || !user) return fail('password', new Problem('INVALID_CREDENTIALS'));
    // The second factor, once enrolled: asked for after the password (the answer says only that a code is due).
    const second = await store.findTotp(this.db, user.id);
    const enrolled = !!second?.confirmed_at;
    if (enrolled) {
      if (!totpCode) throw new Problem('AUTH_TOTP_REQUIRED');
      if (!(await this.acceptCode(user.id, this.totpSecret(user.id, second.secret), totpCode))) return fail('totp', new Problem('AUTH_TOTP_INVALID', { errors: [{ field: 'totp', message: 'wrong or already used' }] }));
    }
    // The pair's count only: the address's failures run out with the window (logging in to one's own account
    // between guesses at others does not reset them), and so do the username's (a success between the guesses of
    // many addresses does not give them a fresh allowance).
    await this.throttle.reset([pairKey]);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.settings.sessionTtlHours * 3_600_000);
    const pending = this.pendingStep(user, enrolled, now);
    const actor: Actor = { kind: 'user', id: user.id, username: user.username, orgId: user.org_id, roles: toRoles(user.roles), ...(pending ? { pending } : {}), address: clientAddress };
    await this.db.transaction().execute(async (trx) => {
      await store.insertSession(trx, sha256(token), user.id, expiresAt, now, pending ?? null);
      await this.ledger.append('auth.login', actor, subject, { address: clientAddress, secondFactor: enrolled, pending: pending ?? null }, { trx });
    });
    return { token, actor, expiresAt };
  }

  /** The roles that must sign in with a one-time code (`auth.totp.requiredForRoles`). */
  totpRequiredFor(roles: readonly string[]): boolean {
    return roles.some((r) => this.totp.requiredForRoles.includes(r));
  }

  private get totp() {
    return this.settings.totp ?? defaultTotp;
  }

  private get policy(): PasswordPolicy {
    return this.settings.password ?? defaultPasswordPolicy;
  }

  /** What a new session must do first: change a password set by someone else or too old, then enrol a second factor its roles require. */
  private pendingStep(user: { must_change_password: boolean; password_changed_at: Date | string; roles: string[] }, enrolled: boolean, now: Date): Pending | undefined {
    const maxAge = this.policy.maxAgeDays * 86_400_000;
    const expired = maxAge > 0 && now.getTime() - new Date(user.password_changed_at).getTime() > maxAge;
    if (user.must_change_password || expired) return 'password_change';
    if (!enrolled && this.totpRequiredFor(user.roles)) return 'totp_enrolment';
    return undefined;
  }

  /** Whether a code is right now and later than the last one accepted (recorded, so it cannot be used again). */
  private async acceptCode(userId: string, secret: string | undefined, code: string, confirm = false): Promise<boolean> {
    if (secret === undefined) return false;
    const step = matchTotp(base32Decode(secret)!, code, this.clock(), { window: this.totp.window });
    return step !== undefined && store.acceptTotpStep(this.db, userId, step, confirm ? this.clock() : undefined);
  }

  /**
   * Changes the caller's own password: the current one checked (failures throttled like logins), the policy and
   * the history applied; the user's other sessions end, and this one moves on to its next pending step.
   */
  async changePassword(actor: Actor, sessionToken: string | undefined, input: PasswordChange): Promise<Actor> {
    const user = actor.kind === 'user' && actor.id ? await store.findUser(this.db, actor.id) : undefined;
    if (!user) throw new Problem('FORBIDDEN', { detail: 'only a signed-in user has a password to change' });
    const now = this.clock();
    const key = `pw:${user.id}`;
    const wait = await this.throttle.retryAfter([key], now);
    if (wait > 0) throw new Problem('AUTH_LOGIN_RATE_LIMITED', { detail: `try again in ${wait} s`, retryAfterSeconds: wait });
    if (!(await verifyPassword(input.currentPassword, user.password_hash))) {
      await this.throttle.recordFailure([key], now);
      throw new Problem('AUTH_WRONG_PASSWORD', { errors: [{ field: 'currentPassword', message: 'wrong password / 当前密码错误' }] });
    }
    assertPasswordPolicy(this.policy, input.newPassword, user.username, 'newPassword');
    await this.assertNotRecent(user.id, user.password_hash, input.newPassword);
    const hash = await hashPassword(input.newPassword);
    const second = await store.findTotp(this.db, user.id);
    const pending = this.pendingStep({ ...user, must_change_password: false, password_changed_at: now }, !!second?.confirmed_at, now);
    await this.db.transaction().execute(async (trx) => {
      await store.insertPasswordHistory(trx, user.id, user.password_hash, now);
      await store.setPassword(trx, user.id, hash, now, false);
      if (sessionToken) {
        await store.deleteOtherSessions(trx, user.id, sha256(sessionToken));
        await store.setSessionPending(trx, sha256(sessionToken), pending ?? null);
      }
      await this.ledger.append('auth.password.changed', actor, `user:${user.id}`, { address: actor.address ?? null }, { trx });
    });
    await this.identities.changed({ userId: user.id });
    const { pending: _old, ...rest } = actor;
    return pending ? { ...rest, pending } : rest;
  }

  /** AUTH_PASSWORD_REUSED when the password is the current one or one of the last `history` before it. */
  private async assertNotRecent(userId: string, currentHash: string, password: string): Promise<void> {
    if (this.policy.history === 0) return;
    const earlier = await store.listPasswordHistory(this.db, userId, this.policy.history - 1);
    for (const hash of [currentHash, ...earlier.map((h) => h.password_hash)]) {
      if (await verifyPassword(password, hash)) {
        throw new Problem('AUTH_PASSWORD_REUSED', { errors: [{ field: 'newPassword', message: `must differ from the last ${this.policy.history} passwords / 不能与最近 ${this.policy.history} 次密码相同` }] });
      }
    }
  }

  /** Starts enrolling the caller's second factor: a new secret, shown once, until a first code confirms it. */
  async startTotpEnrolment(actor: Actor): Promise<{ secret: string; uri: string }> {
    if (actor.kind !== 'user' || !actor.id) throw new Problem('FORBIDDEN', { detail: 'only a signed-in user enrols a second factor' });
    if ((await store.findTotp(this.db, actor.id))?.confirmed_at) throw new Problem('AUTH_TOTP_ALREADY_ENROLLED', { detail: 'a security administrator can reset it' });
    const secret = newTotpSecret();
    await store.upsertUnconfirmedTotp(this.db, actor.id, this.fields.seal(secret, totpSecretPlace(actor.id))!);
    return { secret, uri: otpauthUri(this.totp.issuer, actor.username ?? actor.id, secret) };
  }

  /**
   * The base32 secret of a stored second factor, opened when it is sealed; undefined when the sealed value does
   * not open (altered, or copied from another user's row): no code is accepted then, and it is said in the log.
   */
  private totpSecret(userId: string, stored: string): string | undefined {
    try {
      return this.fields.open(stored, totpSecretPlace(userId))!;
    } catch (err) {
      if (!(err instanceof FieldCipherError)) throw err;
      this.onSealedSecretError?.(userId, err);
      return undefined;
    }
  }

  /** Confirms the enrolment with a first code; a session waiting for it may then do everything its roles allow. */
  async confirmTotp(actor: Actor, sessionToken: string | undefined, code: string): Promise<Actor> {
    if (actor.kind !== 'user' || !actor.id) throw new Problem('FORBIDDEN', { detail: 'only a signed-in user enrols a second factor' });
    const row = await store.findTotp(this.db, actor.id);
    if (!row) throw new Problem('AUTH_TOTP_NOT_STARTED');
    if (row.confirmed_at) throw new Problem('AUTH_TOTP_ALREADY_ENROLLED');
    if (!(await this.acceptCode(actor.id, this.totpSecret(actor.id, row.secret), code, true))) {
      throw new Problem('AUTH_TOTP_INVALID', { errors: [{ field: 'code', message: 'wrong or already used' }] });
    }
    const { pending, ...rest } = actor;
    await this.db.transaction().execute(async (trx) => {
      if (sessionToken && pending === 'totp_enrolment') await store.setSessionPending(trx, sha256(sessionToken), null);
      await this.ledger.append('auth.totp.enrolled', actor, `user:${actor.id}`, { address: actor.address ?? null }, { trx });
    });
    if (sessionToken) await this.identities.changed({ sessionHash: sha256(sessionToken) });
    return pending === 'totp_enrolment' ? rest : actor;
  }

  /** A security administrator removes a user's second factor (a lost phone); the user enrols again at the next login. */
  async resetTotp(actor: Actor, userId: string): Promise<void> {
    assertCan(actor, 'auth.role.manage');
    await this.db.transaction().execute(async (trx) => {
      if (!(await store.findUser(trx, userId))) throw new Problem('AUTH_USER_NOT_FOUND');
      await store.deleteTotp(trx, userId);
      await this.ledger.append('auth.totp.reset', actor, `user:${userId}`, { address: actor.address ?? null }, { trx });
    });
  }

  /**
   * Enrols a confirmed second factor without a permission check and returns its base32 secret: for
   * `cityhub admin create` (printed once to the operator) and test set-ups.
   */
  async insertTotp(actor: Actor, userId: string): Promise<string> {
    const secret = newTotpSecret();
    await this.db.transaction().execute(async (trx) => {
      await store.deleteTotp(trx, userId);
      await store.upsertUnconfirmedTotp(trx, userId, this.fields.seal(secret, totpSecretPlace(userId))!);
      await trx.updateTable('auth_totp').set({ confirmed_at: this.clock() }).where('user_id', '=', userId).execute();
      await this.ledger.append('auth.totp.enrolled', actor, `user:${userId}`, {}, { trx });
    });
    return secret;
  }

  async logout(token: string): Promise<void> {
    await store.deleteSession(this.db, sha256(token));
    await this.identities.changed({ sessionHash: sha256(token) });
  }

  /**
   * The actor behind a session cookie, or undefined when the session is unknown, past its absolute lifetime
   * (`auth.sessionTtlHours`) or idle longer than `auth.sessionIdleMinutes` (then it is ended and ledgered).
   * Answered from this node's copy when it has one; a copy that looks idle is checked against the database,
   * where another node may have recorded a later request. A request that is not `activity` (a screen's long
   * poll) leaves the idle clock where it was.
   */
  async actorForSession(token: string, activity = true): Promise<Actor | undefined> {
    const now = this.clock().getTime();
    const hash = sha256(token);
    let session = this.identities.session(hash, now);
    if (session && (session.expiresAt <= now || now - session.lastSeen > this.idleMs)) {
      this.identities.dropSession(hash);
      session = undefined;
    }
    session ??= await this.readSession(hash, now);
    if (!session) return undefined;
    if (activity) session.lastSeen = now;
    if (activity && now - session.written >= (this.settings.sessionTouchSeconds ?? DEFAULT_TOUCH_SECONDS) * 1000) {
      session.written = now;
      await store.touchSession(this.db, hash, new Date(now));
    }
    const pending = session.pending === 'password_change' || session.pending === 'totp_enrolment' ? session.pending : undefined;
    return { kind: 'user', id: session.userId, username: session.username, orgId: session.orgId, roles: toRoles(session.roles), ...(pending ? { pending } : {}) };
  }

  private get idleMs(): number {
    return (this.settings.sessionIdleMinutes ?? DEFAULT_IDLE_MINUTES) * 60_000;
  }

  /** The session from the database (ended and ledgered if idle too long), kept as this node's copy. */
  private async readSession(hash: string, now: number): Promise<CachedSession | undefined> {
    const generation = this.identities.generation;
    const row = await store.findSessionUser(this.db, hash, new Date(now));
    if (!row) return undefined;
    const lastSeen = new Date(row.last_seen_at).getTime();
    const idle = now - lastSeen;
    if (idle > this.idleMs) {
      await this.db.transaction().execute(async (trx) => {
        await store.deleteSession(trx, hash);
        await this.ledger.append('auth.session.idle_expired', systemActorFor(row.id), `user:${row.id}`, { idleSeconds: Math.round(idle / 1000) }, { trx });
      });
      await this.identities.changed({ sessionHash: hash });
      return undefined;
    }
    const session: CachedSession = {
      userId: row.id, username: row.username, orgId: row.org_id, roles: row.roles, pending: row.pending,
      expiresAt: new Date(row.expires_at).getTime(), lastSeen, written: lastSeen,
    };
    this.identities.keepSession(hash, session, now, generation);
    return session;
  }

  /** The actor behind an API key, or undefined when the key is unknown or revoked. */
  async actorForApiKey(key: string): Promise<Actor | undefined> {
    const now = this.clock().getTime();
    const hash = sha256(key);
    const row = this.identities.key(hash, now) ?? (await this.readKey(hash, now));
    if (!row) return undefined;
    // A key made before keys were refused the 三员 roles (or written into the table by hand) does nothing.
    const administrative = heldAdministratorRoles(row.roles);
    if (administrative.length > 0) {
      throw new Problem('AUTH_KEY_ADMIN_ROLE', { detail: `this API key holds ${administrative.join(', ')}; administrators sign in in person with a second factor: revoke it and make a key without them` });
    }
    if (now - row.written >= KEY_TOUCH_MS) {
      row.written = now;
      await store.touchApiKey(this.db, row.id, new Date(now));
    }
    return { kind: 'api_key', id: row.id, username: `key:${row.name}`, orgId: row.orgId, roles: toRoles(row.roles) };
  }

  private async readKey(hash: string, now: number): Promise<CachedKey | undefined> {
    const generation = this.identities.generation;
    const row = await store.findActiveApiKey(this.db, hash);
    if (!row) return undefined;
    const key: CachedKey = { id: row.id, name: row.name, orgId: row.org_id, roles: row.roles, written: row.last_used_at ? new Date(row.last_used_at).getTime() : 0 };
    this.identities.keepKey(hash, key, now, generation);
    return key;
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
      pending: actor.pending ?? null,
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
      await this.ledger.append('auth.org.created', actor, `org:${org.id}`, { kind: org.kind, address: actor.address ?? null }, { trx });
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

  /**
   * The system administrator creates accounts; an account with an administrator role is a grant of power, so only
   * the security administrator creates one. Someone else chose the password, so (by default) it must be changed
   * at the first login.
   */
  async createUser(actor: Actor, input: NewUser) {
    assertCan(actor, heldAdministratorRoles(input.roles).length > 0 ? 'auth.role.manage' : 'auth.user.manage');
    return this.insertUser(actor, input, { mustChangePassword: this.policy.changeOnFirstLogin });
  }

  /** Creates a user without a permission check: for `cityhub admin create` and the demo seed. */
  async insertUser(actor: Actor, input: NewUser, options: { mustChangePassword?: boolean } = {}) {
    return (await this.insertUsers(actor, [input], options))[0];
  }

  /**
   * Creates users together without a permission check: all are checked (roles, password policy, names free and
   * distinct, organisations) before any is written, then all are written in one transaction, each ledgered.
   */
  async insertUsers(actor: Actor, inputs: readonly NewUser[], options: { mustChangePassword?: boolean } = {}) {
    for (const [i, input] of inputs.entries()) {
      assertExclusiveRoles(input.roles);
      assertPasswordPolicy(this.policy, input.password, input.username);
      if (inputs.findIndex((other) => other.username === input.username) !== i || (await store.findUserByUsername(this.db, input.username))) {
        throw new Problem('AUTH_USERNAME_TAKEN', { errors: [{ field: 'username', message: inputs.length > 1 ? `${input.username}: already exists` : 'already exists' }] });
      }
      if (input.orgId && !(await store.findOrg(this.db, input.orgId))) {
        throw new Problem('AUTH_ORG_NOT_FOUND', { errors: [{ field: 'orgId', message: 'no such organisation' }] });
      }
    }
    const hashes = await Promise.all(inputs.map((input) => hashPassword(input.password)));
    return this.db.transaction().execute(async (trx) => {
      const users = [];
      for (const [i, input] of inputs.entries()) {
        const user = await store.insertUser(trx, {
          username: input.username,
          display_name: input.displayName ?? input.username,
          password_hash: hashes[i],
          org_id: input.orgId ?? null,
          roles: input.roles,
          must_change_password: options.mustChangePassword ?? false,
          password_changed_at: this.clock(),
        });
        await this.ledger.append('auth.user.created', actor, `user:${user.id}`, { roles: input.roles, address: actor.address ?? null }, { trx });
        users.push(user);
      }
      return users;
    });
  }

  /** The administrator roles (三员) that no enabled account holds: what the first-run setup still has to create. */
  async missingAdministrators(): Promise<Role[]> {
    return unheldAdministratorRoles(this.db, administratorRoles);
  }

  async listUsers(actor: Actor) {
    assertCan(actor, 'auth.user.read');
    return store.listUsers(this.db);
  }

  /**
   * Changes a user's roles, organisation or whether they may sign in (ledgered). 三员分立: the system
   * administrator moves and disables accounts, except the security and audit administrators'; roles are the
   * security administrator's; nobody changes their own roles or disables themselves.
   */
  async updateUser(actor: Actor, id: string, patch: UserPatch) {
    if (!can(actor, 'auth.user.manage') && !can(actor, 'auth.role.manage')) assertCan(actor, 'auth.user.manage');
    const target = await store.findUser(this.db, id);
    if (!target) throw new Problem('AUTH_USER_NOT_FOUND');
    if (patch.roles) {
      assertCan(actor, 'auth.role.manage');
      assertExclusiveRoles(patch.roles);
    }
    if ((patch.orgId !== undefined || patch.disabled !== undefined) && target.roles.some((r) => personOnlyRoles.includes(r))) {
      // The system administrator cannot silence the security or audit administrator; their powers are taken
      // away by the security administrator (PUT /api/users/:id/roles).
      throw new Problem('FORBIDDEN', { detail: 'the security or audit administrator\'s account changes only through its roles' });
    }
    if (patch.orgId !== undefined || patch.disabled !== undefined) assertCan(actor, 'auth.user.manage');
    if (actor.kind === 'user' && actor.id === id && (patch.roles || patch.disabled)) {
      throw new Problem('AUTH_OWN_ROLES', { errors: [{ field: patch.roles ? 'roles' : 'disabled', message: 'ask another administrator' }] });
    }
    const updated = await this.db.transaction().execute(async (trx) => {
      const user = await store.updateUser(trx, id, {
        ...(patch.roles ? { roles: patch.roles } : {}),
        ...(patch.orgId !== undefined ? { org_id: patch.orgId } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
      });
      if (!user) throw new Problem('AUTH_USER_NOT_FOUND');
      await assertAdministratorsRemain(trx, target.disabled ? [] : heldAdministratorRoles(toRoles(target.roles)));
      await this.ledger.append('auth.user.permissions_changed', actor, `user:${id}`, {
        roles: user.roles,
        org: user.org_id,
        disabled: user.disabled,
        address: actor.address ?? null,
      }, { trx });
      return user;
    });
    await this.identities.changed({ userId: id });
    return updated;
  }

  /** Makes an API key; the key is returned once and only its hash is kept. */
  async createApiKey(actor: Actor, input: NewKey) {
    assertCan(actor, 'auth.key.manage');
    assertExclusiveRoles(input.roles);
    const administrative = heldAdministratorRoles(input.roles);
    if (administrative.length > 0) {
      throw new Problem('VALIDATION_FAILED', {
        errors: [{ field: 'roles', message: `${administrative.join(', ')}: 三员 roles are held only by people, signing in with a second factor, never by an API key` }],
      });
    }
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
      await this.ledger.append('auth.key.created', actor, `api_key:${row.id}`, { roles: input.roles, org: row.org_id, address: actor.address ?? null }, { trx });
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
      await this.ledger.append('auth.key.revoked', actor, `api_key:${id}`, { address: actor.address ?? null }, { trx });
    });
    await this.identities.changed({ keyId: id });
  }

  async userCount(): Promise<number> {
    return store.countUsers(this.db);
  }
}

/** Which of `roles` (三员) no enabled account holds, read in `db` (a transaction sees its own change). */
async function unheldAdministratorRoles(db: Db, roles: readonly Role[]): Promise<Role[]> {
  const held = (await store.listUsers(db)).filter((u) => !u.disabled).flatMap((u) => toRoles(u.roles));
  return roles.filter((r) => !held.includes(r));
}

/**
 * 三员分立 needs each administrator role held: a change that takes the last enabled holder's role away (or
 * disables them) would let one administrator silence another's duty, so it is refused and rolled back.
 */
async function assertAdministratorsRemain(trx: Db, rolesTargetHeld: readonly Role[]): Promise<void> {
  const lost = await unheldAdministratorRoles(trx, rolesTargetHeld);
  if (lost.length) {
    throw new Problem('AUTH_LAST_ADMINISTRATOR', {
      errors: [{ field: 'roles', message: `${lost.join(', ')}: no other enabled account holds it; give it to another person first` }],
    });
  }
}
