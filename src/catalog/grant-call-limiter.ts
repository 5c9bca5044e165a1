import type { Db } from '../platform/db/database.js';
import { Problem } from '../platform/errors/problem.js';
import { FailureThrottle } from '../platform/throttle/failure-throttle.js';

/**
 * The per-minute call limit of each grant over a sliding minute, counted in the database (issue 20): every node
 * sees the same count, so a cluster allows the grant's limit, not n nodes × the limit.
 */
export class GrantCallLimiter {
  /** The limit is each grant's own (`maxFailures` per key); this one is never used. */
  private readonly calls: FailureThrottle;

  constructor(db: Db) {
    this.calls = new FailureThrottle(db, 'catalog.grant-call', { maxFailures: 1, windowSeconds: 60 });
  }

  /**
   * Counts a call at `now`, or refuses it with SHARE_RATE_LIMITED and the seconds until the oldest call of the
   * minute leaves it.
   *
   * @example await limiter.admit(grant.id, grant.max_calls_per_minute, clock());
   */
  async admit(grantId: string, limitPerMinute: number, now: Date): Promise<void> {
    const wait = await this.calls.admit({ key: grantId, maxFailures: limitPerMinute }, now);
    if (wait > 0) throw new Problem('SHARE_RATE_LIMITED', { retryAfterSeconds: Math.max(1, wait), extra: { limitPerMinute } });
  }

  /** Takes back a call `admit` counted at `now` that delivered nothing (its read rolled back). */
  withdraw(grantId: string, now: Date): Promise<void> {
    return this.calls.withdraw(grantId, now);
  }
}
