import { Type } from 'typebox';
import type { RoutePlugin } from '../platform/http/server.js';
import type { MarketService } from './market-service.js';
import {
  ApplicationDecision, ApplicationInput, ApplicationQuery, ApplicationView, IdParams, IssuedAccess, MarketProduct, MarketUsage, MarketUsageQuery,
} from './schemas.js';

const tags = ['operation'];

/** The product marketplace: products, applications, decisions, key collection and usage, under /api/operation/market. */
export const marketRoutes = (deps: { market: MarketService }): RoutePlugin => async (app) => {
  const { market } = deps;

  app.get('/market/products', {
    config: { access: 'operation.market.read' },
    schema: { tags, summary: 'Registered products of licences in force, with price, provider and the asker\'s standing', response: { 200: Type.Array(MarketProduct) } },
  }, (req) => market.products(req.actor));

  app.post('/market/applications', {
    config: { access: 'operation.market.apply' },
    schema: { tags, summary: 'Apply for products of one licence (a market user\'s person)', body: ApplicationInput, response: { 201: ApplicationView } },
  }, async (req, reply) => reply.code(201).send(await market.apply(req.actor, req.body)));

  app.get('/market/applications', {
    config: { access: 'operation.application.read' },
    schema: { tags, summary: 'Applications (a market user: its own; an operator: to its licences)', querystring: ApplicationQuery, response: { 200: Type.Array(ApplicationView) } },
  }, (req) => market.list(req.actor, req.query));

  app.post('/market/applications/:id/decide', {
    config: { access: 'operation.access.manage' },
    schema: { tags, summary: 'Accept or refuse an application (the licence\'s operator or the implementing body)', params: IdParams, body: ApplicationDecision, response: { 200: ApplicationView } },
  }, (req) => market.decide(req.actor, req.params.id, req.body));

  app.post('/market/applications/:id/key', {
    config: { access: 'operation.market.apply' },
    schema: { tags, summary: 'Collect the key of an accepted application (answered once)', params: IdParams, response: { 201: IssuedAccess } },
  }, async (req, reply) => reply.code(201).send(await market.collectKey(req.actor, req.params.id)));

  app.get('/market/usage', {
    config: { access: 'operation.statement.read' },
    schema: { tags, summary: 'A market user\'s calls and spending per month and product', querystring: MarketUsageQuery, response: { 200: MarketUsage } },
  }, (req) => market.usage(req.actor, req.query));
};
