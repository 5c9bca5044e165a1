import { describe, expect, it } from 'vitest';
import { Segmenter } from '../../../src/hotline/intel/segment.js';

describe('Segmenter', () => {
  it('keeps a user-dictionary word whole once added at run time', () => {
    const seg = new Segmenter();
    const text = 'A市丽发新城旁搅拌站噪音扰民';
    expect(seg.tokens(text)).not.toContain('丽发新城');
    seg.addWords(['丽发新城']);
    expect(seg.tokens(text)).toContain('丽发新城');
    expect(seg.userWords()).toEqual(['丽发新城']);
  });

  it('drops stop words and punctuation and keeps placeholders whole', () => {
    const seg = new Segmenter();
    const tokens = seg.tokens('您好！我的电话是13812345678，小区的路灯坏了。');
    expect(tokens).toContain('路灯');
    expect(tokens).toContain('<PHONE>');
    expect(tokens).not.toContain('的');
    expect(tokens).not.toContain('！');
    expect(tokens).not.toContain(',');
  });
});
