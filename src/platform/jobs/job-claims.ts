import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { Clock } from '../clock/clock.js';
import { claimJobRun, endJobRun, releaseJobRuns, renewJobRun } from './job-claim-store.js';

export interface JobClaimsOptions {
  db: Db;
  clock: Clock;
  /** How this node names itself in the claims (logs, metrics); unique per process. */
  nodeId: string;
  /** How long a claim outlives a node that stops renewing it (a crash); renewed every third of it. */
  leaseSeconds: number;
  /** A failed renewal (the run goes on; another node may take it over once the lease ends). */
  onError: (err: unknown) => void;
}

/** A name unique per process: host, pid and a random tail (a restarted pod may reuse the pid). */
export const defaultNodeId = (): string => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

/**
 * Cluster-wide periodic jobs (issue 20): each period of a job (whole intervals on the hub's clock) is run by the
 * one node that claims it first in `platform_job_run`; the others skip it. A run holds a lease it renews while it
 * works, so a node killed mid-run costs the lease, after which another node runs the job again (at least once).
 * On one node (PGlite) the claim always succeeds once per period.
 *
 * @example await claims.runOnce('hotline.refreshDeadlines', 60, () => deadlines.refreshDeadlines());
 */
export class JobClaims {
  private readonly held = new Set<string>();
  private readonly leaseMs: number;

  constructor(private readonly options: JobClaimsOptions) {
    this.leaseMs = options.leaseSeconds * 1000;
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  /** The runs this node holds now (metrics). */
  get heldCount(): number {
    return this.held.size;
  }

  /** Runs `work` when this node wins the job's current period; returns whether it ran. A failed run is handed back. */
  async runOnce(job: string, intervalSeconds: number, work: () => Promise<unknown>): Promise<boolean> {
    const { db, clock, nodeId, onError } = this.options;
    const now = clock();
    const period = Math.floor(now.getTime() / (intervalSeconds * 1000));
    if (!(await claimJobRun(db, job, period, nodeId, now, this.leaseEnd(now)))) return false;
    this.held.add(job);
    const beat = setInterval(() => void renewJobRun(db, job, nodeId, this.leaseEnd(clock())).catch(onError), this.leaseMs / 3);
    beat.unref();
    let finished = false;
    try {
      await work();
      finished = true;
    } finally {
      clearInterval(beat);
      this.held.delete(job);
      // A failure to record the end only delays the next period's claim until the lease ends.
      await endJobRun(db, job, nodeId, clock(), finished).catch(onError);
    }
    return true;
  }

  /** Hands back what this node still holds (graceful shutdown), so another node need not wait for the lease. */
  releaseAll(): Promise<number> {
    return releaseJobRuns(this.options.db, this.options.nodeId, this.options.clock());
  }

  private leaseEnd(now: Date): Date {
    return new Date(now.getTime() + this.leaseMs);
  }
}
