import { Problem } from '../errors/problem.js';
import type { Actor, Role } from './roles.js';

/**
 * The policy: who may do what, one line each. `admin` may do everything. Modules add their lines here, so the
 * whole policy can be read (and tested as a matrix) in one place. Finer rules (own organisation, own ticket)
 * are checked by the services after this gate.
 */
export const permissions = {
  // any logged-in user or key
  'session.self': ['citizen', 'agent', 'handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin', 'operator'],
  'auth.org.read': ['agent', 'handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin', 'operator'],
  'auth.org.manage': [],
  'auth.user.read': ['supervisor'],
  'auth.user.manage': [],
  'auth.key.manage': [],
  'ledger.read': ['supervisor', 'leader', 'data_admin', 'dept_data_owner', 'operator', 'agent', 'handler', 'citizen'],
  'ops.metrics.read': ['operator'],
  // context layer (NGSI-LD); organisations can be narrowed further by type/attribute rules (context_access_rule)
  'context.entity.read': ['agent', 'handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin', 'operator'],
  'context.entity.write': ['dept_data_owner', 'data_admin'],
  'context.subscription.manage': ['dept_data_owner', 'data_admin', 'operator'],
  'context.access.manage': ['data_admin'],
  // hotline: finer rules (own unit, own ticket, the workflow's roles per action) are in src/hotline/ticket-workflow.ts
  'hotline.ticket.create': ['citizen', 'agent', 'supervisor'],
  'hotline.ticket.read': ['citizen', 'agent', 'handler', 'supervisor', 'leader'],
  'hotline.ticket.act': ['citizen', 'agent', 'handler', 'supervisor'],
  'hotline.reference.read': ['citizen', 'agent', 'handler', 'supervisor', 'leader', 'data_admin'],
  'hotline.reference.manage': [],
  // `cityhub import tickets`: bulk history import (admin only; runs from the CLI as the system actor)
  'hotline.import': [],
  // the three rates: a handler sees its own unit only (src/hotline/kpi/kpi-service.ts); .all = the whole city
  'hotline.kpi.read': ['agent', 'handler', 'supervisor', 'leader'],
  'hotline.kpi.read.all': ['agent', 'supervisor', 'leader'],
  // hotline intelligence (src/hotline/intel/intel-service.ts): a citizen's assist answer is the category
  // suggestion only (no duplicates, similar cases, unit or summary: those show other citizens' matters)
  'hotline.intel.assist': ['citizen', 'agent', 'supervisor'],
  'hotline.intel.hot.read': ['agent', 'supervisor', 'leader'],
  'hotline.intel.reply': ['agent', 'handler', 'supervisor'],
  // the category model: agents' corrections become training labels (数据标注); versions and their evaluation are
  // read by supervisors and the data bureau, which trains and activates (rolls back) models
  'hotline.intel.label': ['agent', 'supervisor'],
  'hotline.intel.model.read': ['supervisor', 'data_admin'],
  'hotline.intel.model.manage': ['data_admin'],
  // the segmenter's user dictionary (place and unit names, terms, stop words)
  'hotline.intel.dictionary.read': ['agent', 'supervisor', 'data_admin'],
  'hotline.intel.dictionary.manage': ['supervisor', 'data_admin'],
  // catalog and sharing: finer rules (own organisation's datasets, the grant's consumer) are in src/catalog/*-service.ts
  'catalog.read': ['agent', 'handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin', 'operator'],
  'catalog.manage': ['dept_data_owner', 'data_admin'],
  'catalog.data.load': ['dept_data_owner', 'data_admin'],
  'catalog.identity.link': ['data_admin'],
  'share.request.create': ['handler', 'dept_data_owner', 'data_admin'],
  'share.request.read': ['handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin'],
  'share.request.decide': ['dept_data_owner'],
  'share.grant.revoke': ['dept_data_owner', 'data_admin'],
  'share.overdue.read': ['data_admin'],
  'share.gateway.use': ['agent', 'handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin'],
  'share.usage.self': ['citizen'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof permissions;

/** Whether the actor holds a role that grants the permission. Deny by default: unknown permissions are refused. */
export const can = (actor: Actor, permission: Permission): boolean => {
  if (actor.roles.includes('admin')) return true;
  const allowed = permissions[permission] as readonly Role[] | undefined;
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
