import type { EventBus } from '../events/index.js';

/** The bus subject of a change to who someone is or what they may do (every node forgets its copy). */
export const IDENTITY_CHANGED = 'auth.identity.changed';

/** What changed: one session, every session of a user (roles, organisation, disabled, password), or one API key. */
export interface IdentityChange {
  sessionHash?: string;
  userId?: string;
  keyId?: string;
}

/** A live session as the database last said, plus this node's view of its idle clock. */
export interface CachedSession {
  userId: string;
  username: string;
  orgId: string | null;
  roles: string[];
  pending: string | null;
  /** The absolute end (ms). */
  expiresAt: number;
  /** The last request seen (ms), here or as written in the database by any node. */
  lastSeen: number;
  /** `last_seen_at` as this node last read or wrote it (ms). */
  written: number;
}

export interface CachedKey {
  id: string;
  name: string;
  orgId: string | null;
  roles: string[];
  /** `last_used_at` as this node last read or wrote it (ms; 0: never). */
  written: number;
}

export interface IdentityCacheSettings {
  /** How long a node trusts its copy without asking the database: the bound on staleness if an event is lost (0: no cache). */
  ttlSeconds: number;
  /** Copies kept per kind; the oldest go first. */
  maxEntries: number;
}

/** The defaults of `auth.identityCache` (config.ts). */
export const defaultIdentityCache: IdentityCacheSettings = { ttlSeconds: 5, maxEntries: 50_000 };

interface Entry<T> {
  value: T;
  until: number;
}

/** Copies by hash with an expiry and a size bound (a Map keeps insertion order: the first key is the oldest). */
class Shelf<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly settings: IdentityCacheSettings) {}

  get(hash: string, now: number): T | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.until > now) return entry.value;
    this.entries.delete(hash);
    return undefined;
  }

  put(hash: string, value: T, now: number): void {
    if (this.settings.ttlSeconds <= 0) return;
    this.entries.delete(hash);
    if (this.entries.size >= this.settings.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, { value, until: now + this.settings.ttlSeconds * 1000 });
  }

  delete(hash: string): void {
    this.entries.delete(hash);
  }

  deleteWhere(match: (value: T) => boolean): void {
    for (const [hash, entry] of this.entries) if (match(entry.value)) this.entries.delete(hash);
  }
}

/**
 * This node's copies of sessions and API keys, so a request does not look its identity up in the database
 * (issue 20: three queries per session request). Whatever changes an identity calls `changed`, which forgets the
 * copy here at once and tells every other node over the bus; a node that misses the event trusts its copy at most
 * `ttlSeconds` longer. A lookup that raced with a change is answered but not kept (`generation`).
 *
 * @example
 * const cache = new IdentityCache({ ttlSeconds: 5, maxEntries: 50_000 }, events);
 * await cache.changed({ keyId }); // after the revocation committed
 */
export class IdentityCache {
  private readonly sessions: Shelf<CachedSession>;
  private readonly keys: Shelf<CachedKey>;
  /** Counts the changes heard; a database read started before one must not be kept. */
  private changes = 0;

  constructor(settings: IdentityCacheSettings, private readonly events?: EventBus) {
    this.sessions = new Shelf(settings);
    this.keys = new Shelf(settings);
    events?.subscribe(IDENTITY_CHANGED, (data) => this.forget(data as IdentityChange));
  }

  /** A mark to take before reading the database; `keep*` ignores the read if a change was heard since. */
  get generation(): number {
    return this.changes;
  }

  session(hash: string, now: number): CachedSession | undefined {
    return this.sessions.get(hash, now);
  }

  key(hash: string, now: number): CachedKey | undefined {
    return this.keys.get(hash, now);
  }

  keepSession(hash: string, value: CachedSession, now: number, generation: number): void {
    if (generation === this.changes) this.sessions.put(hash, value, now);
  }

  keepKey(hash: string, value: CachedKey, now: number, generation: number): void {
    if (generation === this.changes) this.keys.put(hash, value, now);
  }

  /** Drops a session's copy on this node only (it is being looked up again here). */
  dropSession(hash: string): void {
    this.sessions.delete(hash);
  }

  /**
   * Forgets the copies here at once and on every node that answers the broadcast, and resolves when they have:
   * the request that made the change is answered only then, so the next request anywhere sees it.
   */
  async changed(change: IdentityChange): Promise<void> {
    this.forget(change);
    await this.events?.broadcast(IDENTITY_CHANGED, { ...change });
  }

  private forget(change: IdentityChange): void {
    this.changes += 1;
    if (change.sessionHash) this.sessions.delete(change.sessionHash);
    if (change.userId) this.sessions.deleteWhere((s) => s.userId === change.userId);
    if (change.keyId) this.keys.deleteWhere((k) => k.id === change.keyId);
  }
}
