import { Type } from 'typebox';
import type { RoutePlugin } from '../platform/http/server.js';
import type { HotlineReferenceService } from './reference-service.js';
import {
  AreaNode, AreaPatch, AreaView, CategoryActive, CategoryListQuery, CategoryPath, CategoryView, IdParams, NewArea, NewRoutingRule,
  RoutingRulePatch, RoutingRuleView,
} from './schemas.js';

const tags = ['hotline'];

/** The hotline's reference data under /api/hotline: the area tree, the category taxonomy, the routing rules. */
export const referenceRoutes = (reference: HotlineReferenceService): RoutePlugin => async (app) => {
  // ── areas ────────────────────────────────────────────────────────────────────────────────────────────
  app.get('/areas', {
    config: { access: 'hotline.reference.read' },
    schema: { tags, summary: 'The area tree: districts with their streets', response: { 200: Type.Array(AreaNode) } },
  }, (request) => reference.areaTree(request.actor));

  app.post('/areas', {
    config: { access: 'hotline.reference.manage' },
    schema: { tags, body: NewArea, response: { 201: AreaView } },
  }, async (request, reply) => reply.code(201).send(await reference.createArea(request.actor, request.body)));

  app.patch('/areas/:id', {
    config: { access: 'hotline.reference.manage' },
    schema: { tags, params: IdParams, body: AreaPatch, response: { 200: AreaView } },
  }, (request) => reference.updateArea(request.actor, request.params.id, request.body));

  // ── categories ───────────────────────────────────────────────────────────────────────────────────────
  app.get('/categories', {
    config: { access: 'hotline.reference.read' },
    schema: {
      tags, summary: 'The three-level category taxonomy', querystring: CategoryListQuery, response: { 200: Type.Array(CategoryView) },
    },
  }, (request) => reference.listCategories(request.actor, request.query));

  app.post('/categories', {
    config: { access: 'hotline.reference.manage' },
    schema: { tags, body: CategoryPath, response: { 201: CategoryView } },
  }, async (request, reply) => reply.code(201).send(await reference.createCategory(request.actor, request.body)));

  app.patch('/categories/:id', {
    config: { access: 'hotline.reference.manage' },
    schema: { tags, params: IdParams, body: CategoryActive, response: { 200: CategoryView } },
  }, (request) => reference.setCategoryActive(request.actor, request.params.id, request.body.active));

  // ── routing rules ────────────────────────────────────────────────────────────────────────────────────
  app.get('/routing-rules', {
    config: { access: 'hotline.reference.read' },
    schema: { tags, summary: 'Routing rules: category × area → unit', response: { 200: Type.Array(RoutingRuleView) } },
  }, (request) => reference.listRules(request.actor));

  app.post('/routing-rules', {
    config: { access: 'hotline.reference.manage' },
    schema: { tags, body: NewRoutingRule, response: { 201: RoutingRuleView } },
  }, async (request, reply) => reply.code(201).send(await reference.createRule(request.actor, request.body)));

  app.patch('/routing-rules/:id', {
    config: { access: 'hotline.reference.manage' },
    schema: { tags, params: IdParams, body: RoutingRulePatch, response: { 200: RoutingRuleView } },
  }, (request) => reference.updateRule(request.actor, request.params.id, request.body));

  app.delete('/routing-rules/:id', {
    config: { access: 'hotline.reference.manage' },
    schema: { tags, params: IdParams, response: { 204: Type.Null() } },
  }, async (request, reply) => {
    await reference.deleteRule(request.actor, request.params.id);
    return reply.code(204).send(null);
  });
};
