import { createHash } from 'node:crypto';
import type { Actor, Role } from '../platform/auth/roles.js';
import type { Db } from '../platform/db/database.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import type { Insertable } from 'kysely';
import type { OperationServices } from './index.js';
import type { OperationCallTable } from './tables.js';
import type { BillingUnit, LicenceInput, PartyView, ProductSpec, Use } from './schemas.js';
import { periodKey } from './periods.js';
import { unitsOf } from './fee-rules.js';
import { mulberry32 } from '../platform/random/seeded-random.js';
import { insertCalls } from './meter-store.js';

/** What the demo city hands authorized operation's part (the organisations and people its other parts made). */
export interface OperationDemoCity {
  /** organisation ids by name: 市数据局, the providing departments and the operator `operators[0]` */
  orgs: ReadonlyMap<string, string>;
  /** organisations of the demo's second operator and market users, with their 统一社会信用代码 */
  insertOrg(name: string, kind: 'operator' | 'enterprise', creditCode: string): Promise<string>;
  /** the operators (the first already among `orgs`) and market users (the first is the demo user market_user's) */
  operators: readonly { name: string; creditCode: string }[];
  marketUsers: readonly { name: string; creditCode: string }[];
  /** people of the demo population (ID number and name) to verify */
  people: ReadonlyArray<{ idNumber: string; name: string }>;
  db: Db;
  ledger: Ledger;
  timeZone: string;
  now: Date;
  log(message: string): void;
}

const DAY = 86_400_000;
const actorOf = (orgId: string, role: Role, id: string): Actor => Object.freeze({ kind: 'system', id, username: id, orgId, roles: [role] }) as Actor;

/**
 * Authorized operation in the demo city: the data bureau as implementing body, two operators with a licence each
 * (依场景 over population and social insurance; 分领域 over hotline tickets and enterprises), a product of every
 * type, market users with keys (one approved for public-welfare use), an application waiting for the operator,
 * sandbox results waiting for output review, live calls through the real call path, and a year of metered calls
 * before today (generated in one insert and ledgered as one `operation.demo.history` entry, so seeding stays fast),
 * with a spike in one market user's calls for the supervisor's anomaly screen.
 */
export async function seedOperationDemo(city: OperationDemoCity, op: OperationServices): Promise<void> {
  const org = (name: string) => city.orgs.get(name) ?? (() => { throw new Error(`demo organisation ${name} missing`); })();
  const bureau = org('市数据局');
  const body = actorOf(bureau, 'operation_admin', 'demo-operation-body');
  const operatorOrgs = [org(city.operators[0]!.name), await city.insertOrg(city.operators[1]!.name, 'operator', city.operators[1]!.creditCode)];
  const userOrgs = [org(city.marketUsers[0]!.name)];
  for (const m of city.marketUsers.slice(1)) userOrgs.push(await city.insertOrg(m.name, 'enterprise', m.creditCode));

  await op.parties.register(body, { orgId: bureau, kind: 'implementing_body', contact: '数据资源处 0999-12345' });
  const operators: PartyView[] = [];
  for (const id of operatorOrgs) operators.push(await op.parties.register(body, { orgId: id, kind: 'operator' }));
  const users: PartyView[] = [];
  for (const id of userOrgs) users.push(await op.parties.register(body, { orgId: id, kind: 'market_user' }));
  for (const dataset of ['population', 'social-security', 'hotline-tickets', 'enterprises']) await op.registry.registerResource(body, { dataset });

  const from = new Date(city.now.getTime() - 400 * DAY).toISOString().slice(0, 10);
  const until = new Date(city.now.getTime() + 730 * DAY).toISOString().slice(0, 10);
  const licence = async (operatorIndex: number, input: Omit<LicenceInput, 'operator' | 'validFrom' | 'validUntil' | 'quota'>) => {
    const as = actorOf(operatorOrgs[operatorIndex]!, 'market_operator', `demo-operator-${operatorIndex + 1}`);
    const applied = await op.licences.apply(as, { ...input, operator: operators[operatorIndex]!.id, validFrom: from, validUntil: until, quota: { period: 'month', calls: 200_000, records: null } });
    await op.licences.approve(body, applied.id);
    return { id: applied.id, as };
  };
  const L1 = await licence(0, {
    title: '人口与社保数据授权运营（金融与救助场景）', mode: 'scenario', maxGrade: 'important', maxPermittedIncomeFen: 120_000_000, securityObligations: ['原始数据不出域', '网络安全等级保护第三级'],
    scope: [{ dataset: 'population', fields: ['id_number', 'name', 'age', 'district'] }, { dataset: 'social-security', fields: ['id_number', 'name', 'status', 'insurance'] }],
    scenarios: [{ code: 'credit', name: '信贷风控', purposes: ['kyc', 'loan_review'] }, { code: 'welfare', name: '社会救助', purposes: ['relief_check'] }],
  });
  const L2 = await licence(1, {
    title: '城市治理数据授权运营（城市治理领域）', mode: 'domain', domain: '城市治理', maxGrade: 'general', maxPermittedIncomeFen: 60_000_000, securityObligations: ['原始数据不出域'],
    scope: [{ dataset: 'hotline-tickets', fields: ['category', 'district', 'street', 'status'] }, { dataset: 'enterprises', fields: ['industry', 'district'] }],
    scenarios: [{ code: 'governance', name: '城市治理分析', purposes: ['urban_planning', 'site_selection'] }],
  });

  const product = async (l: { id: string; as: Actor }, name: string, description: string, scenario: string, spec: ProductSpec, unit: BillingUnit, priceFen: number) => {
    const p = await op.registry.submitProduct(l.as, { licence: l.id, name, description, scenario, spec });
    await op.registry.decideProduct(body, p.id, 'register');
    await op.licences.setFeeCap(body, l.id, p.id, { unit, capFen: Math.round(priceFen * 1.2) });
    await op.registry.setPrice(l.as, p.id, { unit, priceFen });
    return { id: p.id, unit, priceFen };
  };
  const verify = await product(L1, '居民身份实名核验', '核验身份证号码与姓名是否一致，仅返回是/否。', 'credit', { type: 'verification', dataset: 'population', match: ['id_number', 'name'] }, 'per_call', 30);
  const insured = await product(L1, '社保参保状态核验', '核验某人是否处于某参保状态，仅返回是/否。', 'welfare', { type: 'verification', dataset: 'social-security', match: ['id_number', 'status'] }, 'per_call', 20);
  const score = await product(L1, '个人稳定性评分', '依据参保状态与险种计算 0–100 分，不返回记录。', 'credit', {
    type: 'score', dataset: 'social-security', key: 'id_number', base: 40, min: 0, max: 100,
    terms: [{ field: 'status', weight: 40, when: { op: 'eq', value: '正常参保' } }, { field: 'insurance', weight: 20, when: { op: 'eq', value: '职工养老保险' } }],
  }, 'per_record', 50);
  const model = await product(L1, '小微信贷违约概率模型', '逻辑回归模型推理，返回违约概率与标签。', 'credit', {
    type: 'model_inference', dataset: 'population', key: 'id_number', intercept: -2.2, threshold: 0.3, features: [{ field: 'age', weight: 0.018 }],
  }, 'per_call', 80);
  const complaints = await product(L2, '分区诉求统计月报', '各区 12345 诉求量，差分隐私发布，每月一版。', 'governance', {
    type: 'statistics', dataset: 'hotline-tickets', groupBy: ['district'], epsilon: 1, refresh: 'month',
  }, 'per_period', 50_000);
  const industries = await product(L2, '分区行业企业统计', '各区各行业企业数，差分隐私发布，每月一版。', 'governance', {
    type: 'statistics', dataset: 'enterprises', groupBy: ['district', 'industry'], epsilon: 1, refresh: 'month',
  }, 'per_call', 500);
  const sandbox = await product(L2, '城市治理沙箱查询', '在域内按类别、区、状态分组统计，结果经输出审核后交付。', 'governance', {
    type: 'sandbox_query', dataset: 'hotline-tickets', fields: ['category', 'district', 'status'],
  }, 'per_call', 2_000);

  // Market users' keys: the bank (the demo user market_user's organisation), an insurer, a relief centre (public
  // welfare, approved by the implementing body) and a planning institute.
  const access = (l: { id: string; as: Actor }, by: Actor, user: number, products: string[], purposes: string[], publicUses?: Use[]) =>
    op.accesses.issue(by, { licence: l.id, marketUser: users[user]!.id, products, purposes, ...(publicUses ? { publicUses: publicUses as Array<'public_welfare'> } : {}) });
  const bank = await access(L1, L1.as, 0, [verify.id, score.id, model.id], ['kyc', 'loan_review']);
  const insurer = await access(L1, L1.as, 1, [verify.id, score.id], ['kyc']);
  const relief = await access(L1, body, 2, [insured.id, verify.id], ['relief_check'], ['public_welfare']);
  const planner = await access(L2, L2.as, 3, [complaints.id, industries.id, sandbox.id], ['urban_planning', 'site_selection']);
  // the insurer's person asked for the default model too: waiting for the first operator (the demo user market_operator)
  await op.market.apply(actorOf(userOrgs[1]!, 'market_user', 'demo-insurer'), {
    products: [model.id], purposes: ['kyc'], statement: '车险核保前评估投保人违约风险', quota: { period: 'month', calls: 500, records: null },
  });
  // waiting for the implementing body (the demo user operation_admin): a product and a licence
  await op.registry.submitProduct(L2.as, {
    licence: L2.id, name: '企业分布沙箱查询', description: '按区与行业在域内分组统计企业数，结果经输出审核后交付。', scenario: 'governance',
    spec: { type: 'sandbox_query', dataset: 'enterprises', fields: ['industry', 'district'] },
  });
  await op.licences.apply(L1.as, {
    operator: operators[0]!.id, title: '住房保障数据授权运营（租赁市场场景）', mode: 'scenario', maxGrade: 'general', validFrom: from, validUntil: until,
    scope: [{ dataset: 'hotline-tickets', fields: ['category', 'district'] }], scenarios: [{ code: 'rental', name: '租赁市场分析', purposes: ['market_analysis'] }],
    quota: { period: 'month', calls: 10_000, records: null }, maxPermittedIncomeFen: 5_000_000,
  });

  // Live calls through the real call path (checked, metered, ledgered), today.
  const keyActor = (issued: { access: { apiKeyId: string; marketUser: { orgId: string } } }): Actor =>
    Object.freeze({ kind: 'api_key', id: issued.access.apiKeyId, orgId: issued.access.marketUser.orgId, roles: ['market_user'] }) as Actor;
  const people = city.people;
  for (let i = 0; i < 12; i++) {
    const p = people[i * 7 % people.length]!;
    await op.delivery.call(keyActor(bank), verify.id, { purpose: 'kyc', input: { values: { id_number: p.idNumber, name: i % 4 === 3 ? '张三' : p.name } } });
  }
  await op.delivery.call(keyActor(bank), score.id, { purpose: 'loan_review', input: { key: people[1]!.idNumber } });
  await op.delivery.call(keyActor(bank), model.id, { purpose: 'loan_review', input: { key: people[2]!.idNumber } });
  await op.delivery.call(keyActor(insurer), verify.id, { purpose: 'kyc', input: { values: { id_number: people[3]!.idNumber, name: people[3]!.name } } });
  await op.delivery.call(keyActor(relief), insured.id, { purpose: 'relief_check', use: 'public_welfare', input: { values: { id_number: people[4]!.idNumber, status: '正常参保' } } });
  await op.delivery.call(keyActor(planner), complaints.id, { purpose: 'urban_planning', input: {} });
  await op.delivery.call(keyActor(planner), industries.id, { purpose: 'site_selection', input: {} });
  const runs = [];
  for (const groupBy of [['district'], ['category'], ['district', 'status']]) {
    const answer = await op.delivery.call(keyActor(planner), sandbox.id, { purpose: 'urban_planning', input: { groupBy } });
    runs.push((answer.result as { runId: string }).runId);
  }
  await op.reviews.decide(body, runs[0]!, { decision: 'approve' });

  // A year of metered calls before today, per access and product, with the insurer's spike in the last full month.
  const r = mulberry32(20261206);
  const plan = [
    { access: bank, product: verify, base: 140, use: 'commercial' as Use, purpose: 'kyc', records: 1 },
    { access: bank, product: score, base: 60, use: 'commercial' as Use, purpose: 'loan_review', records: 1 },
    { access: bank, product: model, base: 30, use: 'commercial' as Use, purpose: 'loan_review', records: 1 },
    { access: insurer, product: verify, base: 40, use: 'commercial' as Use, purpose: 'kyc', records: 1, spike: 8 },
    { access: relief, product: insured, base: 70, use: 'public_welfare' as Use, purpose: 'relief_check', records: 1 },
    { access: planner, product: complaints, base: 6, use: 'commercial' as Use, purpose: 'urban_planning', records: 0 },
    { access: planner, product: industries, base: 12, use: 'commercial' as Use, purpose: 'site_selection', records: 0 },
  ];
  const lic = (productId: string) => ([verify, insured, score, model].some((p) => p.id === productId) ? L1.id : L2.id);
  const operatorOf = (productId: string) => (lic(productId) === L1.id ? operators[0]!.id : operators[1]!.id);
  const provider: Record<string, string> = {
    population: org('市公安局'), 'social-security': org('市人力资源和社会保障局'), 'hotline-tickets': org('云川市12345热线中心'), enterprises: org('市市场监督管理局'),
  };
  const datasetOf = new Map([[verify.id, 'population'], [model.id, 'population'], [insured.id, 'social-security'], [score.id, 'social-security'], [complaints.id, 'hotline-tickets'], [industries.id, 'enterprises']]);
  const rows: Array<Insertable<OperationCallTable>> = [];
  const thisMonth = periodKey(city.now, 'month', city.timeZone);
  for (let back = 12; back >= 1; back--) {
    const monthStart = new Date(Date.UTC(city.now.getUTCFullYear(), city.now.getUTCMonth() - back, 1, 4));
    const month = periodKey(monthStart, 'month', city.timeZone);
    if (month >= thisMonth) continue;
    const season = 1 + 0.25 * Math.sin((12 - back) / 2);
    for (const line of plan) {
      const n = Math.round(line.base * season * (0.8 + 0.4 * r()) * (back === 1 && line.spike ? line.spike : 1));
      const periodCharged = new Set<string>();
      for (let k = 0; k < n; k++) {
        const at = new Date(monthStart.getTime() + Math.floor(r() * 27 * DAY) + Math.floor(r() * 10 * 3_600_000));
        const billable = line.use === 'commercial';
        const unit = billable ? line.product.unit : null;
        // a per-period price is charged on the period's first call only
        const first = unit === 'per_period' && !periodCharged.has(month);
        if (first) periodCharged.add(month);
        const units = billable ? unitsOf(line.product.unit, { records: line.records, outputUnits: 1 }, first) : 0;
        rows.push({
          called_at: at, day: periodKey(at, 'day', city.timeZone), month, licence_id: lic(line.product.id), product_id: line.product.id, access_id: line.access.access.id,
          operator_party_id: operatorOf(line.product.id), market_user_party_id: line.access.access.marketUser.id, provider_org_id: provider[datasetOf.get(line.product.id)!]!,
          purpose: line.purpose, use: line.use, billable, records: line.records, output_units: 1, compute_ms: 2 + Math.floor(r() * 6),
          billing_unit: unit, unit_price_fen: billable ? line.product.priceFen : 0, units, fee_fen: billable ? units * line.product.priceFen : 0,
          response_hash: createHash('sha256').update(`${line.product.id}:${at.toISOString()}:${k}`).digest('hex'), ledger_index: null,
        });
      }
    }
  }
  rows.sort((a, b) => (a.called_at as Date).getTime() - (b.called_at as Date).getTime());
  await city.db.transaction().execute(async (trx) => {
    const digest = createHash('sha256');
    for (const row of rows) digest.update(`${row.response_hash}\n`);
    const { index } = await city.ledger.append('operation.demo.history', body, 'operation_demo:history', {
      calls: rows.length, feeFen: rows.reduce((n, x) => n + Number(x.fee_fen), 0), callsSha256: digest.digest('hex'),
    }, { trx });
    await insertCalls(trx, rows.map((row) => ({ ...row, ledger_index: index })));
  });
  city.log(`operation: 2 operators, 2 licences, 7 products, 4 market users, ${rows.length} metered calls of the past year, 3 sandbox runs (2 awaiting review), a product, a licence and an application awaiting decision`);
}
