import { Problem } from '../platform/errors/problem.js';

/**
 * The per-minute call limit of each grant, counted in this node's memory over a sliding minute (a cluster of n
 * nodes allows up to n × the limit: the limit guards a node's load, the daily quota in the database guards the data).
 */
export class GrantCallLimiter {
  /** Call times (ms) per grant within the last minute. */
  private readonly calls = new Map<string, number[]>();

  /**
   * Counts a call at `now` (ms), or refuses it with SHARE_RATE_LIMITED and the seconds until the oldest call of
   * the minute leaves it.
   *
   * @example limiter.admit(grant.id, grant.max_calls_per_minute, clock().getTime());
   */
  admit(grantId: string, limitPerMinute: number, now: number): void {
    const recent = (this.calls.get(grantId) ?? []).filter((t) => t > now - 60_000);
    if (recent.length >= limitPerMinute) {
      this.calls.set(grantId, recent);
      throw new Problem('SHARE_RATE_LIMITED', {
        retryAfterSeconds: Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000)),
        extra: { limitPerMinute },
      });
    }
    recent.push(now);
    this.calls.set(grantId, recent);
  }
}
