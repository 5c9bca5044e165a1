import { createHash } from 'node:crypto';
import type { Db } from '../db/database.js';
import * as store from './throttle-store.js';

export interface ThrottleLimits {
  /** failures allowed per key within the window; the next attempt waits */
  maxFailures: number;
  windowSeconds: number;
}

/** A key with the throttle's limit, or with a limit of its own (a username counted from all addresses). */
export type ThrottleKey = string | { key: string; maxFailures: number };

const keyOf = (k: ThrottleKey): string => (typeof k === 'string' ? k : k.key);

/** Expired rows of a scope are deleted after every this many recorded failures (on the recording node). */
const PRUNE_EVERY = 200;

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/**
 * Counts failed attempts (logins, public ticket lookups) per key in a sliding window, in the database, so every
 * node sees the same count: with several nodes behind a load balancer the limit stays the configured one.
 * Keys are stored as SHA-256 only. A key may carry its own limit (`{ key, maxFailures }`).
 *
 * @example
 * const wait = await throttle.retryAfter([`u:${username}`, `a:${address}`], now); // seconds, 0 = may try
 * if (!ok) await throttle.recordFailure([`u:${username}`, `a:${address}`], now);
 */
export class FailureThrottle {
  private recorded = 0;

  constructor(
    private readonly db: Db,
    readonly scope: string,
    private readonly limits: ThrottleLimits,
  ) {}

  private get windowMs(): number {
    return this.limits.windowSeconds * 1000;
  }

  /** Seconds until every one of the keys may try again (0: now). */
  retryAfter(keys: ThrottleKey[], now: Date): Promise<number> {
    return this.waitIn(this.db, keys, now);
  }

  private async waitIn(db: Db, keys: ThrottleKey[], now: Date): Promise<number> {
    const limits = new Map(keys.map((k) => [hashKey(keyOf(k)), typeof k === 'string' ? this.limits.maxFailures : k.maxFailures]));
    const rows = await store.countFailures(db, this.scope, [...limits.keys()], new Date(now.getTime() - this.windowMs));
    let wait = 0;
    for (const r of rows) {
      if (Number(r.n) < (limits.get(r.key_hash) ?? this.limits.maxFailures)) continue;
      wait = Math.max(wait, Math.ceil((new Date(r.oldest as Date).getTime() + this.windowMs - now.getTime()) / 1000));
    }
    return Math.max(0, wait);
  }

  /**
   * Counts an attempt for the key unless it is at its limit: 0 when counted, else the seconds to wait. Atomic
   * across nodes (the key is locked while it is counted), so n nodes together allow the limit, not n times it.
   *
   * @example const wait = await calls.admit({ key: grantId, maxFailures: perMinute }, now); // 0: go ahead
   */
  async admit(key: ThrottleKey, now: Date): Promise<number> {
    const hash = hashKey(keyOf(key));
    const wait = await this.db.transaction().execute(async (trx) => {
      await store.lockKey(trx, this.scope, hash);
      const wait = await this.waitIn(trx, [key], now);
      if (wait === 0) await store.insertFailures(trx, this.scope, [hash], now);
      return wait;
    });
    if (wait === 0 && ++this.recorded % PRUNE_EVERY === 0) await store.deleteFailuresBefore(this.db, this.scope, new Date(now.getTime() - this.windowMs));
    return wait;
  }

  /** Takes back an attempt `admit` counted at `at` (what it was for did not happen after all). */
  async withdraw(key: ThrottleKey, at: Date): Promise<void> {
    await store.deleteOneFailure(this.db, this.scope, hashKey(keyOf(key)), at);
  }

  async recordFailure(keys: ThrottleKey[], now: Date): Promise<void> {
    await store.insertFailures(this.db, this.scope, keys.map((k) => hashKey(keyOf(k))), now);
    if (++this.recorded % PRUNE_EVERY === 0) await store.deleteFailuresBefore(this.db, this.scope, new Date(now.getTime() - this.windowMs));
  }

  /** Forgets the keys' failures (a successful login clears its (username, address) pair). */
  async reset(keys: ThrottleKey[]): Promise<void> {
    await store.deleteFailures(this.db, this.scope, keys.map((k) => hashKey(keyOf(k))));
  }
}
