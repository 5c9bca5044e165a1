import { definePermissions } from '../platform/auth/permissions.js';

/**
 * Who may do what in authorized operation; everything else is denied. Finer rules are in the services: the
 * implementing body's staff act only from its organisation, an operator only on its own licences and products,
 * a market user only through the access its key was issued for, and only on its own statements.
 */
export const operationPermissions = definePermissions({
  'operation.party.read': ['operation_admin', 'operation_supervisor', 'market_operator'],
  'operation.party.manage': ['operation_admin'],
  'operation.registry.read': ['operation_admin', 'operation_supervisor', 'market_operator'],
  'operation.registry.manage': ['operation_admin'],
  'operation.licence.read': ['operation_admin', 'operation_supervisor', 'market_operator'],
  'operation.licence.apply': ['operation_admin', 'market_operator'],
  // approve, refuse, amend, set fee caps, suspend, resume, terminate: the implementing body
  'operation.licence.manage': ['operation_admin'],
  'operation.licence.attest': ['market_operator'],
  'operation.product.read': ['operation_admin', 'operation_supervisor', 'market_operator', 'market_user'],
  'operation.product.register': ['market_operator'],
  'operation.product.approve': ['operation_admin'],
  'operation.product.price': ['market_operator'],
  'operation.product.call': ['market_user'],
  // the marketplace: browse products; a market user's person applies and collects its key
  'operation.market.read': ['operation_admin', 'operation_supervisor', 'market_operator', 'market_user'],
  'operation.market.apply': ['market_user'],
  'operation.application.read': ['operation_admin', 'operation_supervisor', 'market_operator', 'market_user'],
  'operation.access.read': ['operation_admin', 'operation_supervisor', 'market_operator'],
  'operation.access.manage': ['operation_admin', 'market_operator'],
  'operation.review.read': ['operation_admin', 'operation_supervisor'],
  'operation.review.decide': ['operation_admin'],
  'operation.sandbox.read': ['market_user'],
  'operation.statement.read': ['operation_admin', 'operation_supervisor', 'market_operator', 'market_user'],
  'operation.income.read': ['operation_admin', 'operation_supervisor', 'market_operator'],
  'operation.disclosure.read': ['operation_admin', 'operation_supervisor', 'market_operator'],
  'operation.disclosure.publish': ['operation_admin'],
  'operation.anomaly.read': ['operation_admin', 'operation_supervisor'],
  'operation.ledger.verify': ['operation_admin', 'operation_supervisor'],
});

declare module '../platform/auth/permissions.js' {
  interface Permissions extends Granted {}
}
type Granted = typeof operationPermissions;
