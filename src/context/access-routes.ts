import type { RoutePlugin } from '../platform/http/server.js';
import { scopeOf } from './http-support.js';
import type { ContextResolver } from './jsonld-context.js';
import type { AccessRuleService } from './access-service.js';
import { AccessRule, AccessRuleIdParams, AccessRuleList, NewAccessRule, NoContent, ngsiProblems } from './schemas.js';

/** CityHub's own extension: /ngsi-ld/v1/cityhub/accessRules (not part of NGSI-LD). */
export const accessRoutes = (rules: AccessRuleService, contexts: ContextResolver): RoutePlugin => async (app) => {
  const config = { access: 'context.access.manage' as const };
  app.post('/cityhub/accessRules', { config, schema: { body: NewAccessRule, response: { 201: AccessRule, ...ngsiProblems } } }, async (req, reply) =>
    reply.code(201).send(await rules.add(await scopeOf(req, contexts), req.body)));
  app.get('/cityhub/accessRules', { config, schema: { response: { 200: AccessRuleList, ...ngsiProblems } } }, async (req) =>
    rules.list(await scopeOf(req, contexts)));
  app.delete('/cityhub/accessRules/:ruleId', { config, schema: { params: AccessRuleIdParams, response: { 204: NoContent, ...ngsiProblems } } }, async (req, reply) => {
    await rules.remove(await scopeOf(req, contexts), req.params.ruleId);
    return reply.code(204).send();
  });
};
