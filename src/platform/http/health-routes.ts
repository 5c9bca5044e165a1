import { sql } from 'kysely';
import { Type } from 'typebox';
import type { RoutePlugin } from './server.js';
import type { DatabaseHandle } from '../db/database.js';
import type { HttpMetrics } from './metrics.js';

/** Liveness, readiness (database reachable), Prometheus metrics (operators) and the OpenAPI document. */
export const healthRoutes: RoutePlugin<{ database: DatabaseHandle; metrics: HttpMetrics }> = async (app, opts) => {
  app.get('/healthz', {
    config: { access: 'public' },
    schema: { hide: true, response: { 200: Type.Object({ status: Type.String() }) } },
  }, async () => ({ status: 'ok' }));

  app.get('/readyz', {
    config: { access: 'public' },
    schema: {
      hide: true,
      response: { 200: Type.Object({ status: Type.String(), engine: Type.String() }), 503: Type.Unknown() },
    },
  }, async (request, reply) => {
    try {
      await sql`select 1`.execute(opts.database.db);
      return { status: 'ready', engine: opts.database.engine };
    } catch (err) {
      request.log.warn({ err }, 'database not reachable');
      return reply.code(503).type('application/problem+json').send({
        type: 'https://cityhub.dev/problems/service-unavailable', title: 'Database not reachable', status: 503, code: 'SERVICE_UNAVAILABLE',
      });
    }
  });

  // Route names, counts and pool sizes say how the city's services are used: operators only (Prometheus scrapes
  // with an operator API key as a bearer token).
  app.get('/metrics', { config: { access: 'ops.metrics.read' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(opts.metrics.render(opts.database.pool)),
  );

  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
};
