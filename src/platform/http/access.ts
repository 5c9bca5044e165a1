import type { App } from './server.js';
import type { FastifyRequest } from 'fastify';
import { Problem } from '../errors/problem.js';
import { assertCan, type Permission } from '../auth/permissions.js';
import { anonymous, type Actor } from '../auth/roles.js';

export const SESSION_COOKIE = 'cityhub_session';

/** What a route declares in `config.access`: `public`, or the permission it needs. */
export type Access = 'public' | Permission;

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
  interface FastifyContextConfig {
    access?: Access;
    /** A session that must first change its password or enrol a second factor may call this route. */
    pendingOk?: boolean;
    /**
     * What a screen asks by itself (a long poll): it shows the session is open, not that its user is there, so it
     * does not reset the idle clock (auth.sessionIdleMinutes); an unattended screen still signs out.
     */
    background?: boolean;
  }
}

export interface ActorResolver {
  /** `activity: false` for a request that is not its user's doing (see `background`). */
  actorForSession(token: string, activity?: boolean): Promise<Actor | undefined>;
  actorForApiKey(key: string): Promise<Actor | undefined>;
}

/** What a denied request leaves for the audit trail (GB/T 22239-2019 8.1.4.3: who, what, when, from where). */
export interface DeniedRequest {
  actor: Actor;
  method: string;
  /** The route's pattern (`/api/hotline/tickets/:id`), never the raw URL with its values. */
  route: string;
  status: number;
  code: string | undefined;
  address: string;
}

const pendingProblem = { password_change: 'AUTH_PASSWORD_CHANGE_REQUIRED', totp_enrolment: 'AUTH_TOTP_ENROLMENT_REQUIRED' } as const;

/**
 * The API key of a request: `Authorization: Bearer <key>`, or FIWARE's `X-Auth-Token: <key>` (what NGSI
 * clients built for FIWARE brokers send); the same keys, the same checks.
 */
const bearer = (request: FastifyRequest): string | undefined => {
  const header = request.headers.authorization;
  const token = request.headers['x-auth-token'];
  if (!header && typeof token === 'string' && token !== '') return token.trim();
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new Problem('UNAUTHENTICATED', { detail: 'Authorization must be "Bearer <api key>"' });
  return match[1];
};

/**
 * The gate every route passes: find who is asking (session cookie or API key), then check the route's declared
 * access. A route that declares nothing is refused (deny by default), so a forgotten declaration fails closed.
 */
export function registerAccessControl(app: App, resolver: ActorResolver, onDenied?: (denied: DeniedRequest) => void): void {
  app.decorateRequest('actor', null as unknown as Actor);
  app.addHook('onRequest', async (request) => {
    request.actor = anonymous;
    const key = bearer(request);
    if (key) {
      const actor = await resolver.actorForApiKey(key);
      if (!actor) throw new Problem('UNAUTHENTICATED', { detail: 'unknown or revoked API key' });
      request.actor = { ...actor, address: request.ip };
      return;
    }
    const token = request.cookies?.[SESSION_COOKIE];
    const actor = token ? await resolver.actorForSession(token, !request.routeOptions.config?.background) : undefined;
    if (actor) request.actor = { ...actor, address: request.ip };
  });
  // Checked before the body is parsed, so an anonymous caller learns nothing from validation errors.
  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const config = request.routeOptions.config;
    const access = config?.access;
    const pending = request.actor.pending;
    // A session still finishing its sign-in acts as nobody everywhere but on the routes that finish it.
    if (pending && !config?.pendingOk) {
      if (access === 'public') request.actor = anonymous;
      else throw new Problem(pendingProblem[pending]);
    }
    if (access === 'public') return;
    if (!access) throw new Problem('FORBIDDEN', { detail: 'this route declares no access rule' });
    assertCan(request.actor, access);
  });
  // Every 401 and 403 into the audit trail, whoever refused it (the gate or a service's finer rule). A failed
  // login is ledgered by the login itself.
  if (onDenied) {
    const codes = new WeakMap<FastifyRequest, string>();
    app.addHook('onSend', async (request, reply, payload) => {
      if ((reply.statusCode === 401 || reply.statusCode === 403) && typeof payload === 'string') {
        const code = /"code":"([A-Z0-9_]+)"/.exec(payload)?.[1];
        if (code) codes.set(request, code);
      }
      return payload;
    });
    app.addHook('onResponse', async (request, reply) => {
      if (reply.statusCode !== 401 && reply.statusCode !== 403) return;
      const route = request.routeOptions.url ?? '';
      if (request.is404 || route === '/api/auth/login') return;
      onDenied({
        actor: request.actor ?? anonymous,
        method: request.method,
        route,
        status: reply.statusCode,
        code: codes.get(request),
        address: request.ip,
      });
    });
  }
}
