import { sql, type RawBuilder } from 'kysely';
import { ngsiProblem } from './ngsi-errors.js';

/**
 * Scope queries (ETSI GS CIM 009 §4.19): `/Madrid/Gardens` that scope exactly, `/Madrid/#` Madrid and every scope
 * under it, `/Madrid/+/Park` one level of any name, `/#` any scope at all; `;` is AND, `,` is OR (AND binds
 * tighter; no parentheses). Compiled to anchored regular expressions over the entity's scopes: a list of
 * alternatives, each the patterns that one of the scopes must all match.
 */
export type ScopeQuery = string[][];

const SEGMENT = /^(?:[\w-]+|\+)$/;

function termPattern(term: string): string {
  const t = term.trim();
  if (t === '/#') return '^/.*$';
  const parts = t.split('/');
  const tail = parts[parts.length - 1] === '#' ? parts.pop() : undefined;
  const segments = parts.slice(1);
  if (parts[0] !== '' || segments.length === 0 || !segments.every((s) => SEGMENT.test(s))) {
    throw ngsiProblem('BadRequestData', `scopeQ: "${t.slice(0, 80)}" is not a scope like /Madrid/Gardens, /Madrid/+ or /Madrid/#`, { errors: [{ field: 'scopeQ', message: 'invalid scope term' }] });
  }
  // Segment characters are word characters and `-`: nothing to escape in a regular expression.
  const body = segments.map((s) => (s === '+' ? '[^/]+' : s)).join('/');
  return `^/${body}${tail ? '(/.*)?' : ''}$`;
}

export function parseScopeQ(raw: string | undefined, maxLength: number): ScopeQuery | undefined {
  if (raw === undefined) return undefined;
  if (raw.length > maxLength) throw ngsiProblem('BadRequestData', `scopeQ is longer than ${maxLength} characters`);
  return raw.split(',').map((alt) => alt.split(';').map(termPattern));
}

/** The SQL predicate over `context_entity.scope` (text[]): some alternative whose every pattern one scope matches. */
export const scopeQSql = (q: ScopeQuery): RawBuilder<boolean> =>
  sql<boolean>`(${sql.join(q.map((all) => sql`(${sql.join(all.map((p) => sql`exists (select 1 from unnest(scope) s where s ~ ${p})`), sql` and `)})`), sql` or `)})`;

/** The same test in memory (context source registrations, which are matched here, not in SQL). */
export const matchesScopeQ = (q: ScopeQuery, scopes: readonly string[]): boolean =>
  q.some((all) => all.every((p) => scopes.some((s) => new RegExp(p).test(s))));
