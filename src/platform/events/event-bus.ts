/**
 * Change events between the parts of CityHub and between its nodes (DESIGN.md: NATS JetStream between nodes,
 * an in-process equivalent on one node). An event is a hint that something changed in the database, which stays
 * the truth: a node that misses one catches up on its next poll, so a lost event costs latency, never data.
 */

export type EventData = Record<string, unknown>;
export type EventHandler = (data: EventData) => void | Promise<void>;

export interface EventBus {
  readonly kind: 'in-process' | 'nats';
  /** Delivers to this node's subscribers soon (not within the call) and to the other nodes'; never throws. */
  publish(subject: string, data?: EventData): void;
  /**
   * Runs the subject's handlers on every node now and resolves once they have run, with the number of nodes
   * that answered; never rejects. For what must not wait for the next poll (a revoked key): NATS asks every
   * node and waits until the answers stop coming; a node that does not answer must catch up by other means.
   */
  broadcast(subject: string, data?: EventData): Promise<number>;
  /** Handles the events of one subject (exact match); returns the unsubscribe function. */
  subscribe(subject: string, handler: EventHandler): () => void;
  close(): Promise<void>;
}

/** Reports a handler's failure or a lost publish; the bus goes on. */
export type EventErrorSink = (message: string, err: unknown) => void;

/** The single-node bus: subscribers of this process only. */
export class InProcessEventBus implements EventBus {
  readonly kind: EventBus['kind'] = 'in-process';
  private readonly handlers = new Map<string, Set<EventHandler>>();

  constructor(private readonly onError: EventErrorSink = () => {}) {}

  publish(subject: string, data: EventData = {}): void {
    // Later, not now: a publisher inside a transaction or a handler must not run the subscribers in its stack.
    setImmediate(() => void this.deliver(subject, data));
  }

  async broadcast(subject: string, data: EventData = {}): Promise<number> {
    await this.deliver(subject, data);
    return 1;
  }

  /** Runs the subject's handlers now (for a bus that receives events from elsewhere); resolves when they are done. */
  async deliver(subject: string, data: EventData): Promise<void> {
    const runs = [...(this.handlers.get(subject) ?? [])].map(async (handler) => {
      try {
        await handler(data);
      } catch (err) {
        this.onError(`event ${subject}: handler failed`, err);
      }
    });
    await Promise.all(runs);
  }

  subscribe(subject: string, handler: EventHandler): () => void {
    let set = this.handlers.get(subject);
    if (!set) this.handlers.set(subject, (set = new Set()));
    set.add(handler);
    return () => void set.delete(handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
