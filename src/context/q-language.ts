import { ngsiProblem } from './ngsi-errors.js';
import { compilePattern, PatternError, patternTest } from './safe-regex.js';

/**
 * The NGSI-LD query language `q` (ETSI GS CIM 009 §4.9): a hand-written recursive-descent parser that reports
 * the position of the first error, an evaluator over stored entities (subscriptions), and a compiler to one
 * SQL/JSON path predicate whose values travel as a separate jsonb parameter — no input is spliced into SQL.
 *
 * Grammar (AND binds tighter than OR):
 *   query   = and *("|" and)
 *   and     = factor *(";" factor)
 *   factor  = "(" query ")" / term
 *   term    = attr [op value]
 *   attr    = name *("." name) *("[" name "]")      ; dots: sub-attributes (or observedAt, unitCode…), brackets: keys of a structured value
 *           / name "{" [type ":"] attr "}"            ; v1.8 §4.9: an attribute of the entity a Relationship links to (with join), of that type
 *   op      = "==" / "!=" / ">=" / ">" / "<=" / "<" / "~=" / "!~="
 *   value   = scalar [".." scalar] / scalar *("," scalar)   ; range or list
 *   scalar  = "quoted" / number / true / false / unquoted (dateTime, URI)
 */

export type Scalar = string | number | boolean;
export type QValue =
  | { kind: 'single'; value: Scalar }
  | { kind: 'range'; from: Scalar; to: Scalar }
  | { kind: 'list'; values: Scalar[] }
  | { kind: 'regex'; pattern: string };
export type QOp = '==' | '!=' | '>' | '>=' | '<' | '<=' | '~=' | '!~=';

export interface QTerm {
  kind: 'term';
  /** Linked Entity term (`a{b}`, §4.9 v1.8): the relationships followed, outermost first, to the entity `attr` is of. */
  via?: string[];
  /** The entity type each link of `via` must reach (`a{Building:b}`, §4.9 EXAMPLE 14); undefined: any type. */
  viaTypes?: (string | undefined)[];
  attr: string;
  /** Sub-attribute names (or one of the members below) after the attribute. */
  path: string[];
  /** Keys into a structured (JSON object) value. */
  keys: string[];
  op?: QOp;
  value?: QValue;
  position: number;
}
export type QExpr = QTerm | { kind: 'and' | 'or'; items: QExpr[] };

/** Members of an attribute that `a.member` reaches instead of a sub-attribute. */
export const qMembers = new Set(['observedAt', 'unitCode', 'datasetId', 'createdAt', 'modifiedAt']);

export class QSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at position ${position}`);
  }
}

const MAX_TERMS = 64;
const NAME_STOP = new Set(['=', '!', '<', '>', '~', ';', '|', '(', ')', '[', ']', '{', '}', '.', ' ', ',', '"']);

/** Longest `~=` pattern by default (`modules.context.patternMaxLength`). */
export const DEFAULT_PATTERN_MAX_LENGTH = 256;

class Parser {
  private pos = 0;
  terms = 0;
  constructor(
    private readonly src: string,
    private readonly patternMaxLength: number,
  ) {}

  parse(): QExpr {
    if (this.src.trim() === '') throw new QSyntaxError('empty query', 0);
    const expr = this.or();
    if (this.pos < this.src.length) throw new QSyntaxError(`unexpected "${this.src[this.pos]}"`, this.pos);
    return expr;
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private or(): QExpr {
    const items = [this.and()];
    while (this.peek() === '|') {
      this.pos++;
      items.push(this.and());
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  }

  private and(): QExpr {
    const items = [this.factor()];
    while (this.peek() === ';') {
      this.pos++;
      items.push(this.factor());
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  }

  private factor(): QExpr {
    if (this.peek() === '(') {
      const open = this.pos;
      this.pos++;
      const inner = this.or();
      if (this.peek() !== ')') throw new QSyntaxError(`missing ")" for "(" at position ${open}`, this.pos);
      this.pos++;
      return inner;
    }
    return this.term();
  }

  private name(): string {
    const start = this.pos;
    // A full IRI attribute name keeps its dots and slashes.
    if (/^https?:\/\//.test(this.src.slice(this.pos))) {
      while (this.pos < this.src.length && !/[=!<>~;|()[\]{}]/.test(this.src[this.pos])) this.pos++;
    } else {
      while (this.pos < this.src.length && !NAME_STOP.has(this.src[this.pos])) this.pos++;
    }
    const name = this.src.slice(start, this.pos);
    if (!name) {
      const c = this.peek();
      throw new QSyntaxError(c === undefined ? 'expected an attribute name, found the end' : `expected an attribute name, found "${c}"`, start);
    }
    return name;
  }

  private term(): QTerm {
    const position = this.pos;
    if (++this.terms > MAX_TERMS) throw new QSyntaxError(`more than ${MAX_TERMS} terms`, position);
    const via: string[] = [];
    const viaTypes: (string | undefined)[] = [];
    let attr = this.name();
    while (this.peek() === '{') {
      this.pos++;
      via.push(attr);
      // `Type:attr` names the type the linked entity must have; a full IRI keeps its colon.
      const linked = this.name();
      const hint = /^([A-Za-z][A-Za-z0-9_]*):(?!\/\/)(.+)$/.exec(linked);
      viaTypes.push(hint?.[1]);
      attr = hint ? hint[2] : linked;
    }
    const path: string[] = [];
    const keys: string[] = [];
    while (this.peek() === '.') {
      this.pos++;
      path.push(this.name());
    }
    while (this.peek() === '[') {
      this.pos++;
      keys.push(this.name());
      if (this.peek() !== ']') throw new QSyntaxError('expected "]"', this.pos);
      this.pos++;
    }
    for (let i = 0; i < via.length; i++) {
      if (this.peek() !== '}') throw new QSyntaxError('expected "}"', this.pos);
      this.pos++;
    }
    const head = { kind: 'term' as const, ...(via.length ? { via, ...(viaTypes.some(Boolean) ? { viaTypes } : {}) } : {}), attr, path, keys };
    const op = this.op();
    if (!op) return { ...head, position };
    if (op === '~=' || op === '!~=') return { ...head, op, value: this.regex(), position };
    return { ...head, op, value: this.value(op), position };
  }

  private op(): QOp | undefined {
    const rest = this.src.slice(this.pos);
    for (const op of ['!~=', '==', '!=', '>=', '<=', '~=', '>', '<'] as const) {
      if (rest.startsWith(op)) {
        this.pos += op.length;
        return op;
      }
    }
    const c = this.peek();
    if (c === undefined || c === ';' || c === '|' || c === ')') return undefined;
    throw new QSyntaxError(`expected an operator (==, !=, >, >=, <, <=, ~=, !~=), found "${c}"`, this.pos);
  }

  private regex(): QValue {
    const start = this.pos;
    const raw = this.peek() === '"' ? this.quoted() : this.unquoted(true);
    if (raw === '') throw new QSyntaxError('expected a pattern', start);
    // Linear-time matching (safe-regex.ts): what RE2 cannot match in linear time is refused here.
    try {
      compilePattern(raw, this.patternMaxLength);
    } catch (err) {
      if (err instanceof PatternError) throw new QSyntaxError(`invalid pattern: ${err.message}`, start);
      throw err;
    }
    return { kind: 'regex', pattern: raw };
  }

  private value(op: QOp): QValue {
    const first = this.scalar();
    if (this.src.startsWith('..', this.pos)) {
      if (op !== '==' && op !== '!=') throw new QSyntaxError('a range needs == or !=', this.pos);
      this.pos += 2;
      return { kind: 'range', from: first, to: this.scalar() };
    }
    if (this.peek() === ',') {
      if (op !== '==' && op !== '!=') throw new QSyntaxError('a list needs == or !=', this.pos);
      const values = [first];
      while (this.peek() === ',') {
        this.pos++;
        values.push(this.scalar());
      }
      return { kind: 'list', values };
    }
    return { kind: 'single', value: first };
  }

  private quoted(): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    while (this.pos < this.src.length && this.src[this.pos] !== '"') {
      if (this.src[this.pos] === '\\' && this.pos + 1 < this.src.length) this.pos++;
      out += this.src[this.pos++];
    }
    if (this.peek() !== '"') throw new QSyntaxError('unterminated string', start);
    this.pos++;
    return out;
  }

  private unquoted(regex = false): string {
    const start = this.pos;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === ';' || c === '|' || (c === ')' && !regex)) break;
      if (!regex && (c === ',' || this.src.startsWith('..', this.pos))) break;
      if (!regex && (c === '(' || c === '"')) throw new QSyntaxError(`unexpected "${c}" in a value`, this.pos);
      this.pos++;
    }
    return this.src.slice(start, this.pos);
  }

  private scalar(): Scalar {
    const start = this.pos;
    if (this.peek() === '"') return this.quoted();
    const raw = this.unquoted();
    if (raw === '') {
      const c = this.peek();
      throw new QSyntaxError(c === undefined ? 'expected a value, found the end' : `expected a value, found "${c}"`, start);
    }
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) {
      const n = Number(raw);
      // 1e400 is Infinity, which JSON (and so the database) cannot carry.
      if (!Number.isFinite(n)) throw new QSyntaxError(`${raw.slice(0, 40)} is out of range`, start);
      return n;
    }
    // DateTimes compare as the normalised ISO strings CityHub stores (observedAt, createdAt…).
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(raw) && !Number.isNaN(Date.parse(raw))) return new Date(raw).toISOString();
    // Unquoted values are dateTimes, dates, times or URIs; anything else must be quoted.
    if (!/^[A-Za-z0-9:._\-+/#%@~]+$/.test(raw)) throw new QSyntaxError(`"${raw}" must be quoted`, start);
    return raw;
  }
}

/**
 * Parses a `q` string; a syntax error becomes 400 BadRequestData naming the position.
 *
 * @example parseQ('temperature>20;(status=="on"|brightness==50..80)')
 */
export function parseQ(q: string, patternMaxLength = DEFAULT_PATTERN_MAX_LENGTH): QExpr {
  try {
    return new Parser(q, patternMaxLength).parse();
  } catch (err) {
    if (err instanceof QSyntaxError) {
      throw ngsiProblem(err.message.startsWith('more than') ? 'TooComplexQuery' : 'BadRequestData', `q: ${err.message}`, {
        errors: [{ field: 'q', message: err.message }],
        extra: { position: err.position },
      });
    }
    throw err;
  }
}

/** Every term of an expression (to expand attribute names once). */
export function qTerms(expr: QExpr): QTerm[] {
  return expr.kind === 'term' ? [expr] : expr.items.flatMap(qTerms);
}

type Expand = (term: string) => string;
type Instance = Record<string, unknown>;

const sameType = (a: unknown, b: Scalar) => typeof a === typeof b;
const ORDERING = new Set<QOp>(['>', '>=', '<', '<=']);
const compare = (op: QOp, actual: unknown, v: QValue): boolean => {
  if (Array.isArray(actual)) return actual.some((a) => compare(op, a, v));
  switch (v.kind) {
    case 'regex': {
      if (typeof actual !== 'string') return false;
      // The pattern passed parseQ, so its length was checked there.
      const m = patternTest(v.pattern, actual, Infinity);
      return op === '~=' ? m : !m;
    }
    case 'range': {
      if (!sameType(actual, v.from) || !sameType(actual, v.to)) return false;
      const inside = (actual as Scalar) >= v.from && (actual as Scalar) <= v.to;
      return op === '==' ? inside : !inside;
    }
    case 'list': {
      const typed = v.values.filter((x) => sameType(actual, x));
      if (typed.length === 0) return false;
      const hit = typed.includes(actual as Scalar);
      return op === '==' ? hit : !hit;
    }
    case 'single': {
      if (!sameType(actual, v.value)) return false;
      const a = actual as Scalar, b = v.value;
      switch (op) {
        case '==': return a === b;
        case '!=': return a !== b;
        case '>': return a > b;
        case '>=': return a >= b;
        case '<': return a < b;
        case '<=': return a <= b;
        default: return false;
      }
    }
  }
};

function termTargets(term: QTerm, attrs: Record<string, Instance[]>, expand: Expand): { values: unknown[]; member: boolean } {
  let current: Instance[] = attrs[expand(term.attr)] ?? [];
  // A Relationship or ListRelationship compared with an ordering operator never matches (§4.9).
  if (term.op && ORDERING.has(term.op)) current = current.filter((i) => i.object === undefined && i.objectList === undefined);
  for (const seg of term.path) {
    if (qMembers.has(seg)) return { values: current.map((i) => i[seg]).filter((v) => v !== undefined), member: true };
    const key = expand(seg);
    current = current.map((i) => i[key] as Instance | undefined).filter((i): i is Instance => !!i && typeof i === 'object');
  }
  const values = current.map((i) => {
    let v: unknown = i.value ?? i.object ?? i.languageMap ?? i.objectList;
    for (const k of term.keys) v = v && typeof v === 'object' ? (k === '*' ? Object.values(v) : (v as Record<string, unknown>)[k]) : undefined;
    return v;
  }).filter((v) => v !== undefined);
  return { values, member: false };
}

/** Whether a stored entity's attributes (expanded names → instances) satisfy the query. */
export function evaluateQ(expr: QExpr, attrs: Record<string, Instance[]>, expand: Expand): boolean {
  if (expr.kind !== 'term') {
    return expr.kind === 'and' ? expr.items.every((e) => evaluateQ(e, attrs, expand)) : expr.items.some((e) => evaluateQ(e, attrs, expand));
  }
  // A Linked Entity term needs the linked entity, which a single entity's attributes do not hold.
  if (expr.via) return false;
  const { values } = termTargets(expr, attrs, expand);
  if (!expr.op) return values.length > 0;
  // `a[*]!=x`: no key holds x.
  if (expr.op === '!=' && expr.keys.includes('*')) return values.length > 0 && !values.some((v) => compare('==', v, expr.value!));
  return values.some((v) => compare(expr.op!, v, expr.value!));
}

/** A string literal inside an SQL/JSON path (the path itself is a bound parameter, never SQL text). */
const pathString = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;

/**
 * Compiles to an SQL/JSON path predicate for `jsonb_path_match(attrs, $path, $vars)`. Values go into `vars`
 * ($v0, $v1…); regex patterns must be literals in SQL/JSON paths, so they are escaped string literals inside
 * the path — which is itself a bound parameter. `sysAttrs`: the predicate reads createdAt/modifiedAt, which
 * the stored attributes mostly leave out (entity-store storedForm).
 */
export function compileQ(expr: QExpr, expand: Expand, expandValues?: ReadonlySet<string>): { path: string; vars: Record<string, Scalar>; sysAttrs: boolean } {
  const vars: Record<string, Scalar> = {};
  let n = 0;
  const bind = (v: Scalar) => {
    const name = `v${n++}`;
    vars[name] = v;
    return `$${name}`;
  };
  const cmp = (lhs: string, op: QOp, v: QValue): string => {
    switch (v.kind) {
      case 'regex': {
        const m = `${lhs} like_regex ${pathString(v.pattern)}`;
        return op === '~=' ? `(${m})` : `(${lhs}.type() == "string" && !(${m}))`;
      }
      case 'range': {
        const inside = `(${lhs} >= ${bind(v.from)} && ${lhs} <= ${bind(v.to)})`;
        return op === '==' ? inside : `(${lhs}.type() == ${typeName(v.from)} && !${inside})`;
      }
      case 'list': {
        const any = `(${v.values.map((x) => `${lhs} == ${bind(x)}`).join(' || ')})`;
        return op === '==' ? any : `(${lhs}.type() == ${typeName(v.values[0])} && !${any})`;
      }
      case 'single': {
        const sym = op === '==' ? '==' : op;
        return `${lhs} ${sym} ${bind(v.value)}`;
      }
    }
  };
  const term = (t: QTerm): string => {
    let path = `$.${pathString(expand(t.attr))}[*]`;
    let member: string | undefined;
    for (const seg of t.path) {
      if (qMembers.has(seg)) {
        member = seg;
        break;
      }
      path += `.${pathString(expand(seg))}`;
    }
    // Keys reach into a structured value or a LanguageProperty's languageMap (`name[en]`; `[*]` any key, §4.9).
    const keys = t.keys.map((k) => (k === '*' ? '.*' : `.${pathString(k)}`)).join('');
    if (!t.op && keys && !member) return `(exists(${path}.value${keys}) || exists(${path}.languageMap${keys}))`;
    if (!t.op) return `exists(${path}${member ? `.${pathString(member)}` : ''}${keys ? `.value${keys}` : ''})`;
    if (member) return `exists(${path} ? (${cmp(`@.${pathString(member)}`, t.op, t.value!)}))`;
    const keyed = (op: QOp) => `${cmp(`@.value${keys}`, op, t.value!)} || ${cmp(`@.languageMap${keys}`, op, t.value!)}`;
    // `a[*]!=x`: no key holds x (not "some key holds another value").
    if (keys && t.op === '!=' && t.keys.includes('*')) {
      return `(exists(${path} ? (exists(@.value${keys}) || exists(@.languageMap${keys}))) && !(exists(${path} ? (${keyed('==')}))))`;
    }
    if (keys) return `exists(${path} ? (${keyed(t.op)}))`;
    // expandValues (v1.8): the attribute's string values are terms of the @context, compared expanded, as a
    // VocabProperty's vocab is stored.
    if (expandValues?.has(expand(t.attr))) {
      const v = expandedValue(t.value!, expand);
      return `exists(${path} ? (${cmp('@.vocab', t.op, v)} || ${cmp('@.value', t.op, v)}))`;
    }
    // A Relationship or ListRelationship compared with an ordering operator never matches (§4.9).
    if (ORDERING.has(t.op)) return `exists(${path} ? (${cmp('@.value', t.op, t.value!)}))`;
    return `exists(${path} ? (${cmp('@.value', t.op, t.value!)} || ${cmp('@.object', t.op, t.value!)} || ${cmp('@.objectList[*]', t.op, t.value!)}))`;
  };
  const walk = (e: QExpr): string =>
    e.kind === 'term' ? term(e) : `(${e.items.map(walk).join(e.kind === 'and' ? ' && ' : ' || ')})`;
  const sysAttrs = qTerms(expr).some((t) => t.path.some((seg) => seg === 'createdAt' || seg === 'modifiedAt'));
  return { path: walk(expr), vars, sysAttrs };
}

/**
 * A q as the database evaluates it when it has Linked Entity terms (`a{b}==1`): the parts without links are
 * SQL/JSON path predicates (compileQ) over the entity's attributes; a link node matches when one of the entities
 * that the `targets` paths find in the attributes (Relationship objects, ListRelationship objectLists) satisfies
 * `inner` (entity-store.ts runs it as a subquery). Without Linked Entity terms, one `path` node.
 */
export type QSql =
  | { kind: 'path'; path: string; vars: Record<string, Scalar>; sysAttrs: boolean }
  | { kind: 'and' | 'or'; items: QSql[] }
  | { kind: 'link'; targets: string[]; types?: string[]; inner: QSql };

/** Whether a q has Linked Entity terms (`a{b}`). */
export const hasLinkedTerms = (expr: QExpr): boolean => qTerms(expr).some((t) => t.via !== undefined);

/** Compiles a q that may have Linked Entity terms (see QSql). */
export function compileQSql(expr: QExpr, expand: Expand, expandValues?: ReadonlySet<string>): QSql {
  if (!hasLinkedTerms(expr)) return { kind: 'path', ...compileQ(expr, expand, expandValues) };
  if (expr.kind !== 'term') return { kind: expr.kind, items: expr.items.map((e) => compileQSql(e, expand, expandValues)) };
  const [rel, ...deeper] = expr.via!;
  const [type, ...deeperTypes] = expr.viaTypes ?? [];
  const attr = pathString(expand(rel));
  const inner: QTerm = { ...expr, via: deeper.length ? deeper : undefined, viaTypes: deeper.length ? deeperTypes : undefined };
  return {
    kind: 'link', targets: [`$.${attr}[*].object[*]`, `$.${attr}[*].objectList[*]`],
    ...(type ? { types: [expand(type)] } : {}),
    inner: compileQSql(inner, expand, expandValues),
  };
}

const expandedValue = (v: QValue, expand: Expand): QValue => {
  const x = (s: Scalar) => (typeof s === 'string' ? expand(s) : s);
  if (v.kind === 'single') return { kind: 'single', value: x(v.value) };
  if (v.kind === 'list') return { kind: 'list', values: v.values.map(x) };
  return v;
};

const typeName = (v: Scalar) => (typeof v === 'number' ? '"number"' : typeof v === 'boolean' ? '"boolean"' : '"string"');
