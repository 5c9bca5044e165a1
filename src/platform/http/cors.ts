import { Type, type Static } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './server.js';

/**
 * Cross-origin access for a module's public routes (a module's `cors` config section). Off unless origins are
 * listed: browsers then read the answers of public routes only, never with credentials (no cookies are ever
 * allowed across origins, so a session can not be ridden from another site).
 */
export const CorsConfigSchema = Type.Object({
  /** Origins allowed to read the public routes from a browser (`https://app.example.org`), or `*` for any. Empty: off. */
  origins: Type.Array(Type.String({ pattern: '^(\\*|https?://[^/\\s]+)$' }), { default: [] }),
  /** How long a browser may cache a preflight answer. */
  maxAgeSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 600 }),
}, { default: {} });
export type CorsConfig = Static<typeof CorsConfigSchema>;

export interface CorsOptions {
  /** Methods a preflight allows, e.g. `['GET', 'POST']`. */
  methods: string[];
  /** Request headers a preflight allows, e.g. `['content-type', 'authorization']`. */
  headers: string[];
}

const isPublic = (request: FastifyRequest) => (request.routeOptions.config as { access?: string } | undefined)?.access === 'public';

/**
 * Adds CORS to the routes of this scope that declare `access: 'public'`: `Access-Control-Allow-Origin` for an
 * allowed `Origin`, and a preflight (`OPTIONS` with `Access-Control-Request-Method`) answered 204 when a public
 * route of the scope matches it. Nothing is added when no origin is configured.
 *
 * @example registerCors(app, config.cors, { methods: ['GET', 'POST'], headers: ['content-type', 'authorization'] })
 */
export function registerCors(app: App, cors: CorsConfig, options: CorsOptions): void {
  if (cors.origins.length === 0) return;
  const any = cors.origins.includes('*');
  const allowed = new Set(cors.origins);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (typeof origin !== 'string' || !isPublic(request) || !(any || allowed.has(origin))) return;
    reply.header('access-control-allow-origin', any ? '*' : origin);
    if (!any) reply.header('vary', 'Origin');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      return reply
        .code(204)
        .header('access-control-allow-methods', options.methods.join(', '))
        .header('access-control-allow-headers', options.headers.join(', '))
        .header('access-control-max-age', String(cors.maxAgeSeconds))
        .send();
    }
  });
}
