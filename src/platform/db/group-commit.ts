/**
 * Group commit: requests that arrive while a batch is being written wait, and go together in the next one, so a
 * serial section (a counter row, the ledger's head) is entered once per batch instead of once per request. With
 * several nodes on one database, each node then holds such a row once for all its waiting requests instead of
 * queueing them one by one on the row lock. Under light load a batch is one request: no added wait.
 *
 * A batch that fails is written again one request at a time, so a bad request (a duplicate, a photo already used)
 * fails only itself and the others are not lost.
 *
 * @example const filings = new GroupCommit((items) => fileAll(items), 32); const ticket = await filings.submit(item);
 */
export class GroupCommit<T, R> {
  private readonly waiting: Array<{ item: T; resolve: (result: R) => void; reject: (err: unknown) => void }> = [];
  private draining = false;

  /** `write` commits its items in one transaction and returns a result per item, in their order. */
  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly maxBatch: number,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError('maxBatch must be a whole number ≥ 1');
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) await this.run(this.waiting.splice(0, this.maxBatch));
    } finally {
      this.draining = false;
    }
  }

  private async run(batch: typeof this.waiting): Promise<void> {
    let results: R[];
    try {
      results = await this.write(batch.map((b) => b.item));
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      for (const one of batch) await this.run([one]);
      return;
    }
    batch.forEach((b, i) => b.resolve(results[i]));
  }
}
