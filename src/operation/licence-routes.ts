import { Type } from 'typebox';
import type { RoutePlugin } from '../platform/http/server.js';
import type { LicenceService } from './licence-service.js';
import type { AccessService } from './access-service.js';
import {
  AccessInput, AccessView, AttestationInput, FeeCapInput, FeeCapParams, IdParams, IssuedAccess, LicenceInput, LicencePatch, LicenceView,
  ReasonInput, VersionView,
} from './schemas.js';

const tags = ['operation'];

/** Licences (授权协议) and market users' accesses with their keys, under /api/operation. */
export const licenceRoutes = (deps: { licences: LicenceService; accesses: AccessService }): RoutePlugin => async (app) => {
  const { licences, accesses } = deps;

  app.get('/licences', {
    config: { access: 'operation.licence.read' },
    schema: { tags, summary: 'Licences (an operator: its own)', response: { 200: Type.Array(LicenceView) } },
  }, (req) => licences.list(req.actor));

  app.post('/licences', {
    config: { access: 'operation.licence.apply' },
    schema: { tags, summary: 'Apply for a licence (the implementing body approves it)', body: LicenceInput, response: { 201: LicenceView } },
  }, async (req, reply) => reply.code(201).send(await licences.apply(req.actor, req.body)));

  app.get('/licences/:id', {
    config: { access: 'operation.licence.read' },
    schema: { tags, params: IdParams, response: { 200: LicenceView } },
  }, (req) => licences.get(req.actor, req.params.id));

  app.patch('/licences/:id', {
    config: { access: 'operation.licence.manage' },
    schema: { tags, summary: 'Amend a licence (the implementing body)', params: IdParams, body: LicencePatch, response: { 200: LicenceView } },
  }, (req) => licences.amend(req.actor, req.params.id, req.body));

  app.get('/licences/:id/versions', {
    config: { access: 'operation.licence.read' },
    schema: { tags, params: IdParams, response: { 200: Type.Array(VersionView) } },
  }, (req) => licences.versions(req.actor, req.params.id));

  app.post('/licences/:id/approve', {
    config: { access: 'operation.licence.manage' },
    schema: { tags, summary: 'Approve a licence: it is in force for its term', params: IdParams, response: { 200: LicenceView } },
  }, (req) => licences.approve(req.actor, req.params.id));

  app.post('/licences/:id/refuse', {
    config: { access: 'operation.licence.manage' },
    schema: { tags, params: IdParams, body: ReasonInput, response: { 200: LicenceView } },
  }, (req) => licences.refuse(req.actor, req.params.id, req.body.reason));

  app.post('/licences/:id/suspend', {
    config: { access: 'operation.licence.manage' },
    schema: { tags, summary: 'Suspend: keys revoked at once, products suspended, their data taken back', params: IdParams, body: ReasonInput, response: { 200: LicenceView } },
  }, (req) => licences.suspend(req.actor, req.params.id, req.body.reason));

  app.post('/licences/:id/resume', {
    config: { access: 'operation.licence.manage' },
    schema: { tags, params: IdParams, response: { 200: LicenceView } },
  }, (req) => licences.resume(req.actor, req.params.id));

  app.post('/licences/:id/terminate', {
    config: { access: 'operation.licence.manage' },
    schema: { tags, summary: 'Terminate: keys revoked, products withdrawn, data taken back', params: IdParams, body: ReasonInput, response: { 200: LicenceView } },
  }, (req) => licences.terminate(req.actor, req.params.id, req.body.reason));

  app.put('/licences/:id/fee-caps/:productId', {
    config: { access: 'operation.licence.manage' },
    schema: { tags, summary: 'Set a product\'s fee cap (上限收费标准) and billing unit', params: FeeCapParams, body: FeeCapInput, response: { 200: LicenceView } },
  }, (req) => licences.setFeeCap(req.actor, req.params.id, req.params.productId, req.body));

  app.post('/licences/:id/deletion-attestation', {
    config: { access: 'operation.licence.attest' },
    schema: { tags, summary: 'The operator attests deletion of what it held under a terminated licence', params: IdParams, body: AttestationInput, response: { 200: LicenceView } },
  }, (req) => licences.attestDeletion(req.actor, req.params.id, req.body));

  app.get('/accesses', {
    config: { access: 'operation.access.read' },
    schema: { tags, summary: 'Market users\' accesses', response: { 200: Type.Array(AccessView) } },
  }, (req) => accesses.list(req.actor));

  app.post('/accesses', {
    config: { access: 'operation.access.manage' },
    schema: { tags, summary: 'Admit a market user to products of a licence; its API key is returned once', body: AccessInput, response: { 201: IssuedAccess } },
  }, async (req, reply) => reply.code(201).send(await accesses.issue(req.actor, req.body)));

  app.post('/accesses/:id/revoke', {
    config: { access: 'operation.access.manage' },
    schema: { tags, summary: 'Revoke an access and its key at once', params: IdParams, body: ReasonInput, response: { 200: AccessView } },
  }, (req) => accesses.revoke(req.actor, req.params.id, req.body.reason));
};
