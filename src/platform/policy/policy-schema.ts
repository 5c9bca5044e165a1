import { Type, type Static } from 'typebox';
import { roles } from '../auth/roles.js';

/**
 * The thresholds the security administrator sets (GB/T 22239-2019 8.1.4.1 身份鉴别, 8.1.4.3 安全审计): the password
 * policy, session idle timeout and lifetime, the roles that need a second factor, and the alert thresholds. The
 * lower bounds are the standard's floor, so no policy can be set below it.
 */
export const SecurityPolicy = Type.Object({
  password: Type.Object({
    minLength: Type.Integer({ minimum: 8, maximum: 128 }),
    minClasses: Type.Integer({ minimum: 1, maximum: 4 }),
    forbidUsername: Type.Boolean(),
    forbidCommon: Type.Boolean(),
    history: Type.Integer({ minimum: 0, maximum: 24 }),
    maxAgeDays: Type.Integer({ minimum: 0, maximum: 3650 }),
    changeOnFirstLogin: Type.Boolean(),
  }, { additionalProperties: false }),
  session: Type.Object({
    /** A session unused this long ends. */
    idleMinutes: Type.Number({ minimum: 1, maximum: 1440 }),
    /** A session ends this long after login, used or not. */
    lifetimeHours: Type.Number({ minimum: 0.01, maximum: 720 }),
  }, { additionalProperties: false }),
  /** Roles that must sign in with a one-time code; the three administrators always do. */
  totpRoles: Type.Array(Type.Enum([...roles]), { uniqueItems: true, maxItems: roles.length }),
  alerts: Type.Object({
    windowMinutes: Type.Integer({ minimum: 1, maximum: 1440 }),
    deniedThreshold: Type.Integer({ minimum: 1, maximum: 100_000 }),
    readThreshold: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  }, { additionalProperties: false }),
}, { additionalProperties: false });

export type SecurityPolicy = Static<typeof SecurityPolicy>;

export const SecurityPolicyView = Type.Object({
  policy: SecurityPolicy,
  /** 0: never changed, the config file's defaults are in force */
  version: Type.Integer({ minimum: 0 }),
  updatedBy: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  /** what the config file sets (what a reset goes back to) */
  defaults: SecurityPolicy,
});

export type SecurityPolicyView = Static<typeof SecurityPolicyView>;
