import { describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { GovernanceConfigSchema } from '../../../src/hotline/governance/config.js';
import { inspect, ruleJudgement, splitRequests } from '../../../src/hotline/governance/inspection-rules.js';

const config = (Value.Default(GovernanceConfigSchema, {}) as { inspection: Parameters<typeof ruleJudgement>[2] }).inspection;
const check = (appeal: string, reply: string) => inspect(appeal, reply, ruleJudgement(appeal, reply, config), config, 'offline');

const appeal = '您好，我是临江区幸福小区的居民。路灯已经连续一周不亮，晚上出行很不安全。希望有关部门尽快维修路灯，并在路口增设减速带。';
const good = '您好！您反映的幸福小区路灯不亮问题已收悉。经现场核查，路灯线路老化，已于11月20日维修路灯完毕；'
  + '路口增设减速带事宜，我局已联系交警部门，将于12月10日前完成设置。如有疑问请拨打0731-88886666。感谢您的理解与支持！';

describe('quality inspection rules', () => {
  it('splits the appeal into the citizen’s requests', () => {
    expect(splitRequests(appeal)).toEqual(['希望有关部门尽快维修路灯，并在路口增设减速带。']);
    expect(splitRequests('楼下烧烤油烟很大。能否取缔？何时处理？')).toEqual(['能否取缔？', '何时处理？']);
    expect(splitRequests('路面坑洼不平。')).toEqual(['路面坑洼不平。']);
  });

  it('passes a reply that answers, dates its promise and gives a landline', () => {
    const r = check(appeal, good);
    expect(r.findings).toEqual([]);
    expect(r.score).toBe(100);
    expect(r.passed).toBe(true);
  });

  it('fails the template that answers nothing of the case (issue 19: 路灯 answered "按现行政策执行")', () => {
    const r = check(appeal, '经核实，该事项按现行政策执行，已向来电人详细解释。');
    expect(r.checks.completeness).toBe(0);
    expect(r.checks.policy).toBeLessThan(1);
    expect(r.checks.politeness).toBe(0);
    expect(r.passed).toBe(false);
    expect(r.findings.map((f) => f.check)).toEqual(expect.arrayContaining(['completeness', 'policy', 'politeness']));
  });

  it('finds promises without deadlines, pushing away and rude words', () => {
    const r = check(appeal, '您好，路灯维修不归我们管，你自己找物业，别再打电话了。减速带我们会尽快协调。谢谢');
    expect(r.findings.filter((f) => f.check === 'promises').map((f) => f.excerpt)).toEqual(['减速带我们会尽快协调。']);
    expect(r.checks.stance).toBe(0);
    expect(r.checks.politeness).toBeLessThan(1);
  });

  it('blocks a reply that carries the citizen’s phone, ID number or name, without repeating them in the finding', () => {
    const reply = `${good}已告知来电人王建华，手机13812345678，身份证430102199001011234。`;
    const r = check(appeal, reply);
    expect(r.passed).toBe(false);
    expect(r.checks.privacy).toBe(0);
    const leaks = r.findings.filter((f) => f.check === 'privacy');
    expect(leaks.every((f) => f.blocking)).toBe(true);
    expect(leaks.map((f) => f.excerpt).sort()).toEqual(['姓名', '手机号', '身份证号'].sort());
    expect(JSON.stringify(r)).not.toMatch(/13812345678|430102|建华/);
  });

  it('weights come from configuration', () => {
    const only = { ...config, weights: { completeness: 1, stance: 0, politeness: 0, policy: 0, promises: 0, privacy: 0 } };
    const a = '希望维修路灯。';
    expect(inspect(a, '收到', ruleJudgement(a, '收到', only), only, 'offline').score).toBe(0);
    expect(inspect(a, '已维修路灯', ruleJudgement(a, '已维修路灯', only), only, 'offline').score).toBe(100);
  });
});
