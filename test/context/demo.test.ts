import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { seedContextDemo } from '../../src/context/index.js';

// The demo is the same on both engines; PGlite (the single-machine default) is the one it runs on.
describe('context demo city [pglite]', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub('pglite', { config: { modules: { context: { simulator: { perTick: 50 } } } } as never });
  }, 240_000);
  afterAll(async () => hub?.close(), 60_000);

  it('seeds a few thousand entities inside the demo city and keeps them changing', async () => {
    const n = await seedContextDemo(hub.services.context);
    expect(n).toBe(3000);
    const admin = { actor: { kind: 'api_key' as const, id: 't', roles: ['admin' as const] }, tenant: '', ctx: await hub.services.context.contexts.resolve('https://smartdatamodels.org/context.jsonld') };
    const { count } = await hub.services.context.queries.queryEntities(admin, {
      type: 'Streetlight', count: true, limit: 0, georel: 'within', geometry: 'Polygon',
      coordinates: '[[[112.7,28.0],[113.1,28.0],[113.1,28.4],[112.7,28.4],[112.7,28.0]]]',
    }, {});
    expect(count).toBe(1500);
    const types = await hub.services.context.queries.entityTypes(admin);
    expect(types.map((t) => t.type).sort()).toEqual(['AirQualityObserved', 'ParkingSpot', 'Streetlight', 'TrafficFlowObserved', 'WasteContainer']);
    expect(await hub.services.context.simulator.tick()).toBe(50);
  });
});
