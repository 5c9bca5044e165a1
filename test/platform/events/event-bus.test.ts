import { afterAll, describe, expect, it } from 'vitest';
import { InProcessEventBus, type EventData } from '../../../src/platform/events/event-bus.js';
import { NatsEventBus } from '../../../src/platform/events/nats-event-bus.js';
import { dropTestStream, testEventsConfig } from '../../support/nats.js';

const waitFor = (predicate: () => boolean) => expect.poll(predicate, { timeout: 5000, interval: 20 }).toBe(true);

describe('the in-process event bus', () => {
  it('delivers to the subject\'s subscribers after the publishing call returns', async () => {
    const bus = new InProcessEventBus();
    const got: string[] = [];
    bus.subscribe('a', (d) => void got.push(`a1:${String(d.n)}`));
    const off = bus.subscribe('a', (d) => void got.push(`a2:${String(d.n)}`));
    bus.subscribe('b', (d) => void got.push(`b:${String(d.n)}`));
    bus.publish('a', { n: 1 });
    expect(got).toEqual([]);
    await waitFor(() => got.length === 2);
    expect(got).toEqual(['a1:1', 'a2:1']);
    off();
    bus.publish('a', { n: 2 });
    await waitFor(() => got.length === 3);
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['a1:1', 'a2:1', 'a1:2']);
  });

  it('reports a failing handler and still runs the others', async () => {
    const errors: string[] = [];
    const bus = new InProcessEventBus((message) => errors.push(message));
    const got: number[] = [];
    bus.subscribe('x', () => {
      throw new Error('boom');
    });
    bus.subscribe('x', async () => {
      throw new Error('async boom');
    });
    bus.subscribe('x', (d) => void got.push(d.n as number));
    bus.publish('x', { n: 7 });
    await waitFor(() => got.length === 1 && errors.length === 2);
    expect(errors).toEqual(['event x: handler failed', 'event x: handler failed']);
  });
});

describe('the NATS JetStream event bus (two nodes on the real server)', () => {
  const config = testEventsConfig();
  const buses: NatsEventBus[] = [];
  afterAll(async () => {
    for (const bus of buses) await bus.close();
    await dropTestStream(config.stream);
  });

  it('an event published on one node reaches both nodes\' subscribers exactly once', async () => {
    const a = await NatsEventBus.connect({ ...config, url: config.natsUrl! });
    const b = await NatsEventBus.connect({ ...config, url: config.natsUrl! });
    buses.push(a, b);
    const onA: EventData[] = [];
    const onB: EventData[] = [];
    a.subscribe('hotline.tickets.changed', (d) => void onA.push(d));
    b.subscribe('hotline.tickets.changed', (d) => void onB.push(d));
    b.subscribe('other.subject', () => void onB.push({ wrong: true }));
    a.publish('hotline.tickets.changed', { ids: ['t1'] });
    await waitFor(() => onA.length === 1 && onB.length === 1);
    b.publish('hotline.tickets.changed', { ids: ['t2', 't3'] });
    await waitFor(() => onA.length === 2 && onB.length === 2);
    await new Promise((r) => setTimeout(r, 300)); // no echo of a node's own event comes back from the stream
    expect(onA).toEqual([{ ids: ['t1'] }, { ids: ['t2', 't3'] }]);
    expect(onB).toEqual([{ ids: ['t1'] }, { ids: ['t2', 't3'] }]);
  });

  it('a server that cannot be reached is named in the error, within the connect timeout', async () => {
    const started = Date.now();
    const err = await NatsEventBus.connect({ ...config, url: 'nats://127.0.0.1:1', connectTimeoutSeconds: 1 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('cannot reach NATS at nats://127.0.0.1:1');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
