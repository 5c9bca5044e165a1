import { ngsiProblem } from './ngsi-errors.js';

/**
 * §4.17 entity type selection, as a subscription's `entities[].type` may hold it: type names joined by `,` or `|`
 * (any of them), `;` (all of them, binding tighter), parentheses — `(Building|Tower)`, `(A;B)|C`.
 */
export type TypeSelection = { any: TypeSelection[] } | { all: TypeSelection[] } | { name: string };

const OPERATORS = /([,|;()])/;
/** A type name or IRI: no operator, quote, space or angle bracket. */
const NAME = /^[^,|;()<>"'=\s]+$/;

/**
 * Parses a type selection; BadRequestData naming `field` when it is none.
 *
 * @example parseTypeSelection('(A;B)|C', 'entities.0.type') // { any: [{ all: [{name:'A'}, {name:'B'}] }, {name:'C'}] }
 */
export function parseTypeSelection(text: string, field: string): TypeSelection {
  const tokens = text.split(OPERATORS).map((t) => t.trim()).filter((t) => t !== '');
  let at = 0;
  const fail = (): never => {
    throw ngsiProblem('BadRequestData', `${field} is no entity type selection (§4.17: names joined by "," or "|", ";", parentheses): ${text}`, { errors: [{ field, message: 'not a type selection' }] });
  };
  const any = (depth: number): TypeSelection => {
    const parts = [all(depth)];
    while (tokens[at] === ',' || tokens[at] === '|') {
      at++;
      parts.push(all(depth));
    }
    return parts.length === 1 ? parts[0] : { any: parts };
  };
  const all = (depth: number): TypeSelection => {
    const parts = [atom(depth)];
    while (tokens[at] === ';') {
      at++;
      parts.push(atom(depth));
    }
    return parts.length === 1 ? parts[0] : { all: parts };
  };
  const atom = (depth: number): TypeSelection => {
    const t = tokens[at++];
    if (t === '(' && depth < 16) {
      const inner = any(depth + 1);
      if (tokens[at++] !== ')') fail();
      return inner;
    }
    return t !== undefined && NAME.test(t) ? { name: t } : fail();
  };
  const parsed = any(0);
  if (at !== tokens.length) fail();
  return parsed;
}

/** Whether an entity of these (expanded) types is selected. */
export function selectsTypes(s: TypeSelection, types: readonly string[]): boolean {
  if ('name' in s) return types.includes(s.name);
  if ('all' in s) return s.all.every((x) => selectsTypes(x, types));
  return s.any.some((x) => selectsTypes(x, types));
}

/** Every type name the selection mentions (a superset filter: an entity it selects has one of them). */
export function typeNames(s: TypeSelection): string[] {
  if ('name' in s) return [s.name];
  return ('all' in s ? s.all : s.any).flatMap(typeNames);
}

/** The selection's text with each name mapped (expanded when stored, compacted when shown), operators kept. */
export const mapTypeNames = (text: string, f: (name: string) => string): string =>
  text.split(OPERATORS).map((t) => (t.trim() === '' || OPERATORS.test(t) ? t.trim() : f(t.trim()))).join('');
