import type { RoutePlugin } from '../http/server.js';
import type { AuditActivity } from './audit-activity.js';
import { ActivityQuery, ActivityView } from './audit-schemas.js';

/** GET /api/audit/activity: the security administrator's chart of denials and reads over time. */
export const auditActivityRoutes: RoutePlugin<{ activity: AuditActivity }> = async (app, opts) => {
  app.get('/activity', {
    config: { access: 'audit.alert.read' },
    schema: {
      tags: ['audit'],
      summary: 'Denials, failed logins and reads of personal data per hour or day in the city\'s time zone (security administrator)',
      querystring: ActivityQuery,
      response: { 200: ActivityView },
    },
  }, (request) => opts.activity.counts(request.actor, request.query));
};
