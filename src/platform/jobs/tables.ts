import type { ColumnType } from 'kysely';

/**
 * One row per cluster-wide periodic job: the period it last ran for, the node holding it and until when. A node
 * that dies mid-run keeps the row only until `lease_until`; then another node takes the job over.
 */
export interface JobRunTable {
  /** `<module>.<job>` */
  job: string;
  /** the period's number: whole intervals since the epoch on the hub's clock */
  period: ColumnType<string, number, number>;
  node: string;
  claimed_at: ColumnType<Date, Date, Date>;
  lease_until: ColumnType<Date, Date, Date>;
  /** null while the run goes on (or after a crash, until the lease ends) */
  finished_at: ColumnType<Date | null, Date | null, Date | null>;
  /** runs started over the job's life, takeovers included (metrics, the cluster test) */
  runs: ColumnType<string, number, number>;
}

declare module '../db/schema.js' {
  interface Database {
    platform_job_run: JobRunTable;
  }
}
