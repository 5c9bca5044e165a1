import { ngsiProblem } from './ngsi-errors.js';
import { isUri } from './entity-model.js';

/**
 * Linked entity retrieval (ETSI GS CIM 009 v1.8 §4.5.23, query parameters `join` and `joinLevel`): the entities
 * that Relationships and ListRelationships point to, `inline` (each put in its relationship as `entity`, or
 * `entityList`) or `flat` (after the entities asked for), followed `joinLevel` links deep. The linked entities
 * are fetched by an ordinary query of the caller, so its access rules and the context sources apply to them too.
 */
export type JoinMode = 'inline' | 'flat';
/** `containedBy`: ids of entities already met while retrieving the graph (v1.8), so not fetched or joined again. */
export interface Join { mode: JoinMode; level: number; containedBy?: string[] }
type Rendered = Record<string, unknown>;

const bad = (detail: string, field: string) => ngsiProblem('BadRequestData', detail, { errors: [{ field, message: detail }] });

/**
 * `join`, `joinLevel` and `containedBy` of a request, checked: `@none` (or no join) is no join; the combinations
 * that cannot be answered are refused — joinLevel or containedBy without join (both only apply to a join,
 * §4.5.23), inline with keyValues (a relationship is only its object's id there), a join in GeoJSON (linked
 * entities are not features of the collection). containedBy is a comma-separated list of entity ids (URIs).
 */
export function parseJoin(join: string | undefined, joinLevel: number | undefined, o: { keyValues: boolean; geoJson: boolean; containedBy?: string }, maxLevel: number): Join | undefined {
  if (join === undefined || join === '@none') {
    if (joinLevel !== undefined) throw bad('joinLevel needs join=flat or join=inline', 'joinLevel');
    if (o.containedBy !== undefined) throw bad('containedBy needs join=flat or join=inline', 'containedBy');
    return undefined;
  }
  const containedBy = o.containedBy?.split(',').map((s) => s.trim());
  if (containedBy && !containedBy.every(isUri)) throw bad('containedBy must be a comma-separated list of entity ids (URIs)', 'containedBy');
  if (join !== 'inline' && join !== 'flat') throw bad(`join must be flat, inline or @none, not "${join.slice(0, 40)}"`, 'join');
  const level = joinLevel ?? 1;
  if (!Number.isInteger(level) || level < 1 || level > maxLevel) throw bad(`joinLevel must be an integer from 1 to ${maxLevel}`, 'joinLevel');
  if (join === 'inline' && o.keyValues) throw bad('join=inline cannot be used with keyValues (use normalized or concise)', 'join');
  if (o.geoJson) throw bad('join cannot be used with application/geo+json', 'join');
  return { mode: join, level, ...(containedBy ? { containedBy } : {}) };
}

/** Each relationship instance of a rendered entity (normalized or concise: an object with `object` or `objectList`). */
function* relationships(e: Rendered): Generator<Record<string, unknown>> {
  for (const key in e) {
    if (key === 'id' || key === 'type' || key === 'scope' || key === '@context') continue;
    const v = e[key];
    for (const inst of Array.isArray(v) ? v : [v]) {
      if (inst && typeof inst === 'object' && (typeof inst.object === 'string' || Array.isArray(inst.objectList))) yield inst as Record<string, unknown>;
    }
  }
}

const targets = (rel: Record<string, unknown>): string[] =>
  typeof rel.object === 'string' ? [rel.object] : (rel.objectList as unknown[]).map((o) => (o && typeof o === 'object' ? (o as Rendered).object : o)).filter((x): x is string => typeof x === 'string');

/**
 * Follows the links of `roots`, `join.level` deep, fetching at most `maxPerLevel` new entities per level. Inline
 * puts each linked entity in its relationships (only entities not met before, so the answer has no cycles) and
 * returns nothing; flat returns the linked entities, each once and none of the roots. The entities of
 * `join.containedBy` count as met before (a broker that asked for part of the graph holds them already).
 */
export async function joinLinked(roots: Rendered[], join: Join, maxPerLevel: number, fetch: (ids: string[]) => Promise<Rendered[]>): Promise<Rendered[]> {
  const seen = new Set([...(join.containedBy ?? []), ...roots.map((e) => e.id as string)]);
  const linked: Rendered[] = [];
  let frontier = roots;
  for (let level = 0; level < join.level && frontier.length > 0; level++) {
    const rels = frontier.flatMap((e) => [...relationships(e)]);
    const ids = [...new Set(rels.flatMap(targets))].filter((id) => !seen.has(id)).slice(0, maxPerLevel);
    if (ids.length === 0) break;
    const found = new Map((await fetch(ids)).map((e) => [e.id as string, e]));
    for (const id of ids) seen.add(id);
    if (join.mode === 'inline') {
      for (const rel of rels) {
        if (typeof rel.object === 'string') {
          const e = found.get(rel.object);
          if (e) rel.entity = e;
        } else {
          const list = targets(rel).map((id) => found.get(id)).filter((e): e is Rendered => e !== undefined);
          if (list.length > 0) rel.entityList = list;
        }
      }
    }
    frontier = [...found.values()];
    linked.push(...frontier);
  }
  return join.mode === 'flat' ? linked : [];
}
