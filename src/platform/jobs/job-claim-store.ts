import { sql } from 'kysely';
import type { Db } from '../db/database.js';

/**
 * Takes the job's run for `period` when nobody has: the job never ran, its last run (of an older period) finished,
 * or the node running it stopped renewing its lease (a crash). One statement, so two nodes racing cannot both win.
 */
export async function claimJobRun(db: Db, job: string, period: number, node: string, now: Date, leaseUntil: Date): Promise<boolean> {
  const row = await db.insertInto('platform_job_run')
    .values({ job, period, node, claimed_at: now, lease_until: leaseUntil, finished_at: null, runs: 1 })
    .onConflict((oc) => oc.column('job')
      .doUpdateSet((eb) => ({
        period: eb.ref('excluded.period'), node: eb.ref('excluded.node'), claimed_at: eb.ref('excluded.claimed_at'),
        lease_until: eb.ref('excluded.lease_until'), finished_at: null,
        // Kysely has no arithmetic on the conflicting row's own column
        runs: sql<number>`platform_job_run.runs + 1`,
      }))
      .where((eb) => eb.or([
        eb.and([eb('platform_job_run.period', '<', eb.ref('excluded.period')), eb('platform_job_run.finished_at', 'is not', null)]),
        eb.and([eb('platform_job_run.finished_at', 'is', null), eb('platform_job_run.lease_until', '<=', now)]),
      ])))
    .returning('job')
    .executeTakeFirst();
  return row !== undefined;
}

/** Extends the lease of a run still going on this node; false when another node took it over meanwhile. */
export async function renewJobRun(db: Db, job: string, node: string, leaseUntil: Date): Promise<boolean> {
  const r = await db.updateTable('platform_job_run').set({ lease_until: leaseUntil })
    .where('job', '=', job).where('node', '=', node).where('finished_at', 'is', null).executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** Ends this node's run: done for its period (`finished`), or handed back so any node may run it again now. */
export const endJobRun = (db: Db, job: string, node: string, now: Date, finished: boolean) =>
  db.updateTable('platform_job_run').set(finished ? { finished_at: now, lease_until: now } : { lease_until: now })
    .where('job', '=', job).where('node', '=', node).where('finished_at', 'is', null).execute();

/** Hands back every run this node holds (graceful shutdown): the others need not wait for the leases to end. */
export async function releaseJobRuns(db: Db, node: string, now: Date): Promise<number> {
  const r = await db.updateTable('platform_job_run').set({ lease_until: now })
    .where('node', '=', node).where('finished_at', 'is', null).where('lease_until', '>', now).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Every job's row (the cluster test, operators' questions). */
export const listJobRuns = (db: Db) => db.selectFrom('platform_job_run').selectAll().orderBy('job').execute();
