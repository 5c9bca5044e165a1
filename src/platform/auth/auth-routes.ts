import { Type } from 'typebox';
import type { RoutePlugin } from '../http/server.js';
import { SESSION_COOKIE } from '../http/access.js';
import type { AuthService } from './auth-service.js';
import { IdParams, KeyView, LoginBody, MeView, NewKey, NewKeyView, NewOrg, NewUser, OrgView, PasswordChange, RoleSchema, TotpConfirm, TotpEnrolView, UserPatch, UserView } from './schemas.js';

const orgView = (o: { id: string; name: string; kind: string; credit_code: string | null; parent_id: string | null }) => ({
  id: o.id, name: o.name, kind: o.kind, creditCode: o.credit_code, parentId: o.parent_id,
});
const userView = (u: { id: string; username: string; display_name: string; org_id: string | null; roles: string[]; disabled: boolean }) => ({
  id: u.id, username: u.username, displayName: u.display_name, orgId: u.org_id, roles: u.roles, disabled: u.disabled,
});
const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** Login, sessions, organisations, users and API keys under /api. */
export const authRoutes: RoutePlugin<{ auth: AuthService; secureCookies: boolean | 'auto' }> = async (app, opts) => {
  const { auth } = opts;
  // 'auto': Secure when the login came over HTTPS — directly, or through a trusted proxy's X-Forwarded-Proto
  // (request.protocol believes the header only from `http.trustProxy`), so the cookie never travels in clear.
  const secure = (protocol: string): boolean => (opts.secureCookies === 'auto' ? protocol === 'https' : opts.secureCookies);

  app.post('/auth/login', {
    config: { access: 'public' },
    schema: {
      tags: ['identity'],
      summary: 'Log in with username and password (sets an httpOnly session cookie)',
      body: LoginBody,
      response: { 200: MeView },
    },
  }, async (request, reply) => {
    const { username, password, totp } = request.body;
    const session = await auth.login(username, password, request.ip, totp);
    reply.setCookie(SESSION_COOKIE, session.token, {
      httpOnly: true, sameSite: 'lax', path: '/', secure: secure(request.protocol), expires: session.expiresAt,
    });
    return auth.me(session.actor);
  });

  app.post('/auth/logout', {
    config: { access: 'public' },
    schema: { tags: ['identity'], response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await auth.logout(token);
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: secure(request.protocol) });
    return reply.code(204).send(null);
  });

  app.get('/auth/me', {
    config: { access: 'session.self', pendingOk: true },
    schema: { tags: ['identity'], response: { 200: MeView } },
  }, (request) => auth.me(request.actor));

  app.post('/auth/password', {
    config: { access: 'session.self', pendingOk: true },
    schema: {
      tags: ['identity'],
      summary: 'Change one\'s own password (policy and history applied; other sessions end)',
      body: PasswordChange,
      response: { 200: MeView },
    },
  }, async (request) => auth.me(await auth.changePassword(request.actor, request.cookies[SESSION_COOKIE], request.body)));

  app.post('/auth/totp/enrol', {
    config: { access: 'session.self', pendingOk: true },
    schema: {
      tags: ['identity'],
      summary: 'Start enrolling a TOTP second factor (RFC 6238): the secret and otpauth URI, shown once',
      response: { 200: TotpEnrolView },
    },
  }, (request) => auth.startTotpEnrolment(request.actor));

  app.post('/auth/totp/confirm', {
    config: { access: 'session.self', pendingOk: true },
    schema: {
      tags: ['identity'],
      summary: 'Confirm the TOTP enrolment with a first code',
      body: TotpConfirm,
      response: { 200: MeView },
    },
  }, async (request) => auth.me(await auth.confirmTotp(request.actor, request.cookies[SESSION_COOKIE], request.body.code)));

  app.get('/orgs', {
    config: { access: 'auth.org.read' },
    schema: { tags: ['identity'], response: { 200: Type.Array(OrgView) } },
  }, async (request) => (await auth.listOrgs(request.actor)).map(orgView));

  app.post('/orgs', {
    config: { access: 'auth.org.manage' },
    schema: {
      tags: ['identity'],
      body: NewOrg,
      response: { 201: OrgView },
    },
  }, async (request, reply) => reply.code(201).send(orgView(await auth.createOrg(request.actor, request.body))));

  app.get('/users', {
    config: { access: 'auth.user.read' },
    schema: { tags: ['identity'], response: { 200: Type.Array(UserView) } },
  }, async (request) => (await auth.listUsers(request.actor)).map(userView));

  app.post('/users', {
    config: { access: 'auth.user.manage' },
    schema: {
      tags: ['identity'],
      body: NewUser,
      response: { 201: UserView },
    },
  }, async (request, reply) => reply.code(201).send(userView(await auth.createUser(request.actor, request.body))));

  app.patch('/users/:id', {
    config: { access: 'auth.user.manage' },
    schema: {
      tags: ['identity'],
      params: IdParams,
      body: UserPatch,
      response: { 200: UserView },
    },
  }, async (request) => {
    const { id } = request.params;
    return userView(await auth.updateUser(request.actor, id, request.body));
  });

  app.put('/users/:id/roles', {
    config: { access: 'auth.role.manage' },
    schema: {
      tags: ['identity'],
      summary: 'Set a user\'s roles (security administrator; administrator roles are mutually exclusive)',
      params: IdParams,
      body: Type.Object({ roles: Type.Array(RoleSchema, { uniqueItems: true }) }),
      response: { 200: UserView },
    },
  }, async (request) => userView(await auth.updateUser(request.actor, request.params.id, { roles: request.body.roles })));

  app.delete('/users/:id/totp', {
    config: { access: 'auth.role.manage' },
    schema: { tags: ['identity'], summary: 'Reset a user\'s second factor (security administrator)', params: IdParams, response: { 204: Type.Null() } },
  }, async (request, reply) => {
    await auth.resetTotp(request.actor, request.params.id);
    return reply.code(204).send(null);
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
      body: NewKey,
      response: {
        201: NewKeyView,
      },
    },
  }, async (request, reply) => reply.code(201).send(await auth.createApiKey(request.actor, request.body)));

  app.delete('/keys/:id', {
    config: { access: 'auth.key.manage' },
    schema: { tags: ['identity'], params: IdParams, response: { 204: Type.Null() } },
  }, async (request, reply) => {
    await auth.revokeApiKey(request.actor, request.params.id);
    return reply.code(204).send(null);
  });
};
