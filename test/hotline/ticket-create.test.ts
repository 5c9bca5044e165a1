import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/engines.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import type { Actor } from '../../src/platform/auth/roles.js';

describe.each(testEngines)('hotline ticket create/get [%s]', (engine) => {
  let hub: TestHub;
  const agent: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000001', roles: ['agent'], orgId: null };
  const leader: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000002', roles: ['leader'], orgId: null };
  const fixed = new Date('2026-11-26T01:00:00Z');

  beforeAll(async () => {
    hub = await createTestHub(engine, { clock: () => fixed });
  });
  afterAll(async () => hub?.close());

  it('numbers tickets per local day and masks personal fields for non-handlers', async () => {
    const a = await hub.services.hotline.create(agent, { title: '路灯不亮', content: '小区门口路灯不亮', citizenName: '张三', citizenPhone: '13812341234' });
    const b = await hub.services.hotline.create(agent, { title: '噪音扰民', content: '夜间施工' });
    expect(a.number).toBe('20261126-000001');
    expect(b.number).toBe('20261126-000002');
    expect(a.status).toBe('received');
    expect(a.citizenName).toBe('张三');
    const seen = await hub.services.hotline.get(leader, a.id);
    expect(seen.citizenName).toBe('张*');
    expect(seen.citizenPhone).toBe('138****1234');
    expect(seen.masked).toBe(true);
    const timeline = await hub.services.hotline.timeline(agent, a.id);
    expect(timeline.map((e) => e.action)).toEqual(['create']);
  });
});
