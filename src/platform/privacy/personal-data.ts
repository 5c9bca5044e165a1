/**
 * Personal data a citizen types into free text (诉求内容、地址、答复、退单理由), hidden before the text is shown to
 * anyone who may not see the citizen: the public Open311 feed, the public lookup (查询进度) and the leaders' city-wide
 * view. One function for every such view, so a pattern added here is added everywhere (issue 15, finding 9).
 *
 * What it hides, each by a 【…已隐藏】 placeholder that keeps the fact ("a phone number was here") without the value:
 * e-mail addresses; QQ / WeChat ids after their introducer (`QQ:12345678`, `qq号 …`, `微信 abc_123`); names after
 * an introducer (`我叫张三`, `市民李先生` → `市民某先生`); car plates; building / unit / room numbers
 * (`3栋2单元501室`, `12号楼3单元1101`, `3-2-501`); and every run of seven or more digits however it is spaced
 * (`138 1234 5678`, `+86 138-1234-5678`, `0571-8888 6666`, `(010)12345678`, ID numbers with or without the X,
 * bank cards). Dates (`2026-11-26`), ticket numbers (`20261126-000001`) and short decimals (`114.2793`) stay.
 * Street door numbers (`滨江路 18 号`) stay too: they say where the problem is, not who reported it.
 *
 * Every pattern is linear (no nested quantifier over overlapping classes), so a hostile text cannot stall it.
 */

export const HIDDEN = {
  phone: '【电话已隐藏】',
  idNumber: '【证件号已隐藏】',
  number: '【号码已隐藏】',
  account: '【账号已隐藏】',
  email: '【邮箱已隐藏】',
  name: '【姓名已隐藏】',
  room: '【门牌已隐藏】',
  plate: '【车牌已隐藏】',
} as const;

/** A digit, ASCII or full-width (１３８…). */
const D = '[0-9\\uFF10-\\uFF19]';
/** What people put between the digits of one number: spaces, hyphens and dashes, dots, brackets, slashes. */
const S = '[\\s\\u3000\\-\\uFF0D\\u2010-\\u2015\\u2212.\\uFF0E\\u00B7()\\uFF08\\uFF09/_]';
/** A run of digits with up to three separator characters between any two of them, an optional leading + or (. */
const DIGIT_RUN = new RegExp(`[+\\uFF0B]?[(\\uFF08]?${D}(?:${S}{0,3}${D})*(?:[\\s\\u3000]?[Xx](?![A-Za-z]))?`, 'g');

// Each pattern that starts with a repeated class looks behind first, so it is tried once per run, not once per
// character of it (linear time on a 10,000-character line of letters or digits).
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+[ \t]*[@\uFF20][ \t]*[A-Za-z0-9-]+(?:[ \t]*[.\uFF0E][ \t]*[A-Za-z0-9-]+)+/g;

/** QQ / WeChat ids after the word that announces them; the id is digits (however spaced) or a WeChat handle. */
const ACCOUNT = new RegExp(
  '((?:QQ|ＱＱ|扣扣|企鹅号|微信号?|weixin|wechat|(?<![A-Za-z])(?:vx|wx|v信))[ \\t\\u3000]*(?:号码|号)?[ \\t\\u3000]*[:：是为]?[ \\t\\u3000]*)' +
    `((?:${D}(?:${S}{0,3}${D}){4,})|[A-Za-z][-_A-Za-z0-9]{4,19})`,
  'gi',
);

/** Common surnames (百家姓, the most frequent first), compound ones included; words like 于/和/向 are left out. */
const COMPOUND_SURNAMES = '欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|令狐|长孙|宇文|司徒|夏侯|端木|独孤|南宫|西门';
const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟' +
  '谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤温康施文牛樊葛邢' +
  '齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘祝包尚符舒阮柯纪梅童凌毕季裴霍涂苗谷盛曲翁冉骆蓝游辛靳柴蒙' +
  '鲍华喻祁蒲房滕屈饶牟艾尤穆卓吉缪简项芦麦褚娄窦戚岑景宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬卞姬仇栾隋刁巫寇桑郎' +
  '甄丛仲虞敖巩佘麻苑迟邝';
/** Words that start with a surname's character but are no name (本人曾多次…, 我是高中生…). */
const NOT_A_NAME = '(?!曾经|曾多次|曾在|曾于|曾向|曾被|曾因|尚未|尚无|尚不|符合|申请|申报|申诉|方便|方面|任何|任职|高度|高中|高三|高层|程序|包括|江边)';
const SURNAME = `(?:${COMPOUND_SURNAMES}|[${SURNAMES}])`;
const HAN = '[\\u4e00-\\u9fff]';

/** After these a name follows for certain: 2–4 characters are hidden, whatever they are. */
const NAME_AFTER_STRONG = new RegExp(
  `((?<!【)(?:我叫|我名叫|名叫|我的名字(?:是|叫)|名字叫|叫做|本人姓名|姓名(?:是|为)?|联系人(?:姓名)?(?:是|为)?)[ \\t\\u3000:：]*)` +
    `(?!电话|手机|方式|号码|地址|${D})(${HAN}[·•]?${HAN}{1,3})`,
  'g',
);
/** After these a name may follow: hidden when a known surname starts it (我是张三; 我是业主 stays). */
const NAME_AFTER_WEAK = new RegExp(
  `((?:我是|本人是?|我姓|市民|居民|业主|住户|来电人|反映人|投诉人|举报人|当事人)[ \\t\\u3000:：]*)${NOT_A_NAME}(${SURNAME}${HAN}{0,2})`,
  'g',
);
/** 张先生, 李女士, 王阿姨 → 某先生…: the surname is what identifies. */
const NAME_WITH_TITLE = new RegExp(`${SURNAME}(?=先生|女士|小姐|师傅|阿姨|大爷|大妈|大姐|大哥|老师|同学|经理|医生|护士)`, 'g');

/** Mainland car plates: province, a letter, five or six letters/digits (新能源 six), spaced or not. */
const PLATE = /[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][ \t·•]?[A-HJ-NP-Z][ \t·•]?[A-HJ-NP-Z0-9]{5,6}(?![A-Za-z0-9])/g;

/** One building / unit / floor / room segment: 3栋, 12号楼, B座, 2单元, 5层, 501室, 三栋, 二单元. */
const SEGMENT =
  `(?:(?:(?<!${D})${D}+|(?<![A-Za-z])[A-Za-z])[ \\t\\u3000]*(?:号楼|号院|#楼|栋|幢|座|单元|室|层|楼|#)` +
  '|(?<![一二三四五六七八九十两])[一二三四五六七八九十两]+[ \\t\\u3000]*(?:号楼|栋|幢|单元))';
/** Segments in a row, then perhaps a bare room number (3栋201, 12号楼3单元1101). */
const ROOM_CHAIN = new RegExp(
  `${SEGMENT}(?:[ \\t\\u3000]*[-－]?[ \\t\\u3000]*${SEGMENT})*(?:[ \\t\\u3000]*[-－]?[ \\t\\u3000]*${D}{2,5}(?!${D}))?`,
  'g',
);
/** A building / unit / room marker with the rest of its chain, after digits another pattern took (…0071栋101). */
const MARKER_TAIL =
  `[ \\t\\u3000]*(?:号楼|号院|#楼|栋|幢|座(?![机位谈])|单元|室(?![内外友])|#|(?:层|楼)(?=[ \\t\\u3000]*[-－]?[ \\t\\u3000]*${D}))` +
  `(?:[ \\t\\u3000]*[-－]?[ \\t\\u3000]*(?:${SEGMENT}|${D}+))*`;
/**
 * A building / unit / room marker right after a number the digit pass hid (…0071栋101: the building number ran into
 * the digits before it), with the rest of its chain: part of the hidden number, dropped with it.
 */
const ROOM_AFTER_HIDDEN = new RegExp(
  `(?<=(?:(?:电话|证件号|号码|账号)已隐藏】|\\uE000[\\uE010-\\uE013][\\uE100-\\uE1FF]+\\uE001))${MARKER_TAIL}`,
  'g',
);
/** building-unit-room written with hyphens: 3-2-501, and a chain its last number runs into (1-1-1011栋101). */
const ROOM_TRIPLE = new RegExp(`(?<!${D})${D}{1,3}[-－]${D}{1,2}[-－]${D}{3,4}(?!${D})(?:${MARKER_TAIL})?`, 'g');
/** A lone floor (3楼, 5层) says nothing about who lives there; a chain with a building, unit or room does. */
const FLOOR_ONLY = /^[0-9\uFF10-\uFF19]+[ \t\u3000]*(?:层|楼)$/;

const asciiDigits = (s: string): string => s.replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));

/** A date at the start of a digit run (2026-11-26, 2026.11.26, 2026/11/26): kept, the rest looked at again. */
const LEADING_DATE = /^(?:19|20)\d{2}([-./])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?!\d)/;
/** What may follow a date in one run of digits: a space, nothing, or a dash to another date (a range). */
const DATE_END = new RegExp(`^(?:[\\s\\u3000]|$|[-~\\uFF0D\\u2010-\\u2015\\u2212]+${LEADING_DATE.source.slice(1)})`);
/** A ticket number (the hotline's own, not personal). */
const TICKET_NUMBER = /^20\d{6}-\d{6}$/;
/** A short decimal (a price, a coordinate): at most 9 digits, at most 3 before the point. */
const SHORT_DECIMAL = /^\d{1,3}\.\d+$/;

/** A mainland mobile number's digits, with or without the country code. */
const MOBILE = /^(?:86)?1[3-9]\d{9}$/;

/** What kind of datum a run of seven or more digits is. */
const digitKind = (digits: string): PersonalDataKind => {
  const n = digits.replace(/[Xx]/g, '').length;
  if (MOBILE.test(digits)) return 'phone';
  if (n === 18 || (n === 17 && /[Xx]$/.test(digits)) || n === 15) return 'idNumber';
  if (/^0\d{9,11}$/.test(digits) || n === 7 || n === 8) return 'phone';
  return 'number';
};

const maskRun = (run: string, hide: Hide): string => {
  const ascii = asciiDigits(run);
  // An X only belongs to the number when it ends an ID number (17 digits + X).
  const xTail = /[\s\u3000]?[Xx]$/.exec(ascii);
  if (xTail && ascii.replace(/\D/g, '').length !== 17) return maskRun(run.slice(0, xTail.index), hide) + run.slice(xTail.index);
  const digits = ascii.replace(/[^0-9Xx]/g, '');
  // A date ends at a space, the run's end or a dash to another date; joined on by a dash or a dot to other digits it
  // begins a number, and a run whose first eleven digits could be a mobile's is one spaced like a date
  // (1919-1-4－20745, 1928-1-9 27950…): better a 19xx date hidden than a phone number shown.
  const date = LEADING_DATE.exec(ascii);
  if (date && DATE_END.test(ascii.slice(date[0].length)) && !MOBILE.test(digits.slice(0, 11))) return run.slice(0, date[0].length) + run.slice(date[0].length).replace(DIGIT_RUN, (r) => maskRun(r, hide));
  const core = ascii.replace(/^[+(\uFF0B\uFF08]+/, '');
  if (TICKET_NUMBER.test(core) || SHORT_DECIMAL.test(core)) return run;
  if (digits.replace(/[Xx]/g, '').length < 7) return run;
  return hide(digitKind(digits), run);
};

/** A kind of personal datum the detectors find; `surname` is the surname before a title (张先生). */
export type PersonalDataKind = keyof typeof HIDDEN | 'surname';
/** Called for each datum found, with its kind and its exact text; returns what stands in its place. */
type Hide = (kind: PersonalDataKind, value: string) => string;

/**
 * While the detectors run, each datum found becomes a sentinel of private-use characters (kind, then its number
 * in base 256), so later detectors neither see nor re-match it, and whoever called decides at the end what
 * replaces it: the fixed 【…已隐藏】 mark, or a numbered placeholder the LLM gateway restores afterwards.
 */
const KINDS: PersonalDataKind[] = ['phone', 'idNumber', 'number', 'account', 'email', 'name', 'room', 'plate', 'surname'];
const SENTINEL = /\uE000([\uE010-\uE01F])([\uE100-\uE1FF]+)\uE001/g;
/** Characters of the sentinel alphabet in the input are dropped: no text can forge a datum. */
const FORGED = /[\uE000\uE001\uE010-\uE01F\uE100-\uE1FF]/g;
const sentinelOf = (kind: PersonalDataKind, n: number): string => {
  let digits = '';
  do {
    digits = String.fromCharCode(0xe100 + (n % 256)) + digits;
    n = Math.floor(n / 256);
  } while (n > 0);
  return `\uE000${String.fromCharCode(0xe010 + KINDS.indexOf(kind))}${digits}\uE001`;
};
const numberOf = (digits: string): number => [...digits].reduce((n, c) => n * 256 + c.charCodeAt(0) - 0xe100, 0);
/** The room suffix a digit pass cut off (…0071栋101) follows the sentinel of a phone, ID, number or account. */
const DIGIT_SENTINEL_BEFORE = /\uE000[\uE010-\uE013]([\uE100-\uE1FF]+)\uE001$/;

/**
 * Finds the personal data in a text and lets `hide` choose what replaces each datum (see the module comment for
 * what is found). The one set of detectors behind {@link maskPersonalData} and the LLM gateway's placeholders.
 *
 * @example redactPersonalData('电话13812345678', (kind, value) => `<${kind}>`) // '电话<phone>'
 */
export function redactPersonalData(text: string, hide: Hide): string {
  const found: { kind: PersonalDataKind; value: string }[] = [];
  const mark = (kind: PersonalDataKind, value: string): string => sentinelOf(kind, found.push({ kind, value }) - 1);
  const marked = text
    .replace(FORGED, '')
    .replace(EMAIL, (m) => mark('email', m))
    .replace(ACCOUNT, (_m, intro: string, id: string) => `${intro}${mark('account', id)}`)
    .replace(NAME_AFTER_STRONG, (_m, intro: string, name: string) => `${intro}${mark('name', name)}`)
    .replace(NAME_AFTER_WEAK, (_m, intro: string, name: string) => `${intro}${mark('name', name)}`)
    .replace(NAME_WITH_TITLE, (m) => mark('surname', m))
    .replace(PLATE, (m) => mark('plate', m))
    // Long numbers first, however spaced: a room pattern must not cut a phone number into short, kept pieces.
    .replace(DIGIT_RUN, (run) => maskRun(run, mark))
    .replace(ROOM_AFTER_HIDDEN, (suffix: string, offset: number, whole: string) => {
      const before = DIGIT_SENTINEL_BEFORE.exec(whole.slice(0, offset));
      if (before) found[numberOf(before[1])].value += suffix; // part of the number: restored with it
      return '';
    })
    .replace(ROOM_TRIPLE, (m) => mark('room', m))
    .replace(ROOM_CHAIN, (chain) => (FLOOR_ONLY.test(chain.trim()) ? chain : mark('room', chain)));
  return marked.replace(SENTINEL, (_m, kind: string, digits: string) => {
    const datum = found[numberOf(digits)];
    return hide(KINDS[kind.charCodeAt(0) - 0xe010] ?? datum.kind, datum.value);
  });
}

/**
 * Hides personal data in free text shown to people who may not see the citizen (see the module comment).
 * Safe on any string (null and '' pass through), idempotent, linear in the length of the text.
 *
 * @example maskPersonalData('我叫张三，电话 138 1234 5678，住3栋2单元501室') // '我叫【姓名已隐藏】，电话 【电话已隐藏】，住【门牌已隐藏】'
 */
export function maskPersonalData(text: string): string;
export function maskPersonalData(text: string | null): string | null;
export function maskPersonalData(text: string | null): string | null {
  if (!text) return text;
  return redactPersonalData(text, (kind) => (kind === 'surname' ? '某' : HIDDEN[kind]));
}

/** Ids and timestamps inside structured details are no personal data (and their digits must stay readable). */
const CODED = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:\d{2}))$/i;

/** Every string inside a value (a timeline event's details: reasons, notes) masked; ids, timestamps and other values as they are. */
export const maskPersonalDataDeep = (value: unknown): unknown => {
  if (typeof value === 'string') return CODED.test(value) ? value : maskPersonalData(value);
  if (Array.isArray(value)) return value.map(maskPersonalDataDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskPersonalDataDeep(v)]));
  }
  return value;
};
