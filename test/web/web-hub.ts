import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../src/platform/clock/clock.js';
import { seedDemoCity } from '../../src/server/demo-city.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { ensureWebBuild } from './web-build.js';

/** Where the browser tests leave the screenshots the README links (created on first use). */
export const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');

/** Serves the hub (API and the production build) on a free local port; returns its base URL. */
export async function serveHub(hub: TestHub): Promise<string> {
  mkdirSync(screenshots, { recursive: true });
  await hub.http.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(hub.http.server.address() as AddressInfo).port}`;
}

/**
 * The seeded demo city on an in-memory PGlite, served with a fresh production build of the web app.
 *
 * @example const { hub, base } = await serveDemoCity({ clock: () => now });
 */
export async function serveDemoCity(options: { clock?: Clock } = {}): Promise<{ hub: TestHub; base: string }> {
  await ensureWebBuild();
  const hub = await createTestHub('pglite', options);
  await seedDemoCity(hub, () => undefined);
  return { hub, base: await serveHub(hub) };
}
