import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import '../tables.js';

/** Model columns without the (large) serialized model. */
const modelColumns = [
  'version', 'created_at', 'trained_by', 'trigger', 'examples', 'held_out', 'labelled_tickets', 'agent_labels', 'labels',
  'evaluation', 'train_seconds', 'status', 'activated_at',
] as const;

export const listModels = (db: Db, limit: number) =>
  db.selectFrom('hotline_classifier_model').select(modelColumns).orderBy('version', 'desc').limit(limit).execute();

export type ModelRow = Awaited<ReturnType<typeof listModels>>[number];

export const findModel = (db: Db, version: number) =>
  db.selectFrom('hotline_classifier_model').select(modelColumns).where('version', '=', version).executeTakeFirst();

export const findActiveVersion = async (db: Db): Promise<number | null> =>
  (await db.selectFrom('hotline_classifier_model').select('version').where('status', '=', 'active').executeTakeFirst())?.version ?? null;

/** The serialized model as gzipped JSON (versions stored as JSON text before 20261126-31 are gzipped here). */
export const findModelGzip = async (db: Db, version: number): Promise<Uint8Array | null> => {
  const r = await db.selectFrom('hotline_classifier_model').select(['model_gzip', 'model']).where('version', '=', version).executeTakeFirst();
  return r?.model_gzip ?? (r?.model ? gzipSync(r.model) : null);
};

export const findLatestModel = (db: Db) =>
  db.selectFrom('hotline_classifier_model').select(modelColumns).orderBy('version', 'desc').limit(1).executeTakeFirst();

export const insertModel = (
  db: Db,
  row: {
    created_at: Date; trained_by: string; trigger: string; examples: number; held_out: number; labelled_tickets: number;
    agent_labels: number; labels: string[]; evaluation: Record<string, unknown>; train_seconds: number; model_gzip: Uint8Array;
  },
) =>
  db
    .insertInto('hotline_classifier_model')
    .values({ ...row, model_gzip: Buffer.from(row.model_gzip.buffer, row.model_gzip.byteOffset, row.model_gzip.byteLength), evaluation: JSON.stringify(row.evaluation), status: 'candidate' })
    .returning('version')
    .executeTakeFirstOrThrow();

/**
 * Makes `version` the one active model; the previous one is retired. The table lock serialises two activations
 * racing on different nodes (the partial unique index would otherwise fail one of them).
 */
export async function activateModel(trx: Db, version: number, at: Date): Promise<{ previous: number | null }> {
  await sql`lock table hotline_classifier_model in share row exclusive mode`.execute(trx);
  const previous = await findActiveVersion(trx);
  if (previous === version) return { previous };
  await trx.updateTable('hotline_classifier_model').set({ status: 'retired' }).where('status', '=', 'active').execute();
  await trx.updateTable('hotline_classifier_model').set({ status: 'active', activated_at: at }).where('version', '=', version).execute();
  return { previous };
}

// ── training examples ───────────────────────────────────────────────────────────────────────────────────────

/** The newest label of each ticket (an agent may correct a correction). */
const latestLabel = (db: Db) =>
  db
    .selectFrom('hotline_classifier_label as l')
    .select(['l.ticket_id', 'l.label', 'l.category_id'])
    .distinctOn('l.ticket_id')
    .orderBy('l.ticket_id')
    .orderBy('l.id', 'desc');

/**
 * Training examples: categorised tickets with their category's levels, the agent's label overriding it, plus
 * labelled tickets that have no category. Labelled tickets first, then the newest, at most `limit`.
 * (A label's category gives its levels: labels reference categories, which cannot be deleted under them.)
 */
export const findTrainingExamples = (db: Db, limit: number) =>
  db
    .selectFrom('hotline_ticket as t')
    .leftJoin('hotline_category as c', 'c.id', 't.category_id')
    .leftJoin(latestLabel(db).as('l'), 'l.ticket_id', 't.id')
    .leftJoin('hotline_category as lc', 'lc.id', 'l.category_id')
    .select([
      't.title',
      't.content',
      sql<string>`case when l.label is not null then lc.level1 else c.level1 end`.as('level1'),
      sql<string | null>`case when l.label is not null then lc.level2 else c.level2 end`.as('level2'),
      sql<string | null>`case when l.label is not null then lc.level3 else c.level3 end`.as('level3'),
      sql<boolean>`l.label is not null`.as('labelled'),
    ])
    .where((eb) => eb.or([eb('t.category_id', 'is not', null), eb('l.label', 'is not', null)]))
    .orderBy(sql`l.label is not null`, 'desc')
    .orderBy('t.created_at', 'desc')
    .limit(limit)
    .execute();

/** Tickets that can train the model (categorised or labelled). */
export const countLabelledTickets = async (db: Db): Promise<number> => {
  const r = await db
    .selectFrom('hotline_ticket as t')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb) =>
      eb.or([
        eb('t.category_id', 'is not', null),
        eb.exists(eb.selectFrom('hotline_classifier_label as l').select('l.id').whereRef('l.ticket_id', '=', 't.id')),
      ]),
    )
    .executeTakeFirstOrThrow();
  return Number(r.n);
};

export const countLabels = async (db: Db, since: Date | null): Promise<number> => {
  let q = db.selectFrom('hotline_classifier_label').select((eb) => eb.fn.countAll<number>().as('n'));
  if (since) q = q.where('created_at', '>', since);
  return Number((await q.executeTakeFirstOrThrow()).n);
};

// ── labels ──────────────────────────────────────────────────────────────────────────────────────────────────

export const insertLabel = (
  db: Db,
  row: { ticket_id: string; category_id: string; label: string; text: string; suggested: string | null; model_version: number | null; source: string; actor: string; created_at: Date },
) => db.insertInto('hotline_classifier_label').values(row).returningAll().executeTakeFirstOrThrow();

export type LabelRow = Awaited<ReturnType<typeof insertLabel>>;

/** The text an agent labels: the ticket's title and content. */
export const findLabelledTicket = (db: Db, id: string) =>
  db.selectFrom('hotline_ticket').select(['id', 'title', 'content']).where('id', '=', id).executeTakeFirst();

/** A category with its levels (its path is the label). */
export const findCategoryLevels = (db: Db, id: string) =>
  db.selectFrom('hotline_category').select(['id', 'level1', 'level2', 'level3']).where('id', '=', id).executeTakeFirst();

// ── jobs ────────────────────────────────────────────────────────────────────────────────────────────────────

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/** Jobs whose node stopped beating (crashed, killed) no longer hold the claim. */
export const failStaleJobs = (db: Db, now: Date, staleBefore: Date) =>
  db
    .updateTable('hotline_classifier_job')
    .set({ status: 'failed', finished_at: now, error: 'abandoned: the training node stopped reporting' })
    .where('status', '=', 'running')
    .where('heartbeat_at', '<', staleBefore)
    .execute();

/** Claims the cluster's one training slot; null when another node's training is running. */
export async function insertRunningJob(db: Db, job: { trigger: string; requested_by: string; now: Date }) {
  try {
    return await db
      .insertInto('hotline_classifier_job')
      .values({ trigger: job.trigger, requested_by: job.requested_by, status: 'running', started_at: job.now, heartbeat_at: job.now })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (err) {
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}

/**
 * The scheduler's claim: a running job is inserted only if no scheduled attempt started and no model was made
 * after `since`, in one statement, so of two nodes checking at once one inserts and the other finds the row
 * (or collides on the running-job index).
 */
export async function claimScheduledJob(db: Db, requestedBy: string, now: Date, since: Date) {
  try {
    const r = await sql<{ id: string }>`
      insert into hotline_classifier_job (trigger, requested_by, status, started_at, heartbeat_at)
      select 'scheduled', ${requestedBy}, 'running', ${now}, ${now}
      where not exists (select 1 from hotline_classifier_job where trigger = 'scheduled' and started_at > ${since})
        and not exists (select 1 from hotline_classifier_model where created_at > ${since})
      returning id`.execute(db);
    return r.rows[0] ? findJob(db, r.rows[0].id) : null;
  } catch (err) {
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}

export const findJob = (db: Db, id: string) => db.selectFrom('hotline_classifier_job').selectAll().where('id', '=', id).executeTakeFirst();

export type JobRow = NonNullable<Awaited<ReturnType<typeof findJob>>>;

export const findRunningJob = (db: Db) => db.selectFrom('hotline_classifier_job').selectAll().where('status', '=', 'running').executeTakeFirst();

export const listJobs = (db: Db, limit: number) =>
  db.selectFrom('hotline_classifier_job').selectAll().orderBy('started_at', 'desc').limit(limit).execute();

export const updateJob = (
  db: Db,
  id: string,
  patch: { status?: string; heartbeat_at?: Date; finished_at?: Date; progress?: string; model_version?: number; activated?: boolean; error?: string },
) => db.updateTable('hotline_classifier_job').set(patch).where('id', '=', id).execute();
