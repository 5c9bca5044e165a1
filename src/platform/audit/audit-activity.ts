import type { Db } from '../db/database.js';
import type { Clock } from '../clock/clock.js';
import { assertCan } from '../auth/permissions.js';
import type { Actor } from '../auth/roles.js';
import { Problem } from '../errors/problem.js';
import type { ActivityQuery, ActivityView } from './audit-schemas.js';
import { countActivity } from './audit-activity-store.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Each bucket's length, the period shown when none is asked, and the most buckets one answer holds. */
const BUCKETS = {
  hour: { ms: HOUR_MS, defaultSpanMs: 2 * DAY_MS, maxBuckets: 24 * 31 },
  day: { ms: DAY_MS, defaultSpanMs: 30 * DAY_MS, maxBuckets: 400 },
} as const;

/**
 * The security administrator's view of how denials, failed logins and reads of personal data went over time,
 * beside the alerts (GB/T 22239-2019 8.1.4.3 安全审计: 对审计记录进行分析): counts per hour or day of the city's
 * time zone, computed from the trail, so every node answers the same.
 */
export class AuditActivity {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** the city's time zone (`city.timeZone`): its hours and days are the buckets */
    private readonly timeZone: string,
  ) {}

  /**
   * Counts per bucket over [from, to) (default: the last 48 hours, or the last 30 days by day).
   *
   * @example const { buckets } = await activity.counts(actor, { bucket: 'day' });
   */
  async counts(actor: Actor, query: Partial<ActivityQuery>): Promise<ActivityView> {
    assertCan(actor, 'audit.alert.read');
    const bucket = query.bucket ?? 'hour';
    const { ms, defaultSpanMs, maxBuckets } = BUCKETS[bucket];
    // `to` is exclusive: by default just after now, so what happened this millisecond is in.
    const to = dateOf(query.to, 'to') ?? new Date(this.clock().getTime() + 1);
    const from = dateOf(query.from, 'from') ?? new Date(to.getTime() - defaultSpanMs);
    if (from >= to) throw new Problem('AUDIT_BAD_RANGE', { errors: [{ field: '/query/from', message: 'must be before to' }] });
    if ((to.getTime() - from.getTime()) / ms > maxBuckets) {
      throw new Problem('AUDIT_BAD_RANGE', { detail: `at most ${maxBuckets} buckets of one ${bucket}`, errors: [{ field: '/query/from', message: `period too long for bucket=${bucket}` }] });
    }
    const rows = await countActivity(this.db, bucket, from, to, this.timeZone);
    return {
      bucket, timeZone: this.timeZone, from: from.toISOString(), to: to.toISOString(),
      buckets: rows.map((r) => ({ start: new Date(r.start).toISOString(), denied: Number(r.denied), failedLogins: Number(r.failed_logins), personalReads: Number(r.personal_reads) })),
    };
  }
}

const dateOf = (text: string | undefined, field: 'from' | 'to'): Date | undefined => {
  if (text === undefined) return undefined;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new Problem('AUDIT_BAD_RANGE', { errors: [{ field: `/query/${field}`, message: 'not a date-time' }] });
  return d;
};
