import { citizenIdCheck } from '../../src/catalog/row-validation.js';
import type { DatasetInput } from '../../src/catalog/index.js';

/** A valid 18-character ID number for the n-th invented person. */
export function personId(n: number, birth = '19850612'): string {
  const first17 = `110101${birth}${String(n % 1000).padStart(3, '0')}`;
  return first17 + citizenIdCheck(first17);
}

export const populationDataset = (identifier = 'population'): DatasetInput => ({
  identifier,
  title: '常住人口基础信息',
  description: '全市常住人口的基础信息 (demo)',
  keywords: ['人口', '户籍'],
  themes: ['SOCI'],
  contact: { name: '数据科', email: 'data@example.gov.cn' },
  licence: 'https://creativecommons.org/licenses/by/4.0/',
  temporal: { start: '2020-01-01' },
  spatial: '云川市',
  distributions: [{ title: '接口', format: 'JSON', mediaType: 'application/json' }],
  shareAttr: 'conditional',
  shareConditions: '用于公共服务',
  openAttr: 'not_open',
  updateCycle: 'monthly',
  sourceSystem: '人口库',
  fields: [
    { name: 'id_number', title: '身份证号', type: 'cn_id', required: true, category: 'personal.identity', grade: 'important', personal: true, sensitive: true, subjectId: true, defaultMask: { fn: 'hmac' } },
    { name: 'name', title: '姓名', type: 'string', required: true, category: 'personal.identity', grade: 'general', generalLevel: '3', personal: true, defaultMask: { fn: 'keep', first: 1, last: 0 } },
    { name: 'birth_date', title: '出生日期', type: 'date', category: 'personal.profile', grade: 'general', generalLevel: '2', personal: true, defaultMask: { fn: 'date', unit: 'year' } },
    { name: 'age', title: '年龄', type: 'integer', category: 'personal.profile', grade: 'general', generalLevel: '1', personal: true, defaultMask: { fn: 'age_band' } },
    { name: 'address', title: '住址', type: 'string', category: 'personal.location', grade: 'general', generalLevel: '3', personal: true, defaultMask: { fn: 'district' } },
    { name: 'district', title: '所属区', type: 'string', required: true, category: 'public.administration', grade: 'general', generalLevel: '1' },
    { name: 'income', title: '月收入', type: 'number', category: 'personal.finance', grade: 'general', generalLevel: '4', personal: true },
    { name: 'phone', title: '手机号', type: 'string', category: 'personal.contact', grade: 'general', generalLevel: '3', personal: true, defaultMask: { fn: 'keep', first: 3, last: 4 } },
  ],
});

export const districts = ['临江区', '青山区', '新湖区'];

export function populationRows(n: number, offset = 0) {
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    return {
      id_number: personId(i),
      name: `测试${i}`,
      birth_date: '1985-06-12',
      age: 20 + (i % 50),
      address: `云川市${districts[i % 3]}滨江街道${i}号`,
      district: districts[i % 3]!,
      income: 3000 + i,
      phone: `1380000${String(i).padStart(4, '0')}`,
    };
  });
}

let gbkTable: Map<string, number[]> | undefined;
/**
 * Text in GBK, as Excel and WPS on Chinese Windows save "CSV" (Node has a GB18030 decoder but no encoder: the
 * table is built by decoding every two-byte GBK sequence once).
 */
export function gbkEncode(text: string): Buffer {
  if (!gbkTable) {
    gbkTable = new Map();
    const decoder = new TextDecoder('gb18030');
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x40; trail <= 0xfe; trail++) {
        if (trail === 0x7f) continue;
        const ch = decoder.decode(Uint8Array.of(lead, trail));
        if (ch.length === 1 && ch !== '\ufffd' && !gbkTable.has(ch)) gbkTable.set(ch, [lead, trail]);
      }
    }
  }
  const bytes: number[] = [];
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) bytes.push(ch.charCodeAt(0));
    else {
      const code = gbkTable.get(ch);
      if (!code) throw new Error(`no GBK code for ${ch}`);
      bytes.push(...code);
    }
  }
  return Buffer.from(bytes);
}
