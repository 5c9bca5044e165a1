import type { App } from './server.js';
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import { Problem } from '../errors/problem.js';

const base: Options = { removeAdditional: false, useDefaults: true, allErrors: true, strict: false };

const make = (coerceTypes: Options['coerceTypes']): Ajv => {
  const ajv = new Ajv({ ...base, coerceTypes });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
};

type JsonSchema = Record<string, unknown>;

/** Keywords whose values are data, not schemas: never rewritten. */
const DATA_KEYWORDS = new Set(['default', 'const', 'enum', 'examples', 'example']);

const isInteger = (schema: JsonSchema): boolean =>
  schema.type === 'integer' || (Array.isArray(schema.type) && schema.type.includes('integer'));

/**
 * The schema with every integer that declares no bound of its own held to JavaScript's safe range
 * (±2^53−1). Past it a number is no longer exact (`9223372036854775807` arrives as …808, `1e20` as a float that
 * passes `type: integer`), and the database's int/bigint columns refuse it with an error, not a 400; so the
 * request is refused here, naming the field. The route's own schema (and the OpenAPI document) is not changed.
 *
 * @example boundIntegers({ type: 'integer', minimum: 0 }) // → { type: 'integer', minimum: 0, maximum: 9007199254740991 }
 */
export function boundIntegers<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map((s: unknown) => boundIntegers(s)) as T;
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema as JsonSchema)) out[key] = DATA_KEYWORDS.has(key) ? value : boundIntegers(value);
  if (isInteger(out)) {
    if (out.minimum === undefined && out.exclusiveMinimum === undefined) out.minimum = Number.MIN_SAFE_INTEGER;
    if (out.maximum === undefined && out.exclusiveMaximum === undefined) out.maximum = Number.MAX_SAFE_INTEGER;
  }
  return out as T;
}

const NUL = '\u0000';

/** A key as one segment of a JSON Pointer (RFC 6901). */
const pointerSegment = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The JSON Pointer of the first text (a string or an object key) holding a NUL character (U+0000), or
 * undefined. Iterative, so a deeply nested body cannot overflow the stack; bytes (uploaded files, parsed as
 * buffers) are not text and are not looked into.
 *
 * @example findNul({ items: [{ name: 'a\u0000' }] }) // → '/items/0/name'
 */
export function findNul(value: unknown): string | undefined {
  const stack: { value: unknown; pointer: string }[] = [{ value, pointer: '' }];
  while (stack.length > 0) {
    const { value: node, pointer } = stack.pop()!;
    if (typeof node === 'string') {
      if (node.includes(NUL)) return pointer;
      continue;
    }
    if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node) || node instanceof ArrayBuffer) continue;
    const entries = Array.isArray(node) ? node.map((v, i) => [String(i), v] as const) : Object.entries(node);
    // pushed in reverse, so the first field in document order is reported first
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i];
      const at = `${pointer}/${pointerSegment(key)}`;
      if (key.includes(NUL)) return at;
      stack.push({ value: child, pointer: at });
    }
  }
  return undefined;
}

/** The request parts a client writes, as the handler sees them after parsing, with their pointer roots. */
const PARTS = [['params', 'params'], ['query', 'query'], ['body', 'body']] as const;

/**
 * The one input validator every route passes, whatever its schema says:
 * - text holding a NUL character (U+0000) in the path, query or body is refused with a 400 naming the field —
 *   PostgreSQL cannot store it in text or jsonb and would fail the request with a 500;
 * - integers are held to the safe range unless their schema bounds them (`boundIntegers`);
 * - query strings, params and headers are text, so they are coerced to the schema's types; JSON bodies are
 *   typed already and are validated strictly, so `"roles": "admin"` is a 400, not silently `["admin"]`.
 * Runs after the access gate (onRequest), so an anonymous caller learns nothing from a validation error.
 */
export function registerValidators(app: App): void {
  const strict = make(false);
  const coercing = make('array');
  // One bounded copy per schema object, so Ajv's cache (by identity) still compiles a shared schema once.
  const bounded = new WeakMap<object, object>();
  const boundedOf = (schema: object): object => {
    if (!bounded.has(schema)) bounded.set(schema, boundIntegers(schema));
    return bounded.get(schema)!;
  };
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(boundedOf(schema)));
  app.addHook('preValidation', async (request) => {
    for (const [part, root] of PARTS) {
      const at = findNul(request[part]);
      if (at !== undefined) {
        throw new Problem('VALIDATION_FAILED', {
          errors: [{ field: `/${root}${at}`, message: 'must not contain the NUL character (U+0000) / 不能包含空字符' }],
        });
      }
    }
  });
}
