import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HIDDEN, maskPersonalData, maskPersonalDataDeep } from '../../src/hotline/personal-data.js';
import { timedAnswer } from '../support/timing.js';

/**
 * The one mask for free text shown to people who may not see the citizen (issue 15, finding 9): the Open311 feed,
 * the public lookup, the leaders' view. The HTTP tests (open311-privacy.test.ts, track.test.ts, ticket-scope.test.ts)
 * check that every public view uses it; this file checks the mask itself, by example and by property.
 */

// ── generators ─────────────────────────────────────────────────────────────────────────────────────────────

/** Complaint text with no digit in it: Chinese words, punctuation, spaces (what the injected data sits in). */
const WORDS = ['路灯不亮', '噪音扰民', '请尽快处理', '小区门口', '垃圾堆放', '谢谢', '夜间施工', '反映', '希望', '相关部门', '道路积水',
  '电话', '联系方式', '手机', '座机', '我', '家', '附近', '，', '。', '：', ':', ' ', '  ', '\u3000', '（', '）', '、', '！', '\n', 'abc', 'Tel'];
const filler = fc.array(fc.constantFrom(...WORDS), { maxLength: 6 }).map((w) => w.join(''));
/** What people put between digits: nothing, spaces (ASCII, full-width), hyphens, dashes. */
const sep = fc.constantFrom('', '', '', ' ', '  ', '-', '－', '\u3000', ' - ', '—');
const digit = (from = 0) => fc.integer({ min: from, max: 9 }).map(String);
/** Digits joined by random separators, full-width digits now and then. */
const spaced = (digits: string[]) =>
  fc.tuple(fc.array(sep, { minLength: digits.length, maxLength: digits.length }), fc.boolean()).map(([seps, wide]) => {
    const ds = wide ? digits.map((d) => String.fromCharCode(0xff10 + Number(d))) : digits;
    return ds.map((d, i) => (i === 0 ? d : seps[i] + d)).join('');
  });
const mobile = fc.tuple(fc.constantFrom('3', '5', '7', '8', '9'), fc.array(digit(), { minLength: 9, maxLength: 9 }), fc.constantFrom('', '+86 ', '+86-', '86 ', '(+86)'))
  .chain(([second, rest, prefix]) => spaced(['1', second, ...rest]).map((s) => ({ text: prefix + s, digits: ['1', second, ...rest].join('') })));
const landline = fc.tuple(fc.constantFrom('010', '021', '0571', '0755', '0731'), fc.array(digit(), { minLength: 8, maxLength: 8 }), fc.boolean())
  .chain(([area, rest, paren]) => spaced(rest).map((s) => ({ text: paren ? `(${area})${s}` : `${area}-${s}`, digits: area + rest.join('') })));
const PROVINCES = ['11', '12', '13', '31', '32', '33', '35', '37', '41', '42', '43', '44', '50', '51', '61', '65'];
const idNumber = fc.tuple(fc.constantFrom(...PROVINCES), fc.array(digit(), { minLength: 15, maxLength: 15 }), fc.constantFrom('X', 'x', '0', '7'))
  .chain(([p, mid, last]) => spaced([...p, ...mid]).map((s) => ({ text: s + last, digits: p + mid.join('') })));
const qq = fc.tuple(fc.constantFrom('QQ', 'qq', 'QQ号', 'qq号', 'QQ号码', 'QQ:', 'QQ：', 'QQ号是', '扣扣', '微信', '微信号：'), digit(1), fc.array(digit(), { minLength: 4, maxLength: 10 }))
  .chain(([intro, first, rest]) => spaced([first, ...rest]).map((s) => ({ text: `${intro} ${s}`, digits: first + rest.join('') })));
const room = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 101, max: 3305 }), fc.constantFrom(0, 1, 2, 3), fc.constantFrom('', ' '))
  .map(([b, u, r, style, s]) => ({
    text: [`${b}${s}栋${s}${u}${s}单元${s}${r}${s}室`, `${b}号楼${s}${u}单元${s}${r}`, `${b}-${u}-${r}`, `${b}栋${s}${r}`][style],
    digits: `${r}`,
  }));
const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '洋', '艳', '勇', '军', '杰', '娟', '涛', '超', '秀', '霞', '平', '刚'];
const name = fc.tuple(
  fc.constantFrom('我叫', '我叫 ', '我的名字是', '姓名：', '联系人：', '我是', '本人', '市民', '投诉人'),
  fc.constantFrom('张', '王', '李', '刘', '陈', '杨', '黄', '赵', '吴', '周', '欧阳', '诸葛', '曾', '高', '方'),
  fc.array(fc.constantFrom(...GIVEN), { minLength: 1, maxLength: 2 }),
).map(([intro, surname, given]) => ({ text: intro + surname + given.join(''), name: surname + given.join('') }));

const DIGITS = /[0-9\uFF10-\uFF19]/;

describe('maskPersonalData: the one mask for public free text', () => {
  it('finding 9: hides the listed examples — spaced mobiles, landlines, QQ numbers, ID numbers, e-mails, names, flats', () => {
    const cases: [string, string][] = [
      ['电话 138 1234 5678', `电话 ${HIDDEN.phone}`],
      ['电话138-1234-5678', `电话${HIDDEN.phone}`],
      ['+86 138 1234 5678', HIDDEN.phone],
      ['手机：+86-13812345678。', `手机：${HIDDEN.phone}。`],
      ['１３８ １２３４ ５６７８', HIDDEN.phone],
      ['座机0571-8888 6666', `座机${HIDDEN.phone}`],
      ['(010)12345678', HIDDEN.phone],
      ['QQ:12345678', `QQ:${HIDDEN.account}`],
      ['qq号 1234 5678', `qq号 ${HIDDEN.account}`],
      ['加我微信 abc_12345', `加我微信 ${HIDDEN.account}`],
      ['身份证33010619900101123X', `身份证${HIDDEN.idNumber}`],
      ['身份证 330106 19900101 1234', `身份证 ${HIDDEN.idNumber}`],
      ['邮箱 li.ming@example.com', `邮箱 ${HIDDEN.email}`],
      ['我叫张三，住3栋2单元501室', `我叫${HIDDEN.name}，住${HIDDEN.room}`],
      ['12号楼3单元1101', HIDDEN.room],
      ['我住3栋201', `我住${HIDDEN.room}`],
      ['3-2-501', HIDDEN.room],
      ['本人张三', `本人${HIDDEN.name}`],
      ['市民李先生反映', `市民${HIDDEN.name}反映`],
      ['王阿姨说', '某阿姨说'],
      ['车牌浙A12345乱停', `车牌${HIDDEN.plate}乱停`],
      // found by the property below: a mobile spaced like a date (1919-1-4) ran into a building number
      ['1919-1-4－20745', HIDDEN.phone],
      ['1919-1-4－207451栋1单元101室', HIDDEN.number],
      ['1928-1-9\u300027950010-00000000', HIDDEN.number],
      ['1-1-1011栋101', HIDDEN.room],
    ];
    for (const [text, masked] of cases) expect(maskPersonalData(text), text).toBe(masked);
  });

  it('keeps what is not personal: dates, ticket numbers, street door numbers, floors, coordinates, ordinary words', () => {
    for (const text of [
      '2026-11-26 晚上十点', '2026-11-26—2026-11-30 停水', '工单20261126-000001重复', '滨江路 18 号路灯', '3楼楼道灯坏了', '坐标 114.2793, 30.5728',
      '本人曾多次反映', '我是业主', '市民反映', '居民楼下', '一座桥', '共3户', '', '路灯不亮',
    ]) expect(maskPersonalData(text), text).toBe(text);
    expect(maskPersonalData(null)).toBeNull();
  });

  it('is idempotent and leaves ids and timestamps in structured details alone', () => {
    const once = maskPersonalData('我叫张三，电话 138 1234 5678，QQ:12345678，住3栋2单元501室');
    expect(maskPersonalData(once)).toBe(once);
    const details = { unit: '00000000-1234-4567-8901-123456789012', dueAt: '2026-11-26T03:00:00.000Z', reason: '联系 13812345678', n: 3, nested: [{ note: '我叫李四' }] };
    expect(maskPersonalDataDeep(details)).toEqual({ ...details, reason: `联系 ${HIDDEN.phone}`, nested: [{ note: `我叫${HIDDEN.name}` }] });
  });

  it('finding 9: random Chinese text with phones, landlines, ID numbers, QQ numbers and flats in random spacing never leaks a digit', () => {
    const pii = fc.oneof(mobile, landline, idNumber, qq, room);
    fc.assert(
      fc.property(fc.array(fc.tuple(filler, pii), { minLength: 1, maxLength: 4 }), filler, (parts, tail) => {
        const text = parts.map(([f, p]) => f + p.text).join('') + tail;
        const masked = maskPersonalData(text);
        // The filler has no digit: any digit left is a leaked piece of the injected data.
        expect(masked, text).not.toMatch(DIGITS);
        expect(maskPersonalData(masked)).toBe(masked);
      }),
      { numRuns: 3000 },
    );
  });

  it('finding 9: a name after 我叫 / 本人 / 市民 / 姓名 never comes through', () => {
    fc.assert(
      fc.property(filler, name, filler, (before, n, after) => {
        const masked = maskPersonalData(before + n.text + after);
        expect(masked, before + n.text + after).not.toContain(n.name);
      }),
      { numRuns: 2000 },
    );
  });

  it('runs in linear time on hostile text (no catastrophic backtracking)', async () => {
    const hostile = ['1'.repeat(10_000), '1 '.repeat(5000), 'a'.repeat(10_000), 'a@'.repeat(5000), '一'.repeat(10_000), '我叫'.repeat(5000),
      '123456栋'.repeat(1200), 'QQ '.repeat(3000), `${'a.'.repeat(4000)}@`, '+('.repeat(5000)];
    for (const text of hostile) {
      const { ms } = await timedAnswer(async () => maskPersonalData(text), 200);
      expect(ms, text.slice(0, 12)).toBeLessThan(200);
    }
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: fc.constantFrom('1', ' ', '-', 'a', '@', '.', '栋', '单元', '我叫', 'QQ', '张', 'X', '(', '+'), maxLength: 4000 }), async (text) => {
        const { ms } = await timedAnswer(async () => maskPersonalData(text), 200);
        expect(ms).toBeLessThan(200);
      }),
      { numRuns: 300 },
    );
  });
});
