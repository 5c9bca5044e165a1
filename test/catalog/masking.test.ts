import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addressDistrict, ageBand, compileMask, keepEnds, truncateDate, type MaskSpec } from '../../src/catalog/masking.js';
import { datasetGrade } from '../../src/catalog/grading.js';
import { isCitizenId } from '../../src/catalog/row-validation.js';
import { personId } from './fixtures.js';

const bands = [0, 18, 30, 40, 50, 60, 70, 80];
const ctx = { consumerKey: randomBytes(32), ageBands: bands };
const mask = (spec: MaskSpec, v: unknown) => compileMask(spec, ctx)(v);

describe('masking functions', () => {
  it('none passes values through (undefined becomes null)', () => {
    expect(mask({ fn: 'none' }, 'x')).toBe('x');
    expect(mask({ fn: 'none' }, 12)).toBe(12);
    expect(mask({ fn: 'none' }, undefined)).toBeNull();
  });

  it('redact hides the value and its length', () => {
    expect(mask({ fn: 'redact' }, '13800001234')).toBe('***');
    expect(mask({ fn: 'redact' }, 'a')).toBe('***');
    expect(mask({ fn: 'redact' }, null)).toBeNull();
  });

  it('keep first/last N stars the middle, by characters not bytes', () => {
    expect(mask({ fn: 'keep', first: 6, last: 4 }, '110101198506120014')).toBe('110101********0014');
    expect(mask({ fn: 'keep', first: 1, last: 0 }, '张三丰')).toBe('张**');
    expect(keepEnds('abc', 2, 2)).toBe('***');
    expect(mask({ fn: 'keep', first: 3, last: 4 }, 13800001234)).toBe('138****1234');
  });

  it('nullify always gives null', () => {
    expect(mask({ fn: 'nullify' }, 'anything')).toBeNull();
  });

  it('hmac is keyed: equal for one consumer, different for two, never the value', () => {
    const id = personId(7);
    const a1 = compileMask({ fn: 'hmac' }, ctx)(id);
    const a2 = compileMask({ fn: 'hmac' }, ctx)(id);
    const b = compileMask({ fn: 'hmac' }, { ...ctx, consumerKey: randomBytes(32) })(id);
    expect(a1).toMatch(/^[0-9a-f]{64}$/);
    expect(a1).toBe(a2);
    expect(b).not.toBe(a1);
    expect(a1).not.toContain(id);
  });

  it('date keeps the year or the month', () => {
    expect(mask({ fn: 'date', unit: 'year' }, '1985-06-12')).toBe('1985');
    expect(mask({ fn: 'date', unit: 'month' }, '1985-06-12')).toBe('1985-06');
    expect(truncateDate('19850612', 'month')).toBe('1985-06');
    expect(truncateDate('not a date', 'year')).toBeNull();
  });

  it('age becomes a band, the last one open', () => {
    expect(mask({ fn: 'age_band' }, 34)).toBe('30-39');
    expect(ageBand(17, bands)).toBe('0-17');
    expect(ageBand('18', bands)).toBe('18-29');
    expect(ageBand(95, bands)).toBe('80+');
    expect(ageBand(-1, bands)).toBeNull();
    expect(ageBand('abc', bands)).toBeNull();
  });

  it('address is cut after its district or county', () => {
    expect(mask({ fn: 'district' }, '云川市临江区滨江街道望江路12号3单元')).toBe('云川市临江区');
    expect(addressDistrict('某省某县城关镇1号')).toBe('某省某县');
    expect(addressDistrict('云川市人民路1号')).toBe('云川市');
    expect(addressDistrict('人民路1号')).toBeNull();
  });
});

describe('grading', () => {
  const levels = ['1', '2', '3', '4'];
  it('takes the highest grade of the fields (就高从严)', () => {
    expect(datasetGrade([{ grade: 'general', generalLevel: '2' }, { grade: 'core', generalLevel: null }, { grade: 'important', generalLevel: null }], levels))
      .toEqual({ grade: 'core', generalLevel: null });
    expect(datasetGrade([{ grade: 'general', generalLevel: '2' }, { grade: 'general', generalLevel: '4' }], levels)).toEqual({ grade: 'general', generalLevel: '4' });
  });

  it('checks ID numbers (GB 11643 check character and birth date)', () => {
    expect(isCitizenId(personId(1))).toBe(true);
    expect(isCitizenId('110101198506120000')).toBe(false);
    expect(isCitizenId('110101198513400012')).toBe(false);
  });
});
