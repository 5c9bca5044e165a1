import { describe, expect, it } from 'vitest';
import { InProcessEventBus, type EventData } from '../../src/platform/events/event-bus.js';
import { TicketChangeAnnouncer, TICKETS_CHANGED } from '../../src/hotline/ticket-changes.js';

/** Committed ticket changes go on the bus once per window per node, every changed ticket in it, none lost. */
describe('the ticket change announcer', () => {
  const heard = () => {
    const bus = new InProcessEventBus();
    const events: EventData[] = [];
    bus.subscribe(TICKETS_CHANGED, (d) => void events.push(d));
    return { bus, events };
  };
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('announces the changes of one window together, each ticket once, and the next window apart', async () => {
    const { bus, events } = heard();
    const changes = new TicketChangeAnnouncer(bus, 40);
    changes.announce(['t1', 't2']);
    changes.announce(['t2']);
    changes.announce(['t3']);
    await settle(10);
    expect(events).toEqual([]); // within the window nothing yet
    await expect.poll(() => events.length, { timeout: 5000, interval: 10 }).toBe(1);
    expect(events).toEqual([{ ids: ['t1', 't2', 't3'] }]);
    changes.announce(['t4']);
    await expect.poll(() => events.length, { timeout: 5000, interval: 10 }).toBe(2);
    expect(events).toEqual([{ ids: ['t1', 't2', 't3'] }, { ids: ['t4'] }]);
  });

  it('a node stopping announces what is pending; a window of 0 announces each change at once', async () => {
    const { bus, events } = heard();
    const changes = new TicketChangeAnnouncer(bus, 60_000);
    changes.announce(['t1']);
    changes.flush();
    changes.flush(); // nothing more pending: nothing more sent
    await expect.poll(() => events.length, { timeout: 5000, interval: 10 }).toBe(1);
    const now = new TicketChangeAnnouncer(bus, 0);
    now.announce(['t2']);
    now.announce(['t3']);
    await expect.poll(() => events.length, { timeout: 5000, interval: 10 }).toBe(3);
    await settle(20);
    expect(events).toEqual([{ ids: ['t1'] }, { ids: ['t2'] }, { ids: ['t3'] }]);
  });
});
