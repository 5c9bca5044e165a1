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
  }
}

export interface ActorResolver {
  actorForSession(token: string): Promise<Actor | undefined>;
  actorForApiKey(key: string): Promise<Actor | undefined>;
}

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
export function registerAccessControl(app: App, resolver: ActorResolver): void {
  app.decorateRequest('actor', null as unknown as Actor);
  app.addHook('onRequest', async (request) => {
    request.actor = anonymous;
    const key = bearer(request);
    if (key) {
      const actor = await resolver.actorForApiKey(key);
      if (!actor) throw new Problem('UNAUTHENTICATED', { detail: 'unknown or revoked API key' });
      request.actor = actor;
      return;
    }
    const token = request.cookies?.[SESSION_COOKIE];
    if (token) request.actor = (await resolver.actorForSession(token)) ?? anonymous;
  });
  // Checked before the body is parsed, so an anonymous caller learns nothing from validation errors.
  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const access = request.routeOptions.config?.access;
    if (access === 'public') return;
    if (!access) throw new Problem('FORBIDDEN', { detail: 'this route declares no access rule' });
    assertCan(request.actor, access);
  });
}
