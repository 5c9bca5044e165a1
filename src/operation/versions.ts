import { createHash } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import type { Ledger, LedgerFacts } from '../platform/ledger/ledger.js';
import type { LedgerContent } from '../platform/ledger/content.js';
import { canonicalJson } from '../platform/ledger/entry-body.js';
import { actorRef, type Actor } from '../platform/auth/roles.js';
import type { VersionView } from './schemas.js';
import * as store from './registry-store.js';

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/**
 * Records a version of a resource, licence or product — the full snapshot and its SHA-256 — and the ledger
 * entry naming it, in the caller's transaction: registration changes are versioned and every one is provable.
 * With `content` the entry also vouches for the row as it now stands (`ledger verify` compares them).
 */
export async function recordVersion(
  trx: Db, ledger: Ledger, actor: Actor, at: Date,
  v: { kind: 'resource' | 'licence' | 'product'; id: string; version: number; change: string; snapshot: Record<string, unknown>; facts: LedgerFacts; content?: LedgerContent },
): Promise<void> {
  const snapshotHash = sha256(canonicalJson(v.snapshot));
  await store.insertVersion(trx, {
    kind: v.kind, subject_id: v.id, version: v.version, change: v.change, snapshot: JSON.stringify(v.snapshot),
    snapshot_hash: snapshotHash, changed_by: actorRef(actor), changed_at: at,
  });
  await ledger.append(`operation.${v.kind}.${v.change}`, actor, `operation_${v.kind}:${v.id}`, { ...v.facts, version: v.version, snapshotHash }, { trx, content: v.content });
}

export async function versionsOf(db: Db, kind: 'resource' | 'licence' | 'product', id: string): Promise<VersionView[]> {
  return (await store.listVersions(db, kind, id)).map((r) => ({
    version: r.version, change: r.change, snapshotHash: r.snapshot_hash, changedBy: r.changed_by, changedAt: iso(r.changed_at)!, snapshot: r.snapshot,
  }));
}
