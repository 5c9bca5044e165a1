import { Type } from 'typebox';
import type { RoutePlugin } from '../http/server.js';
import type { AuditService } from './audit-service.js';
import { AlertView } from './audit-schemas.js';

const AlertFeedView = Type.Object({
  version: Type.String({ description: 'pass it back as `since` to wait for the next change' }),
  alerts: Type.Array(AlertView),
});

/**
 * The security administrator's alerts pushed by long polling under /api/audit (docs/security.md, "Alerts pushed to
 * the security administrator"): a request waits until the alerts differ from the version it holds.
 */
export const alertFeedRoutes: RoutePlugin<{ audit: AuditService }> = async (app, opts) => {
  const { audit } = opts;

  app.get('/alerts/feed', {
    // an open alerts screen is no proof its administrator is there: the session still idles out
    config: { access: 'audit.alert.read', background: true },
    schema: {
      tags: ['audit'],
      summary: 'The alerts pushed by long polling: at once when they differ from `since`, else at their next change within `waitSeconds` (security administrator)',
      querystring: Type.Object({
        since: Type.Optional(Type.String({ maxLength: 64, pattern: '^[0-9a-f]*$', description: 'the version of the alerts the caller holds' })),
        waitSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30, default: 25, description: 'how long to wait for a change' })),
      }),
      response: { 200: AlertFeedView },
    },
  }, (request) => audit.nextAlerts(request.actor, request.query.since, request.query.waitSeconds ?? 25));

  // A poll still waiting is answered at shutdown, so closing the server never waits one out.
  app.addHook('preClose', (done) => {
    audit.stopAlertFeed();
    done();
  });
};
