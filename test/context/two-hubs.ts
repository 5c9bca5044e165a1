import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

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
