import { describe, expect, it } from 'vitest';
import { maskPii, normalizeText, toHalfWidth } from '../../../src/hotline/intel/text-normalize.js';

describe('normalizeText', () => {
  it('replaces mobile, landline and resident ID numbers with placeholders', () => {
    const text = '我叫张三，手机13812345678，座机0731-84567890，身份证号43010219900307123X，请回电。';
    const out = normalizeText(text);
    expect(out).toBe('我叫张三,手机<PHONE>,座机<PHONE>,身份证号<IDNO>,请回电。');
    expect(out).not.toMatch(/\d{7,}/);
  });

  it('catches full-width digits, separators, +86 and lower-case x', () => {
    expect(normalizeText('电话：１３９　１２３４　５６７８')).toBe('电话:<PHONE>');
    expect(maskPii('+86 15012345678')).toBe('<PHONE>');
    expect(maskPii('证件430102199003071234与43010219900307123x')).toBe('证件<IDNO>与<IDNO>');
  });

  it('replaces e-mails and long digit runs but keeps short numbers', () => {
    expect(maskPii('发到 zhang.san@example.com.cn 了')).toBe('发到 <EMAIL> 了');
    expect(maskPii('订单号 2019123456789，拨打12345，3栋502室')).toBe('订单号 <NUM>，拨打12345，3栋502室');
  });

  it('does not read the middle of an ID number as a phone number', () => {
    expect(maskPii('110101201813912345')).toBe('<IDNO>');
  });

  it('maps full-width ASCII to half-width and collapses white space', () => {
    expect(toHalfWidth('ＡＢＣ１２３！')).toBe('ABC123!');
    expect(normalizeText('  第一行\n\n第二行\t结束  ')).toBe('第一行 第二行 结束');
  });
});
