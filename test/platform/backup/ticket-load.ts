import { expect } from 'vitest';
import type { Actor } from '../../../src/platform/auth/roles.js';
import type { Db } from '../../../src/platform/db/database.js';
import { runLedgerVerify } from '../../../src/cli/commands/ledger-verify.js';
import type { CityHub } from '../../../src/server/app.js';

export interface TicketLoad {
  /** Tickets filed and dispatched so far. */
  readonly written: number;
  /** Waits until `n` tickets are written (a minute at most, then fails the test). */
  reach(n: number): Promise<void>;
  /** Stops the writers, waits for their last ticket, and signs a checkpoint of what they wrote. */
  stop(): Promise<void>;
}

const WRITERS = 2;

/**
 * A backup is one instant: every copied ticket has its create and dispatch entries in the copied ledger (and the
 * unit's), but for at most one per writer caught between its create and its dispatch (two transactions). Ledger
 * verify then checks each copied ticket against its newest entry.
 */
export function expectOneInstant(ledgerSize: number, tickets: number): void {
  expect(ledgerSize).toBeGreaterThanOrEqual(tickets * 2 + 1 - WRITERS);
}

/**
 * Two writers filing and dispatching tickets on `hub` (a ticket row, its timeline events, two ledger entries, a
 * checkpoint whenever the ledger grew) until stopped: the write load a backup is taken under.
 *
 * @example const load = await startTicketLoad(hub, admin); await load.reach(6); …; await load.stop();
 */
export async function startTicketLoad(hub: CityHub, actor: Actor): Promise<TicketLoad> {
  const { intake, workflow } = hub.services.hotline;
  const unit = (await hub.services.auth.insertOrg(actor, { name: '市水务局', kind: 'department', parentId: null })).id;
  let stopped = false;
  let written = 0;
  const writer = async (n: number) => {
    while (!stopped) {
      const t = await intake.create(actor, { title: `积水 ${n}-${written}`, content: '地下通道积水', channel: 'phone' });
      await workflow.transition(actor, t.id, 'dispatch', { unitId: unit });
      written++;
      await hub.services.ledger.checkpointIfGrown();
    }
  };
  const writers = Array.from({ length: WRITERS }, (_, i) => writer(i + 1));
  return {
    get written() {
      return written;
    },
    async reach(n) {
      const deadline = Date.now() + 60_000;
      while (written < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(written).toBeGreaterThanOrEqual(n);
    },
    async stop() {
      stopped = true;
      await Promise.all(writers);
      await hub.services.ledger.checkpoint();
    },
  };
}

/**
 * `ledger verify` on a database restored from a backup of `hub` holding `ledgerSize` entries and `tickets`
 * tickets: intact, the tickets covered, and the witness (which saw the ledger grow after the backup) reporting the
 * later entries as lost with the backup rather than as tampering.
 */
export async function expectRestoredLedgerVerifies(db: Db, hub: CityHub, ledgerSize: number, tickets: number): Promise<void> {
  const lines: string[] = [];
  const code = await runLedgerVerify(db, {
    keys: [hub.services.ledger.publicKeyObject()], witnesses: hub.services.ledger.witnesses, restoredBackup: true, print: (l) => lines.push(l),
  });
  const out = lines.join('\n');
  expect(out).toContain(`ledger intact: ${ledgerSize} entries`);
  expect(out).toMatch(new RegExp(`covered tables: ${tickets} row\\(s\\) match`));
  expect(out).toMatch(/restored backup: file .* saw the ledger grow to \d+ entries/);
  expect(code).toBe(0);
}
