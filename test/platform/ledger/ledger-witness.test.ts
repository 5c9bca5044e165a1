import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/platform/config/config.js';
import { systemActor } from '../../../src/platform/auth/roles.js';
import { FileWitness } from '../../../src/platform/ledger/witness.js';
import { appendToPeaks } from '../../../src/platform/ledger/merkle.js';
import type { Db } from '../../../src/platform/db/database.js';
import { runLedgerVerify } from '../../../src/cli/commands/ledger-verify.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import { testEngines } from '../../support/engines.js';

/**
 * Issue 21: the audit trail cannot be cut. Each attack is made as a database administrator would (SQL, the head
 * row fixed up to match), then `cityhub ledger verify`'s own core must name it against the witness file.
 */
for (const engine of testEngines) {
  describe(`ledger against its witness and the tables it covers [${engine}]`, () => {
    let hub: TestHub;
    let dir: string;
    let witness: FileWitness;
    let db: Db;
    const admin = systemActor('tamper-test', ['admin']);
    const ids: { unit?: string; answered?: string; answeredNumber?: string; open?: string; openNumber?: string } = {};

    const verify = async (witnesses = [witness], restoredBackup = false): Promise<{ code: number; out: string }> => {
      const lines: string[] = [];
      const code = await runLedgerVerify(db, { keys: [hub.services.ledger.publicKeyObject()], witnesses, restoredBackup, print: (l) => lines.push(l) });
      return { code, out: lines.join('\n') };
    };
    const size = async (): Promise<number> => (await hub.services.ledger.head()).size;

    /** What an attacker with SQL access does to hide the tail: delete it and rewrite the head to match. */
    const cutTail = async (from: number, withCheckpoints: boolean) => {
      const leaves = await db.selectFrom('ledger_entry').select(['idx', 'leaf_hash']).where('idx', '<', from).orderBy('idx').execute();
      let peaks: Buffer[] = [];
      for (const row of leaves) peaks = appendToPeaks(peaks, Number(row.idx), Buffer.from(row.leaf_hash, 'hex'));
      const saved = {
        entries: await db.selectFrom('ledger_entry').selectAll().where('idx', '>=', from).execute(),
        checkpoints: await db.selectFrom('ledger_checkpoint').selectAll().where('size', '>', from).execute(),
        head: await db.selectFrom('ledger_head').selectAll().executeTakeFirstOrThrow(),
      };
      await db.deleteFrom('ledger_entry').where('idx', '>=', from).execute();
      if (withCheckpoints) await db.deleteFrom('ledger_checkpoint').where('size', '>', from).execute();
      await db.updateTable('ledger_head').set({ size: from, peaks: JSON.stringify(peaks.map((p) => p.toString('hex'))) }).execute();
      return async () => {
        await db.deleteFrom('ledger_checkpoint').where('size', '>', from).execute();
        await db.insertInto('ledger_entry').values(saved.entries).execute();
        if (saved.checkpoints.length > 0) await db.insertInto('ledger_checkpoint').values(saved.checkpoints).execute();
        await db.updateTable('ledger_head').set({ size: saved.head.size, peaks: saved.head.peaks }).execute();
      };
    };

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'cityhub-witness-'));
      const defaults = loadConfig({ LOG_LEVEL: 'silent' });
      hub = await createTestHub(engine, {
        config: { ledger: { ...defaults.ledger, witnessFile: path.join(dir, 'witness.jsonl'), witnessDelaySeconds: 0.1, checkpointIntervalSeconds: 3600 } },
      });
      witness = hub.services.ledger.witnesses[0] as FileWitness;
      db = hub.database.db;
      const { intake, workflow } = hub.services.hotline;
      ids.unit = (await hub.services.auth.insertOrg(admin, { name: '市城市管理局', kind: 'department', parentId: null })).id;
      const a = await intake.create(admin, { title: '路灯不亮', content: '滨江路 12 号门前路灯连续三晚不亮', channel: 'phone' });
      const b = await intake.create(admin, { title: '噪声扰民', content: '夜间施工噪声', channel: 'phone' });
      Object.assign(ids, { answered: a.id, answeredNumber: a.number, open: b.id, openNumber: b.number });
      for (const t of [a.id, b.id]) await workflow.transition(admin, t, 'dispatch', { unitId: ids.unit });
      await workflow.transition(admin, a.id, 'accept');
      await workflow.transition(admin, a.id, 'start');
      await workflow.transition(admin, a.id, 'answer', { replyText: '已更换灯泡，恢复照明。', result: 'solved' });
      await workflow.transition(admin, a.id, 'visit', { contacted: true, solved: true, satisfaction: 'satisfied' });
      await hub.services.ledger.checkpoint();
    }, 120_000);

    afterAll(async () => {
      await hub?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('verifies intact, with the witness holding the checkpoints and every covered ticket matching', async () => {
      const { code, out } = await verify();
      expect(out).toMatch(/ledger intact: \d+ entries, 1 signed checkpoint\(s\) verified and 1 held by the witness, mode standard/);
      expect(out).toMatch(/covered tables: 2 row\(s\) match/);
      expect(code).toBe(0);
      const lines = readFileSync(path.join(dir, 'witness.jsonl'), 'utf8').trim().split('\n');
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ size: await size(), mode: 'standard' });
    });

    it('names a ticket whose reply, then whose satisfaction, was rewritten in the table', async () => {
      const before = await db.selectFrom('hotline_ticket').select(['reply_text', 'satisfaction']).where('id', '=', ids.answered!).executeTakeFirstOrThrow();
      await db.updateTable('hotline_ticket').set({ reply_text: '已处理。' }).where('id', '=', ids.answered!).execute();
      let r = await verify();
      expect(r.code).toBe(1);
      expect(r.out).toContain(`ticket (工单) ${ids.answeredNumber} (ticket:${ids.answered}) was changed outside CityHub: its reply no longer matches what ledger entry`);
      expect(r.out).toMatch(/\(hotline\.ticket\.visit\) recorded/);
      await db.updateTable('hotline_ticket').set({ reply_text: before.reply_text, satisfaction: 'unsatisfied' }).where('id', '=', ids.answered!).execute();
      r = await verify();
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/its visit no longer matches/);
      await db.updateTable('hotline_ticket').set({ satisfaction: before.satisfaction }).where('id', '=', ids.answered!).execute();
      expect((await verify()).code).toBe(0);
    });

    it('names the tail deleted after a checkpoint: the checkpoint signed seconds after the appends covers it', async () => {
      const cut = await size();
      const { workflow } = hub.services.hotline;
      hub.services.ledger.start(); // only the ledger's timers: a checkpoint follows appends after witnessDelaySeconds
      await workflow.transition(admin, ids.open!, 'accept');
      await workflow.transition(admin, ids.open!, 'start');
      const grown = await size();
      for (let i = 0; i < 100 && !(await witness.list()).some((c) => c.size === grown); i++) await new Promise((r) => setTimeout(r, 50));
      await hub.services.ledger.stop();
      expect((await witness.list()).at(-1)!.size).toBe(grown);

      const restore = await cutTail(cut, false);
      const r = await verify().finally(restore);
      expect(r.code).toBe(1);
      expect(r.out).toContain(`entry ${cut} is missing (deleted): the tail of the ledger was cut — entries ${cut}..${grown - 1} are covered by the signed checkpoint at size ${grown} in the database`);
      expect((await verify()).code).toBe(0);
    });

    it('names the tail deleted together with its checkpoints, which only the witness still knows', async () => {
      const grown = await size();
      const cut = grown - 2;
      const restore = await cutTail(cut, true);
      // The ticket row still shows the cut actions (in_progress): the attacker puts it back to what the newest
      // remaining entry recorded, so the tables agree with the shortened ledger too.
      await db.updateTable('hotline_ticket').set({ status: 'dispatched' }).where('id', '=', ids.open!).execute();
      // The attack first: without the witness the database agrees with itself.
      const unwitnessed = await verify([]);
      const r = await verify();
      await db.updateTable('hotline_ticket').set({ status: 'in_progress' }).where('id', '=', ids.open!).execute();
      await restore();
      expect(unwitnessed.out).toMatch(/ledger intact/);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(
        new RegExp(`entry ${cut} is missing \\(deleted\\): the ledger was cut — file .*witness\\.jsonl holds a checkpoint signed at \\S+ for ${grown} entries, but the database has ${cut}; entries ${cut}\\.\\.${grown - 1} and the database's checkpoint\\(s\\) covering them were deleted`),
      );
      expect((await verify()).code).toBe(0);
    });

    it('in a restored backup, takes the newest checkpoint missing from the database as signed after the backup', async () => {
      // A backup taken between the entries' commit and their checkpoint's: the witness has the checkpoint, the
      // backup not. Its root still matches the entries, so nothing is lost; without --restored-backup it is a deletion.
      const stored = await db.selectFrom('ledger_checkpoint').selectAll().orderBy('size', 'desc').executeTakeFirstOrThrow();
      await db.deleteFrom('ledger_checkpoint').where('size', '=', stored.size).execute();
      const restored = await verify([witness], true);
      const live = await verify();
      await db.insertInto('ledger_checkpoint').values(stored).execute();
      expect(restored.out, restored.out).toMatch(/ledger intact/);
      expect(restored.code).toBe(0);
      expect(live.code).toBe(1);
      expect(live.out).toMatch(new RegExp(`the checkpoint at size ${stored.size} held by file .* is missing from the database: it was deleted`));
    });

    it('names a checkpoint deleted from the database while its entries stay', async () => {
      const first = (await witness.list())[0].size;
      await db.deleteFrom('ledger_checkpoint').where('size', '=', first).execute();
      const r = await verify();
      expect(r.code).toBe(1);
      expect(r.out).toMatch(new RegExp(`the checkpoint at size ${first} held by file .* is missing from the database: it was deleted`));
      // A restored backup does not excuse it: newer checkpoints are stored, so this one was in the backup.
      const restored = await verify([witness], true);
      expect(restored.code).toBe(1);
      expect(restored.out).toMatch(new RegExp(`the checkpoint at size ${first} held by file .* is missing from the database: it was deleted`));
    });

    it('names a deleted ticket', async () => {
      await db.deleteFrom('hotline_ticket_event').where('ticket_id', '=', ids.open!).execute();
      await db.deleteFrom('hotline_ticket').where('id', '=', ids.open!).execute();
      // the checkpoint of the previous test is put back: only the ticket is wrong now
      const witnessed = (await witness.list())[0];
      await db.insertInto('ledger_checkpoint').values({
        size: witnessed.size, root_hash: witnessed.rootHash, signed_at: witnessed.time, signature: witnessed.signature, key_id: witnessed.keyId,
      }).execute();
      const r = await verify();
      expect(r.code).toBe(1);
      expect(r.out).toMatch(new RegExp(`ticket \\(工单\\) ${ids.openNumber} \\(ticket:${ids.open}\\) was deleted: ledger entry \\d+ \\(hotline\\.ticket\\.start\\) records it, but its table has no such row`));
    });
  });
}
