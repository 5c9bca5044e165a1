import type { Config } from '../config/config.js';
import { InProcessEventBus, type EventBus, type EventErrorSink } from './event-bus.js';
import { NatsEventBus } from './nats-event-bus.js';

export { InProcessEventBus, type EventBus, type EventData, type EventErrorSink, type EventHandler } from './event-bus.js';

/** The nodes' bus when `events.natsUrl` is set, else the in-process one. */
export async function createEventBus(config: Config['events'], onError: EventErrorSink): Promise<EventBus> {
  if (!config.natsUrl) return new InProcessEventBus(onError);
  return NatsEventBus.connect({ ...config, url: config.natsUrl, onError });
}
