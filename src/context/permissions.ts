import { definePermissions } from '../platform/auth/permissions.js';

/** Who may read and write NGSI-LD entities, manage subscriptions and the organisations' access rules. */
export const contextPermissions = definePermissions({
  // context layer (NGSI-LD); organisations can be narrowed further by type/attribute rules (context_access_rule)
  'context.entity.read': ['agent', 'handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin', 'market_operator'],
  'context.entity.write': ['dept_data_owner', 'data_admin'],
  'context.subscription.manage': ['dept_data_owner', 'data_admin', 'market_operator'],
  // snapshots (v1.9 §5.16) copy what their creator reads into storage: bounded by modules.context.snapshots
  'context.snapshot.manage': ['dept_data_owner', 'data_admin', 'market_operator'],
  'context.access.manage': ['data_admin'],
});

declare module '../platform/auth/permissions.js' {
  interface Permissions extends Granted {}
}
type Granted = typeof contextPermissions;
