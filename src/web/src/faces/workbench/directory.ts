import { useMemo } from 'react';
import { useLoad } from '../../api.js';
import { categoryLabel, flattenAreas, hotline } from '../../hotline-api.js';

/** Names of units and areas for the tables (both lists are small). */
export function useDirectory() {
  const orgs = useLoad(() => hotline.units(), []);
  const areas = useLoad(() => hotline.areas().then(flattenAreas).catch(() => []), []);
  const categories = useLoad(() => hotline.categories().catch(() => []), []);
  return useMemo(() => ({
    orgs: orgs.data ?? [],
    orgName: (id: string | null) => (id ? orgs.data?.find((o) => o.id === id)?.name ?? id.slice(0, 8) : '—'),
    areaName: (id: string | null) => (id ? areas.data?.find((a) => a.id === id)?.name ?? '' : '—'),
    categories: categories.data ?? [],
    categoryName: (id: string | null) => (id ? categoryLabel(categories.data?.find((c) => c.id === id)) : '—'),
  }), [orgs.data, areas.data, categories.data]);
}
