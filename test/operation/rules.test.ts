import { describe, expect, it } from 'vitest';
import { loadConfig, readModuleSections } from '../../src/platform/config/config.js';
import { OperationConfigSchema, type OperationConfig } from '../../src/operation/config.js';
import { departmentShare, unitsOf, withinCap } from '../../src/operation/fee-rules.js';
import { above } from '../../src/operation/grading.js';
import { periodEnd, periodKey, periodStart } from '../../src/operation/periods.js';
import { disclosureRuleOf, inferenceOf, readFields, SandboxAggregator, sameValue, scoreOf } from '../../src/operation/product-runners.js';
import { registrationNumber } from '../../src/operation/registration-numbers.js';

const levels = ['1', '2', '3', '4'];
const section = (given: unknown): OperationConfig =>
  readModuleSections({ ...loadConfig({ LOG_LEVEL: 'silent' }), modules: { operation: given as Record<string, unknown> } }, { operation: OperationConfigSchema }).operation as OperationConfig;

describe('authorized operation: the rules as functions', () => {
  it('compares grades with general sub-levels (就高从严)', () => {
    expect(above({ grade: 'important', generalLevel: null }, { grade: 'general', generalLevel: null }, levels)).toBe(true);
    expect(above({ grade: 'general', generalLevel: '4' }, { grade: 'general', generalLevel: null }, levels)).toBe(false);
    expect(above({ grade: 'general', generalLevel: '4' }, { grade: 'general', generalLevel: '3' }, levels)).toBe(true);
    expect(above({ grade: 'general', generalLevel: '2' }, { grade: 'general', generalLevel: '3' }, levels)).toBe(false);
    expect(above({ grade: 'general', generalLevel: '4' }, { grade: 'important', generalLevel: null }, levels)).toBe(false);
    expect(above({ grade: 'core', generalLevel: null }, { grade: 'important', generalLevel: null }, levels)).toBe(true);
  });

  it('counts the units of each billing unit, and the period charge once', () => {
    const m = { records: 3, outputUnits: 5 };
    expect([unitsOf('per_call', m, false), unitsOf('per_record', m, false), unitsOf('per_output', m, false)]).toEqual([1, 3, 5]);
    expect([unitsOf('per_period', m, true), unitsOf('per_period', m, false)]).toEqual([1, 0]);
    expect(withinCap({ unit: 'per_call', priceFen: 10 }, { unit: 'per_call', capFen: 10 })).toBe(true);
    expect(withinCap({ unit: 'per_call', priceFen: 11 }, { unit: 'per_call', capFen: 10 })).toBe(false);
    expect(withinCap({ unit: 'per_record', priceFen: 1 }, { unit: 'per_call', capFen: 10 })).toBe(false);
  });

  it('gives the departments whole fen, rounded down, never more than the income', () => {
    const share = { method: 'income_share' as const, basisPoints: 3000 };
    expect(departmentShare(share, null, 999, 0)).toBe(299);
    expect(departmentShare(share, 2500, 999, 0)).toBe(249);
    expect(departmentShare({ method: 'per_record', fenPerRecord: 2 }, null, 999, 100)).toBe(200);
    expect(departmentShare({ method: 'per_record', fenPerRecord: 20 }, null, 999, 100)).toBe(999);
    for (let income = 0; income < 2000; income += 7) {
      const s = departmentShare(share, null, income, 0);
      expect(Number.isInteger(s) && s >= 0 && s <= income).toBe(true);
    }
  });

  it('names periods in the city\'s time zone', () => {
    const late = new Date('2026-03-31T17:30:00Z'); // 01:30 on 1 April in Shanghai
    expect(periodKey(late, 'day', 'Asia/Shanghai')).toBe('2026-04-01');
    expect(periodKey(late, 'month', 'Asia/Shanghai')).toBe('2026-04');
    expect(periodKey(late, 'year', 'Asia/Shanghai')).toBe('2026');
    expect(periodEnd('2026-02', 'Asia/Shanghai').toISOString()).toBe('2026-02-28T15:59:59.999Z');
    expect(periodStart('2026-03', 'Asia/Shanghai').toISOString()).toBe('2026-02-28T16:00:00.000Z');
    expect(periodEnd('2026', 'Asia/Shanghai').toISOString()).toBe('2026-12-31T15:59:59.999Z');
  });

  it('computes products without returning records', () => {
    expect(sameValue('11010119850612001x', '11010119850612001X')).toBe(true);
    expect(sameValue(3000, '3000')).toBe(true);
    expect(sameValue(null, '')).toBe(false);
    const score = { type: 'score' as const, dataset: 'd', key: 'id', base: 10, terms: [{ field: 'a', weight: 2 }, { field: 'b', weight: 5, when: { op: 'eq' as const, value: 'x' } }], min: 0, max: 20 };
    expect(scoreOf(score, { a: 3, b: 'x' })).toBe(20);
    expect(scoreOf(score, { a: 1, b: 'y' })).toBe(12);
    expect(readFields(score)).toEqual(['id', 'a', 'b']);
    const model = { type: 'model_inference' as const, dataset: 'd', key: 'id', features: [{ field: 'a', weight: 1 }], intercept: 0, threshold: 0.5 };
    expect(inferenceOf(model, { a: 0 })).toEqual({ probability: 0.5, label: true });
    expect(disclosureRuleOf({ type: 'verification', dataset: 'd', match: ['a'] }).kind).toBe('yes_no');
    const agg = new SandboxAggregator({ groupBy: ['g'], sum: ['v'], where: [{ field: 'v', op: 'gte', value: 2 }] });
    for (let i = 0; i < 30; i++) agg.add({ g: i < 25 ? 'a' : 'b', v: i % 4 });
    const result = agg.result(2, 10);
    expect(result).toMatchObject({ rows: 14, withheldGroups: 0, groups: [{ key: { g: 'a' }, count: 12 }, { key: { g: 'b' }, count: 2, sums: { v: 5 } }] });
    expect(agg.result(5, 10).withheldGroups).toBe(1);
  });

  it('reads its configuration with defaults and refuses unknown keys', () => {
    const d = section({});
    expect(d).toMatchObject({ registrationPrefix: 'YC', maxLicensableGrade: 'important', distribution: { method: 'income_share', basisPoints: 3000 }, disclosureDue: '03-31' });
    expect(section({ distribution: { method: 'per_record', fenPerRecord: 2 } }).distribution).toEqual({ method: 'per_record', fenPerRecord: 2 });
    expect(() => section({ registrationPrefx: 'BJ' })).toThrow(/modules\.operation\.registrationPrefx: unknown key \(did you mean "registrationPrefix"\?\)/);
    expect(() => section({ maxLicensableGrade: 'core' })).toThrow(/maxLicensableGrade/);
    expect(registrationNumber('BJ', 'DP', 2026, 123)).toBe('BJ-DP-2026-000123');
  });
});
