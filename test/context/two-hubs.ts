import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Engine } from '../../src/platform/db/database.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';

/**
 * Support for tests with two CityHubs, one a context source of the other (csource-federation.test.ts,
 * csource-distributed.test.ts): both listen on loopback, so the outbound guard must allow 127.0.0.1.
 */

/** A free loopback port (a hub must know its own URL before it starts, to give it to the other as the notification endpoint). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A hub's config: loopback allowed, no simulator or MQTT, registrations read at every request (cacheMs 0), `extra` for `csources`. */
export const hubConfig = (extra: Record<string, unknown> = {}) => ({
  outbound: { allow: ['127.0.0.1'] },
  modules: { context: { simulator: { enabled: false }, mqtt: { ingest: false }, csources: { forwardTimeoutMs: 1500, cacheMs: 0, ...extra } } },
}) as never;

/**
 * Hub A (`hub-a`, its own URL as `selfUrl`, `aCsources` added to its `csources`) and hub B (`hub-b`), each with its
 * own database, listening on loopback; A is made first, B after (two embedded databases migrating at once hold the
 * event loop past Fastify's plugin timeout).
 *
 * @example const { a, b, aUrl, bUrl } = await startTwoHubs(engine, { maxEntitiesPerSource: 5 });
 */
export async function startTwoHubs(engine: Engine, aCsources: Record<string, unknown> = {}): Promise<{ a: TestHub; b: TestHub; aUrl: string; bUrl: string }> {
  const aPort = await freePort();
  const aUrl = `http://127.0.0.1:${aPort}`;
  const a = await createTestHub(engine, { config: hubConfig({ selfUrl: aUrl, brokerId: 'hub-a', ...aCsources }) });
  const b = await createTestHub(engine, { config: hubConfig({ brokerId: 'hub-b' }) });
  await a.http.listen({ port: aPort, host: '127.0.0.1' });
  await b.http.listen({ port: 0, host: '127.0.0.1' });
  return { a, b, aUrl, bUrl: `http://127.0.0.1:${(b.http.server.address() as AddressInfo).port}` };
}
