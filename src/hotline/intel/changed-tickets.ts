/**
 * Ticket ids the event bus reported changed, gathered for `batchMs` and handed to `read` together; one read at a
 * time, and ids reported during a read wait for the next. Owns the pending ids, the timer and the read in flight.
 *
 * @example const changed = new ChangedTickets(50, (ids) => index.readByIds(ids), log); changed.add(['…']);
 */
export class ChangedTickets {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly batchMs: number,
    /** Reads the ids given (all of them; the set is drained into it). */
    private readonly read: (ids: Set<string>) => Promise<void>,
    /** Where a failed read is reported (the periodic refresh reads those tickets anyway). */
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Ids from a bus message (anything else in it is ignored). */
  add(ids: unknown): void {
    if (!Array.isArray(ids)) return;
    for (const id of ids) if (typeof id === 'string') this.pending.add(id);
    this.schedule();
  }

  /** Drops what was reported and not read yet (no read is scheduled after this). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private schedule(): void {
    if (this.timer || this.reading || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reading = this.read(this.pending)
        .catch(this.onError)
        .finally(() => {
          this.reading = undefined;
          this.schedule();
        });
    }, this.batchMs);
  }
}
