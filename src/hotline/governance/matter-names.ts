import type { Db } from '../../platform/db/database.js';
import { findAreaNames, findCategoryNames } from './governance-store.js';

/**
 * Names of a matter's category (`城乡建设 / 市政设施 / 路灯故障`) and district (`全市` when none), for proposals,
 * topics and the report.
 */
export async function matterNames(db: Db, categoryIds: string[], districtIds: (string | null)[]) {
  const ids = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => !!x))];
  const [cats, areas] = await Promise.all([findCategoryNames(db, ids(categoryIds)), findAreaNames(db, ids(districtIds))]);
  const c = new Map(cats.map((x) => [x.id, [x.level1, x.level2, x.level3].filter(Boolean).join(' / ')]));
  const a = new Map(areas.map((x) => [x.id, x.name]));
  return {
    hasCategory: (id: string) => c.has(id),
    hasDistrict: (id: string) => a.has(id),
    category: (id: string) => c.get(id) ?? id,
    district: (id: string | null) => (id ? a.get(id) : undefined) ?? '全市',
  };
}
