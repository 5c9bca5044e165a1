import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Config } from '../../src/platform/config/config.js';

/** The NATS server with JetStream that CI runs (DESIGN.md: events between nodes). */
export const testNatsUrl = process.env.CITYHUB_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Event settings of a stream and subjects of their own, so test files running at once never hear each other. */
export function testEventsConfig(): Config['events'] {
  const id = randomBytes(5).toString('hex');
  return { natsUrl: testNatsUrl, stream: `T_${id}`, subjectPrefix: `t${id}`, maxAgeSeconds: 300, connectTimeoutSeconds: 5 };
}

/** Deletes a test's stream (the events are kept `maxAgeSeconds` otherwise). */
export async function dropTestStream(stream: string): Promise<void> {
  const nc = await connect({ servers: testNatsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}
