import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { SESSION_COOKIE } from '../http/access.js';
import { roles } from './roles.js';
import type { AuthService } from './service.js';

const RoleSchema = Type.Enum([...roles]);
const Uuid = Type.String({ format: 'uuid' });
const OrgView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  creditCode: Type.Union([Type.String(), Type.Null()]),
  parentId: Type.Union([Type.String(), Type.Null()]),
});
const UserView = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  orgId: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.String()),
  disabled: Type.Boolean(),
});
const MeView = Type.Object({
  kind: Type.String(),
  id: Type.Union([Type.String(), Type.Null()]),
  username: Type.Union([Type.String(), Type.Null()]),
  displayName: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.String()),
  org: Type.Union([Type.Object({ id: Type.String(), name: Type.String(), kind: Type.String() }), Type.Null()]),
});
const KeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  orgId: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.String()),
  createdAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
});

const orgView = (o: { id: string; name: string; kind: string; credit_code: string | null; parent_id: string | null }) => ({
  id: o.id, name: o.name, kind: o.kind, creditCode: o.credit_code, parentId: o.parent_id,
});
const userView = (u: { id: string; username: string; display_name: string; org_id: string | null; roles: string[]; disabled: boolean }) => ({
  id: u.id, username: u.username, displayName: u.display_name, orgId: u.org_id, roles: u.roles, disabled: u.disabled,
});
const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** Login, sessions, organisations, users and API keys under /api. */
export async function authRoutes(app: FastifyInstance, opts: { auth: AuthService; secureCookies: boolean }) {
  const { auth } = opts;

  app.post('/auth/login', {
    config: { access: 'public' },
    schema: {
      tags: ['identity'],
      summary: 'Log in with username and password (sets an httpOnly session cookie)',
      body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 100 }), password: Type.String({ minLength: 1, maxLength: 200 }) }),
      response: { 200: MeView },
    },
  }, async (request, reply) => {
    const { username, password } = request.body as { username: string; password: string };
    const session = await auth.login(username, password, request.ip);
    reply.setCookie(SESSION_COOKIE, session.token, {
      httpOnly: true, sameSite: 'lax', path: '/', secure: opts.secureCookies, expires: session.expiresAt,
    });
    return auth.me(session.actor);
  });

  app.post('/auth/logout', {
    config: { access: 'public' },
    schema: { tags: ['identity'], response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await auth.logout(token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.get('/auth/me', {
    config: { access: 'session.self' },
    schema: { tags: ['identity'], response: { 200: MeView } },
  }, (request) => auth.me(request.actor));

  app.get('/orgs', {
    config: { access: 'auth.org.read' },
    schema: { tags: ['identity'], response: { 200: Type.Array(OrgView) } },
  }, async (request) => (await auth.listOrgs(request.actor)).map(orgView));

  app.post('/orgs', {
    config: { access: 'auth.org.manage' },
    schema: {
      tags: ['identity'],
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 200 }),
        kind: Type.Enum(['department', 'district', 'street', 'government', 'operator', 'enterprise', 'other']),
        creditCode: Type.Optional(Type.String({ minLength: 18, maxLength: 18 })),
        parentId: Type.Optional(Uuid),
      }),
      response: { 201: OrgView },
    },
  }, async (request, reply) => reply.code(201).send(orgView(await auth.createOrg(request.actor, request.body as never))));

  app.get('/users', {
    config: { access: 'auth.user.read' },
    schema: { tags: ['identity'], response: { 200: Type.Array(UserView) } },
  }, async (request) => (await auth.listUsers(request.actor)).map(userView));

  app.post('/users', {
    config: { access: 'auth.user.manage' },
    schema: {
      tags: ['identity'],
      body: Type.Object({
        username: Type.String({ minLength: 2, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
        password: Type.String({ minLength: 8, maxLength: 200 }),
        displayName: Type.Optional(Type.String({ maxLength: 100 })),
        orgId: Type.Optional(Uuid),
        roles: Type.Array(RoleSchema, { minItems: 1, uniqueItems: true }),
      }),
      response: { 201: UserView },
    },
  }, async (request, reply) => reply.code(201).send(userView(await auth.createUser(request.actor, request.body as never))));

  app.patch('/users/:id', {
    config: { access: 'auth.user.manage' },
    schema: {
      tags: ['identity'],
      params: Type.Object({ id: Uuid }),
      body: Type.Object({
        roles: Type.Optional(Type.Array(RoleSchema, { uniqueItems: true })),
        orgId: Type.Optional(Type.Union([Uuid, Type.Null()])),
        disabled: Type.Optional(Type.Boolean()),
      }),
      response: { 200: UserView },
    },
  }, async (request) => {
    const { id } = request.params as { id: string };
    return userView(await auth.updateUser(request.actor, id, request.body as never));
  });

  app.get('/keys', {
    config: { access: 'auth.key.manage' },
    schema: { tags: ['identity'], response: { 200: Type.Array(KeyView) } },
  }, async (request) =>
    (await auth.listApiKeys(request.actor)).map((k) => ({
      id: k.id, name: k.name, prefix: k.prefix, orgId: k.org_id, roles: k.roles,
      createdAt: iso(k.created_at)!, revokedAt: iso(k.revoked_at), lastUsedAt: iso(k.last_used_at),
    })));

  app.post('/keys', {
    config: { access: 'auth.key.manage' },
    schema: {
      tags: ['identity'],
      summary: 'Create an API key; the key is shown once',
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 100 }),
        orgId: Type.Optional(Uuid),
        roles: Type.Array(RoleSchema, { minItems: 1, uniqueItems: true }),
      }),
      response: {
        201: Type.Object({ id: Type.String(), key: Type.String(), prefix: Type.String(), name: Type.String(), roles: Type.Array(Type.String()), orgId: Type.Union([Type.String(), Type.Null()]) }),
      },
    },
  }, async (request, reply) => reply.code(201).send(await auth.createApiKey(request.actor, request.body as never)));

  app.delete('/keys/:id', {
    config: { access: 'auth.key.manage' },
    schema: { tags: ['identity'], params: Type.Object({ id: Uuid }), response: { 204: Type.Null() } },
  }, async (request, reply) => {
    await auth.revokeApiKey(request.actor, (request.params as { id: string }).id);
    return reply.code(204).send();
  });
}
