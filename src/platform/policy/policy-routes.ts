import type { RoutePlugin } from '../http/server.js';
import { SecurityPolicy, SecurityPolicyView } from './policy-schema.js';
import type { SecurityPolicyService } from './policy-service.js';

/** The security policy under /api/security: read by the security and audit administrators, set by the security one. */
export const policyRoutes: RoutePlugin<{ policies: SecurityPolicyService }> = async (app, opts) => {
  const { policies } = opts;
  const tags = ['security'];

  app.get('/policy', {
    config: { access: 'security.policy.read' },
    schema: { tags, summary: 'The security policy in force: password rules, session idle timeout and lifetime, second-factor roles, alert thresholds', response: { 200: SecurityPolicyView } },
  }, (request) => policies.read(request.actor));

  app.put('/policy', {
    config: { access: 'security.policy.manage' },
    schema: { tags, summary: 'Replace the security policy (security administrator only; recorded in the ledger with its digest)', body: SecurityPolicy, response: { 200: SecurityPolicyView } },
  }, (request) => policies.update(request.actor, request.body));
};
