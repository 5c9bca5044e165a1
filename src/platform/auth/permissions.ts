import { Problem } from '../errors/problem.js';
import type { Actor, Role } from './roles.js';

/**
 * The policy: who may do what, one line each. `admin` may do everything but the `separatedPermissions`. The platform's lines are here; each
 * module declares its own in its `permissions.ts` with `definePermissions` (and adds them to `Permissions` by
 * declaration merging), so the policy of a capability is read in one place and the whole policy is tested as a
 * matrix. Finer rules (own organisation, own ticket) are checked by the services after this gate.
 */
export type PermissionTable = Record<string, readonly Role[]>;

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Permissions extends PlatformPermissions {}

export type Permission = keyof Permissions;

const registry = new Map<string, readonly Role[]>();

/**
 * Registers permissions; one named twice with other roles fails at once (two modules must not share a name).
 *
 * @example export const hotlinePermissions = definePermissions({ 'hotline.ticket.read': ['agent', 'handler'] });
 */
export function definePermissions<const T extends PermissionTable>(table: T): T {
  for (const [name, allowed] of Object.entries(table)) {
    const known = registry.get(name);
    if (known && known.join() !== allowed.join()) throw new Error(`permission ${name} is declared twice with different roles`);
    registry.set(name, allowed);
  }
  return table;
}

/** Every registered permission and the roles that hold it (the policy matrix). */
export const registeredPermissions = (): ReadonlyMap<string, readonly Role[]> => registry;

/** Every signed-in role: what any user or key may do for themselves. */
const everyone = ['citizen', 'agent', 'handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin', 'market_operator', 'market_user', 'operation_admin', 'operation_supervisor', 'ops', 'security_admin', 'audit_admin', 'ledger_peer'] as const;

export const platformPermissions = definePermissions({
  // any logged-in user or key
  'session.self': everyone,
  'auth.org.read': ['agent', 'handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin', 'market_operator'],
  // 系统管理员: organisations and accounts' existence (create, disable, move); business roles at creation
  'auth.org.manage': [],
  'auth.user.read': ['supervisor', 'security_admin', 'audit_admin'],
  'auth.user.manage': [],
  'auth.key.manage': [],
  // 安全管理员: roles (and administrator accounts), second-factor resets
  'auth.role.manage': ['security_admin'],
  // checkpoints, consistency proofs and the entries about oneself (each user verifies their own records)
  'ledger.proof.read': everyone,
  // the whole trail: 审计管理员; the operation supervisor reads the operation entries (ledger-routes.ts)
  'ledger.read': ['audit_admin', 'operation_supervisor'],
  // a second node deposits its signed checkpoints here and reads back its own (the witness of its ledger)
  'ledger.witness.record': ['ledger_peer'],
  'audit.trail.read': ['audit_admin'],
  'audit.alert.read': ['security_admin'],
  // 安全管理员 sets the security policy (password, sessions, second factor, alerts); the auditor reads it
  'security.policy.read': ['security_admin', 'audit_admin'],
  'security.policy.manage': ['security_admin'],
  // Prometheus metrics: the operations team (运维), not the market operator of public data
  'ops.metrics.read': ['ops'],
});

/**
 * Permissions the system administrator's blanket grant does not cover (三员分立): granting powers belongs to the
 * security administrator and reading the trail to the audit administrator, so the one who runs the system can
 * neither give themselves more nor read or judge their own traces.
 */
export const separatedPermissions: ReadonlySet<string> = new Set(['auth.role.manage', 'ledger.read', 'audit.trail.read', 'audit.alert.read', 'security.policy.manage']);

type PlatformPermissions = typeof platformPermissions;

/** Whether the actor holds a role that grants the permission. Deny by default: unknown permissions are refused. */
export const can = (actor: Actor, permission: Permission): boolean => {
  if (actor.roles.includes('admin') && !separatedPermissions.has(permission)) return true;
  const allowed = registry.get(permission);
  return !!allowed && actor.roles.some((r) => allowed.includes(r));
};

/**
 * The one authorization check every route and service goes through: 401 for nobody, 403 for the wrong role.
 *
 * @example assertCan(actor, 'auth.key.manage');
 */
export const assertCan = (actor: Actor, permission: Permission): void => {
  if (actor.kind === 'anonymous') throw new Problem('UNAUTHENTICATED');
  if (!can(actor, permission)) {
    throw new Problem('FORBIDDEN', { detail: `this needs the permission "${permission}"`, extra: { permission } });
  }
};
