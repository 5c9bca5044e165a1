import { definePermissions } from '../platform/auth/permissions.js';

/**
 * Context sources (§5.9, §5.11): who may read the registrations, who may register a source (the broker will then
 * forward callers' queries and writes to it: the data bureau only), and who may subscribe to registrations.
 */
export const csourcePermissions = definePermissions({
  'context.csource.read': ['agent', 'handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin', 'market_operator'],
  'context.csource.manage': ['data_admin'],
  'context.csource.subscribe': ['dept_data_owner', 'data_admin'],
});

declare module '../platform/auth/permissions.js' {
  interface Permissions extends Granted {}
}
type Granted = typeof csourcePermissions;
