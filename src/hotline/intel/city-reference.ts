import type { Db } from '../../platform/db/database.js';
import * as store from './intel-store.js';
import { categoryPath } from './category-labels.js';
import type { AreaGuess, AssistInput } from './schemas.js';

interface AreaInfo {
  id: string;
  name: string;
  level: string;
  lon: number | null;
  lat: number | null;
}

/**
 * The city's areas and categories as the intelligence reads them, held in memory: the assist finds the area a
 * matter is in, and the classifier's labels (category paths) map to category ids. Read at the first refresh;
 * the categories again whenever a model loads (a new model may know new categories).
 */
export class CityReference {
  private areas: AreaInfo[] = [];
  /** Category path (the classifier's labels, category-labels.ts) → category id. */
  private categoryIds = new Map<string, string>();

  constructor(private readonly db: Db) {}

  /** Reads areas and categories while no area is known (a city that has none yet picks them up once added). */
  async loadIfEmpty(): Promise<void> {
    if (this.areas.length > 0) return;
    this.areas = (await store.findAreas(this.db)).map((a) => ({ id: a.id, name: a.name, level: a.level, lon: a.center_lon, lat: a.center_lat }));
    await this.loadCategories();
  }

  async loadCategories(): Promise<void> {
    this.categoryIds = new Map((await store.findActiveCategories(this.db)).map((c) => [categoryPath(c), c.id]));
  }

  /** The active category a classifier label names (null: none, e.g. a category deactivated since training). */
  categoryId(label: string): string | null {
    return this.categoryIds.get(label) ?? null;
  }

  /**
   * The area of a matter: the one given, else the longest area name the address or title mentions (a street beats
   * its district), else the street whose centre is nearest the point.
   */
  resolveArea(input: Pick<AssistInput, 'areaId' | 'address' | 'title' | 'lon' | 'lat'>): AreaGuess | null {
    if (input.areaId) {
      const a = this.areas.find((x) => x.id === input.areaId);
      return a ? { areaId: a.id, name: a.name, via: 'given' } : null;
    }
    const text = `${input.address ?? ''} ${input.title}`;
    const named = this.areas.filter((a) => a.name.length >= 2 && text.includes(a.name)).sort((a, b) => b.name.length - a.name.length)[0];
    if (named) return { areaId: named.id, name: named.name, via: 'address' };
    if (input.lon != null && input.lat != null) {
      let best: AreaInfo | undefined;
      let bestD = Infinity;
      for (const a of this.areas) {
        if (a.level !== 'street' || a.lon == null || a.lat == null) continue;
        const d = (a.lon - input.lon) ** 2 + (a.lat - input.lat) ** 2;
        if (d < bestD) {
          bestD = d;
          best = a;
        }
      }
      if (best) return { areaId: best.id, name: best.name, via: 'nearest' };
    }
    return null;
  }
}
