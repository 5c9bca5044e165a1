import { Type } from 'typebox';
import type { RoutePlugin } from '../platform/http/server.js';
import type { PartyService } from './party-service.js';
import type { RegistryService } from './registry-service.js';
import {
  CertificateView, IdParams, NumberParams, PartyInput, PartyView, PriceInput, ProductInput, ProductPatch, ProductView,
  ReasonInput, ResourceInput, ResourceView, VersionView, partyKinds,
} from './schemas.js';

const tags = ['operation'];

/** Parties, registration of resources and products, and the public certificates, under /api/operation. */
export const registryRoutes = (deps: { parties: PartyService; registry: RegistryService }): RoutePlugin => async (app) => {
  const { parties, registry } = deps;

  app.get('/parties', {
    config: { access: 'operation.party.read' },
    schema: { tags, summary: 'The implementing body, operators and market users', querystring: Type.Object({ kind: Type.Optional(Type.Enum([...partyKinds])) }), response: { 200: Type.Array(PartyView) } },
  }, (req) => parties.list(req.actor, req.query.kind));

  app.post('/parties', {
    config: { access: 'operation.party.manage' },
    schema: { tags, summary: 'Register an organisation as the implementing body, an operator or a market user', body: PartyInput, response: { 201: PartyView } },
  }, async (req, reply) => reply.code(201).send(await parties.register(req.actor, req.body)));

  app.get('/resources', {
    config: { access: 'operation.registry.read' },
    schema: { tags, summary: 'Registered public data resources with their grading', response: { 200: Type.Array(ResourceView) } },
  }, (req) => registry.listResources(req.actor));

  app.post('/resources', {
    config: { access: 'operation.registry.manage' },
    schema: { tags, summary: 'Register a catalog dataset as a public data resource (登记)', body: ResourceInput, response: { 201: ResourceView } },
  }, async (req, reply) => reply.code(201).send(await registry.registerResource(req.actor, req.body)));

  app.post('/resources/:id/refresh', {
    config: { access: 'operation.registry.manage' },
    schema: { tags, summary: 'Read the dataset\'s grading again (a new version when it changed)', params: IdParams, response: { 200: ResourceView } },
  }, (req) => registry.refreshResource(req.actor, req.params.id));

  app.get('/resources/:id/versions', {
    config: { access: 'operation.registry.read' },
    schema: { tags, params: IdParams, response: { 200: Type.Array(VersionView) } },
  }, (req) => registry.resourceVersions(req.actor, req.params.id));

  app.get('/products', {
    config: { access: 'operation.product.read' },
    schema: { tags, summary: 'Data products (an operator: its own; a market user: the registered ones)', response: { 200: Type.Array(ProductView) } },
  }, (req) => registry.listProducts(req.actor));

  app.post('/products', {
    config: { access: 'operation.product.register' },
    schema: { tags, summary: 'Apply to register a data product under a licence (checked against its scope, scenarios and grade)', body: ProductInput, response: { 201: ProductView } },
  }, async (req, reply) => reply.code(201).send(await registry.submitProduct(req.actor, req.body)));

  app.get('/products/:id', {
    config: { access: 'operation.product.read' },
    schema: { tags, params: IdParams, response: { 200: ProductView } },
  }, (req) => registry.getProduct(req.actor, req.params.id));

  app.patch('/products/:id', {
    config: { access: 'operation.product.register' },
    schema: { tags, summary: 'Change a product\'s registration (a new version, registered again)', params: IdParams, body: ProductPatch, response: { 200: ProductView } },
  }, (req) => registry.changeProduct(req.actor, req.params.id, req.body));

  app.get('/products/:id/versions', {
    config: { access: 'operation.product.read' },
    schema: { tags, params: IdParams, response: { 200: Type.Array(VersionView) } },
  }, (req) => registry.productVersions(req.actor, req.params.id));

  app.put('/products/:id/price', {
    config: { access: 'operation.product.price' },
    schema: { tags, summary: 'Set the product\'s price (at most its licence\'s fee cap, in the cap\'s unit)', params: IdParams, body: PriceInput, response: { 200: ProductView } },
  }, (req) => registry.setPrice(req.actor, req.params.id, req.body));

  app.post('/products/:id/register', {
    config: { access: 'operation.product.approve' },
    schema: { tags, summary: 'The implementing body registers the product (a registration number is given)', params: IdParams, response: { 200: ProductView } },
  }, (req) => registry.decideProduct(req.actor, req.params.id, 'register'));

  app.post('/products/:id/refuse', {
    config: { access: 'operation.product.approve' },
    schema: { tags, params: IdParams, body: ReasonInput, response: { 200: ProductView } },
  }, (req) => registry.decideProduct(req.actor, req.params.id, 'refuse', req.body.reason));

  app.post('/products/:id/suspend', {
    config: { access: 'operation.product.approve' },
    schema: { tags, params: IdParams, body: ReasonInput, response: { 200: ProductView } },
  }, (req) => registry.decideProduct(req.actor, req.params.id, 'suspend', req.body.reason));

  app.post('/products/:id/resume', {
    config: { access: 'operation.product.approve' },
    schema: { tags, params: IdParams, response: { 200: ProductView } },
  }, (req) => registry.decideProduct(req.actor, req.params.id, 'resume'));

  app.get('/registrations/:number', {
    config: { access: 'public' },
    schema: { tags, summary: 'The public certificate (登记证书) of a registration number', params: NumberParams, response: { 200: CertificateView } },
  }, (req) => registry.certificate(req.params.number));
};
