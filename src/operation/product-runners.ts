import type {
  DisclosureRule, ModelSpec, ProductSpec, SandboxInput, SandboxResult, ScoreSpec, StatisticsSpec, VerificationSpec,
} from './schemas.js';

/**
 * What each product type computes inside the domain, as pure functions of the rows the catalog delivers: the
 * fields a product reads, its output schema and disclosure rule (fixed by its type, so no registration can pick
 * a weaker one), and the computations. No function here returns a row or echoes an input.
 */

type Row = Record<string, unknown>;
type Scalar = string | number | boolean;

/** The fields a product reads, in the order its spec names them. */
export function readFields(spec: ProductSpec): string[] {
  const names = (() => {
    switch (spec.type) {
      case 'verification': return spec.match;
      case 'score': return [spec.key, ...spec.terms.map((t) => t.field)];
      case 'model_inference': return [spec.key, ...spec.features.map((f) => f.field)];
      case 'statistics': return [...spec.groupBy, ...(spec.sum ?? []).map((s) => s.field)];
      case 'sandbox_query': return spec.fields;
    }
  })();
  return [...new Set(names)];
}

/** The JSON Schema of what a call answers (`result`), registered with the product. */
export function outputSchemaOf(spec: ProductSpec): Record<string, unknown> {
  const object = (properties: Record<string, unknown>) => ({ type: 'object', additionalProperties: false, required: Object.keys(properties), properties });
  switch (spec.type) {
    case 'verification': return object({ match: { type: 'boolean' } });
    case 'score': return object({ found: { type: 'boolean' }, score: { type: ['number', 'null'], minimum: spec.min, maximum: spec.max } });
    case 'model_inference': return object({ found: { type: 'boolean' }, probability: { type: ['number', 'null'], minimum: 0, maximum: 1 }, label: { type: ['boolean', 'null'] } });
    case 'statistics': return object({
      release: object({
        period: { type: 'string' }, releasedAt: { type: 'string' }, epsilon: { type: 'number' }, threshold: { type: 'number' },
        groups: {
          type: 'array',
          items: object({
            key: object(Object.fromEntries(spec.groupBy.map((g) => [g, {}]))),
            count: { type: 'integer' },
            sums: object(Object.fromEntries((spec.sum ?? []).map((s) => [s.field, { type: 'number' }]))),
          }),
        },
      }),
    });
    case 'sandbox_query': return object({ runId: { type: 'string' }, status: { const: 'pending' } });
  }
}

/** How the product's output is protected. */
export function disclosureRuleOf(spec: ProductSpec): DisclosureRule {
  switch (spec.type) {
    case 'verification':
      return { kind: 'yes_no', text: '核验结果仅为是/否，不返回记录 (yes or no only; the record never leaves)' };
    case 'score':
    case 'model_inference':
      return { kind: 'derived_value', text: '仅返回计算结果，不返回记录、不回显输入 (a derived value only: no record, no input echoed)' };
    case 'statistics':
      return {
        kind: 'differential_privacy', epsilon: spec.epsilon, refresh: spec.refresh,
        text: '经数据目录的披露控制（差分隐私、隐私预算）发布，每期一次 (released once per period through the catalog\'s disclosure control)',
      };
    case 'sandbox_query':
      return { kind: 'output_review', text: '结果经实施机构输出审核后方可导出 (results leave only after the implementing body\'s output review)' };
  }
}

const normalise = (v: unknown): string => (v === null || v === undefined ? '\u0000' : String(v).trim().toUpperCase());

/** Whether a stored value equals a given one: text trimmed and case-folded (an ID's x/X), numbers as numbers. */
export function sameValue(stored: unknown, given: Scalar): boolean {
  if (typeof given === 'number' || typeof stored === 'number') return Number(stored) === Number(given) && stored !== null && stored !== '';
  if (typeof given === 'boolean' || typeof stored === 'boolean') return String(stored) === String(given);
  return normalise(stored) === normalise(given);
}

/** A condition of a score term or a sandbox filter on a stored value. */
export function holds(value: unknown, op: 'eq' | 'ne' | 'gte' | 'lte', target: Scalar): boolean {
  switch (op) {
    case 'eq': return sameValue(value, target);
    case 'ne': return !sameValue(value, target);
    case 'gte':
    case 'lte': {
      if (value === null || value === undefined) return false;
      const [a, b] = typeof target === 'number' ? [Number(value), target] : [String(value), String(target)];
      return op === 'gte' ? a >= b : a <= b;
    }
  }
}

const numeric = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : 0);

/** A row matches a verification when every matched field equals the value given. */
export const verificationMatcher = (spec: VerificationSpec, values: Record<string, Scalar>) =>
  (row: Row): boolean => spec.match.every((f) => sameValue(row[f], values[f]!));

/** The points score of a record: base + Σ (weight when the condition holds, or weight × value), clipped, to 0.01. */
export function scoreOf(spec: ScoreSpec, row: Row): number {
  let total = spec.base ?? 0;
  for (const t of spec.terms) total += t.when ? (holds(row[t.field], t.when.op, t.when.value) ? t.weight : 0) : t.weight * numeric(row[t.field]);
  return Math.round(Math.min(spec.max, Math.max(spec.min, total)) * 100) / 100;
}

/** A logistic model's probability (to 0.0001) and label for a record. */
export function inferenceOf(spec: ModelSpec, row: Row): { probability: number; label: boolean } {
  let z = spec.intercept;
  for (const f of spec.features) z += f.weight * numeric(row[f.field]);
  const probability = Math.round((1 / (1 + Math.exp(-z))) * 10_000) / 10_000;
  return { probability, label: probability >= spec.threshold };
}

/** The sums a statistics product asks the catalog for, with the bounds its grant clips them to. */
export const sumBoundsOf = (spec: StatisticsSpec): Record<string, { min: number; max: number }> =>
  Object.fromEntries((spec.sum ?? []).map((s) => [s.field, { min: s.min, max: s.max }]));

/**
 * A sandbox query's exact answer: counts and sums per group over the rows its filters keep. Groups smaller than
 * `minGroupSize` are withheld (only their number is kept), and the whole answer still waits for output review.
 */
export class SandboxAggregator {
  private readonly groups = new Map<string, { key: Row; count: number; sums: number[] }>();
  rows = 0;

  constructor(private readonly query: SandboxInput) {}

  add(row: Row): void {
    for (const w of this.query.where ?? []) if (!holds(row[w.field], w.op, w.value)) return;
    this.rows += 1;
    const key = Object.fromEntries(this.query.groupBy.map((g) => [g, row[g] ?? null]));
    const id = JSON.stringify(this.query.groupBy.map((g) => key[g]));
    let g = this.groups.get(id);
    if (!g) this.groups.set(id, (g = { key, count: 0, sums: (this.query.sum ?? []).map(() => 0) }));
    g.count += 1;
    (this.query.sum ?? []).forEach((f, i) => { g!.sums[i]! += numeric(row[f]); });
  }

  result(minGroupSize: number, maxGroups: number): SandboxResult {
    const sums = this.query.sum ?? [];
    const kept = [...this.groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
    const shown = kept.filter((g) => g.count >= minGroupSize);
    return {
      groups: shown.slice(0, maxGroups).map((g) => ({
        key: g.key, count: g.count, sums: Object.fromEntries(sums.map((f, i) => [f, Math.round(g.sums[i]! * 100) / 100])),
      })),
      withheldGroups: kept.length - shown.length + Math.max(0, shown.length - maxGroups),
      rows: this.rows,
    };
  }
}
