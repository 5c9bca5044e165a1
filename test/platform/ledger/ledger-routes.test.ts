import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leafHash, verifyConsistency, verifyInclusion } from '../../../src/platform/ledger/merkle.js';
import { testEngines } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';

const bufs = (xs: string[]) => xs.map((x) => Buffer.from(x, 'hex'));

for (const engine of testEngines) {
  describe(`ledger API [${engine}]`, () => {
    let hub: TestHub;
    let cookie: string;

    beforeAll(async () => {
      hub = await createTestHub(engine);
      // Creating the user and logging in are ledgered (auth.user.created, auth.login).
      ({ cookie } = await hub.loginAs(['audit_admin']));
    }, 180_000);
    afterAll(async () => hub?.close());

    const get = (url: string, withCookie = true) =>
      hub.http.inject({ method: 'GET', url, headers: withCookie ? { cookie } : {} });

    it('publishes the public key to anyone, and keeps the rest behind a login (the whole trail: the audit administrator)', async () => {
      const key = await get('/api/ledger/public-key', false);
      expect(key.statusCode).toBe(200);
      expect(key.json()).toMatchObject({ algorithm: 'Ed25519', publicKey: expect.stringContaining('BEGIN PUBLIC KEY') });
      const anonymous = await get('/api/ledger/checkpoint', false);
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it('serves a signed checkpoint, entries with inclusion proofs and consistency proofs', async () => {
      const first = (await get('/api/ledger/checkpoint')).json();
      expect(first.size).toBeGreaterThanOrEqual(2);
      const { publicKey } = (await get('/api/ledger/public-key', false)).json();
      expect(verify(null, Buffer.from(first.signedText), createPublicKey(publicKey), Buffer.from(first.signature, 'base64'))).toBe(true);

      // pinned to the first checkpoint: the node may sign a newer one meanwhile (the reads above are audited)
      const entry = await get(`/api/ledger/entries/0?treeSize=${first.size}`);
      expect(entry.statusCode).toBe(200);
      const e = entry.json();
      expect(e.treeSize).toBe(first.size);
      expect(e.leafHash).toBe(leafHash(e.body).toString('hex'));
      expect(verifyInclusion(leafHash(e.body), 0, e.treeSize, bufs(e.inclusionProof), Buffer.from(first.rootHash, 'hex'))).toBe(true);
      const login = [...Array(first.size).keys()].map(async (i) => (await get(`/api/ledger/entries/${i}`)).json());
      expect((await Promise.all(login)).map((x) => x.kind)).toContain('auth.login');

      await hub.loginAs(['agent']); // more entries
      const second = (await get('/api/ledger/checkpoint')).json();
      expect(second.size).toBeGreaterThan(first.size);
      const proof = await get(`/api/ledger/consistency?from=${first.size}&to=${second.size}`);
      expect(proof.statusCode).toBe(200);
      const p = proof.json();
      expect(verifyConsistency(first.size, second.size, bufs(p.proof), Buffer.from(first.rootHash, 'hex'), Buffer.from(second.rootHash, 'hex'))).toBe(true);
      const defaultTo = (await get(`/api/ledger/consistency?from=${first.size}`)).json();
      expect(defaultTo.to).toBe(second.size);

      const older = (await get(`/api/ledger/entries/1?treeSize=${first.size}`)).json();
      expect(older.rootHash).toBe(first.rootHash);
    });

    it('answers bad indices and ranges with problem+json', async () => {
      const size = (await get('/api/ledger/checkpoint')).json().size as number;
      const missing = await get(`/api/ledger/entries/${size + 100}`);
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ code: 'LEDGER_ENTRY_NOT_FOUND', status: 404 });
      for (const query of [`from=3&to=2`, `from=1&to=${size + 1}`, `from=0&to=2`]) {
        const res = await get(`/api/ledger/consistency?${query}`);
        expect(res.statusCode, query).toBe(400);
        expect(res.json()).toMatchObject({ code: 'LEDGER_BAD_RANGE', errors: [expect.objectContaining({ field: expect.stringMatching(/^\/query\//) })] });
      }
      const badTree = await get(`/api/ledger/entries/1?treeSize=1`);
      expect(badTree.json()).toMatchObject({ code: 'LEDGER_BAD_RANGE' });
      const notANumber = await get('/api/ledger/entries/abc');
      expect(notANumber.statusCode).toBe(400);
    });
  });
}
