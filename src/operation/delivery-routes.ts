import { Type } from 'typebox';
import type { RoutePlugin } from '../platform/http/server.js';
import type { DeliveryService } from './delivery-service.js';
import type { ReviewService } from './review-service.js';
import { CallAnswer, CallInput, IdParams, ReviewDecision, ReviewQuery, SandboxRunView } from './schemas.js';

const tags = ['operation'];

/** Product calls by market users' keys and the output review of sandbox queries, under /api/operation. */
export const deliveryRoutes = (deps: { delivery: DeliveryService; reviews: ReviewService }): RoutePlugin => async (app) => {
  const { delivery, reviews } = deps;

  app.post('/products/:id/call', {
    config: { access: 'operation.product.call' },
    schema: {
      tags, summary: 'Call a product inside the domain (checked against licence, purpose, scope, term, quota and fee cap; metered and ledgered)',
      params: IdParams, body: CallInput, response: { 200: CallAnswer },
    },
  }, (req) => delivery.call(req.actor, req.params.id, req.body));

  app.get('/reviews', {
    config: { access: 'operation.review.read' },
    schema: { tags, summary: 'Sandbox results held for output review', querystring: ReviewQuery, response: { 200: Type.Array(SandboxRunView) } },
  }, (req) => reviews.list(req.actor, req.query.status));

  app.post('/reviews/:id/decision', {
    config: { access: 'operation.review.decide' },
    schema: { tags, summary: 'Let a sandbox result out, or refuse it with a reason', params: IdParams, body: ReviewDecision, response: { 200: SandboxRunView } },
  }, (req) => reviews.decide(req.actor, req.params.id, req.body));

  app.get('/sandbox-runs/:id', {
    config: { access: 'operation.sandbox.read' },
    schema: { tags, summary: 'A sandbox result, once approved at output review', params: IdParams, response: { 200: SandboxRunView } },
  }, (req) => reviews.result(req.actor, req.params.id));
};
