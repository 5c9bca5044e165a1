import { definePermissions } from '../platform/auth/permissions.js';

/** Who may read and manage the catalog, request, decide and use sharing, and see who used their data. */
export const catalogPermissions = definePermissions({
  // catalog and sharing: finer rules (own organisation's datasets, the grant's consumer) are in src/catalog/*-service.ts
  'catalog.read': ['agent', 'handler', 'supervisor', 'leader', 'dept_data_owner', 'data_admin', 'market_operator'],
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
});

declare module '../platform/auth/permissions.js' {
  interface Permissions extends Granted {}
}
type Granted = typeof catalogPermissions;
