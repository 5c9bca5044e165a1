import { Type } from 'typebox';
import type { RoutePlugin } from '../http/server.js';
import type { AuditService } from './audit-service.js';
import { AlertView, ExportQuery, RetentionView, TrailQuery, TrailRecord } from './audit-schemas.js';

/** The audit trail under /api/audit: one's own records, the auditor's view and export, the security alerts. */
export const auditRoutes: RoutePlugin<{ audit: AuditService }> = async (app, opts) => {
  const { audit } = opts;
  const tags = ['audit'];

  app.get('/mine', {
    config: { access: 'session.self' },
    schema: { tags, summary: 'The audit records about the caller (their logins, their actions, changes to their account)', querystring: Type.Pick(TrailQuery, ['before', 'limit']), response: { 200: Type.Array(TrailRecord) } },
  }, (request) => audit.mine(request.actor, request.query));

  app.get('/trail', {
    config: { access: 'ledger.read' },
    schema: {
      tags,
      summary: 'The audit trail, newest first (audit administrator; the operation supervisor sees operation entries)',
      querystring: TrailQuery,
      response: { 200: Type.Array(TrailRecord) },
    },
  }, (request) => audit.trail(request.actor, request.query));

  app.get('/export', {
    config: { access: 'audit.trail.read' },
    schema: {
      tags,
      summary: 'Export the trail over a period as CSV or JSON (default: the retention period)',
      querystring: ExportQuery,
      response: { 200: { content: { 'text/csv': { schema: Type.String() }, 'application/json': { schema: Type.Array(TrailRecord) } } } },
    },
  }, async (request, reply) => {
    const file = await audit.export(request.actor, request.query);
    const type = request.query.format === 'json' ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8';
    return reply.type(type).header('content-disposition', `attachment; filename="${file.filename}"`).send(file.body);
  });

  app.get('/retention', {
    config: { access: 'audit.trail.read' },
    schema: { tags, summary: 'The configured retention and the oldest record held', response: { 200: RetentionView } },
  }, (request) => audit.retention(request.actor));

  app.get('/alerts', {
    config: { access: 'audit.alert.read' },
    schema: { tags, summary: 'Repeated denials and unusual reads in the alert window (security administrator)', response: { 200: Type.Array(AlertView) } },
  }, (request) => audit.alerts(request.actor));
};
