import { api, withQuery } from './api.js';
// Types only (erased by the build): the shapes the security policy and audit routes take and whitelist.
import type { SecurityPolicy, SecurityPolicyView } from '../../platform/policy/policy-schema.js';
import type { ActivityView, AlertView, RetentionView, TrailQuery, TrailRecord } from '../../platform/audit/audit-schemas.js';

export type { SecurityPolicy, SecurityPolicyView } from '../../platform/policy/policy-schema.js';
export type { ActivityView, AlertView, RetentionView, TrailQuery, TrailRecord } from '../../platform/audit/audit-schemas.js';

/** What the trail's filters and the export share (the export takes the period only). */
export type TrailFilter = Pick<TrailQuery, 'about' | 'kind' | 'from' | 'to' | 'before'>;

/**
 * The security and audit administrators' API as the screens call it (src/platform/policy, src/platform/audit):
 * the policy, the alerts (pushed by long polling where the server offers it) and their activity chart, the trail,
 * its retention and export. All URLs live here.
 */
export const securityApi = {
  policy: () => api<SecurityPolicyView>('GET', '/api/security/policy'),
  savePolicy: (policy: SecurityPolicy) => api<SecurityPolicyView>('PUT', '/api/security/policy', policy),
  alerts: () => api<AlertView[]>('GET', '/api/audit/alerts'),
  /** Answers at once when the alerts differ from `since`, else when they change (within `waitSeconds`). */
  alertFeed: (since: string | undefined, waitSeconds: number) =>
    api<{ version: string; alerts: AlertView[] }>('GET', withQuery('/api/audit/alerts/feed', { since, waitSeconds })),
  activity: (bucket: 'hour' | 'day') => api<ActivityView>('GET', withQuery('/api/audit/activity', { bucket })),
  trail: (filter: TrailFilter, limit: number) => api<TrailRecord[]>('GET', withQuery('/api/audit/trail', { ...filter, limit })),
  retention: () => api<RetentionView>('GET', '/api/audit/retention'),
  /** A link the browser downloads (the session cookie goes with it). */
  exportHref: (format: 'csv' | 'json', period: Pick<TrailQuery, 'from' | 'to'>) => withQuery('/api/audit/export', { format, from: period.from, to: period.to }),
};
