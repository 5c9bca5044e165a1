/**
 * A small in-process scheduler for a module's background work (the hotline's deadline flags, the catalog's
 * overdue sharing requests): runs `work` at start and then every `intervalSeconds` (0 turns it off). Which node
 * runs a period is decided inside `work` (JobClaims.runOnce, wrapped around it by the composition root); the work
 * stays idempotent all the same, since a node killed mid-run has its period run again by another.
 *
 * @example const job = new PeriodicJob(() => tickets.refreshDeadlines(clock()), 60, (err) => log.error({ err }, "deadlines failed")); job.start();
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly work: () => Promise<unknown>,
    private readonly intervalSeconds: number,
    /** Where a failed run is reported (a job's error must never vanish). */
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    if (this.timer || this.intervalSeconds <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.intervalSeconds * 1000);
    // The job must never keep a finished process (a CLI command, a test) alive.
    this.timer.unref();
    void this.tick();
  }

  /** Stops the schedule; resolves when a run still going has ended (graceful shutdown finishes its work). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One run; skipped while the previous one is still going (a slow database must not pile runs up). */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = Promise.resolve().then(() => this.work()).then(() => undefined, (err: unknown) => this.onError(err)).finally(() => {
      this.running = undefined;
    });
    await this.running;
  }
}
