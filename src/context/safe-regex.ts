import { RE2JS } from 're2js';
import { ngsiProblem } from './ngsi-errors.js';

/**
 * Regular expressions from requests (`q` `~=`/`!~=`, `idPattern`) are compiled by RE2 (re2js, a pure-JavaScript
 * port): it matches in time linear in the subject, whatever the pattern — `(a+)+$` on `aaaa…!` takes
 * microseconds, where V8's backtracking engine doubles its time with each character and would stall the event
 * loop (issue 15, finding 5). RE2 refuses what cannot be matched in linear time (backreferences, lookaround);
 * such a pattern is refused before anything runs, in TypeScript or in the database. PostgreSQL's own engine
 * (`~` for idPattern, `like_regex` for q) is not backtracking for the patterns RE2 accepts: those have no
 * backreference, and it only backtracks for backreferences.
 */

export class PatternError extends Error {}

/** Most compiled programs kept (subscriptions re-use theirs on every write). */
const CACHE_MAX = 1000;
const cache = new Map<string, RE2JS>();

/**
 * Compiles a pattern with RE2, or throws PatternError saying why it is refused (too long, not RE2 syntax —
 * backreferences and lookaround included).
 *
 * @example compilePattern('^urn:ngsi-ld:Streetlight:.*', 256).test(id)
 */
export function compilePattern(pattern: string, maxLength: number): RE2JS {
  if (pattern.length > maxLength) throw new PatternError(`the pattern is ${pattern.length} characters long; at most ${maxLength} are allowed`);
  const hit = cache.get(pattern);
  if (hit) return hit;
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    throw new PatternError(`${(err as Error).message} (patterns are RE2 syntax: no backreferences or lookaround)`);
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** Whether the pattern matches anywhere in the subject (as JavaScript's `RegExp.test`), in linear time. */
export const patternTest = (pattern: string, subject: string, maxLength: number): boolean => compilePattern(pattern, maxLength).test(subject);

/** Refuses an idPattern RE2 cannot match in linear time (or too long), naming the field. */
export function checkIdPattern(pattern: string, maxLength: number, field = 'idPattern'): void {
  try {
    compilePattern(pattern, maxLength);
  } catch (err) {
    if (!(err instanceof PatternError)) throw err;
    throw ngsiProblem('BadRequestData', `${field} is refused: ${err.message}`, { errors: [{ field, message: err.message }] });
  }
}
