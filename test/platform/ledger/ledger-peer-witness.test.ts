import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/platform/config/config.js';
import { systemActor } from '../../../src/platform/auth/roles.js';
import { appendToPeaks } from '../../../src/platform/ledger/merkle.js';
import { PeerWitness } from '../../../src/platform/ledger/peer-witness.js';
import { runLedgerVerify } from '../../../src/cli/commands/ledger-verify.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import { testEngines } from '../../support/engines.js';

const admin = systemActor('peer-witness-test', ['admin']);

/**
 * Issue 21: a second CityHub node witnesses the ledger. Node A deposits every checkpoint on node B over HTTP
 * (a key of B with the role ledger_peer); A's tail cut together with its checkpoints is named against B.
 */
for (const engine of testEngines) {
  describe(`ledger witnessed by a second node over HTTP [${engine}]`, () => {
    let a: TestHub;
    let b: TestHub;
    let url = '';
    let peerKey = '';
    let peer: PeerWitness;

    const grow = async (n: number) => {
      for (let i = 0; i < n; i++) await a.services.ledger.append('test.peer.step', admin, `step:${i}`, { i });
    };
    const verify = async (witnesses = [peer]) => {
      const lines: string[] = [];
      const code = await runLedgerVerify(a.database.db, { keys: [a.services.ledger.publicKeyObject()], witnesses, print: (l) => lines.push(l) });
      return { code, out: lines.join('\n') };
    };
    const call = (method: 'GET' | 'POST', path: string, key: string | undefined, body?: unknown) =>
      fetch(`${url}${path}`, {
        method, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });

    beforeAll(async () => {
      b = await createTestHub(engine);
      url = await b.http.listen({ host: '127.0.0.1', port: 0 });
      peerKey = (await b.services.auth.createApiKey(admin, { name: 'node-a witness', roles: ['ledger_peer'], orgId: null })).key;
      const defaults = loadConfig({ LOG_LEVEL: 'silent' });
      a = await createTestHub(engine, {
        config: { ledger: { ...defaults.ledger, witness: { peers: [{ url, apiKey: peerKey }] }, witnessDelaySeconds: 0.1, checkpointIntervalSeconds: 3600 } },
      });
      peer = a.services.ledger.witnesses[0] as PeerWitness;
      await grow(5);
      await a.services.ledger.checkpoint();
    }, 120_000);

    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    it('deposits each checkpoint on the peer, which keeps it in its own table, and verifies intact against it', async () => {
      const size = (await a.services.ledger.head()).size;
      expect(peer.name).toBe(`peer ${new URL(url).origin}`);
      expect((await peer.list()).map((c) => c.size)).toContain(size);
      const kept = await b.database.db.selectFrom('ledger_witnessed').selectAll().execute();
      expect(kept.map((r) => Number(r.size))).toContain(size);
      const { code, out } = await verify();
      expect(out).toMatch(/ledger intact: \d+ entries, \d+ signed checkpoint\(s\) verified and \d+ held by the witness/);
      expect(code).toBe(0);
    });

    it('names the tail cut together with its checkpoints, which only the peer still holds', async () => {
      a.services.ledger.start();
      const cut = (await a.services.ledger.head()).size;
      await grow(3);
      const grown = (await a.services.ledger.head()).size;
      for (let i = 0; i < 100 && !(await peer.list()).some((c) => c.size === grown); i++) await new Promise((r) => setTimeout(r, 50));
      await a.services.ledger.stop();
      // the attacker with SQL on node A: the entries and checkpoints after `cut` deleted, the head put back
      const db = a.database.db;
      const leaves = await db.selectFrom('ledger_entry').select(['idx', 'leaf_hash']).where('idx', '<', cut).orderBy('idx').execute();
      let peaks: Buffer[] = [];
      for (const row of leaves) peaks = appendToPeaks(peaks, Number(row.idx), Buffer.from(row.leaf_hash, 'hex'));
      await db.deleteFrom('ledger_entry').where('idx', '>=', cut).execute();
      await db.deleteFrom('ledger_checkpoint').where('size', '>', cut).execute();
      await db.updateTable('ledger_head').set({ size: cut, peaks: JSON.stringify(peaks.map((p) => p.toString('hex'))) }).execute();

      expect((await verify([])).out).toMatch(/ledger intact/);
      const r = await verify();
      expect(r.code).toBe(1);
      expect(r.out).toMatch(new RegExp(`entry ${cut} is missing \\(deleted\\): the ledger was cut — peer http://127\\.0\\.0\\.1:\\d+ holds a checkpoint signed at \\S+ for ${grown} entries, but the database has ${cut}`));
    });

    it('refuses deposits without a key, from a key without ledger_peer, and a rewritten checkpoint; shows each peer only its own', async () => {
      const [first] = await peer.list();
      expect((await call('POST', '/api/ledger/witness/checkpoints', undefined, first)).status).toBe(401);
      const other = (await b.services.auth.createApiKey(admin, { name: 'ops', roles: ['ops'], orgId: null })).key;
      expect((await call('POST', '/api/ledger/witness/checkpoints', other, first)).status).toBe(403);
      expect((await call('GET', '/api/ledger/witness/checkpoints', other)).status).toBe(403);
      // the same checkpoint again is accepted as already held; another root for its size is refused, never replaced
      expect((await call('POST', '/api/ledger/witness/checkpoints', peerKey, first)).status).toBe(200);
      const forged = await call('POST', '/api/ledger/witness/checkpoints', peerKey, { ...first, rootHash: 'ab'.repeat(32) });
      expect(forged.status).toBe(409);
      expect(await forged.json()).toMatchObject({ code: 'LEDGER_WITNESS_CONFLICT', errors: [{ field: '/body/rootHash' }] });
      expect((await peer.list())[0]).toEqual(first);
      // junk is refused by the schema, naming the field
      const junk = await call('POST', '/api/ledger/witness/checkpoints', peerKey, { ...first, size: -1 });
      expect(junk.status).toBe(400);
      // a second peer key reads nothing of the first's
      const second = (await b.services.auth.createApiKey(admin, { name: 'node-c witness', roles: ['ledger_peer'], orgId: null })).key;
      const seen = await (await call('GET', '/api/ledger/witness/checkpoints', second)).json();
      expect(seen).toEqual({ checkpoints: [], next: null });
    });
  });
}
