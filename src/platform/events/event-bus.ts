/**
 * Change events between the parts of CityHub and between its nodes (DESIGN.md: NATS JetStream between nodes,
 * an in-process equivalent on one node). An event is a hint that something changed in the database, which stays
 * the truth: a node that misses one catches up on its next poll, so a lost event costs latency, never data.
 */

export type EventData = Record<string, unknown>;
export type EventHandler = (data: EventData) => void | Promise<void>;

export interface EventBus {
  readonly kind: 'in-process' | 'nats';
  /**
   * Delivers to this node's subscribers soon (not within the call) and to the other nodes'; never rejects. The
   * promise settles once the event has left this node (NATS: stored by JetStream); most callers need not wait.
   */
  publish(subject: string, data?: EventData): Promise<void>;
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

  async publish(subject: string, data: EventData = {}): Promise<void> {
    // Later, not now: a publisher inside a transaction or a handler must not run the subscribers in its stack.
    setImmediate(() => this.deliver(subject, data));
  }

  /** Runs the subject's handlers now (for a bus that receives events from elsewhere). */
  deliver(subject: string, data: EventData): void {
    for (const handler of this.handlers.get(subject) ?? []) {
      try {
        const done = handler(data);
        if (done instanceof Promise) done.catch((err: unknown) => this.onError(`event ${subject}: handler failed`, err));
      } catch (err) {
        this.onError(`event ${subject}: handler failed`, err);
      }
    }
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
