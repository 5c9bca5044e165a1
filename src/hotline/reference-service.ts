import type { Db } from '../platform/db/database.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import { assertCan } from '../platform/auth/permissions.js';
import type { Actor } from '../platform/auth/roles.js';
import { invalidField, Problem } from '../platform/errors/problem.js';
import * as store from './reference-store.js';
import type { AreaRow, CategoryRow, RoutingRuleRow } from './reference-store.js';
import type {
  AreaNode, AreaPatch, AreaView, CategoryListQuery, CategoryPath, CategoryView, NewArea, NewRoutingRule, RoutingRulePatch, RoutingRuleView,
  TaxonomyImportResult,
} from './schemas.js';

export const areaView = (a: AreaRow): AreaView => ({
  id: a.id, parentId: a.parent_id, name: a.name, level: a.level, orgId: a.org_id, centerLon: a.center_lon, centerLat: a.center_lat,
});
export const categoryView = (c: CategoryRow): CategoryView => ({
  id: c.id, code: c.code, level1: c.level1, level2: c.level2, level3: c.level3,
  path: [c.level1, c.level2, c.level3].filter(Boolean).join(' / '), active: c.active,
});
export const ruleView = (r: RoutingRuleRow): RoutingRuleView => ({
  id: r.id, categoryId: r.category_id, areaId: r.area_id, unitId: r.unit_id, priority: r.priority,
  createdAt: new Date(r.created_at).toISOString(),
});

const pathKey = (p: CategoryPath) => `${p.level1}\u0000${p.level2 ?? ''}\u0000${p.level3 ?? ''}`;

/** Codes are `C0001`, `C0002`…: short, stable once given (Open311 service_code), never reused. */
const nextCodeNumber = (existing: CategoryRow[]): number =>
  existing.reduce((max, c) => Math.max(max, /^C(\d+)$/.exec(c.code) ? Number(c.code.slice(1)) : 0), 0) + 1;

const isFkViolation = (err: unknown) => (err as { code?: string }).code === '23503';
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/**
 * The hotline's reference data: the area tree (district → street, each linked to the organisation that answers
 * for it), the three-level category taxonomy, and the routing rules (category × area → unit). Everyone working
 * tickets may read them; only administrators change them, and every change is ledgered.
 */
export class HotlineReferenceService {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
  ) {}

  // ── areas ─────────────────────────────────────────────────────────────────────────────────────────────

  /** Districts with their streets. */
  async areaTree(actor: Actor): Promise<AreaNode[]> {
    assertCan(actor, 'hotline.reference.read');
    const rows = (await store.listAreas(this.db)).map(areaView);
    const districts = rows.filter((a) => a.level === 'district').map((d) => ({ ...d, children: [] as AreaView[] }));
    const byId = new Map(districts.map((d) => [d.id, d]));
    for (const a of rows) if (a.level !== 'district' && a.parentId) byId.get(a.parentId)?.children.push(a);
    return districts;
  }

  async getArea(actor: Actor, id: string): Promise<AreaView> {
    assertCan(actor, 'hotline.reference.read');
    const area = await store.findArea(this.db, id);
    if (!area) throw new Problem('HOTLINE_AREA_NOT_FOUND', { detail: `area ${id} does not exist` });
    return areaView(area);
  }

  /** A district (no parent) or a street (parent: a district). */
  async createArea(actor: Actor, input: NewArea): Promise<AreaView> {
    assertCan(actor, 'hotline.reference.manage');
    let level = 'district';
    if (input.parentId) {
      const parent = await store.findArea(this.db, input.parentId);
      if (!parent) throw new Problem('HOTLINE_AREA_NOT_FOUND', { errors: [{ field: 'parentId', message: 'no such area' }] });
      if (parent.level !== 'district') {
        throw invalidField('parentId', 'streets belong to a district; the tree has two levels');
      }
      level = 'street';
    }
    try {
      return await this.db.transaction().execute(async (trx) => {
        const area = await store.insertArea(trx, {
          name: input.name.trim(), parent_id: input.parentId ?? null, level, org_id: input.orgId ?? null,
          center_lon: input.centerLon ?? null, center_lat: input.centerLat ?? null,
        });
        await this.ledger.append('hotline.area.created', actor, `area:${area.id}`, { level, org: area.org_id }, { trx });
        return areaView(area);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new Problem('HOTLINE_AREA_EXISTS', { errors: [{ field: 'name', message: 'already used at this level' }] });
      if (isFkViolation(err)) throw new Problem('AUTH_ORG_NOT_FOUND', { errors: [{ field: 'orgId', message: 'no such organisation' }] });
      throw err;
    }
  }

  async updateArea(actor: Actor, id: string, patch: AreaPatch): Promise<AreaView> {
    assertCan(actor, 'hotline.reference.manage');
    try {
      return await this.db.transaction().execute(async (trx) => {
        const area = await store.updateArea(trx, id, {
          ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
          ...(patch.orgId !== undefined ? { org_id: patch.orgId } : {}),
          ...(patch.centerLon !== undefined ? { center_lon: patch.centerLon } : {}),
          ...(patch.centerLat !== undefined ? { center_lat: patch.centerLat } : {}),
        });
        if (!area) throw new Problem('HOTLINE_AREA_NOT_FOUND', { detail: `area ${id} does not exist` });
        await this.ledger.append('hotline.area.updated', actor, `area:${id}`, { org: area.org_id }, { trx });
        return areaView(area);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new Problem('HOTLINE_AREA_EXISTS', { errors: [{ field: 'name', message: 'already used at this level' }] });
      if (isFkViolation(err)) throw new Problem('AUTH_ORG_NOT_FOUND', { errors: [{ field: 'orgId', message: 'no such organisation' }] });
      throw err;
    }
  }

  // ── categories ────────────────────────────────────────────────────────────────────────────────────────

  async listCategories(actor: Actor, options: CategoryListQuery = {}): Promise<CategoryView[]> {
    assertCan(actor, 'hotline.reference.read');
    return (await store.listCategories(this.db, !options.includeInactive)).map(categoryView);
  }

  /** Lists categories without an actor: for Open311's public `services` list and other trusted readers. */
  async publicCategories(): Promise<CategoryView[]> {
    return (await store.listCategories(this.db, true)).map(categoryView);
  }

  async getCategory(actor: Actor, id: string): Promise<CategoryView> {
    assertCan(actor, 'hotline.reference.read');
    const c = await store.findCategory(this.db, id);
    if (!c) throw new Problem('HOTLINE_CATEGORY_NOT_FOUND', { detail: `category ${id} does not exist` });
    return categoryView(c);
  }

  /** Adds one node (its missing parents are added too). 409 when the exact path exists. */
  async createCategory(actor: Actor, input: CategoryPath): Promise<CategoryView> {
    assertCan(actor, 'hotline.reference.manage');
    const path = cleanPath(input);
    if (!path) throw invalidField('level2', 'level3 needs level2; level1 is required');
    const result = await this.addPaths(actor, [path]);
    if (result.created === 0) throw new Problem('HOTLINE_CATEGORY_EXISTS', { detail: pathKey(path).replaceAll('\u0000', ' / ') });
    const all = await store.listCategories(this.db, false);
    return categoryView(all.find((c) => pathKey(c) === pathKey(path))!);
  }

  /** Turns a category on or off (an off category keeps its tickets but is not offered for new ones). */
  async setCategoryActive(actor: Actor, id: string, active: boolean): Promise<CategoryView> {
    assertCan(actor, 'hotline.reference.manage');
    return this.db.transaction().execute(async (trx) => {
      const c = await store.updateCategory(trx, id, { active });
      if (!c) throw new Problem('HOTLINE_CATEGORY_NOT_FOUND', { detail: `category ${id} does not exist` });
      await this.ledger.append('hotline.category.updated', actor, `category:${id}`, { active }, { trx });
      return categoryView(c);
    });
  }

  /**
   * Imports taxonomy rows (level1, level2, level3): every node and its parents, skipping those already there,
   * so importing the same file twice adds nothing.
   *
   * @example await reference.importTaxonomy(admin, [{ level1: '城乡建设', level2: '安全生产', level3: '安全隐患' }])
   */
  async importTaxonomy(actor: Actor, rows: CategoryPath[]): Promise<TaxonomyImportResult> {
    assertCan(actor, 'hotline.reference.manage');
    return this.insertTaxonomy(actor, rows);
  }

  /** importTaxonomy without the permission check: for the CLI (`cityhub taxonomy import`) and other trusted callers. */
  async insertTaxonomy(actor: Actor, rows: CategoryPath[]): Promise<TaxonomyImportResult> {
    const paths = rows.map(cleanPath);
    const good = paths.filter((p): p is CategoryPath => !!p);
    const { created, nodes } = await this.addPaths(actor, good);
    return { rows: rows.length, created, existing: nodes - created, bad: paths.length - good.length };
  }

  private async addPaths(actor: Actor, paths: CategoryPath[]): Promise<{ created: number; nodes: number }> {
    const nodes = new Map<string, CategoryPath>();
    for (const p of paths) {
      nodes.set(pathKey({ level1: p.level1 }), { level1: p.level1 });
      if (p.level2) nodes.set(pathKey({ level1: p.level1, level2: p.level2 }), { level1: p.level1, level2: p.level2 });
      if (p.level3) nodes.set(pathKey(p), p);
    }
    return this.db.transaction().execute(async (trx) => {
      const existing = await store.listCategories(trx, false);
      const known = new Set(existing.map((c) => pathKey(c)));
      let n = nextCodeNumber(existing);
      const fresh = [...nodes.entries()]
        .filter(([key]) => !known.has(key))
        .map(([, p]) => ({ code: `C${String(n++).padStart(4, '0')}`, level1: p.level1, level2: p.level2 ?? null, level3: p.level3 ?? null }));
      const created = await store.insertCategoriesIfAbsent(trx, fresh);
      if (created > 0) await this.ledger.append('hotline.taxonomy.imported', actor, 'taxonomy', { created, nodes: nodes.size }, { trx });
      return { created, nodes: nodes.size };
    });
  }

  // ── routing rules ─────────────────────────────────────────────────────────────────────────────────────

  async listRules(actor: Actor): Promise<RoutingRuleView[]> {
    assertCan(actor, 'hotline.reference.read');
    return (await store.listRoutingRules(this.db)).map(ruleView);
  }

  async createRule(actor: Actor, input: NewRoutingRule): Promise<RoutingRuleView> {
    assertCan(actor, 'hotline.reference.manage');
    try {
      return await this.db.transaction().execute(async (trx) => {
        const rule = await store.insertRoutingRule(trx, {
          category_id: input.categoryId ?? null, area_id: input.areaId ?? null, unit_id: input.unitId, priority: input.priority ?? 0,
        });
        await this.ledger.append('hotline.routing_rule.created', actor, `routing_rule:${rule.id}`, ruleFacts(rule), { trx });
        return ruleView(rule);
      });
    } catch (err) {
      throw ruleReferenceProblem(err);
    }
  }

  async updateRule(actor: Actor, id: string, patch: RoutingRulePatch): Promise<RoutingRuleView> {
    assertCan(actor, 'hotline.reference.manage');
    try {
      return await this.db.transaction().execute(async (trx) => {
        const rule = await store.updateRoutingRule(trx, id, {
          ...(patch.categoryId !== undefined ? { category_id: patch.categoryId } : {}),
          ...(patch.areaId !== undefined ? { area_id: patch.areaId } : {}),
          ...(patch.unitId !== undefined ? { unit_id: patch.unitId } : {}),
          ...(patch.priority !== undefined ? { priority: patch.priority } : {}),
        });
        if (!rule) throw new Problem('HOTLINE_RULE_NOT_FOUND', { detail: `routing rule ${id} does not exist` });
        await this.ledger.append('hotline.routing_rule.updated', actor, `routing_rule:${id}`, ruleFacts(rule), { trx });
        return ruleView(rule);
      });
    } catch (err) {
      throw ruleReferenceProblem(err);
    }
  }

  async deleteRule(actor: Actor, id: string): Promise<void> {
    assertCan(actor, 'hotline.reference.manage');
    await this.db.transaction().execute(async (trx) => {
      const gone = await store.deleteRoutingRule(trx, id);
      if (!gone) throw new Problem('HOTLINE_RULE_NOT_FOUND', { detail: `routing rule ${id} does not exist` });
      await this.ledger.append('hotline.routing_rule.deleted', actor, `routing_rule:${id}`, {}, { trx });
    });
  }
}

const ruleFacts = (r: RoutingRuleRow) => ({ category: r.category_id, area: r.area_id, unit: r.unit_id, priority: r.priority });

/** A rule names a category, an area and a unit; a foreign key failing means one of them does not exist. */
const ruleReferenceProblem = (err: unknown): unknown => {
  if (!isFkViolation(err)) return err;
  const constraint = String((err as { constraint?: string }).constraint ?? '');
  if (constraint.includes('category')) return new Problem('HOTLINE_CATEGORY_NOT_FOUND', { errors: [{ field: 'categoryId', message: 'no such category' }] });
  if (constraint.includes('area')) return new Problem('HOTLINE_AREA_NOT_FOUND', { errors: [{ field: 'areaId', message: 'no such area' }] });
  return new Problem('HOTLINE_UNIT_NOT_FOUND', { errors: [{ field: 'unitId', message: 'no such organisation' }] });
};

/** Trimmed path, or null when it has a hole (level3 without level2) or no level1. */
const cleanPath = (p: CategoryPath): CategoryPath | null => {
  const level1 = p.level1?.trim() ?? '';
  const level2 = p.level2?.trim() || null;
  const level3 = p.level3?.trim() || null;
  if (!level1 || (level3 && !level2)) return null;
  return { level1, level2, level3 };
};
