import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { loadConfig } from '../../src/platform/config/config.js';

/**
 * Ticket intake with an Idempotency-Key (issue 20): a retry of the same filing gets the first ticket back (also
 * when the retries race), the same key with another body is a 422, keys are per caller and expire after
 * `modules.hotline.intake.idempotencyKeyHours`, and the hotline's `purgeIntakeKeys` job deletes the expired ones.
 */
describe.each(testEngines)('hotline: intake Idempotency-Key [%s]', (engine) => {
  let hub: TestHub;
  let now = new Date('2026-12-07T01:00:00Z');
  const cookies: Record<string, string> = {};
  const file = (who: string, key: string | undefined, body: object) => hub.http.inject({
    method: 'POST', url: '/api/hotline/tickets', payload: body,
    headers: { cookie: cookies[who]!, ...(key === undefined ? {} : { 'idempotency-key': key }) },
  });
  const count = async (title: string) => Number((await hub.database.db.selectFrom('hotline_ticket').select((e) => e.fn.countAll().as('n'))
    .where('title', '=', title).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    hub = await createTestHub(engine, { clock: () => now, config: {
      // the expiry test moves the clock past the default idle timeout of the session
      auth: { ...loadConfig({ LOG_LEVEL: 'silent' }).auth, sessionIdleMinutes: 24 * 60 },
      // the purge test starts the hub's jobs; no embedded MQTT broker on a port meanwhile
      modules: { hotline: { intake: { idempotencyKeyHours: 1, keyPurgeIntervalSeconds: 1 } }, context: { mqtt: { ingest: false } } },
    }, });
    cookies.agent = (await hub.loginAs(['agent'])).cookie;
    cookies.other = (await hub.loginAs(['agent'])).cookie;
  }, 120_000);
  afterAll(async () => hub?.close());

  it('files once per key and body: the retry gets the first ticket, marked replayed', async () => {
    const body = { title: '井盖缺失 retry', content: '幸福路口井盖缺失', citizenPhone: '13900001111' };
    const first = await file('agent', 'k-1', body);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await file('agent', 'k-1', body);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await count(body.title)).toBe(1);
    // without a key, the same body files again (the intake's behaviour before keys)
    expect((await file('agent', undefined, body)).statusCode).toBe(201);
    expect(await count(body.title)).toBe(2);
  });

  it('answers 422 naming the header for the same key with another body, and files nothing', async () => {
    await file('agent', 'k-2', { title: '路灯不亮 a', content: '东门路灯' });
    const other = await file('agent', 'k-2', { title: '路灯不亮 b', content: '东门路灯' });
    expect(other.statusCode, other.body).toBe(422);
    expect(other.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(other.json()).toMatchObject({ code: 'HOTLINE_IDEMPOTENCY_KEY_REUSED', errors: [{ field: '/headers/idempotency-key' }] });
    expect(await count('路灯不亮 b')).toBe(0);
  });

  it('files one ticket when retries with the same key race', async () => {
    const body = { title: '噪声扰民 race', content: '夜间施工' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => file('agent', 'k-race', body)));
    for (const a of answers) expect(a.statusCode, a.body).toBe(201);
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    expect(await count(body.title)).toBe(1);
  });

  it('keeps keys per caller, and forgets them once expired', async () => {
    const body = { title: '占道经营 callers', content: '菜市场门口' };
    const mine = (await file('agent', 'k-3', body)).json();
    const theirs = await file('other', 'k-3', body);
    expect(theirs.statusCode).toBe(201);
    expect(theirs.json().id).not.toBe(mine.id);
    now = new Date(now.getTime() + 61 * 60_000);
    const late = await file('agent', 'k-3', body);
    expect(late.statusCode).toBe(201);
    expect(late.headers['idempotent-replayed']).toBeUndefined();
    expect(late.json().id).not.toBe(mine.id);
    // the expired key was taken over: the retry of the late filing gets it
    expect((await file('agent', 'k-3', body)).json().id).toBe(late.json().id);
    expect(await count(body.title)).toBe(3);
  });

  it('refuses a malformed key with a 400 problem naming it', async () => {
    for (const key of ['x'.repeat(256), ' padded ']) {
      const res = await file('agent', key, { title: '坏键', content: '…' });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().errors[0].field).toBe('/headers/idempotency-key');
    }
    expect(await count('坏键')).toBe(0);
  });

  // last: it starts the hub's jobs, which run until the hub closes
  it('purges expired keys of every caller in the periodic job, keeping live ones and their replay', async () => {
    const keys = (expired: boolean) => hub.database.db.selectFrom('hotline_intake_key').select(['caller', 'idem_key'])
      .where('expires_at', expired ? '<=' : '>', now).orderBy('idem_key').execute();
    const body = { title: '垃圾满溢 purge', content: '小区门口垃圾桶' };
    await file('other', 'k-stale', body); // 'other' never files with a key again: only the purge removes it
    now = new Date(now.getTime() + 61 * 60_000);
    const live = await file('agent', 'k-live', body);
    expect(live.statusCode, live.body).toBe(201);
    expect((await keys(true)).map((k) => k.idem_key)).toContain('k-stale');
    const before = await keys(false);
    expect(before.map((k) => k.idem_key)).toEqual(['k-live']);

    await hub.start();
    await vi.waitFor(async () => expect(await keys(true)).toEqual([]), { timeout: 10_000, interval: 200 });
    expect(await keys(false)).toEqual(before);
    // run as a cluster job: claimed in platform_job_run, once per period
    const run = await hub.database.db.selectFrom('platform_job_run').select('node').where('job', '=', 'hotline.purgeIntakeKeys').executeTakeFirst();
    expect(run).toMatchObject({ node: hub.jobClaims.nodeId });
    // within its window the live key still answers with the first filing
    const replay = await file('agent', 'k-live', body);
    expect(replay.statusCode, replay.body).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(live.json());
    // the expired key's ticket stays; only the key went (a new filing with it files anew)
    const anew = await file('other', 'k-stale', body);
    expect(anew.headers['idempotent-replayed']).toBeUndefined();
    expect(await count(body.title)).toBe(3);
  });
});
