import type { Grade } from './schemas.js';

/** GB/T 43697-2024: general < important < core. */
export const gradeRank: Record<Grade, number> = { general: 0, important: 1, core: 2 };
export const grades: Grade[] = ['general', 'important', 'core'];

export interface GradedField {
  grade: Grade;
  generalLevel: string | null;
}

/**
 * A dataset's grade is the highest of its fields' (就高从严); when every field is general, the highest general
 * sub-level in the configured order is kept too.
 *
 * @example datasetGrade([{ grade: 'general', generalLevel: '2' }, { grade: 'important', generalLevel: null }], ['1','2'])
 *   // { grade: 'important', generalLevel: null }
 */
export function datasetGrade(fields: GradedField[], generalLevels: string[]): { grade: Grade; generalLevel: string | null } {
  let grade: Grade = 'general';
  for (const f of fields) if (gradeRank[f.grade] > gradeRank[grade]) grade = f.grade;
  if (grade !== 'general') return { grade, generalLevel: null };
  let level = -1;
  for (const f of fields) level = Math.max(level, f.generalLevel === null ? -1 : generalLevels.indexOf(f.generalLevel));
  return { grade, generalLevel: level >= 0 ? generalLevels[level]! : null };
}
