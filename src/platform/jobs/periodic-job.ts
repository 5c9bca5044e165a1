/**
 * A small in-process scheduler for a module's background work (the hotline's deadline flags, the catalog's
 * overdue sharing requests): runs `work` at start and then every `intervalSeconds` (0 turns it off). The work
 * must be idempotent, so every CityHub node may run it against the same PostgreSQL without coordination: two
 * nodes racing set the same flags to the same values.
 *
 * @example const job = new PeriodicJob(() => tickets.refreshDeadlines(clock()), 60, (err) => log.error({ err }, "deadlines failed")); job.start();
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

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

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One run; skipped while the previous one is still going (a slow database must not pile runs up). */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.work();
    } catch (err) {
      this.onError(err);
    } finally {
      this.running = false;
    }
  }
}
