import type { NewOrg } from '../platform/auth/schemas.js';
import { roles, systemActor, type Actor, type Role } from '../platform/auth/roles.js';
import type { CityHub } from './app.js';
import { demoPeople, seedCatalogDemo } from '../catalog/index.js';
import { seedHotlineDemo } from '../hotline/demo-seed.js';
import { seedContextDemo } from '../context/index.js';
import { seedOperationDemo } from '../operation/index.js';
import { creditCodeCheckCharacter } from '../platform/auth/auth-service.js';

/** The password every demo user has (docs/demo.md); the demo is for trying CityHub, never for production. */
export const DEMO_PASSWORD = 'CityHub@2026';

const system = systemActor('demo-seed');
const creditCode = (first17: string): string => first17 + creditCodeCheckCharacter(first17);

/** The generated city: names are invented, not taken from any real place. */
export const demoCityPlan = {
  city: '云川市',
  districts: [
    { name: '临江区', streets: ['滨江街道', '望湖街道', '东港街道', '柳岸街道'] },
    { name: '青山区', streets: ['翠屏街道', '松林街道', '石门街道', '云岭街道'] },
    { name: '新湖区', streets: ['湖心街道', '新桥街道', '花溪街道', '明珠街道'] },
    { name: '白塔区', streets: ['塔前街道', '古城街道', '南关街道', '北苑街道'] },
    { name: '高新区', streets: ['科创街道', '智谷街道', '星河街道'] },
  ],
  departments: [
    '市住房和城乡建设局', '市城市管理局', '市生态环境局', '市交通运输局', '市教育局', '市人力资源和社会保障局',
    '市卫生健康委员会', '市市场监督管理局', '市商务局', '市文化广电旅游局', '市公安局', '市水务局', '市数据局',
  ],
  operator: '云川数据运营有限公司',
  // authorized operation (src/operation/demo-seed.ts): a second operator and the market users, with invented
  // 统一社会信用代码 (region 99, check character computed)
  operators: [{ name: '云川数据运营有限公司', creditCode: creditCode('91990100MA0000001') }, { name: '云川城市数据科技有限公司', creditCode: creditCode('91990100MA0000002') }],
  marketUsers: [
    { name: '云川商业银行股份有限公司', creditCode: creditCode('91990100MA0000011') }, { name: '云川财产保险有限公司', creditCode: creditCode('91990100MA0000012') },
    { name: '云川市社会救助服务中心', creditCode: creditCode('12990100MB0000013') }, { name: '云川城市规划设计研究院', creditCode: creditCode('12990100MB0000014') },
  ],
};

export interface DemoContext {
  hub: CityHub;
  actor: Actor;
  /** org ids by name */
  orgs: Map<string, string>;
  /** user ids by username */
  users: Map<string, string>;
  log(message: string): void;
}

/** A module's part of the demo; runs after the platform part, in the order listed in `demoSeeders`. */
export type DemoSeeder = (ctx: DemoContext) => Promise<void>;

/** Which organisation each demo user belongs to. */
const demoUserOrg: Record<Role, string> = {
  citizen: '',
  agent: '云川市12345热线中心',
  handler: '市城市管理局',
  supervisor: '云川市12345热线中心',
  leader: '云川市人民政府',
  dept_data_owner: '市住房和城乡建设局',
  data_admin: '市数据局',
  market_operator: demoCityPlan.operator,
  // authorized operation (src/operation): the data bureau is the implementing body; the demo market user is a bank's
  market_user: demoCityPlan.marketUsers[0].name,
  operation_admin: '市数据局',
  operation_supervisor: '云川市人民政府',
  ops: '市数据局',
  // 三员: the system, security and audit administrators (each enrols a second factor at the first login)
  admin: '市数据局',
  security_admin: '市数据局',
  audit_admin: '市数据局',
  ledger_peer: '',
};

async function seedPlatform(ctx: DemoContext): Promise<void> {
  const { auth } = ctx.hub.services;
  const add = async (name: string, kind: NewOrg['kind'], parentId: string | null = null, code: string | null = null) => {
    const org = await auth.insertOrg(ctx.actor, { name, kind, parentId, creditCode: code });
    ctx.orgs.set(name, org.id);
    return org.id;
  };
  const government = await add('云川市人民政府', 'government');
  await add('云川市12345热线中心', 'department', government);
  for (const name of demoCityPlan.departments) await add(name, 'department', government);
  for (const district of demoCityPlan.districts) {
    const districtId = await add(district.name, 'district', government);
    for (const street of district.streets) await add(`${district.name}${street}`, 'street', districtId);
  }
  await add(demoCityPlan.operator, 'operator', null, demoCityPlan.operators[0].creditCode);
  await add(demoCityPlan.marketUsers[0].name, 'enterprise', null, demoCityPlan.marketUsers[0].creditCode);
  for (const role of roles) {
    const orgName = demoUserOrg[role];
    const user = await auth.insertUser(ctx.actor, {
      username: role,
      password: DEMO_PASSWORD,
      displayName: `演示用户 ${role}`,
      orgId: orgName ? ctx.orgs.get(orgName) : null,
      roles: [role],
    });
    ctx.users.set(role, user.id);
  }
  ctx.log(`platform: ${ctx.orgs.size} organisations, ${ctx.users.size} users`);
}

/** The hotline: areas, taxonomy, routing rules and ~3,000 generated tickets of the last 90 days. */
async function seedHotline(ctx: DemoContext): Promise<void> {
  await seedHotlineDemo({
    db: ctx.hub.database.db, deadlines: ctx.hub.services.hotline.deadlines.settings, timeZone: ctx.hub.config.city.timeZone, now: ctx.hub.services.clock(),
    districts: demoCityPlan.districts, orgs: ctx.orgs, users: ctx.users, log: ctx.log, personal: ctx.hub.services.hotline.personal,
  });
}

/** Authorized operation: parties, licences, a product of each type, market users and a year of metered calls. */
async function seedOperation(ctx: DemoContext): Promise<void> {
  const now = ctx.hub.services.clock();
  await seedOperationDemo({
    orgs: ctx.orgs, operators: demoCityPlan.operators, marketUsers: demoCityPlan.marketUsers,
    insertOrg: async (name, kind, code) => {
      const org = await ctx.hub.services.auth.insertOrg(ctx.actor, { name, kind, creditCode: code });
      ctx.orgs.set(name, org.id);
      return org.id;
    },
    people: demoPeople(demoCityPlan.districts, 40, now), db: ctx.hub.database.db, ledger: ctx.hub.services.ledger,
    timeZone: ctx.hub.config.city.timeZone, now, log: ctx.log,
  }, ctx.hub.services.operation);
}

/** Every module's demo part, in order. */
export const demoSeeders: DemoSeeder[] = [seedPlatform, seedHotline, (ctx) => seedCatalogDemo({ ...ctx, districts: demoCityPlan.districts, now: ctx.hub.services.clock() }, ctx.hub.services.catalog), async (ctx) => {
  await seedContextDemo(ctx.hub.services.context, ctx.log);
}, seedOperation];

/**
 * Seeds the demo city into an empty database. Returns false (and does nothing) when users already exist, so
 * a restart never seeds twice.
 */
export async function seedDemoCity(hub: CityHub, log: (message: string) => void = console.log): Promise<boolean> {
  if ((await hub.services.auth.userCount()) > 0) return false;
  const ctx: DemoContext = { hub, actor: system, orgs: new Map(), users: new Map(), log };
  for (const seeder of demoSeeders) await seeder(ctx);
  return true;
}
