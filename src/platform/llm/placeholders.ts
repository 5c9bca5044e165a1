import { redactPersonalData, type PersonalDataKind } from '../privacy/personal-data.js';

/** What each kind of datum is called in its placeholder (〔电话1〕): a model keeps such tokens as they are. */
const LABEL: Record<PersonalDataKind, string> = {
  phone: '电话', idNumber: '证件号', number: '号码', account: '账号', email: '邮箱',
  name: '姓名', surname: '姓名', room: '地址', plate: '车牌',
};
const PLACEHOLDER = /〔(电话|证件号|号码|账号|邮箱|姓名|地址|车牌)(\d{1,4})〕/g;
/** The longest placeholder, so a stream holds back no more than an unfinished one. */
const LONGEST = '〔证件号9999〕'.length;

/**
 * Personal data swapped for numbered placeholders before text leaves the process, and put back in the answer
 * (PIPL art. 51: the model server learns what was asked, not who asked). One instance per call: the same value
 * gets the same placeholder throughout the call, so the model can refer to it.
 *
 * @example const p = new Placeholders(); p.hide('我叫张三，电话13812345678') // '我叫〔姓名1〕，电话〔电话1〕'
 */
export class Placeholders {
  private readonly byValue = new Map<string, string>();
  private readonly byPlaceholder = new Map<string, string>();
  private readonly counts = new Map<string, number>();

  /**
   * The text with every datum the detectors find replaced by its placeholder, and every other occurrence of a
   * full name found so far in the call: a name is found by its context (我叫张三) and then written bare
   * (张三反映的路灯…), which no detector sees.
   */
  hide(text: string): string {
    let hidden = redactPersonalData(text, (kind, value) => this.placeholder(kind, value));
    for (const [key, placeholder] of this.byValue) {
      const value = key.slice(key.indexOf(':') + 1);
      if (key.startsWith('name:') && [...value].length >= 2) hidden = hidden.replaceAll(value, placeholder);
    }
    return hidden;
  }

  /** How many distinct data were hidden so far. */
  get size(): number {
    return this.byPlaceholder.size;
  }

  /** The text with the placeholders put back; a placeholder the model made up stays as it is. */
  restore(text: string): string {
    return text.replace(PLACEHOLDER, (m) => this.byPlaceholder.get(m) ?? m);
  }

  /**
   * A restorer for a stream: each piece is returned restored, holding back an unfinished placeholder (〔电 …)
   * until the piece that completes it; `flush()` returns what is held at the end.
   */
  streamRestorer(): { push(piece: string): string; flush(): string } {
    let held = '';
    return {
      push: (piece) => {
        held += piece;
        const open = held.lastIndexOf('〔');
        const cut = open >= 0 && !held.includes('〕', open) && held.length - open < LONGEST ? open : held.length;
        const out = this.restore(held.slice(0, cut));
        held = held.slice(cut);
        return out;
      },
      flush: () => {
        const out = this.restore(held);
        held = '';
        return out;
      },
    };
  }

  private placeholder(kind: PersonalDataKind, value: string): string {
    const known = this.byValue.get(`${kind}:${value}`);
    if (known) return known;
    const label = LABEL[kind];
    const n = (this.counts.get(label) ?? 0) + 1;
    this.counts.set(label, n);
    const placeholder = `〔${label}${n}〕`;
    this.byValue.set(`${kind}:${value}`, placeholder);
    this.byPlaceholder.set(placeholder, value);
    return placeholder;
  }
}
