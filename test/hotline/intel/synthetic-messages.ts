import { mulberry32 } from '../../../src/platform/random/seeded-random.js';

/** A small synthetic three-class hotline problem: each class has its own vocabulary plus shared filler. */
const vocab: Record<string, string[]> = {
  环境保护: ['噪音', '扰民', '夜间施工', '搅拌站', '油烟', '污水', '排放', '异味', '粉尘', '垃圾焚烧'],
  教育文体: ['学校', '学生', '老师', '补课', '学费', '幼儿园', '入学', '课外', '教育局', '校车'],
  交通运输: ['公交', '线路', '站台', '出租车', '拒载', '红绿灯', '高速', '收费站', '客运', '班次'],
};
const filler = ['小区', '居民', '反映', '严重', '影响', '希望', '尽快', '处理', '附近', '已经', '多次', '投诉', '领导', '相关部门'];
const places = ['A市', 'A1区', 'B市', 'C3县', 'K市', 'L6县'];

export const syntheticLabels = Object.keys(vocab);

/** `n` messages per class with a title and a body (deterministic for a seed). */
export function syntheticMessages(n: number, seed: number): { title: string; detail: string; label: string }[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const out: { title: string; detail: string; label: string }[] = [];
  for (const label of syntheticLabels) {
    for (let i = 0; i < n; i++) {
      const words = vocab[label];
      const title = `${pick(places)}${pick(filler)}${pick(words)}${pick(filler)}`;
      const body = Array.from({ length: 12 }, () => (rand() < 0.4 ? pick(words) : pick(filler))).join('');
      out.push({ title, detail: `${body}，联系电话1380000${String(1000 + i)}。`, label });
    }
  }
  return out;
}
