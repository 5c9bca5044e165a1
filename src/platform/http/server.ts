import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyPluginOptions, type FastifyInstance, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import type { Logger } from 'pino';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config/config.js';
import { registerProblemHandler } from './problem-handler.js';
import { registerValidators } from './validators.js';
import { registerAccessControl, SESSION_COOKIE, type ActorResolver, type DeniedRequest } from './access.js';
import { registerSecurityHeaders } from './security-headers.js';
import type { HttpMetrics } from './metrics.js';
import { ClientErrorResponses } from './client-errors.js';
import { registerAccessLog } from './access-log.js';

/** The HTTP server with the TypeBox type provider: a route's request parts are typed from its schemas. */
export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/**
 * A module's routes: register them on the `app` given, whose request parts are typed from each route's schema
 * (no casts of `request.body/query/params`).
 *
 * @example export const ticketRoutes = (tickets: TicketService): RoutePlugin => async (app) => { app.get('/tickets', { schema }, …) };
 */
export type RoutePlugin<Options extends FastifyPluginOptions = Record<never, never>> = FastifyPluginAsyncTypebox<Options>;

export interface HttpServerOptions {
  config: Pick<Config, 'bodyLimit' | 'logLevel' | 'http' | 'log'>;
  resolver: ActorResolver;
  metrics: HttpMetrics;
  /** Told of every 401 and 403 after it is answered (the audit trail). */
  onDenied?: (denied: DeniedRequest) => void;
  /** The process logger (pino); without it the server logs nothing (tests). */
  logger?: Logger;
}

export interface RouteEntry {
  method: string;
  url: string;
  access?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteEntry[];
    /** How requests Node's parser refuses (a 16 KB URL) are answered, per path prefix (client-errors.ts). */
    clientErrors: ClientErrorResponses;
  }
}

/**
 * The Fastify instance with the platform's plugins: problem+json errors, the access gate, cookies, metrics and
 * the OpenAPI 3.1 document with its offline UI at /docs. Modules register their routes on it afterwards.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<App> {
  const clientErrors = new ClientErrorResponses();
  const app = Fastify({
    // A request line or headers over Node's 16 KiB: problem+json (or a module's own format), not Fastify's JSON.
    clientErrorHandler: clientErrors.handle,
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger } : { logger: false }),
    // registerAccessLog writes one line per request, as `log.access` says, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.config.bodyLimit,
    // The server names every request itself, at random: a client's X-Request-Id is ignored, so nobody can forge
    // or collide with another request's id in the log, or guess the id of someone else's failure.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // X-Forwarded-For/-Proto/-Host count only from the listed proxies (request.ip is then the client's address,
    // request.protocol https behind a TLS-terminating proxy); from anyone else they are ignored.
    trustProxy: options.config.http.trustProxy || false,
    // `/a/b/` is `/a/b`: API clients (NGSI-LD conformance tools among them) send both forms.
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerSecurityHeaders(app);

  // Every route with its declared access, for the deny-by-default test and the authorization matrix.
  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.decorate('clientErrors', clientErrors);
  app.addHook('onRoute', (route) => {
    // Read access lazily: hooks of inner scopes (docs, static files) may set it after this one runs.
    for (const method of [route.method].flat()) {
      routeTable.push({ method, url: route.url, get access() { return (route.config as { access?: string } | undefined)?.access; } });
    }
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerProblemHandler(app);
  registerAccessLog(app, options.config.log);
  registerValidators(app);
  await app.register(cookie);
  options.metrics.register(app);
  registerAccessControl(app, options.resolver, options.onDenied);

  // The docs UI's own routes are public.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config as object), access: 'public' } as typeof route.config;
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CityHub (城枢) API',
        version: '0.1.0',
        description: 'City data hub and 12345 hotline platform. Errors are RFC 9457 application/problem+json.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          apiKey: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { apiKey: [] }],
    },
  });
  // Swagger UI loads its scripts as files (no inline script), so it runs under the same CSP as the app; its
  // validator badge (an image from validator.swagger.io) is off by default (validatorUrl null).
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
  return app;
}
