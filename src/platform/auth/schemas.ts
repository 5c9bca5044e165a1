import { Type, type Static } from 'typebox';
import { Nullable, Uuid } from '../http/common-schemas.js';
import { roles } from './roles.js';

/** Request and response shapes of identity and access (/api/auth, /api/orgs, /api/users, /api/keys). */
export const RoleSchema = Type.Enum([...roles]);
export const orgKinds = ['department', 'district', 'street', 'government', 'operator', 'enterprise', 'other'] as const;

export const OrgView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  creditCode: Nullable(Type.String()),
  parentId: Nullable(Type.String()),
});
export type OrgView = Static<typeof OrgView>;

export const UserView = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  orgId: Nullable(Type.String()),
  roles: Type.Array(Type.String()),
  disabled: Type.Boolean(),
});
export type UserView = Static<typeof UserView>;

/** Who is logged in, as the web app shows it. */
export const MeView = Type.Object({
  kind: Type.String(),
  id: Nullable(Type.String()),
  username: Nullable(Type.String()),
  displayName: Nullable(Type.String()),
  roles: Type.Array(Type.String()),
  org: Nullable(Type.Object({ id: Type.String(), name: Type.String(), kind: Type.String() })),
  /** A step the user must finish before anything else: 'password_change' or 'totp_enrolment'. */
  pending: Type.Optional(Nullable(Type.String())),
});
export type MeView = Static<typeof MeView>;

export const KeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  orgId: Nullable(Type.String()),
  roles: Type.Array(Type.String()),
  createdAt: Type.String(),
  revokedAt: Nullable(Type.String()),
  lastUsedAt: Nullable(Type.String()),
});
export type KeyView = Static<typeof KeyView>;

/** The key itself is in this answer only, once. */
export const NewKeyView = Type.Object({
  id: Type.String(), key: Type.String(), prefix: Type.String(), name: Type.String(), roles: Type.Array(Type.String()), orgId: Nullable(Type.String()),
});

const TotpCode = Type.String({ pattern: '^[0-9]{6}$', description: 'the 6-digit code of the authenticator app (RFC 6238)' });

export const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 100 }),
  password: Type.String({ minLength: 1, maxLength: 200 }),
  /** Required once the user has enrolled a second factor. */
  totp: Type.Optional(TotpCode),
});

export const PasswordChange = Type.Object({
  currentPassword: Type.String({ minLength: 1, maxLength: 200 }),
  newPassword: Type.String({ minLength: 1, maxLength: 200 }),
});
export type PasswordChange = Static<typeof PasswordChange>;

/** The secret is shown here once, to put into an authenticator app. */
export const TotpEnrolView = Type.Object({ secret: Type.String(), uri: Type.String() });
export const TotpConfirm = Type.Object({ code: TotpCode });
export type LoginBody = Static<typeof LoginBody>;

export const NewOrg = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  kind: Type.Enum([...orgKinds]),
  creditCode: Type.Optional(Nullable(Type.String({ minLength: 18, maxLength: 18 }))),
  parentId: Type.Optional(Nullable(Uuid)),
});
export type NewOrg = Static<typeof NewOrg>;

export const NewUser = Type.Object({
  username: Type.String({ minLength: 2, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
  password: Type.String({ minLength: 8, maxLength: 200 }),
  displayName: Type.Optional(Type.String({ maxLength: 100 })),
  orgId: Type.Optional(Nullable(Uuid)),
  roles: Type.Array(RoleSchema, { minItems: 1, uniqueItems: true }),
});
export type NewUser = Static<typeof NewUser>;

export const UserPatch = Type.Object({
  roles: Type.Optional(Type.Array(RoleSchema, { uniqueItems: true })),
  orgId: Type.Optional(Nullable(Uuid)),
  disabled: Type.Optional(Type.Boolean()),
});
export type UserPatch = Static<typeof UserPatch>;

export const NewKey = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  orgId: Type.Optional(Nullable(Uuid)),
  roles: Type.Array(RoleSchema, { minItems: 1, uniqueItems: true }),
});
export type NewKey = Static<typeof NewKey>;

export const IdParams = Type.Object({ id: Uuid });
