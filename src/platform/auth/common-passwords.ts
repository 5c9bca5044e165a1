/**
 * Passwords an attacker tries first, built here from the patterns they come from (no published list is copied):
 * keyboard walks, digit and letter runs, repeated characters, and common words — in English and pinyin — that
 * people decorate with a capital, digits or symbols. `isCommonPassword` undoes that decoration before looking.
 */

const keyboardRows = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', '!@#$%^&*()'];
// Columns walked down the keyboard, as in 1qaz2wsx3edc.
const keyboardColumns = ['1qaz', '2wsx', '3edc', '4rfv', '5tgb', '6yhn', '7ujm', '8ik,', '9ol.', '0p;/'];

const words = [
  'password', 'passwd', 'pass', 'passw0rd', 'p@ssword', 'secret', 'letmein', 'welcome', 'iloveyou', 'admin',
  'administrator', 'root', 'system', 'sysadmin', 'security', 'audit', 'auditor', 'manager', 'master', 'login',
  'user', 'guest', 'default', 'changeme', 'test', 'testtest', 'demo', 'hello', 'monkey', 'dragon', 'sunshine',
  'princess', 'football', 'baseball', 'basketball', 'superman', 'batman', 'shadow', 'trustno1', 'whatever',
  'computer', 'internet', 'server', 'database', 'oracle', 'mysql', 'postgres', 'access', 'office', 'company',
  'china', 'beijing', 'shanghai', 'shenzhen', 'guangzhou', 'woaini', 'aini', 'woaini1314', 'aini1314', 'wodemima',
  'mima', 'zhangwei', 'wangwei', 'liwei', 'wanglei', 'qwerty', 'abc', 'abcd', 'abcdef', 'qazwsx', 'asdf', 'zxcv',
  'iloveu', 'lovely', 'love', 'baobei', 'nihao', 'zhongguo', 'huawei', 'xiaomi', 'taobao', 'baidu', 'tencent',
  'gov', 'government', 'zhengfu', 'rexian', 'hotline', 'zaq12wsx', 'smartcity', 'city', 'data', 'platform',
];

/** Every substring of at least `min` characters of a text and of its reverse. */
const runs = (text: string, min: number): string[] => {
  const out: string[] = [];
  for (const t of [text, [...text].reverse().join('')]) {
    for (let i = 0; i < t.length; i++) for (let j = i + min; j <= t.length; j++) out.push(t.slice(i, j));
  }
  return out;
};

const build = (): Set<string> => {
  const set = new Set<string>(words);
  for (const row of keyboardRows) runs(row, 4).forEach((r) => set.add(r));
  runs('abcdefghijklmnopqrstuvwxyz', 4).forEach((r) => set.add(r));
  runs('01234567890123456789', 4).forEach((r) => set.add(r));
  for (let n = 2; n <= keyboardColumns.length; n++) {
    for (let i = 0; i + n <= keyboardColumns.length; i++) {
      const walk = keyboardColumns.slice(i, i + n);
      set.add(walk.join(''));
      set.add(walk.map((c) => [...c].reverse().join('')).join('')); // zaq1xsw2
    }
  }
  for (const first of ['qwe', 'asd', 'zxc', 'qaz', 'abc', 'aaa', 'zzz']) for (const digits of ['123', '1234', '12345', '123456']) set.add(first + digits);
  return set;
};

const common = build();

/** Leet spellings people use to "strengthen" a word: p@ssw0rd → password. */
const unLeet = (text: string): string =>
  text.replace(/[@4]/g, 'a').replace(/[0]/g, 'o').replace(/[1!|]/g, 'i').replace(/3/g, 'e').replace(/[5$]/g, 's').replace(/7/g, 't');

/** The core of a decorated password: lower case, without the digits and symbols before and after it. */
const core = (password: string): string => password.toLowerCase().replace(/^[^\p{L}]+/u, '').replace(/[^\p{L}]+$/u, '');

/** Whether the text is one character repeated, or two alternating (aaaaaaaa, 12121212). */
const repetitive = (text: string): boolean => new Set(text).size <= 2;

/**
 * Whether a password is one an attacker tries first: in the list as typed, a keyboard walk or run, repetitive,
 * or a common word once its capitals, leading and trailing digits and symbols and leet spelling are undone.
 *
 * @example isCommonPassword('Password@2026') // true;  isCommonPassword('CityHub@2026') // false
 */
export const isCommonPassword = (password: string): boolean => {
  const lower = password.toLowerCase();
  if (common.has(lower) || repetitive(lower)) return true;
  const stem = core(password);
  if (stem.length === 0) return true; // digits and symbols only: a date, a phone number, a walk
  return [stem, unLeet(stem), unLeet(lower), core(unLeet(lower))].some((s) => common.has(s) || (s.length > 0 && repetitive(s)));
};

/** How many entries the built list has (documented in docs/security.md). */
export const commonPasswordCount = (): number => common.size;
