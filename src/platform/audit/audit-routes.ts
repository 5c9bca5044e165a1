import { Type } from 'typebox';
import type { RoutePlugin } from '../http/server.js';
import { EntryRecord } from '../ledger/ledger-routes.js';
import type { AuditService } from './audit-service.js';

/** An audit record is a ledger entry as people read it. */
const TrailRecord = EntryRecord;

const Page = {
  before: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'entries before this ledger index' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
};
const DateTime = Type.String({ maxLength: 40, description: 'ISO 8601 date-time' });

const AlertView = Type.Object({
  kind: Type.Union([Type.Literal('repeated_denials'), Type.Literal('unusual_reads')]),
  actor: Type.String(),
  address: Type.Union([Type.String(), Type.Null()]),
  count: Type.Integer(),
  windowMinutes: Type.Integer(),
  threshold: Type.Integer(),
  lastAt: Type.String({ format: 'date-time' }),
});

/** The audit trail under /api/audit: one's own records, the auditor's view and export, the security alerts. */
export const auditRoutes: RoutePlugin<{ audit: AuditService }> = async (app, opts) => {
  const { audit } = opts;
  const tags = ['audit'];

  app.get('/mine', {
    config: { access: 'session.self' },
    schema: { tags, summary: 'The audit records about the caller (their logins, their actions, changes to their account)', querystring: Type.Object(Page), response: { 200: Type.Array(TrailRecord) } },
  }, (request) => audit.mine(request.actor, request.query));

  app.get('/trail', {
    config: { access: 'ledger.read' },
    schema: {
      tags,
      summary: 'The audit trail, newest first (audit administrator; the operation supervisor sees operation entries)',
      querystring: Type.Object({
        ...Page,
        about: Type.Optional(Type.String({ maxLength: 200, description: 'entries by or about this reference, e.g. user:<id>' })),
        kind: Type.Optional(Type.String({ maxLength: 100, description: 'kinds starting with this, e.g. audit.access' })),
        from: Type.Optional(DateTime),
        to: Type.Optional(DateTime),
      }),
      response: { 200: Type.Array(TrailRecord) },
    },
  }, (request) => audit.trail(request.actor, request.query));

  app.get('/export', {
    config: { access: 'audit.trail.read' },
    schema: {
      tags,
      summary: 'Export the trail over a period as CSV or JSON (default: the retention period)',
      querystring: Type.Object({ from: Type.Optional(DateTime), to: Type.Optional(DateTime), format: Type.Union([Type.Literal('csv'), Type.Literal('json')], { default: 'csv' }) }),
      response: { 200: { content: { 'text/csv': { schema: Type.String() }, 'application/json': { schema: Type.Array(TrailRecord) } } } },
    },
  }, async (request, reply) => {
    const file = await audit.export(request.actor, request.query);
    const type = request.query.format === 'json' ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8';
    return reply.type(type).header('content-disposition', `attachment; filename="${file.filename}"`).send(file.body);
  });

  app.get('/retention', {
    config: { access: 'audit.trail.read' },
    schema: {
      tags,
      summary: 'The configured retention and the oldest record held',
      response: { 200: Type.Object({ retentionDays: Type.Integer(), oldest: Type.Union([Type.String(), Type.Null()]), pruned: Type.Boolean() }) },
    },
  }, (request) => audit.retention(request.actor));

  app.get('/alerts', {
    config: { access: 'audit.alert.read' },
    schema: { tags, summary: 'Repeated denials and unusual reads in the alert window (security administrator)', response: { 200: Type.Array(AlertView) } },
  }, (request) => audit.alerts(request.actor));
};
