import { systemActor, type Actor, type Role } from '../platform/auth/roles.js';
import type { DatasetInput, FieldInput } from './schemas.js';
import { citizenIdCheck } from './row-validation.js';
import type { CatalogServices } from './index.js';
import { mulberry32 } from '../platform/random/seeded-random.js';

/** A seeded generator with helpers, so the demo city is the same on every start. */
function random(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!,
  };
}

// Invented: surnames and given-name characters are common words, districts carry fictional region codes (99xxxx).
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '高'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀', '霞', '平', '刚', '桂', '文', '华', '晨', '宇', '欣', '怡'];
const ROADS = ['江滨路', '望湖路', '人民路', '解放路', '翠屏路', '松林大道', '湖心路', '花溪路', '古城街', '科创大道', '星河路'];
const INDUSTRIES = ['批发和零售业', '制造业', '住宿和餐饮业', '信息传输、软件和信息技术服务业', '建筑业', '租赁和商务服务业', '交通运输业'];
const TICKET_CATEGORIES = ['城市管理/占道经营', '城市管理/噪声扰民', '住房保障/物业纠纷', '交通出行/道路破损', '生态环境/垃圾清运', '劳动社保/欠薪', '教育/入学咨询', '卫生健康/医疗服务'];

interface Person {
  idNumber: string;
  name: string;
  gender: string;
  birthDate: string;
  age: number;
  phone: string;
  district: string;
  street: string;
  address: string;
}

/** A district of the demo city and its streets. */
export interface DemoDistrict {
  name: string;
  streets: readonly string[];
}

/**
 * What the demo city hands the catalog's part: the organisations and users its platform part made, the districts
 * and the time. The catalog names what it needs here instead of reading the composition root's demo context.
 */
export interface CatalogDemoCity {
  /** organisation ids by name; the six departments owning datasets and their consumers must be there */
  orgs: ReadonlyMap<string, string>;
  /** user ids by username; the user `citizen`, when there, is linked to person 0 of the generated population */
  users: ReadonlyMap<string, string>;
  districts: readonly DemoDistrict[];
  now: Date;
  log(message: string): void;
}

/** The demo citizen (user `citizen`) is person 0 of the generated population. */
export function demoPeople(districts: readonly DemoDistrict[], count: number, today: Date): Person[] {
  const r = random(20261126);
  return Array.from({ length: count }, (_, i) => {
    const d = i === 0 ? 0 : r.int(0, districts.length - 1);
    const district = districts[d]!;
    const year = r.int(1945, 2008);
    const month = r.int(1, 12);
    const day = r.int(1, 28);
    const birthDate = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    const gender = r.next() < 0.5 ? '男' : '女';
    // sequence: odd for men, even for women (GB 11643)
    const seq = r.int(0, 499) * 2 + (gender === '男' ? 1 : 0);
    const first17 = `99${String(d + 1).padStart(2, '0')}01${birthDate.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
    const street = r.pick(district.streets);
    const age = today.getUTCFullYear() - year - (today.getUTCMonth() + 1 < month ? 1 : 0);
    return {
      idNumber: first17 + citizenIdCheck(first17),
      name: r.pick(SURNAMES) + r.pick(GIVEN) + (r.next() < 0.6 ? r.pick(GIVEN) : ''),
      gender, birthDate, age,
      phone: `139${String(r.int(0, 99_999_999)).padStart(8, '0')}`,
      district: district.name, street,
      address: `云川市${district.name}${street}${r.pick(ROADS)}${r.int(1, 300)}号${r.int(1, 20)}栋${r.int(101, 2808)}室`,
    };
  });
}

const f = (name: string, title: string, type: FieldInput['type'], category: string, grade: FieldInput['grade'], more: Partial<FieldInput> = {}): FieldInput =>
  ({ name, title, type, category, grade, ...more });
const idField = f('id_number', '公民身份号码', 'cn_id', 'personal.identity', 'important', { required: true, personal: true, sensitive: true, subjectId: true, defaultMask: { fn: 'hmac' } });
const nameField = f('name', '姓名', 'string', 'personal.identity', 'general', { generalLevel: '3', personal: true, defaultMask: { fn: 'keep', first: 1, last: 0 } });
const districtField = f('district', '所属区', 'string', 'public.administration', 'general', { generalLevel: '1', required: true });
const common = (title: string, description: string) => ({
  title, description, licence: 'https://cityhub.dev/licences/gov-sharing-1.0', spatial: '云川市', language: 'zh',
  distributions: [{ title: '共享网关接口', format: 'JSON', mediaType: 'application/json' }, { title: 'CSV 导出', format: 'CSV', mediaType: 'text/csv' }],
});

function datasets(owner: (name: string) => string): Array<DatasetInput & { ownerOrgId: string }> {
  return [
    {
      identifier: 'population', ownerOrgId: owner('市公安局'), ...common('常住人口基础信息', '全市常住人口的身份、出生、住址等基础信息（人口基础库）。'),
      keywords: ['人口', '户籍', '基础库'], themes: ['SOCI', 'GOVE'], contact: { name: '市公安局数据管理科', email: 'data@police.yunchuan.example' },
      temporal: { start: '2020-01-01' }, shareAttr: 'conditional', shareConditions: '用于法定职责范围内的身份核验与公共服务', openAttr: 'not_open',
      updateCycle: 'daily', sourceSystem: '人口信息管理系统',
      fields: [idField, nameField,
        f('gender', '性别', 'string', 'personal.profile', 'general', { generalLevel: '1', personal: true }),
        f('birth_date', '出生日期', 'date', 'personal.profile', 'general', { generalLevel: '2', personal: true, defaultMask: { fn: 'date', unit: 'year' } }),
        f('age', '年龄', 'integer', 'personal.profile', 'general', { generalLevel: '1', personal: true, defaultMask: { fn: 'age_band' } }),
        f('phone', '联系电话', 'string', 'personal.contact', 'general', { generalLevel: '3', personal: true, defaultMask: { fn: 'keep', first: 3, last: 4 } }),
        f('address', '居住地址', 'string', 'personal.location', 'general', { generalLevel: '3', personal: true, defaultMask: { fn: 'district' } }),
        districtField,
        f('street', '所属街道', 'string', 'public.administration', 'general', { generalLevel: '1' })],
    },
    {
      identifier: 'enterprises', ownerOrgId: owner('市市场监督管理局'), ...common('企业登记信息', '在本市登记注册的企业基本信息（法人库）。'),
      keywords: ['企业', '法人', '登记'], themes: ['ECON'], contact: { name: '市场监管局信息中心', email: 'data@amr.yunchuan.example' },
      shareAttr: 'unconditional', openAttr: 'open', updateCycle: 'daily', sourceSystem: '企业登记系统',
      fields: [
        f('credit_code', '统一社会信用代码', 'string', 'organisation.registration', 'general', { generalLevel: '1', required: true }),
        f('name', '企业名称', 'string', 'organisation.registration', 'general', { generalLevel: '1', required: true }),
        f('legal_rep', '法定代表人', 'string', 'personal.identity', 'general', { generalLevel: '2', personal: true, defaultMask: { fn: 'keep', first: 1, last: 0 } }),
        f('industry', '行业', 'string', 'organisation.registration', 'general', { generalLevel: '1' }),
        f('capital', '注册资本（万元）', 'number', 'organisation.operation', 'general', { generalLevel: '2' }),
        f('established', '成立日期', 'date', 'organisation.registration', 'general', { generalLevel: '1' }),
        districtField],
    },
    {
      identifier: 'social-security', ownerOrgId: owner('市人力资源和社会保障局'), ...common('社会保险参保信息', '职工及城乡居民的养老、医疗、失业保险参保状态与缴费基数。'),
      keywords: ['社保', '参保', '养老'], themes: ['SOCI', 'ECON'], contact: { name: '人社局信息中心', email: 'data@hrss.yunchuan.example' },
      shareAttr: 'conditional', shareConditions: '仅用于资格审核与待遇核定', openAttr: 'not_open', updateCycle: 'monthly', sourceSystem: '社会保险经办系统',
      fields: [idField, nameField,
        f('insurance', '险种', 'string', 'personal.finance', 'general', { generalLevel: '2', personal: true }),
        f('status', '参保状态', 'string', 'personal.finance', 'general', { generalLevel: '2', personal: true }),
        f('base_salary', '缴费基数（元）', 'number', 'personal.finance', 'important', { personal: true, sensitive: true, defaultMask: { fn: 'nullify' } }),
        f('since', '参保日期', 'date', 'personal.finance', 'general', { generalLevel: '2', personal: true, defaultMask: { fn: 'date', unit: 'month' } }),
        districtField],
    },
    {
      identifier: 'housing-security', ownerOrgId: owner('市住房和城乡建设局'), ...common('住房保障资格信息', '公租房、保障性租赁住房申请家庭的资格与补贴。'),
      keywords: ['住房', '保障房', '补贴'], themes: ['SOCI', 'REGI'], contact: { name: '住建局住房保障处', email: 'data@housing.yunchuan.example' },
      shareAttr: 'conditional', shareConditions: '用于住房保障、社会救助联审', openAttr: 'not_open', updateCycle: 'monthly', sourceSystem: '住房保障管理系统',
      fields: [idField, nameField,
        f('address', '现住址', 'string', 'personal.location', 'general', { generalLevel: '3', personal: true, defaultMask: { fn: 'district' } }),
        f('household_size', '家庭人口', 'integer', 'personal.profile', 'general', { generalLevel: '2', personal: true }),
        f('subsidy', '月补贴（元）', 'number', 'personal.finance', 'general', { generalLevel: '4', personal: true }),
        f('qualification', '资格状态', 'string', 'public.service', 'general', { generalLevel: '2' }),
        districtField],
    },
    {
      identifier: 'hotline-tickets', ownerOrgId: owner('云川市12345热线中心'), ...common('12345 热线工单', '市民诉求工单的分类、区域、办理状态（不含诉求人身份）。'),
      keywords: ['12345', '工单', '诉求'], themes: ['GOVE', 'SOCI'], contact: { name: '12345 热线中心', email: 'data@12345.yunchuan.example' },
      temporal: { start: '2026-01-01' }, shareAttr: 'conditional', shareConditions: '用于诉求办理与城市治理分析', openAttr: 'conditional_open',
      updateCycle: 'realtime', sourceSystem: '12345 接诉即办系统',
      fields: [
        f('ticket_no', '工单编号', 'string', 'public.service', 'general', { generalLevel: '1', required: true }),
        f('category', '诉求分类', 'string', 'public.service', 'general', { generalLevel: '1' }),
        districtField,
        f('street', '街道', 'string', 'public.administration', 'general', { generalLevel: '1' }),
        f('received', '受理日期', 'date', 'public.service', 'general', { generalLevel: '1' }),
        f('status', '办理状态', 'string', 'public.service', 'general', { generalLevel: '1' }),
        f('caller_phone', '来电号码', 'string', 'personal.contact', 'general', { generalLevel: '3', personal: true, defaultMask: { fn: 'keep', first: 3, last: 4 } })],
    },
    {
      identifier: 'medical-records', ownerOrgId: owner('市卫生健康委员会'), ...common('门诊就诊记录', '医疗机构门诊就诊与诊断记录。'),
      keywords: ['医疗', '就诊'], themes: ['HEAL'], contact: { name: '卫健委信息中心' },
      shareAttr: 'not_shared', shareBasis: '《中华人民共和国基本医疗卫生与健康促进法》第九十二条；《个人信息保护法》第二十八条（敏感个人信息）',
      openAttr: 'not_open', updateCycle: 'daily', sourceSystem: '全民健康信息平台',
      fields: [idField, f('diagnosis', '诊断', 'string', 'personal.health', 'core', { personal: true, sensitive: true, defaultMask: { fn: 'nullify' } }), districtField],
    },
  ];
}

/** The demo seed acting for a department with one role (ledgered as `system:demo-seed`). */
const actorFor = (orgId: string, role: Role): Actor => ({ ...systemActor('demo-seed', [role]), orgId });

/**
 * The catalog's part of the demo city: six departments' datasets (one not shared, with its legal basis) with
 * generated rows, some grants and a pending request, and gateway calls that the demo citizen sees in
 * "who used my data".
 */
export async function seedCatalogDemo(city: CatalogDemoCity, catalog: CatalogServices): Promise<void> {
  const org = (name: string) => {
    const id = city.orgs.get(name);
    if (!id) throw new Error(`demo: no organisation ${name}`);
    return id;
  };
  const bureau = actorFor(org('市数据局'), 'data_admin');
  const now = city.now;
  for (const input of datasets(org)) await catalog.catalog.createDataset(bureau, input);

  const people = demoPeople(city.districts, 600, now);
  const r = random(7);
  const load = (ref: string, rows: Array<Record<string, string | number | null>>) =>
    catalog.data.load(bureau, ref, rows.map((values, i) => ({ line: i + 1, values })), { mode: 'replace', source: 'demo' });
  await load('population', people.map((p) => ({
    id_number: p.idNumber, name: p.name, gender: p.gender, birth_date: p.birthDate, age: p.age, phone: p.phone,
    address: p.address, district: p.district, street: p.street,
  })));
  await load('social-security', people.filter((p, i) => i === 0 || (p.age >= 18 && r.next() < 0.7)).map((p) => ({
    id_number: p.idNumber, name: p.name, insurance: r.pick(['职工养老保险', '城乡居民养老保险', '职工医疗保险']),
    status: r.next() < 0.9 ? '正常参保' : '暂停缴费', base_salary: r.int(3500, 25000), since: `${r.int(2000, 2025)}-0${r.int(1, 9)}-01`, district: p.district,
  })));
  await load('housing-security', people.filter((_, i) => i === 0 || r.next() < 0.25).map((p) => ({
    id_number: p.idNumber, name: p.name, address: p.address, household_size: r.int(1, 6), subsidy: r.int(300, 1500),
    qualification: r.pick(['已认定', '审核中', '已认定', '已退出']), district: p.district,
  })));
  await load('enterprises', Array.from({ length: 200 }, (_, i) => ({
    credit_code: `91990100MA${String(100000 + i).padStart(7, '0')}X`.slice(0, 18), name: `云川${r.pick(['恒通', '瑞丰', '宏达', '金桥', '创新', '安居', '绿源'])}${r.pick(['科技', '商贸', '建设', '餐饮', '物流'])}有限公司${i}`,
    legal_rep: r.pick(SURNAMES) + r.pick(GIVEN) + r.pick(GIVEN), industry: r.pick(INDUSTRIES), capital: r.int(10, 5000),
    established: `${r.int(1995, 2025)}-${String(r.int(1, 12)).padStart(2, '0')}-15`, district: r.pick(city.districts).name,
  })));
  await load('hotline-tickets', Array.from({ length: 300 }, (_, i) => {
    const d = r.pick(city.districts);
    return {
      ticket_no: `YC2026${String(i + 1).padStart(6, '0')}`, category: r.pick(TICKET_CATEGORIES), district: d.name, street: r.pick(d.streets),
      received: `2026-${String(r.int(8, 11)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`,
      status: r.pick(['已办结', '办理中', '已办结', '待回访']), caller_phone: `138${String(r.int(0, 99_999_999)).padStart(8, '0')}`,
    };
  }));

  // Grants: some at once (unconditional), some decided by the owner, one aggregate-only, one still pending.
  const until = new Date(now.getTime() + 180 * 86_400_000).toISOString();
  const ask = (consumer: string, dataset: string, fields: string[], purpose: string, legalBasis: string, aggregateOnly = false) =>
    catalog.sharing.request(actorFor(org(consumer), 'handler'), { dataset, fields, purpose, legalBasis, until, aggregateOnly });
  const grant = async (owner: string, requestId: string, extra: Record<string, unknown> = {}) =>
    catalog.sharing.decide(actorFor(org(owner), 'dept_data_owner'), requestId, { decision: 'grant', ...extra });

  const hrss = await ask('市人力资源和社会保障局', 'population', ['id_number', 'name', 'age', 'district', 'street'], '社会保险参保资格核验', '《中华人民共和国社会保险法》第五十九条');
  await grant('市公安局', hrss.request.id);
  const housing = await ask('市住房和城乡建设局', 'population', ['id_number', 'name', 'address', 'district'], '住房保障家庭资格审核', '《公共租赁住房管理办法》第七条');
  await grant('市公安局', housing.request.id, { masks: { address: { fn: 'keep', first: 9, last: 0 } } });
  const stats = await ask('市数据局', 'housing-security', ['district', 'household_size', 'subsidy'], '住房保障统计分析', '《云川市公共数据管理办法》（示例）', true);
  // Sums in aggregates need bounds each household's value is clipped to (disclosure control): the subsidy's range.
  await grant('市住房和城乡建设局', stats.request.id, { sumBounds: { subsidy: { min: 0, max: 1500 } } });
  await ask('市商务局', 'enterprises', ['credit_code', 'name', 'industry', 'district'], '招商引资企业画像', '《优化营商环境条例》第五十六条');
  const social = await ask('市住房和城乡建设局', 'social-security', ['id_number', 'status', 'district'], '保障房申请家庭参保核验', '《公共租赁住房管理办法》第七条');
  await grant('市人力资源和社会保障局', social.request.id, { rowFilters: [{ field: 'status', op: 'eq', value: '正常参保' }] });
  await ask('市教育局', 'population', ['id_number', 'age', 'district', 'street'], '义务教育入学资格审核', '《中华人民共和国义务教育法》第十二条');
  // waiting for the demo data owner (user `dept_data_owner`, 市住建局) to decide in the workbench
  await ask('市卫生健康委员会', 'housing-security', ['id_number', 'household_size', 'qualification', 'district'], '困难家庭医疗救助资格核验', '《社会救助暂行办法》第二十八条');

  // The demo citizen is person 0; two units' gateway calls return their rows.
  const citizenId = city.users.get('citizen');
  if (citizenId) await catalog.usage.linkCitizen(bureau, citizenId, people[0]!.idNumber);
  await catalog.gateway.rows(actorFor(org('市人力资源和社会保障局'), 'handler'), 'population', { limit: 50 });
  await catalog.gateway.rows(actorFor(org('市住房和城乡建设局'), 'handler'), 'population', { limit: 20 });
  await catalog.gateway.rows(actorFor(org('市住房和城乡建设局'), 'handler'), 'social-security', { limit: 20 });
  await catalog.gateway.aggregate(actorFor(org('市数据局'), 'handler'), 'housing-security', { groupBy: ['district'], sum: ['subsidy'] });
  city.log(`catalog: 6 datasets, ${people.length} people, 5 grants, 2 pending requests`);
}
