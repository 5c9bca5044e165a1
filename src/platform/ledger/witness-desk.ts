import type { Selectable } from 'kysely';
import type { Db } from '../db/database.js';
import type { Clock } from '../clock/clock.js';
import { assertCan } from '../auth/permissions.js';
import { actorRef, type Actor } from '../auth/roles.js';
import { Problem } from '../errors/problem.js';
import type { LedgerWitnessedTable } from './tables.js';
import type { WitnessedCheckpoint } from './witness.js';
import * as store from './witness-store.js';

/** Checkpoints returned per page (a node checkpointing every minute deposits ~525,000 a year). */
export const WITNESS_PAGE = 1000;

const view = (r: Selectable<LedgerWitnessedTable>): WitnessedCheckpoint => ({
  size: Number(r.size), rootHash: r.root_hash, time: r.signed_at, signature: r.signature, keyId: r.key_id, mode: r.mode === 'gm' ? 'gm' : 'standard',
});

/**
 * This node as the witness of another node's ledger: the peer deposits every checkpoint it signs
 * (`POST /api/ledger/witness/checkpoints`, with a key holding `ledger_peer`), and its verifier reads them back.
 * What a peer deposited is never changed or deleted, and each peer sees only its own: whoever holds the other
 * node's database (and even its peer key) can add checkpoints here but cannot take back the ones that show a cut.
 */
export class WitnessDesk {
  constructor(private readonly db: Db, private readonly clock: Clock) {}

  /** Keeps a checkpoint; the same one again is a no-op, another root or signature for the same size is refused. */
  async deposit(actor: Actor, c: WitnessedCheckpoint): Promise<{ stored: boolean }> {
    assertCan(actor, 'ledger.witness.record');
    const peer = actorRef(actor);
    const row = { peer, size: c.size, root_hash: c.rootHash, signed_at: c.time, signature: c.signature, key_id: c.keyId, mode: c.mode, received_at: this.clock() };
    if (await store.insertWitnessed(this.db, row)) return { stored: true };
    const held = await store.findWitnessed(this.db, peer, c.size);
    const same = held && held.root_hash === c.rootHash && held.signature === c.signature && held.signed_at === c.time && held.key_id === c.keyId;
    if (!same) {
      throw new Problem('LEDGER_WITNESS_CONFLICT', {
        detail: `a checkpoint of size ${c.size} with root ${held?.root_hash} is already witnessed for this peer; witnessed checkpoints never change`,
        errors: [{ field: '/body/rootHash', message: 'differs from the checkpoint of this size already witnessed' }],
      });
    }
    return { stored: false };
  }

  /** The caller's own deposited checkpoints larger than `after`, smallest first, a page at a time. */
  async held(actor: Actor, after = -1): Promise<{ checkpoints: WitnessedCheckpoint[]; next: number | null }> {
    assertCan(actor, 'ledger.witness.record');
    const rows = await store.listWitnessed(this.db, actorRef(actor), after, WITNESS_PAGE);
    return { checkpoints: rows.map(view), next: rows.length === WITNESS_PAGE ? Number(rows[rows.length - 1].size) : null };
  }
}
