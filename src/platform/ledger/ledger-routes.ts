import { Type } from 'typebox';
import type { RoutePlugin } from '../http/server.js';
import type { LedgerService } from './ledger-service.js';
import type { WitnessDesk } from './witness-desk.js';
import type { Actor } from '../auth/roles.js';
import { Problem } from '../errors/problem.js';
import { EntryRecord } from './ledger-schemas.js';

const Hex = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, hex' });

/** RFC 9457 problem document, as the platform's error handler writes it (extra members pass through). */
const ProblemView = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    title_zh: Type.Optional(Type.String()),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true },
);

const CheckpointView = Type.Object({
  size: Type.Integer({ minimum: 0, description: 'tree size: the number of entries the checkpoint covers' }),
  rootHash: Hex,
  time: Type.String({ format: 'date-time' }),
  signature: Type.String({ description: 'base64 signature of signedText: Ed25519, or SM2 r ‖ s (64 bytes) in 国密 mode' }),
  keyId: Type.String(),
  publicKey: Type.String({ description: 'PEM (SPKI) of the Ed25519 (or SM2) public key' }),
  signedText: Type.String({ description: 'cityhub-ledger/v1\\n<size>\\n<root base64>\\n<time>\\n' }),
});

const EntryView = Type.Object({
  ...EntryRecord.properties,
  body: Type.String({ description: 'the hashed bytes: leafHash = SHA-256(0x00 || body)' }),
  leafHash: Hex,
  treeSize: Type.Integer({ minimum: 1 }),
  rootHash: Hex,
  inclusionProof: Type.Array(Hex, { description: 'RFC 6962 audit path, from the leaf up' }),
});

const ConsistencyView = Type.Object({
  from: Type.Integer({ minimum: 0 }),
  to: Type.Integer({ minimum: 0 }),
  fromRoot: Hex,
  toRoot: Hex,
  proof: Type.Array(Hex, { description: 'RFC 6962 consistency proof' }),
});

const PublicKeyView = Type.Object({
  algorithm: Type.Union([Type.Literal('Ed25519'), Type.Literal('SM2')], { description: 'SM2 in 国密 mode (GB/T 32918, user id in the ledger head)' }),
  keyId: Type.String(),
  publicKey: Type.String({ description: 'PEM (SPKI)' }),
});

/** A checkpoint as another node deposits it here (witness.ts's WitnessedCheckpoint). */
const WitnessedView = Type.Object({
  size: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  rootHash: Hex,
  time: Type.String({ format: 'date-time', maxLength: 40 }),
  signature: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9+/]+={0,2}$', description: 'base64' }),
  keyId: Type.String({ minLength: 1, maxLength: 200 }),
  mode: Type.Union([Type.Literal('standard'), Type.Literal('gm')]),
}, { additionalProperties: false });

const TreeIndex = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** The audit ledger's read API, under /api/ledger: checkpoints, entries with inclusion proofs, consistency proofs. */
export const ledgerRoutes: RoutePlugin<{
  ledger: LedgerService;
  /** Whether the actor may read this entry (auditors all, each user their own: src/platform/audit); default all. */
  mayRead?: (actor: Actor, entry: { kind: string; actor: string; subject: string }) => boolean;
  /** This node as the witness of other nodes' ledgers; unset: no witness routes. */
  desk?: WitnessDesk;
}> = async (app, opts) => {
  const { ledger, mayRead = () => true, desk } = opts;
  const tags = ['ledger'];

  app.get('/checkpoint', {
    config: { access: 'ledger.proof.read' },
    schema: {
      tags,
      summary: 'The newest signed checkpoint (tree size, root hash, time), signing a new one if the log has grown',
      response: { 200: CheckpointView },
    },
  }, () => ledger.checkpoint());

  app.get('/entries/:index', {
    config: { access: 'ledger.proof.read' },
    schema: {
      tags,
      summary: 'One entry with its RFC 6962 inclusion proof against the newest checkpoint or ?treeSize= (auditors: any; others: their own)',
      params: Type.Object({ index: TreeIndex }),
      querystring: Type.Object({ treeSize: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })) }),
      response: { 200: EntryView, 400: ProblemView, 404: ProblemView },
    },
  }, async (request) => {
    const entry = await ledger.entry(request.params.index, request.query.treeSize);
    // An entry the caller may not read is as absent as one that does not exist.
    if (!mayRead(request.actor, entry)) throw new Problem('LEDGER_ENTRY_NOT_FOUND');
    return entry;
  });

  app.get('/consistency', {
    config: { access: 'ledger.proof.read' },
    schema: {
      tags,
      summary: 'RFC 6962 consistency proof between the trees of `from` and `to` entries (default to: newest checkpoint)',
      querystring: Type.Object({ from: TreeIndex, to: Type.Optional(TreeIndex) }),
      response: { 200: ConsistencyView, 400: ProblemView },
    },
  }, (request) => ledger.consistency(request.query.from, request.query.to));

  app.get('/public-key', {
    config: { access: 'public' },
    schema: { tags, summary: 'The public key that signs checkpoints (Ed25519, or SM2 in 国密 mode)', response: { 200: PublicKeyView } },
  }, () => ledger.publicKey());

  if (!desk) return;
  app.post('/witness/checkpoints', {
    config: { access: 'ledger.witness.record' },
    schema: {
      tags,
      summary: "Another node deposits a signed checkpoint of its ledger here (a key with role ledger_peer); kept unchanged, the same size twice with another root refused",
      body: WitnessedView,
      response: { 200: Type.Object({ stored: Type.Boolean() }), 201: Type.Object({ stored: Type.Boolean() }), 409: ProblemView },
    },
  }, async (request, reply) => {
    const result = await desk.deposit(request.actor, request.body);
    return reply.code(result.stored ? 201 : 200).send(result);
  });

  app.get('/witness/checkpoints', {
    config: { access: 'ledger.witness.record' },
    schema: {
      tags,
      summary: 'The checkpoints the calling node deposited, smallest first, after the size `after` (its verifier reads them back)',
      querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER })) }),
      response: { 200: Type.Object({ checkpoints: Type.Array(WitnessedView), next: Type.Union([Type.Integer(), Type.Null()]) }) },
    },
  }, (request) => desk.held(request.actor, request.query.after));
};
