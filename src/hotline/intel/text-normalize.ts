/**
 * Text normalisation applied before any message text enters an index, a model or an outside service:
 * full-width → half-width, whitespace collapsed, and personal data replaced by placeholders
 * (PIPL art. 51: minimise what leaves the record; the placeholders keep the fact "a phone number was here",
 * which is itself a useful feature, without the number).
 */

export const PHONE = '<PHONE>';
export const IDNO = '<IDNO>';
export const EMAIL = '<EMAIL>';
export const NUM = '<NUM>';

/**
 * Maps full-width ASCII variants (U+FF01–U+FF5E) to ASCII and the ideographic space (U+3000) to a space.
 * CJK punctuation without an ASCII twin (。、「」) is left alone.
 *
 * @example toHalfWidth('ＡＢＣ１２３，') // 'ABC123,'
 */
export function toHalfWidth(text: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0xff01 && c <= 0xff5e) || c === 0x3000) {
      out += text.slice(start, i) + (c === 0x3000 ? ' ' : String.fromCharCode(c - 0xfee0));
      start = i + 1;
    }
  }
  return start === 0 ? text : out + text.slice(start);
}

// Digit boundaries: a number must not be part of a longer digit run, otherwise an ID number's
// middle would match as a phone number.
const EMAIL_RE = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
// GB 11643-1999 citizen ID: 6-digit area, 8-digit birth date (19xx/20xx), 3-digit sequence, check digit 0-9 or X.
const IDNO_RE = /(?<![0-9])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9A-Za-z])/g;
// Any other 18-digit run ending in a digit or X is treated as an ID number too (typos in the date part are common).
const IDNO_LOOSE_RE = /(?<![0-9])\d{17}[0-9Xx](?![0-9A-Za-z])/g;
// Mainland mobile: 1[3-9]x xxxx xxxx, optionally with the country code and separators.
const MOBILE_RE = /(?<![0-9])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![0-9])/g;
// Landline with area code: 0xx(x)-xxxxxxx(x), optional parentheses, optional extension.
const LANDLINE_RE = /(?<![0-9])(?:\(0\d{2,3}\)|0\d{2,3}[- ]?)\d{7,8}(?:-\d{1,5})?(?![0-9])/g;
// Service numbers 400/800-xxx-xxxx.
const SERVICE_RE = /(?<![0-9])[48]00[- ]?\d{3}[- ]?\d{4}(?![0-9])/g;
// A local 7–8 digit number right after a word that announces a phone number.
const LOCAL_PHONE_RE = /(电话|手机|座机|热线|联系方式|号码|tel|Tel|TEL)([:：是为]?\s?)\d{7,8}(?![0-9])/g;
/** Digit runs this long carry identifiers (accounts, plates, orders), not meaning. */
const LONG_DIGITS_RE = /\d{7,}/g;

/**
 * Replaces personal data with placeholders: emails → `<EMAIL>`, 18-digit resident ID numbers → `<IDNO>`,
 * mobile and landline numbers → `<PHONE>`, other digit runs of 7 or more → `<NUM>`.
 * Expects half-width text (run {@link toHalfWidth} first, as {@link normalizeText} does).
 *
 * @example maskPii('电话13812345678，身份证43010219900101123X') // '电话<PHONE>，身份证<IDNO>'
 */
export function maskPii(text: string): string {
  return text
    .replace(EMAIL_RE, EMAIL)
    .replace(IDNO_RE, IDNO)
    .replace(IDNO_LOOSE_RE, IDNO)
    .replace(MOBILE_RE, PHONE)
    .replace(LANDLINE_RE, PHONE)
    .replace(SERVICE_RE, PHONE)
    .replace(LOCAL_PHONE_RE, (_m, word: string, sep: string) => `${word}${sep}${PHONE}`)
    .replace(LONG_DIGITS_RE, NUM);
}

/** Collapses every run of white space (including line breaks) to one space and trims the ends. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The one normalisation every text goes through before it is indexed, modelled or sent to an LLM.
 *
 * @example normalizeText('我的手机：１３８ １２３４ ５６７８\n谢谢') // '我的手机:<PHONE> 谢谢'
 */
export function normalizeText(text: string | null | undefined): string {
  if (!text) return '';
  return collapseWhitespace(maskPii(toHalfWidth(text)));
}

/**
 * The key under which two texts count as the same message: letters and digits only (punctuation, symbols,
 * spaces and width differences dropped), lower case. Used to keep a re-posted message out of its own hold-out.
 *
 * @example comparisonKey('路灯 坏了！') === comparisonKey('路灯坏了') // true
 */
export const comparisonKey = (s: string | undefined): string =>
  (s ?? '').normalize('NFKC').replace(/[\s\p{P}\p{S}]+/gu, '').toLowerCase();
