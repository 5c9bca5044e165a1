/**
 * The classifier's labels for the city's own categories: a category's path in the taxonomy, `level1`,
 * `level1/level2` or `level1/level2/level3`. Paths with too few tickets to learn from are cut back to their parent,
 * so the model predicts levels 2–3 where the history supports them and level 1 elsewhere.
 */

export const PATH_SEPARATOR = '/';

export interface CategoryLevels {
  level1: string;
  level2?: string | null;
  level3?: string | null;
}

/** `城乡建设/市政设施/路灯` for a level-3 category, `城乡建设` for a level-1 one; at most `maxLevel` parts. */
export const categoryPath = (c: CategoryLevels, maxLevel = 3): string =>
  [c.level1, c.level2, c.level3].slice(0, maxLevel).filter((p): p is string => !!p).join(PATH_SEPARATOR);

/** The level-1 name of a path. */
export const level1Of = (path: string): string => path.split(PATH_SEPARATOR, 1)[0];

const parentOf = (path: string): string => path.slice(0, path.lastIndexOf(PATH_SEPARATOR));

/**
 * Cuts every label with fewer than `minExamples` examples back to its parent, repeatedly (the parent gathers its
 * rare children's examples and may then have enough). Level-1 labels are never cut.
 *
 * @example collapseRareLabels(['a/x', 'a/x', 'a/y'], 2) // → ['a/x', 'a/x', 'a']
 */
export function collapseRareLabels(labels: readonly string[], minExamples: number): string[] {
  const out = [...labels];
  for (;;) {
    const counts = new Map<string, number>();
    for (const l of out) counts.set(l, (counts.get(l) ?? 0) + 1);
    let changed = false;
    for (let i = 0; i < out.length; i++) {
      if (out[i].includes(PATH_SEPARATOR) && counts.get(out[i])! < minExamples) {
        out[i] = parentOf(out[i]);
        changed = true;
      }
    }
    if (!changed) return out;
  }
}

/** Whether a predicted label is the given one or an ancestor of it (the model answered at a coarser level). */
export const agreesWith = (predicted: string, label: string): boolean =>
  predicted === label || label.startsWith(predicted + PATH_SEPARATOR);
