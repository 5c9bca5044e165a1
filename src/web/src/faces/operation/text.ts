import { useI18n } from '../../i18n.js';

/** The operation face's words, zh-CN first and English second, chosen by the language switch. */
export function useText(): (zh: string, en: string) => string {
  const { lang } = useI18n();
  return (zh, en) => (lang === 'en' ? en : zh);
}

/** Product types, billing units and statuses in both languages. */
export const words: Record<string, [string, string]> = {
  verification: ['核验', 'Verification'], score: ['评分', 'Score'], statistics: ['统计', 'Statistics'], model_inference: ['模型推理', 'Model inference'],
  sandbox_query: ['沙箱查询', 'Sandbox query'], per_call: ['元/次', 'per call'], per_record: ['元/条', 'per record'], per_output: ['元/单位输出', 'per output unit'],
  per_period: ['元/月', 'per month'], pending: ['待处理', 'Pending'], accepted: ['已同意', 'Accepted'], refused: ['已拒绝', 'Refused'], issued: ['已发放密钥', 'Key issued'],
  active: ['生效', 'In force'], suspended: ['暂停', 'Suspended'], terminated: ['终止', 'Terminated'], registered: ['已登记', 'Registered'], withdrawn: ['已撤回', 'Withdrawn'],
  approved: ['已放行', 'Approved'], revoked: ['已吊销', 'Revoked'], commercial: ['经营性', 'Commercial'], public_governance: ['公共治理', 'Public governance'],
  public_welfare: ['公益事业', 'Public welfare'], scenario: ['依场景', 'By scenario'], domain: ['分领域', 'By domain'], whole: ['整体', 'Whole'],
};

export function useWord(): (key: string | null | undefined) => string {
  const { lang } = useI18n();
  return (key) => (key ? (words[key]?.[lang === 'en' ? 1 : 0] ?? key) : '—');
}
