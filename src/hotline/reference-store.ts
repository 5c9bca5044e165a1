import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import type { HotlineAreaTable, HotlineCategoryTable, HotlineRoutingRuleTable } from './tables.js';
import './tables.js';

export type AreaRow = Selectable<HotlineAreaTable>;
export type CategoryRow = Selectable<HotlineCategoryTable>;
export type RoutingRuleRow = Selectable<HotlineRoutingRuleTable>;

// ── areas (district → street) ────────────────────────────────────────────────────────────────────────────────

export const listAreas = (db: Db) => db.selectFrom('hotline_area').selectAll().orderBy('level').orderBy('name').execute();

export const findArea = (db: Db, id: string) => db.selectFrom('hotline_area').selectAll().where('id', '=', id).executeTakeFirst();

export const findAreaByName = (db: Db, parentId: string | null, name: string) =>
  db
    .selectFrom('hotline_area')
    .selectAll()
    .where('name', '=', name)
    .where((eb) => (parentId ? eb('parent_id', '=', parentId) : eb('parent_id', 'is', null)))
    .executeTakeFirst();

export const insertArea = (db: Db, area: Insertable<HotlineAreaTable>) =>
  db.insertInto('hotline_area').values(area).returningAll().executeTakeFirstOrThrow();

export const insertAreasBulk = (db: Db, areas: Insertable<HotlineAreaTable>[]) =>
  db.insertInto('hotline_area').values(areas).returningAll().execute();

export const updateArea = (db: Db, id: string, patch: Updateable<HotlineAreaTable>) =>
  db.updateTable('hotline_area').set(patch).where('id', '=', id).returningAll().executeTakeFirst();

// ── categories (three levels) ───────────────────────────────────────────────────────────────────────────────

export const listCategories = (db: Db, activeOnly: boolean) => {
  let q = db.selectFrom('hotline_category').selectAll();
  if (activeOnly) q = q.where('active', '=', true);
  return q.orderBy('level1').orderBy(sql`coalesce(level2, '')`).orderBy(sql`coalesce(level3, '')`).execute();
};

export const findCategory = (db: Db, id: string) =>
  db.selectFrom('hotline_category').selectAll().where('id', '=', id).executeTakeFirst();

/** The node and its ancestors (level1, level1/level2) in the taxonomy. */
export const findCategoryLineage = async (db: Db, id: string): Promise<CategoryRow[]> => {
  const node = await findCategory(db, id);
  if (!node) return [];
  const ancestors = await db
    .selectFrom('hotline_category')
    .selectAll()
    .where('level1', '=', node.level1)
    .where((eb) =>
      eb.or([
        eb.and([eb('level2', 'is', null), eb('level3', 'is', null)]),
        ...(node.level2 && node.level3 ? [eb.and([eb('level2', '=', node.level2), eb('level3', 'is', null)])] : []),
      ]),
    )
    .execute();
  return [node, ...ancestors.filter((a) => a.id !== node.id)];
};

export const findCategoryByCode = (db: Db, code: string) =>
  db.selectFrom('hotline_category').selectAll().where('code', '=', code).executeTakeFirst();

export const countCategories = async (db: Db): Promise<number> => {
  const row = await db.selectFrom('hotline_category').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
};

/**
 * Inserts category nodes that do not exist yet (same level1/level2/level3 path) and returns how many were new.
 * The conflict target is the expression index `hotline_category_path` (migration 20261126-11).
 */
export const insertCategoriesIfAbsent = async (db: Db, rows: Insertable<HotlineCategoryTable>[]): Promise<number> => {
  if (rows.length === 0) return 0;
  const inserted = await db
    .insertInto('hotline_category')
    .values(rows)
    .onConflict((oc) => oc.expression(sql`level1, coalesce(level2, ''), coalesce(level3, '')`).doNothing())
    .returning('id')
    .execute();
  return inserted.length;
};

export const updateCategory = (db: Db, id: string, patch: Updateable<HotlineCategoryTable>) =>
  db.updateTable('hotline_category').set(patch).where('id', '=', id).returningAll().executeTakeFirst();

// ── routing rules (category × area → unit) ──────────────────────────────────────────────────────────────────

export const listRoutingRules = (db: Db) =>
  db.selectFrom('hotline_routing_rule').selectAll().orderBy('priority', 'desc').orderBy('created_at').execute();

export const findRoutingRule = (db: Db, id: string) =>
  db.selectFrom('hotline_routing_rule').selectAll().where('id', '=', id).executeTakeFirst();

export const insertRoutingRule = (db: Db, rule: Insertable<HotlineRoutingRuleTable>) =>
  db.insertInto('hotline_routing_rule').values(rule).returningAll().executeTakeFirstOrThrow();

export const insertRoutingRulesBulk = (db: Db, rules: Insertable<HotlineRoutingRuleTable>[]) =>
  db.insertInto('hotline_routing_rule').values(rules).execute();

export const updateRoutingRule = (db: Db, id: string, patch: Updateable<HotlineRoutingRuleTable>) =>
  db.updateTable('hotline_routing_rule').set(patch).where('id', '=', id).returningAll().executeTakeFirst();

export const deleteRoutingRule = (db: Db, id: string) =>
  db.deleteFrom('hotline_routing_rule').where('id', '=', id).returning('id').executeTakeFirst();

/**
 * Rules that could route this ticket: the category or one of its ancestors (or any category) in one of the areas (or any area).
 * The service ranks them (most specific first); there are few per category, so no ranking in SQL.
 */
export const findCandidateRules = (db: Db, categoryIds: string[], areaIds: string[]) =>
  db
    .selectFrom('hotline_routing_rule')
    .selectAll()
    .where((eb) => eb.or([eb('category_id', 'is', null), ...(categoryIds.length ? [eb('category_id', 'in', categoryIds)] : [])]))
    .where((eb) => eb.or([eb('area_id', 'is', null), ...(areaIds.length ? [eb('area_id', 'in', areaIds)] : [])]))
    .execute();
