import type { Db } from '../platform/db/database.js';
import * as reference from './reference-store.js';
import type { UnitSuggestion } from './schemas.js';

/**
 * Routing (派单建议): which unit a ticket of a category in an area goes to, from the routing rules, else the
 * government of its district (首接负责). Dispatch, the routing route, the importer and intake assist ask it.
 */
export class RoutingService {
  constructor(private readonly db: Db) {}

  /**
   * Rules category × area → unit, most specific first: a rule on the ticket's own category beats one on its
   * level-2 parent, which beats its level-1 parent, which beats an any-category rule; among those, a street beats
   * its district, which beats any area; then the higher priority, then the older rule. No rule → the government
   * of the ticket's district (首接负责). `db` is the caller's transaction when it has one.
   *
   * @example await routing.suggestUnit(categoryId, streetAreaId) // { unitId, source: 'rule', ruleId }
   */
  async suggestUnit(categoryId: string | null, areaId: string | null, db: Db = this.db): Promise<UnitSuggestion> {
    const area = areaId ? await reference.findArea(db, areaId) : undefined;
    const district = area?.level === 'district' ? area : area?.parent_id ? await reference.findArea(db, area.parent_id) : undefined;
    const areaIds = [area?.id, district?.id].filter((x): x is string => !!x);
    const lineage = categoryId ? await reference.findCategoryLineage(db, categoryId) : [];
    const depth = new Map(lineage.map((c) => [c.id, c.level3 ? 3 : c.level2 ? 2 : 1]));
    const rules = await reference.findCandidateRules(db, lineage.map((c) => c.id), areaIds);
    const areaScore = (r: reference.RoutingRuleRow) => (!r.area_id ? 0 : r.area_id === district?.id ? 1 : 2);
    const score = (r: reference.RoutingRuleRow) => (r.category_id ? depth.get(r.category_id) ?? 0 : 0) * 3 + areaScore(r);
    rules.sort(
      (a, b) => score(b) - score(a) || b.priority - a.priority || new Date(a.created_at).getTime() - new Date(b.created_at).getTime(),
    );
    if (rules[0]) return { unitId: rules[0].unit_id, source: 'rule', ruleId: rules[0].id };
    const governing = district?.org_id ?? area?.org_id ?? null;
    return governing ? { unitId: governing, source: 'district', ruleId: null } : { unitId: null, source: 'none', ruleId: null };
  }
}
