import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines, openTestDatabase } from '../../support/engines.js';
import { createTestHub, type TestHub } from '../../support/test-hub.js';
import type { DatabaseHandle } from '../../../src/platform/db/database.js';
import { systemActor } from '../../../src/platform/auth/roles.js';
import { insertNotices } from '../../../src/hotline/citizen-store.js';
import { listJobRuns } from '../../../src/platform/jobs/job-claim-store.js';
import type { OutgoingNotice } from '../../../src/hotline/index.js';

/**
 * Issue 20, work handed out once: three hubs (nodes) on one database race for the same periodic job and the same
 * notices. On PostgreSQL the claims go over different pool connections at once, as between real nodes.
 */
describe.each(testEngines)('cluster claims: periodic jobs and notices run once [%s]', (engine) => {
  let database: DatabaseHandle;
  const hubs: TestHub[] = [];
  let now = new Date('2026-12-06T02:00:00Z');
  const clock = () => now;
  const lease = 30;
  const never = () => new Promise<void>(() => {});

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    for (let i = 0; i < 3; i++) hubs.push(await createTestHub(engine, { database, clock, config: { cluster: { jobLeaseSeconds: lease, shutdownSeconds: 1 } } }));
  }, 180_000);
  afterAll(async () => {
    for (const hub of hubs) await hub.close();
    await database?.close();
  });

  const race = (job: string, work: () => Promise<unknown>) =>
    Promise.all(hubs.map((h) => h.jobClaims.runOnce(job, 60, work)));

  it('three nodes racing for one period: exactly one runs it; the next period runs once again', async () => {
    let runs = 0;
    const work = async () => void runs++;
    for (let period = 0; period < 4; period++) {
      const won = await race('test.once', work);
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(runs).toBe(period + 1);
      // a second try within the same period changes nothing
      expect((await race('test.once', work)).filter(Boolean)).toHaveLength(0);
      now = new Date(now.getTime() + 60_000);
    }
    const row = (await listJobRuns(database.db)).find((r) => r.job === 'test.once')!;
    expect(Number(row.runs)).toBe(4);
    expect(row.finished_at).not.toBeNull();
  });

  it('a node killed mid-run keeps the job only until its lease ends; then another node runs it', async () => {
    const [a, b] = hubs;
    void a.jobClaims.runOnce('test.crash', 60, never); // never finishes, never renews (the fake clock does not move)
    await new Promise((r) => setTimeout(r, 50));
    expect(await b.jobClaims.runOnce('test.crash', 60, async () => {})).toBe(false);
    now = new Date(now.getTime() + (lease - 1) * 1000);
    expect(await b.jobClaims.runOnce('test.crash', 60, async () => {})).toBe(false); // the lease still runs
    now = new Date(now.getTime() + 2000);
    let ranOn = '';
    expect(await b.jobClaims.runOnce('test.crash', 60, async () => void (ranOn = b.jobClaims.nodeId))).toBe(true);
    expect(ranOn).toBe(b.jobClaims.nodeId);
  });

  it('a node shutting down hands its claims back at once; a failed run is handed back too', async () => {
    const [, b, c] = hubs;
    void b.jobClaims.runOnce('test.release', 60, never);
    await new Promise((r) => setTimeout(r, 50));
    expect(b.jobClaims.heldCount).toBe(1);
    expect(await c.jobClaims.runOnce('test.release', 60, async () => {})).toBe(false);
    expect(await b.jobClaims.releaseAll()).toBe(1);
    expect(await c.jobClaims.runOnce('test.release', 60, async () => {})).toBe(true);

    await expect(c.jobClaims.runOnce('test.fails', 60, async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await b.jobClaims.runOnce('test.fails', 60, async () => {})).toBe(true); // same period, run again
    expect(await c.jobClaims.runOnce('test.fails', 60, async () => {})).toBe(false);
  });

  it('notices: three nodes delivering at once send each notice once; a failing channel hands its notices back', async () => {
    const admin = systemActor('test-setup', ['admin']);
    const ticket = await hubs[0].services.hotline.intake.create(admin, { title: '路灯不亮', content: '滨江路路灯不亮', citizenPhone: '13900001111' });
    const citizen = (await hubs[0].services.auth.insertUser(admin, { username: `claims-citizen-${engine}`, password: 'test-password-1', roles: ['citizen'], orgId: null })).id;
    await insertNotices(database.db, Array.from({ length: 60 }, (_, i) => ({
      user_id: citizen, ticket_id: ticket.id, kind: 'dispatch', number: ticket.number, status: 'dispatched', created_at: new Date(now.getTime() + i),
    })));
    const sent: OutgoingNotice[] = [];
    let failing = true;
    hubs[0].services.hotline.notices.useChannel({ name: 'flaky', send: async (n) => { if (failing) throw new Error('gateway down'); sent.push(n); } });
    for (const hub of hubs.slice(1)) hub.services.hotline.notices.useChannel({ name: 'sms', send: async (n) => { await new Promise((r) => setTimeout(r, 1)); sent.push(n); } });

    // node 0's channel fails: what it claimed goes back at once and the others send it in the same round
    const first = await Promise.allSettled(hubs.map((h) => h.services.hotline.notices.deliver(10)));
    expect(first[0].status).toBe('rejected');
    failing = false;
    let total = 0;
    for (let round = 0; round < 20; round++) {
      const counts = await Promise.all(hubs.map((h) => h.services.hotline.notices.deliver(7)));
      total += counts.reduce((x, y) => x + y, 0);
      if (counts.every((n) => n === 0)) break;
    }
    const ids = sent.map((n) => n.id);
    expect(new Set(ids).size).toBe(60);
    expect(ids).toHaveLength(60); // none twice
    expect(sent.every((n) => n.phone === null)).toBe(true); // the citizen did not file it: no phone
    expect(total + (first[1].status === 'fulfilled' ? first[1].value : 0) + (first[2].status === 'fulfilled' ? first[2].value : 0)).toBe(60);
  });
});
