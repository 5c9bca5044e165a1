import { sql } from 'kysely';
import { Type } from 'typebox';
import type { RoutePlugin } from './server.js';
import type { DatabaseHandle } from '../db/database.js';
import type { HttpMetrics } from './metrics.js';
import type { NodeStatus } from './node-status.js';

const unavailable = (title: string) => ({ type: 'https://cityhub.dev/problems/service-unavailable', title, status: 503, code: 'SERVICE_UNAVAILABLE' });

/**
 * Liveness (`/healthz`: the process answers), readiness (`/readyz`: the database is reachable and the node is not
 * draining; a load balancer sends traffic to ready nodes only), Prometheus metrics (operators) and the OpenAPI
 * document. A starting node listens only once its migrations are done, so it is not ready before either.
 */
export const healthRoutes: RoutePlugin<{ database: DatabaseHandle; metrics: HttpMetrics; status: NodeStatus }> = async (app, opts) => {
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
    if (opts.status.draining) return reply.code(503).type('application/problem+json').send(unavailable('Shutting down'));
    try {
      await sql`select 1`.execute(opts.database.db);
      return { status: 'ready', engine: opts.database.engine };
    } catch (err) {
      request.log.warn({ err }, 'database not reachable');
      return reply.code(503).type('application/problem+json').send(unavailable('Database not reachable'));
    }
  });

  // Route names, counts and pool sizes say how the city's services are used: operators only (Prometheus scrapes
  // with an operator API key as a bearer token).
  app.get('/metrics', { config: { access: 'ops.metrics.read' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(opts.metrics.render(opts.database.pool) + (await opts.status.renderGauges())),
  );

  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
};
