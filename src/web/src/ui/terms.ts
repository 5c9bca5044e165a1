import type { Lang } from '../i18n.js';

/**
 * English names of the reference data the server keeps in Chinese (issue 17: English mode showed categories,
 * districts and "演示用户" in Chinese): the demo city's taxonomy, districts and streets. A city with its own data
 * adds its names here; anything unknown shows as stored.
 */
const en: Record<string, string> = {
  // taxonomy, level 1–3 (src/hotline/demo-seed.ts)
  城乡建设: 'Urban construction', 市政设施: 'Municipal facilities', 道路破损: 'Damaged road', 路灯故障: 'Street light out', 路灯: 'Street lights',
  井盖缺失: 'Missing manhole cover', 物业管理: 'Property management', 物业服务: 'Property services', 电梯故障: 'Lift breakdown',
  小区停车: 'Estate parking', 城市管理: 'City management', 占道经营: 'Street vending', 违章搭建: 'Illegal structure', 垃圾清运: 'Rubbish collection',
  供水供气: 'Water and gas supply', 停水: 'Water cut', 水压不足: 'Low water pressure', 燃气安全: 'Gas safety',
  环境保护: 'Environment', 噪声污染: 'Noise', 施工噪声: 'Construction noise', 商业噪声: 'Commercial noise', 大气污染: 'Air pollution',
  餐饮油烟: 'Restaurant fumes', 工地扬尘: 'Construction dust', 水污染: 'Water pollution', 河道污染: 'River pollution',
  交通运输: 'Transport', 公共交通: 'Public transport', 公交线路: 'Bus routes', 出租车服务: 'Taxi service', 道路交通: 'Road traffic',
  交通信号灯: 'Traffic lights', 停车管理: 'Parking', 教育文体: 'Education, culture, sport', 学前教育: 'Pre-school', 幼儿园收费: 'Kindergarten fees',
  义务教育: 'Compulsory education', 入学政策: 'School admission', 校外培训: 'Tutoring', 劳动和社会保障: 'Labour and social security',
  劳动关系: 'Employment', 拖欠工资: 'Unpaid wages', 劳动合同: 'Labour contracts', 社会保险: 'Social insurance', 社保缴纳: 'Contributions',
  医保报销: 'Medical insurance claims', 商贸旅游: 'Commerce and tourism', 消费维权: 'Consumer rights', 预付卡退费: 'Prepaid card refunds',
  商品质量: 'Product quality', 旅游市场: 'Tourism', 景区服务: 'Scenic-area services', 卫生计生: 'Health', 医疗服务: 'Medical services',
  医院服务: 'Hospital services', 医疗收费: 'Medical fees', 公共卫生: 'Public health', 疫苗接种: 'Vaccination',
  // districts and streets (src/server/demo-city.ts)
  临江区: 'Linjiang District', 青山区: 'Qingshan District', 新湖区: 'Xinhu District', 白塔区: 'Baita District', 高新区: 'Hi-Tech Zone',
  滨江街道: 'Binjiang Subdistrict', 望湖街道: 'Wanghu Subdistrict', 东港街道: 'Donggang Subdistrict', 柳岸街道: 'Liu\'an Subdistrict',
  翠屏街道: 'Cuiping Subdistrict', 松林街道: 'Songlin Subdistrict', 石门街道: 'Shimen Subdistrict', 云岭街道: 'Yunling Subdistrict',
  湖心街道: 'Huxin Subdistrict', 新桥街道: 'Xinqiao Subdistrict', 花溪街道: 'Huaxi Subdistrict', 明珠街道: 'Mingzhu Subdistrict',
  塔前街道: 'Taqian Subdistrict', 古城街道: 'Gucheng Subdistrict', 南关街道: 'Nanguan Subdistrict', 北苑街道: 'Beiyuan Subdistrict',
  科创街道: 'Kechuang Subdistrict', 智谷街道: 'Zhigu Subdistrict', 星河街道: 'Xinghe Subdistrict', 附近: 'nearby',
  // demo users' display names: 演示用户 citizen …
  演示用户: 'Demo user',
};

/**
 * A stored name in the reader's language: itself in Chinese; in English the known translation, word by word for
 * composed names (`临江区滨江街道附近`, `演示用户 citizen`), else as stored.
 *
 * @example term('en', '城乡建设') // 'Urban construction'
 */
export function term(lang: Lang, name: string | null | undefined): string {
  if (!name) return '';
  if (lang === 'zh') return name;
  if (en[name]) return en[name];
  // longest known pieces first, so 临江区滨江街道附近 → Linjiang District Binjiang Subdistrict nearby
  const keys = Object.keys(en).sort((a, b) => b.length - a.length);
  let out = name;
  for (const k of keys) if (out.includes(k)) out = out.split(k).join(` ${en[k]} `);
  return out.replace(/\s+/g, ' ').trim();
}

/** A category's path (`城乡建设 / 市政设施 / 路灯故障`) in the reader's language. */
export const categoryPath = (lang: Lang, c: { level1: string; level2: string | null; level3: string | null } | undefined): string =>
  c ? [c.level1, c.level2, c.level3].filter(Boolean).map((x) => term(lang, x)).join(' / ') : '';
