import { sql } from 'kysely';
import type { Db } from '../platform/db/database.js';

// Privacy budgets of disclosure control: one account per holder (a grant), what it may spend and has spent.

/** Opens an account unless it exists (a holder's budget is fixed when it is first opened). */
export const openBudget = (db: Db, holder: string, budget: { epsilon: number; delta: number }, at: Date) =>
  db.insertInto('catalog_privacy_budget')
    .values({ holder, epsilon: budget.epsilon, delta: budget.delta, spent: 0, releases: 0, opened_at: at, updated_at: at })
    .onConflict((oc) => oc.column('holder').doNothing())
    .execute();

/**
 * Spends `epsilon` of the holder's budget in one statement, only if that much is left (a tolerance of 1e-9 for
 * the sum of floating-point charges): two releases racing cannot both take the last of it. Undefined when refused.
 */
export const chargeBudget = (db: Db, holder: string, epsilon: number, at: Date) =>
  db.updateTable('catalog_privacy_budget')
    .set({ spent: sql`spent + ${epsilon}`, releases: sql`releases + 1`, updated_at: at })
    .where('holder', '=', holder)
    .where(sql<boolean>`spent + ${epsilon} <= epsilon + 1e-9`)
    .returning(['epsilon', 'delta', 'spent', 'releases'])
    .executeTakeFirst();

export const findBudget = (db: Db, holder: string) =>
  db.selectFrom('catalog_privacy_budget').select(['epsilon', 'delta', 'spent', 'releases']).where('holder', '=', holder).executeTakeFirst();

/** Budgets of many holders at once (grant lists). */
export const findBudgets = (db: Db, holders: string[]) =>
  holders.length === 0 ? Promise.resolve([]) :
    db.selectFrom('catalog_privacy_budget').select(['holder', 'epsilon', 'delta', 'spent', 'releases']).where('holder', 'in', holders).execute();
