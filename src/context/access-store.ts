import type { Db } from '../platform/db/database.js';
import './tables.js';

export interface AccessRuleRow {
  id: string;
  org_id: string;
  tenant: string;
  entity_type: string;
  attributes: string[] | null;
  can_write: boolean;
  created_at: Date;
}

/** An organisation's rules in every tenant (a governed organisation sees nothing in a tenant it has no rule in). */
export const rulesForOrg = (db: Db, orgId: string): Promise<AccessRuleRow[]> =>
  db.selectFrom('context_access_rule').selectAll().where('org_id', '=', orgId).execute();

export const listRules = (db: Db, tenant: string): Promise<AccessRuleRow[]> =>
  db.selectFrom('context_access_rule').selectAll().where('tenant', '=', tenant).orderBy('created_at').execute();

export const insertRule = (db: Db, rule: { org_id: string; tenant: string; entity_type: string; attributes: string[] | null; can_write: boolean }) =>
  db.insertInto('context_access_rule').values(rule).returningAll().executeTakeFirstOrThrow();

/** Deletes a rule and returns it (undefined when there was none). */
export const deleteRule = (db: Db, tenant: string, id: string): Promise<AccessRuleRow | undefined> =>
  db.deleteFrom('context_access_rule').where('tenant', '=', tenant).where('id', '=', id).returningAll().executeTakeFirst();
