/**
 * The ledger's cost in its modes (issue 21), on an in-memory PGlite, all measured in this run:
 *
 * - append: entries per second, standard (SHA-256) without content — the baseline, what every module paid before —
 *   against standard with a ticket-sized content digest, and 国密 (SM3) with the same content;
 * - checkpoint: median time to sign one (Ed25519 against SM2 in bigint);
 * - verify: seconds to verify the whole ledger offline (SM2 checkpoints cost more to check).
 *
 * Prints each figure and its ratio to the baseline. `npm run bench -- ledger/ledger [--entries 3000] [--runs 3]`
 */
import { parseArgs } from 'node:util';
import { openDatabase } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { createLedger, ledgerMigrations, type LedgerMode } from '../../src/platform/ledger/index.js';
import { median } from '../stats.js';

const { values } = parseArgs({ options: { entries: { type: 'string', default: '3000' }, runs: { type: 'string', default: '3' } } });
const entries = Number(values.entries);
const runs = Number(values.runs);
const actor = { kind: 'user' as const, id: 'bench', roles: [] };
const content = {
  ticket: { id: '5d6875d1-fbcd-4e23-b442-b956b92c9078', number: '20261206-000001', status: 'answered', unit: 'u', category: 'c', urgency: 'normal', title: '路灯不亮', content: '滨江路 12 号门前路灯连续三晚不亮，'.repeat(8) },
  reply: { text: '已更换灯泡，恢复照明。'.repeat(4), result: 'solved' },
  visit: { contacted: true, solved: true, satisfaction: 'satisfied' },
};

async function run(mode: LedgerMode, withContent: boolean) {
  const handle = await openDatabase({});
  try {
    await migrateToLatest(handle.db, ledgerMigrations);
    const ledger = await createLedger(handle.db, { mode, clock: () => new Date() });
    const started = performance.now();
    for (let i = 0; i < entries; i++) {
      await ledger.append('bench.event', actor, `ticket:${i}`, { step: i }, withContent ? { content } : {});
      if (i % 500 === 499) await ledger.checkpoint();
    }
    const appendSeconds = (performance.now() - started) / 1000;
    const signs: number[] = [];
    for (let i = 0; i < 5; i++) {
      await ledger.append('bench.event', actor, 'x', {});
      const t = performance.now();
      await ledger.checkpoint();
      signs.push(performance.now() - t);
    }
    const v = performance.now();
    const result = await ledger.verify();
    if (!result.ok) throw new Error(`verify failed: ${result.fault?.message}`);
    return { perSecond: entries / appendSeconds, signMs: median(signs), verifySeconds: (performance.now() - v) / 1000 };
  } finally {
    await handle.close();
  }
}

const variants: [string, LedgerMode, boolean][] = [
  ['standard, no content (baseline)', 'standard', false],
  ['standard + ticket content digest', 'standard', true],
  ['国密 (SM3/SM2) + ticket content digest', 'gm', true],
];
// One discarded warm-up (JIT, PGlite's WASM), then the variants interleaved run by run, so a machine that slows
// down during the bench slows all of them alike.
await run('standard', false);
const all: Awaited<ReturnType<typeof run>>[][] = variants.map(() => []);
for (let r = 0; r < runs; r++) for (const [i, [, mode, withContent]] of variants.entries()) all[i].push(await run(mode, withContent));
const results = variants.map(([name], i) => ({
  name,
  perSecond: median(all[i].map((a) => a.perSecond)),
  signMs: median(all[i].map((a) => a.signMs)),
  verifySeconds: median(all[i].map((a) => a.verifySeconds)),
}));
const base = results[0];
console.log(`ledger: ${entries} appends per run, medians of ${runs} runs, in-memory PGlite`);
for (const r of results) {
  console.log(
    `${r.name.padEnd(40)} append ${r.perSecond.toFixed(0).padStart(6)}/s (×${(r.perSecond / base.perSecond).toFixed(2)})  ` +
      `checkpoint ${r.signMs.toFixed(1).padStart(6)} ms (×${(r.signMs / base.signMs).toFixed(1)})  ` +
      `verify ${r.verifySeconds.toFixed(2)} s (×${(r.verifySeconds / base.verifySeconds).toFixed(2)})`,
  );
}
