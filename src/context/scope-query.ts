import { sql, type RawBuilder } from 'kysely';
import { ngsiProblem } from './ngsi-errors.js';

/**
 * Scope queries (ETSI GS CIM 009 §4.19): `/Madrid/Gardens` that scope exactly, `/Madrid/#` Madrid and every scope
 * under it, `/Madrid/+/Park` one level of any name, `/#` any scope at all. Terms combine as in the query language
 * (§4.9): `;` is AND, `|` is OR (`,` too, as before v1.6), AND binds tighter than OR, and parentheses group:
 * `(/Madrid/#|/Berlin/#);/Public`. A term holds when one of the entity's scopes matches it; the query is parsed
 * into a tree whose leaves are anchored regular expressions (so `(a|b);(c|d);…` never grows into its expansion).
 */
export type ScopeQuery =
  | { readonly pattern: string }
  | { readonly and: readonly ScopeQuery[] }
  | { readonly or: readonly ScopeQuery[] };

/** A scope level (ScopeLevel of §4.18): letters, digits, `_`, and `-` (which entity scopes here admit), or `+`. */
const SEGMENT = /^(?:[\p{L}\p{N}_-]+|\+)$/u;
/** Deeper nesting than this is no real query; refused before it could exhaust the parser's stack. */
const MAX_DEPTH = 16;

const invalid = (detail: string) =>
  ngsiProblem('BadRequestData', `scopeQ: ${detail}`, { errors: [{ field: 'scopeQ', message: detail }] });

function termPattern(term: string): string {
  const t = term.trim();
  if (t === '/#') return '^/.*$';
  const parts = t.split('/');
  const tail = parts[parts.length - 1] === '#' ? parts.pop() : undefined;
  const segments = parts.slice(1);
  if (parts[0] !== '' || segments.length === 0 || !segments.every((s) => SEGMENT.test(s))) {
    throw invalid(`"${t.slice(0, 80)}" is not a scope like /Madrid/Gardens, /Madrid/+ or /Madrid/#`);
  }
  // Segment characters are letters, digits, `_` and `-`: nothing to escape in a regular expression.
  const body = segments.map((s) => (s === '+' ? '[^/]+' : s)).join('/');
  return `^/${body}${tail ? '(/.*)?' : ''}$`;
}

/** Recursive descent over `or := and (('|' | ',') and)*`, `and := primary (';' primary)*`, `primary := '(' or ')' | term`. */
class ScopeParser {
  private at = 0;
  constructor(private readonly text: string) {}

  parse(): ScopeQuery {
    const q = this.or(0);
    if (this.at < this.text.length) throw invalid(`unexpected "${this.text[this.at]}" at ${this.at + 1}`);
    return q;
  }

  private or(depth: number): ScopeQuery {
    const parts = [this.and(depth)];
    while (this.text[this.at] === '|' || this.text[this.at] === ',') {
      this.at++;
      parts.push(this.and(depth));
    }
    return parts.length === 1 ? parts[0] : { or: parts };
  }

  private and(depth: number): ScopeQuery {
    const parts = [this.primary(depth)];
    while (this.text[this.at] === ';') {
      this.at++;
      parts.push(this.primary(depth));
    }
    return parts.length === 1 ? parts[0] : { and: parts };
  }

  private primary(depth: number): ScopeQuery {
    if (this.text[this.at] === '(') {
      if (depth >= MAX_DEPTH) throw invalid(`parentheses nested deeper than ${MAX_DEPTH}`);
      this.at++;
      const inner = this.or(depth + 1);
      if (this.text[this.at] !== ')') throw invalid(`a "(" is not closed`);
      this.at++;
      return inner;
    }
    const start = this.at;
    while (this.at < this.text.length && !'|,;()'.includes(this.text[this.at])) this.at++;
    if (this.at === start) throw invalid(this.at < this.text.length ? `a scope is missing before "${this.text[this.at]}" at ${this.at + 1}` : 'a scope is missing at the end');
    return { pattern: termPattern(this.text.slice(start, this.at)) };
  }
}

/**
 * Parses `scopeQ`; undefined when absent. Refuses a malformed query with 400 BadRequestData naming `scopeQ`.
 *
 * @example parseScopeQ('(/Madrid/#|/Berlin/#);/Public', 256) // { and: [{ or: [...] }, { pattern: '^/Public$' }] }
 */
export function parseScopeQ(raw: string | undefined, maxLength: number): ScopeQuery | undefined {
  if (raw === undefined) return undefined;
  if (raw.length > maxLength) throw invalid(`longer than ${maxLength} characters`);
  return new ScopeParser(raw).parse();
}

/** The SQL predicate over `context_entity.scope` (text[]): each term one `exists` over the entity's scopes. */
export const scopeQSql = (q: ScopeQuery): RawBuilder<boolean> => {
  if ('pattern' in q) return sql<boolean>`exists (select 1 from unnest(scope) s where s ~ ${q.pattern})`;
  const parts = 'and' in q ? q.and : q.or;
  return sql<boolean>`(${sql.join(parts.map(scopeQSql), 'and' in q ? sql` and ` : sql` or `)})`;
};

/** The same test in memory (registrations and subscriptions, which are matched here, not in SQL). */
export const matchesScopeQ = (q: ScopeQuery, scopes: readonly string[]): boolean => {
  if ('pattern' in q) {
    const re = new RegExp(q.pattern, 'u');
    return scopes.some((s) => re.test(s));
  }
  return 'and' in q ? q.and.every((p) => matchesScopeQ(p, scopes)) : q.or.some((p) => matchesScopeQ(p, scopes));
};
