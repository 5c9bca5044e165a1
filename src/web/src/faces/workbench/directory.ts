import { useMemo } from 'react';
import { useLoad } from '../../api.js';
import { categoryLabel, flattenAreas, hotline } from '../../hotline-api.js';

/** Names of units and areas for the tables (both lists are small, asked once per page load: hotline-api caches them). */
export function useDirectory() {
  const orgs = useLoad(() => hotline.units(), []);
  const tree = useLoad(() => hotline.areas().catch(() => []), []);
  const categories = useLoad(() => hotline.categories().catch(() => []), []);
  return useMemo(() => {
    const areas = flattenAreas(tree.data ?? []);
    return {
      orgs: orgs.data ?? [],
      orgName: (id: string | null) => (id ? orgs.data?.find((o) => o.id === id)?.name ?? id.slice(0, 8) : '—'),
      areaName: (id: string | null) => (id ? areas.find((a) => a.id === id)?.name ?? '' : '—'),
      /** the districts (top of the area tree), for the district filter */
      districts: (tree.data ?? []).map((d) => ({ id: d.id, name: d.name })),
      categories: categories.data ?? [],
      categoryName: (id: string | null) => (id ? categoryLabel(categories.data?.find((c) => c.id === id)) : '—'),
    };
  }, [orgs.data, tree.data, categories.data]);
}
