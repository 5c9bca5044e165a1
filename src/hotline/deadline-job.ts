/**
 * The deadline job: a small in-process scheduler that refreshes the sign_overdue / overdue / deadline_warning
 * flags every `intervalSeconds`. Its work is one idempotent UPDATE per flag, so every CityHub node may run it
 * against the same PostgreSQL without coordination: two nodes racing set the same flags to the same values.
 */
export class DeadlineJob {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly work: () => Promise<unknown>,
    private readonly intervalSeconds: number,
    private readonly onError: (err: unknown) => void = () => {},
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
