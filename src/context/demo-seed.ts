import { systemActor } from '../platform/auth/roles.js';
import { CITYHUB_CONTEXT_URL } from './jsonld-context.js';
import { DEMO_CENTRE, DEMO_SPREAD, demoId, demoKinds, demoReadings, nearestDistrict } from './demo-data.js';
import { mulberry32 as seeded } from '../platform/random/seeded-random.js';
import type { ContextServices } from './index.js';

/** The demo seed writes as a data owner (the narrowest role that writes entities), of no organisation. */
const seedActor = systemActor('demo-seed', ['dept_data_owner']);

/** The demo city's live layer: a few thousand Smart Data Models entities (docs/context.md). */
export async function seedContextDemo(context: ContextServices, log: (m: string) => void = () => {}): Promise<number> {
  const rnd = seeded(20261126);
  const ctx = await context.contexts.resolve(CITYHUB_CONTEXT_URL);
  const now = new Date().toISOString();
  const all: Record<string, unknown>[] = [];
  for (const { type, count } of demoKinds) {
    for (let i = 0; i < count; i++) {
      const lon = Math.round((DEMO_CENTRE[0] + (rnd() * 2 - 1) * DEMO_SPREAD) * 1e6) / 1e6;
      const lat = Math.round((DEMO_CENTRE[1] + (rnd() * 2 - 1) * DEMO_SPREAD) * 1e6) / 1e6;
      all.push({
        id: demoId(type, i),
        type,
        location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } },
        address: { type: 'Property', value: { addressLocality: '云川市', district: nearestDistrict(lon, lat) } },
        ...demoReadings(type, rnd, now),
      });
    }
  }
  const batch = Math.min(500, context.config.batchMax);
  for (let i = 0; i < all.length; i += batch) {
    await context.batches.batchWrite({ actor: seedActor, tenant: '', ctx }, 'upsert', all.slice(i, i + batch), { replace: true });
  }
  log(`context: ${all.length} entities (${demoKinds.map((k) => `${k.count} ${k.type}`).join(', ')})`);
  return all.length;
}
