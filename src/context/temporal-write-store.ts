import { sql } from 'kysely';
import type { Db } from '../platform/db/database.js';
import { INSTANCE_PREFIX as INSTANCE, historyRecord, instanceIdSql } from './history-store.js';
import './tables.js';

/**
 * SQL of the temporal writes on stored history (§5.6.11–5.6.16): one attribute instance found by its instanceId,
 * changed or removed inside its history row, and the hourly rollup of the entity made to fold again.
 *
 * An instance written by the temporal API carries its instanceId; others (written by entity changes) are named
 * by their place: `urn:ngsi-ld:Instance:<row id>.<position in the attribute's list>`. Before a row's list is
 * changed every instance in it gets its name stored, so the names of the others never move.
 */

interface HeldRow {
  id: string;
  recorded_at: Date;
  attrs: Record<string, Record<string, unknown>[]>;
  deleted: string[];
}

/** The history row holding the instance, with the position of the instance in the attribute's list; undefined when none. */
async function findInstance(db: Db, tenant: string, entityId: string, attr: string, instanceId: string): Promise<{ row: HeldRow; at: number } | undefined> {
  const r = await sql<HeldRow & { n: string }>`
    select h.id, h.recorded_at, h.attrs, h.deleted, i.n
    from context_history h cross join lateral jsonb_array_elements(h.attrs->${attr}) with ordinality as i(value, n)
    where h.tenant = ${tenant} and h.entity_id = ${entityId} and h.attrs ? ${attr} and ${instanceIdSql} = ${instanceId}
    limit 1 for update of h`.execute(db);
  const hit = r.rows[0];
  return hit ? { row: hit, at: Number(hit.n) - 1 } : undefined;
}

/**
 * Replaces (`next`) or removes (`undefined`) one instance in its history row, keeping the names of the others;
 * returns false when no instance has that id. The row's observation range is recomputed, an emptied row goes,
 * and the entity's hourly rollup is rebuilt from its rows by the rollup job (queries add unrolled rows, so
 * answers stay exact meanwhile).
 */
export async function rewriteInstance(
  db: Db, tenant: string, entityId: string, attr: string, instanceId: string,
  edit: (old: Record<string, unknown>) => Record<string, unknown> | undefined,
): Promise<boolean> {
  const found = await findInstance(db, tenant, entityId, attr, instanceId);
  if (!found) return false;
  const { row, at } = found;
  const recordedAt = new Date(row.recorded_at).toISOString();
  const list = row.attrs[attr].map((inst, n) => ({ ...inst, instanceId: typeof inst.instanceId === 'string' ? inst.instanceId : `${INSTANCE}${row.id}.${n + 1}` }));
  const next = edit(list[at]);
  if (next) list[at] = { ...next, instanceId: list[at].instanceId };
  else list.splice(at, 1);
  const attrs = { ...row.attrs, [attr]: list };
  if (list.length === 0) delete attrs[attr];
  if (Object.keys(attrs).length === 0 && row.deleted.length === 0) {
    await db.deleteFrom('context_history').where('id', '=', row.id as never).execute();
  } else {
    const { a, lo, hi } = historyRecord(attrs, recordedAt, row.deleted.length > 0);
    // A changed instance keeps when it was changed (its modifiedAt: timeproperty=modifiedAt, sysAttrs), which
    // historyRecord drops as it drops the write times of entity changes (the row's recorded_at holds those).
    for (const name in attrs) attrs[name].forEach((inst, i) => {
      if (typeof inst.modifiedAt === 'string') a[name][i].modifiedAt = inst.modifiedAt;
    });
    await sql`update context_history set attrs = ${JSON.stringify(a)}::jsonb, obs_min = ${lo ?? recordedAt}::timestamptz,
      obs_max = ${hi ?? recordedAt}::timestamptz where id = ${row.id}`.execute(db);
  }
  await refoldEntity(db, tenant, entityId);
  return true;
}

/** Drops the entity's hourly rollup and marks its history rows for the rollup job to fold again. */
export async function refoldEntity(db: Db, tenant: string, entityId: string): Promise<void> {
  await db.deleteFrom('context_history_hourly').where('tenant', '=', tenant).where('entity_id', '=', entityId).execute();
  await db.updateTable('context_history').set({ rolled: false }).where('tenant', '=', tenant).where('entity_id', '=', entityId).where('rolled', '=', true).execute();
}

/** Whether any history is kept for the entity (a temporal entity exists while it has some). */
export async function historyExists(db: Db, tenant: string, entityId: string): Promise<boolean> {
  const r = await db.selectFrom('context_history').select('id').where('tenant', '=', tenant).where('entity_id', '=', entityId).limit(1).execute();
  return r.length > 0;
}
