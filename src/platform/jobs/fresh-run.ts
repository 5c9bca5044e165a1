/**
 * Runs a task one at a time so that every caller's answer comes from a run that started at or after its call:
 * a run under way may have read the state before the caller's change. Callers arriving during a run share the
 * one run queued to start when it ends (one more, not one each).
 *
 * @example
 * const refresh = new FreshRun(() => readChanges());
 * await save(change);
 * await refresh.run(); // has read `change`
 */
export class FreshRun<T> {
  private running: Promise<T> | undefined;
  private queued: Promise<T> | undefined;

  constructor(private readonly task: () => Promise<T>) {}

  run(): Promise<T> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    // the run under way reports its own failure to its callers; the queued one only waits for it to end
    const ended = this.running.then(() => undefined, () => undefined);
    return (this.queued = ended.then(() => {
      this.queued = undefined;
      return this.start();
    }));
  }

  private start(): Promise<T> {
    const run: Promise<T> = this.task().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
