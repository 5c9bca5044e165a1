import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../../src/platform/db/migrate.js';
import type { DatabaseHandle } from '../../../src/platform/db/database.js';
import { createLedger, ledgerMigrations, FileWitness, type LedgerService } from '../../../src/platform/ledger/index.js';
import { SM2_CURVE, decodeSignature, sm2PublicPoint, sm2Verify } from '../../../src/platform/crypto/sm2.js';
import { runLedgerVerify } from '../../../src/cli/commands/ledger-verify.js';
import { openTestDatabase, testEngines } from '../../support/engines.js';

/** 国密 mode (issue 21): a ledger written with SM3 and SM2, verified by the offline verifier following its recorded mode. */
for (const engine of testEngines) {
  describe(`ledger in 国密 mode [${engine}]`, () => {
    let database: DatabaseHandle;
    let ledger: LedgerService;
    let dir: string;
    const actor = { kind: 'user' as const, id: 'u-1', roles: [] };
    const verify = async () => {
      const lines: string[] = [];
      const code = await runLedgerVerify(database.db, {
        keys: [ledger.publicKeyObject()], witnesses: [new FileWitness(path.join(dir, 'witness.jsonl'))], print: (l) => lines.push(l),
      });
      return { code, out: lines.join('\n') };
    };

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'cityhub-gm-'));
      database = await openTestDatabase(engine);
      await migrateToLatest(database.db, ledgerMigrations);
      let t = Date.parse('2026-12-06T08:00:00.000Z');
      ledger = await createLedger(database.db, { mode: 'gm', witnessFile: path.join(dir, 'witness.jsonl'), clock: () => new Date((t += 1000)) });
      for (let i = 0; i < 12; i++) {
        await ledger.append('test.event', actor, `thing:${i}`, { step: i }, { content: { body: { text: `内容 ${i}` } } });
        if (i === 5 || i === 11) await ledger.checkpoint();
      }
    }, 60_000);
    afterAll(async () => {
      await database?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('hashes leaves with SM3 and signs checkpoints with SM2 (GB/T 32918, user id 1234567812345678)', async () => {
      const row = await database.db.selectFrom('ledger_entry').selectAll().where('idx', '=', 3).executeTakeFirstOrThrow();
      const sm3Leaf = createHash('sm3').update(Buffer.concat([Buffer.from([0]), Buffer.from(row.body, 'utf8')])).digest('hex');
      expect(row.leaf_hash).toBe(sm3Leaf);
      expect(JSON.parse(row.body).content.body).toBe(createHash('sm3').update('{"text":"内容 3"}').digest('hex'));
      const head = await database.db.selectFrom('ledger_head').selectAll().executeTakeFirstOrThrow();
      expect(head).toMatchObject({ mode: 'gm', sm2_user_id: '1234567812345678' });
      const cp = await ledger.checkpoint();
      expect(cp.signedText.startsWith('cityhub-ledger/gm/v1\n')).toBe(true);
      expect(ledger.publicKey().algorithm).toBe('SM2');
      const point = sm2PublicPoint(ledger.publicKeyObject());
      const signature = decodeSignature(Buffer.from(cp.signature, 'base64'))!;
      expect(sm2Verify(SM2_CURVE, point, Buffer.from(cp.signedText), signature, '1234567812345678')).toBe(true);
      expect(sm2Verify(SM2_CURVE, point, Buffer.from(cp.signedText), signature, 'another id')).toBe(false);
    });

    it('verifies offline in the mode the ledger records, and names a modified entry', async () => {
      const intact = await verify();
      expect(intact.out).toMatch(/ledger intact: 12 entries, 2 signed checkpoint\(s\) verified and 2 held by the witness, mode gm/);
      expect(intact.code).toBe(0);
      const body = (await database.db.selectFrom('ledger_entry').select('body').where('idx', '=', 7).executeTakeFirstOrThrow()).body;
      await database.db.updateTable('ledger_entry').set({ body: body.replace('"step":7', '"step":8') }).where('idx', '=', 7).execute();
      const modified = await verify();
      expect(modified.code).toBe(1);
      expect(modified.out).toMatch(/entry 7 was modified/);
      await database.db.updateTable('ledger_entry').set({ body }).where('idx', '=', 7).execute();
      // Flipping the head's mode to pass the SM3 log off as SHA-256 breaks every leaf, and the witness says otherwise.
      await database.db.updateTable('ledger_head').set({ mode: 'standard' }).execute();
      const flipped = await verify();
      expect(flipped.code).toBe(1);
      expect(flipped.out).toMatch(/the ledger head records standard mode, but file .* holds a checkpoint made in gm mode: the head row was altered/);
      await database.db.updateTable('ledger_head').set({ mode: 'gm' }).execute();
      expect((await verify()).code).toBe(0);
    });

    it('refuses to reopen a 国密 ledger in standard mode (its hashes cannot change)', async () => {
      await expect(createLedger(database.db, { mode: 'standard', clock: () => new Date() })).rejects.toThrow(/begun in "gm" mode and has 12 entries/);
    });
  });
}
