/** What the outbox records of a subscription's deliveries (entity subscriptions and subscriptions to registrations). */
export interface DeliveryCounters {
  times_sent: number;
  times_failed: number;
  last_notification: Date | null;
  last_success: Date | null;
  last_failure: Date | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : undefined);

/**
 * The delivery members of a subscription's `notification` (§5.2.14 NotificationParams): `status` `failed` when
 * the last attempt failed, else `ok`; `timesSent`, `timesFailed`; `lastNotification`, `lastSuccess`,
 * `lastFailure` when there was one.
 */
export function deliveryStatus(row: DeliveryCounters): Record<string, unknown> {
  const failed = row.last_failure && (!row.last_success || new Date(row.last_failure) > new Date(row.last_success));
  return {
    status: failed ? 'failed' : 'ok',
    timesSent: row.times_sent,
    timesFailed: row.times_failed,
    ...(row.last_notification ? { lastNotification: iso(row.last_notification) } : {}),
    ...(row.last_success ? { lastSuccess: iso(row.last_success) } : {}),
    ...(row.last_failure ? { lastFailure: iso(row.last_failure) } : {}),
  };
}
