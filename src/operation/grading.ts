import type { Grade } from './schemas.js';

/** A grade with its general sub-level (GB/T 43697-2024: general data may be refined into levels). */
export interface Graded {
  grade: Grade;
  generalLevel: string | null;
}

const order: Record<Grade, number> = { general: 0, important: 1, core: 2 };

/**
 * Whether `field` is graded above `limit`. Grades compare general < important < core; within general, the
 * sub-levels compare by their place in the configured list (`generalLevels`, least sensitive first), and a
 * limit without a sub-level allows every general level.
 *
 * @example above({ grade: 'general', generalLevel: '3' }, { grade: 'general', generalLevel: '2' }, ['1','2','3','4']) // true
 */
export function above(field: Graded, limit: Graded, generalLevels: readonly string[]): boolean {
  if (order[field.grade] !== order[limit.grade]) return order[field.grade] > order[limit.grade];
  if (field.grade !== 'general' || limit.generalLevel === null) return false;
  const rank = (level: string | null) => (level === null ? 0 : Math.max(0, generalLevels.indexOf(level)));
  return rank(field.generalLevel) > rank(limit.generalLevel);
}

/** `important`, `general (level 3)`: how a grade is named in refusals. */
export const gradeText = (g: Graded): string => (g.grade === 'general' && g.generalLevel ? `general (level ${g.generalLevel})` : g.grade);
