import type { Insertable } from 'kysely';
import type { Db } from '../platform/db/database.js';
import { actorRef, systemActor } from '../platform/auth/roles.js';
import type { HotlineDeadlines } from './config.js';
import { answerHours } from './deadline-service.js';
import { formatTicketNumber, ticketDay } from './ticket-number.js';
import * as reference from './reference-store.js';
import { TicketPersonalFields } from './ticket-personal-fields.js';
import * as tickets from './ticket-store.js';
import type { HotlineTicketEventTable } from './tables.js';
import { mulberry32 } from '../platform/random/seeded-random.js';

/**
 * The hotline part of the generated demo city: areas from the demo districts and streets, a small taxonomy
 * written for the demo (seven common level-1 classes), routing rules to the departments, and a few thousand
 * tickets over the last 90 days in every state, with replies, return visits and satisfactions.
 *
 * Everything is generated here from templates and a seeded random generator (same city every time), inserted
 * with multi-row INSERTs. The generated history is NOT written to the audit ledger (that would take minutes);
 * every real action taken afterwards is.
 */

export interface HotlineDemoInput {
  db: Db;
  /** `modules.hotline.deadlines` (hub.services.hotline.deadlines.settings) */
  deadlines: HotlineDeadlines;
  /** the city's time zone (`city.timeZone`): ticket numbers carry the local day */
  timeZone: string;
  now: Date;
  districts: { name: string; streets: string[] }[];
  /** org ids by name (departments, `<district>`, `<district><street>`) */
  orgs: Map<string, string>;
  /** user ids by role name (agent, handler, supervisor, citizen…) */
  users: Map<string, string>;
  ticketCount?: number;
  log?: (message: string) => void;
  /** Seals the citizens' names, phones and addresses when field encryption is on (hub.services.hotline.personal). */
  personal?: TicketPersonalFields;
}

/** level1 → level2 → [level3…, with the department that handles the level-2 class] */
const taxonomy: { level1: string; classes: { level2: string; dept: string; leaves: string[] }[] }[] = [
  {
    level1: '城乡建设',
    classes: [
      { level2: '市政设施', dept: '市城市管理局', leaves: ['道路破损', '路灯故障', '井盖缺失'] },
      { level2: '物业管理', dept: '市住房和城乡建设局', leaves: ['物业服务', '电梯故障', '小区停车'] },
      { level2: '城市管理', dept: '市城市管理局', leaves: ['占道经营', '违章搭建', '垃圾清运'] },
      { level2: '供水供气', dept: '市水务局', leaves: ['停水', '水压不足', '燃气安全'] },
    ],
  },
  {
    level1: '环境保护',
    classes: [
      { level2: '噪声污染', dept: '市生态环境局', leaves: ['施工噪声', '商业噪声'] },
      { level2: '大气污染', dept: '市生态环境局', leaves: ['餐饮油烟', '工地扬尘'] },
      { level2: '水污染', dept: '市生态环境局', leaves: ['河道污染'] },
    ],
  },
  {
    level1: '交通运输',
    classes: [
      { level2: '公共交通', dept: '市交通运输局', leaves: ['公交线路', '出租车服务'] },
      { level2: '道路交通', dept: '市交通运输局', leaves: ['交通信号灯', '停车管理'] },
    ],
  },
  {
    level1: '教育文体',
    classes: [
      { level2: '学前教育', dept: '市教育局', leaves: ['幼儿园收费'] },
      { level2: '义务教育', dept: '市教育局', leaves: ['入学政策', '校外培训'] },
    ],
  },
  {
    level1: '劳动和社会保障',
    classes: [
      { level2: '劳动关系', dept: '市人力资源和社会保障局', leaves: ['拖欠工资', '劳动合同'] },
      { level2: '社会保险', dept: '市人力资源和社会保障局', leaves: ['社保缴纳', '医保报销'] },
    ],
  },
  {
    level1: '商贸旅游',
    classes: [
      { level2: '消费维权', dept: '市市场监督管理局', leaves: ['预付卡退费', '商品质量'] },
      // no rule on purpose: these go to the district government (首接负责), to show the fallback
      { level2: '旅游市场', dept: '', leaves: ['景区服务'] },
    ],
  },
  {
    level1: '卫生计生',
    classes: [
      { level2: '医疗服务', dept: '市卫生健康委员会', leaves: ['医院服务', '医疗收费'] },
      { level2: '公共卫生', dept: '市卫生健康委员会', leaves: ['疫苗接种'] },
    ],
  },
];

/** What a citizen says about each leaf: the problem and what they ask for. */
const issues: Record<string, [string, string][]> = {
  道路破损: [['路面坑洼不平，电动车经过容易摔倒', '尽快修补路面'], ['人行道地砖松动翘起', '重新铺设人行道']],
  路灯故障: [['路灯已经连续一周不亮，晚上出行很不安全', '尽快维修路灯'], ['路灯白天一直亮着，浪费电', '调整路灯开关时间']],
  井盖缺失: [['窨井盖缺失，只用树枝挡着', '立即补装井盖'], ['井盖破损下陷，车辆经过声音很大', '更换井盖']],
  物业服务: [['物业长期不打扫楼道，垃圾堆积', '督促物业履行职责'], ['物业费上涨未经业主大会讨论', '核查物业收费']],
  电梯故障: [['电梯频繁停运，老人上下楼困难', '尽快维修电梯'], ['电梯运行时异响，担心安全', '安排检测电梯']],
  小区停车: [['小区车位被外来车辆长期占用', '规范小区停车管理'], ['消防通道被私家车堵塞', '清理消防通道']],
  占道经营: [['流动摊贩占用人行道经营，影响通行', '清理占道摊点'], ['商铺把货物摆到店外人行道上', '规范店外经营']],
  违章搭建: [['楼顶有人私自搭建彩钢房', '依法拆除违建'], ['一楼住户私自扩建院墙占用公共绿地', '恢复公共绿地']],
  垃圾清运: [['垃圾桶满了好几天没人清运，气味难闻', '及时清运垃圾'], ['建筑垃圾堆在路边无人处理', '清理建筑垃圾']],
  停水: [['小区突然停水，没有任何通知', '尽快恢复供水并提前公告'], ['每天早上都停水两小时', '查明停水原因']],
  水压不足: [['高层住户水压太低，热水器无法启动', '加装增压设施'], ['晚高峰时段水龙头几乎没水', '改善供水压力']],
  燃气安全: [['楼道里闻到燃气味', '派人检查燃气管道'], ['餐馆违规使用液化气罐', '排查燃气安全隐患']],
  施工噪声: [['工地夜间十一点后仍在施工，噪音扰民', '禁止夜间违规施工'], ['周末一大早就开始打桩', '规范施工时间']],
  商业噪声: [['楼下酒吧音乐声太大，影响休息', '整治商业噪声'], ['广场舞音响声音过大', '控制音响音量']],
  餐饮油烟: [['楼下饭店油烟直排，家里不能开窗', '安装油烟净化设施'], ['烧烤摊油烟熏人', '整治露天烧烤']],
  工地扬尘: [['工地没有覆盖防尘网，尘土飞扬', '落实扬尘防控措施'], ['渣土车沿路撒漏', '查处渣土车撒漏']],
  河道污染: [['河道发黑发臭，有排污口直排', '查处偷排行为'], ['河面漂浮大量垃圾', '清理河道垃圾']],
  公交线路: [['公交车班次太少，早高峰等车超过半小时', '增加发车班次'], ['公交站台被取消，出行不便', '恢复公交站点']],
  出租车服务: [['出租车司机拒载绕路', '查处违规司机'], ['网约车乱停乱放', '规范网约车停靠']],
  交通信号灯: [['路口红绿灯时间太短，老人过不完马路', '延长行人绿灯时间'], ['信号灯故障，路口拥堵', '尽快修复信号灯']],
  停车管理: [['路边停车收费标准不清楚', '公示停车收费标准'], ['学校门口接送车辆乱停', '规范接送停车']],
  幼儿园收费: [['幼儿园额外收取兴趣班费用', '核查幼儿园收费'], ['退园后保育费迟迟不退', '督促退还费用']],
  入学政策: [['孩子入学学区划分不清楚', '解释入学政策'], ['随迁子女入学材料要求太多', '简化入学手续']],
  校外培训: [['培训机构突然关门，预交学费无法退还', '协调退还学费'], ['培训机构违规开展学科培训', '查处违规培训']],
  拖欠工资: [['工地老板拖欠工资三个月', '帮助追讨工资'], ['公司离职后不结清工资', '督促企业支付工资']],
  劳动合同: [['公司不签劳动合同', '督促签订劳动合同'], ['试用期被无故辞退', '维护劳动权益']],
  社保缴纳: [['单位没有按时缴纳社保', '督促单位补缴社保'], ['社保断缴后如何补缴', '解答补缴政策']],
  医保报销: [['异地就医报销手续复杂', '简化报销流程'], ['门诊费用报销比例不清楚', '解释报销政策']],
  预付卡退费: [['健身房倒闭，预付卡余额无法退还', '协调退还余额'], ['理发店换老板后拒绝使用会员卡', '维护消费者权益']],
  商品质量: [['在超市买到过期食品', '查处销售过期食品'], ['网购家电质量问题商家不处理', '协调退换货']],
  景区服务: [['景区门票价格与公示不一致', '核查景区收费'], ['景区节假日厕所不够用', '增加公共厕所']],
  医院服务: [['医院挂号排队时间太长', '优化挂号流程'], ['医生态度生硬', '改善服务态度']],
  医疗收费: [['医院重复收费', '核查收费明细'], ['检查费用比其他医院高很多', '规范医疗收费']],
  疫苗接种: [['社区接种点预约不上', '增加接种名额'], ['接种证丢失如何补办', '解答补办流程']],
};

const places = ['幸福小区', '阳光花园', '滨河苑', '翠湖名邸', '东方明珠小区', '建设新村', '和平里', '锦绣华庭', '学府路', '人民路', '解放大道', '中山路', '文化广场', '农贸市场', '科技园', '火车站广场'];
const surnames = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '高'];
const given = ['伟', '芳', '娜', '敏', '静', '强', '磊', '洋', '艳', '勇', '军', '杰', '娟', '涛', '明', '超', '秀英', '桂兰', '建华', '志强', '海燕', '晓东'];
const durations = ['已经好几天了', '持续一个多月', '反映过多次仍未解决', '今天早上发现的', '最近一周一直这样'];
const replies: Record<string, string[]> = {
  solved: ['经现场核查，问题属实，已安排人员处理完毕。', '已联系相关单位整改，现已处理完成，感谢您的监督。', '接诉后我单位立即派员处置，问题已解决。'],
  explained: ['经核实，该事项按现行政策执行，已向来电人详细解释。', '已电话联系来电人说明相关规定及办理流程。'],
  unsolved: ['该问题涉及多个部门，正在协调推进，暂未解决。', '因客观条件限制，近期无法解决，已纳入年度计划。'],
};


/** Where the demo districts lie [lon, lat], in the order of the demo plan (临江区, 青山区, 新湖区, 白塔区, 高新区). */
const demoDistrictSeeds: [number, number][] = [[112.8, 28.22], [112.84, 28.34], [112.98, 28.32], [112.9, 28.08], [113.03, 28.17]];

/**
 * The demo areas' centres [lon, lat]: districts on a grid, streets around their district. The offline basemap
 * (src/web/scripts/generate-demo-city-geo.ts) draws the Voronoi cells of the same centres, so a pin lands in the
 * district and street the server's locate names.
 */
export const demoAreaCentres = (districts: { name: string; streets: string[] }[]) =>
  districts.map((d, i) => {
    // the seeds of the map's districts (the context layer's demo sensors use the same); a sixth district and
    // beyond, should a demo plan add one, continue on a grid to the east
    const centre: [number, number] = demoDistrictSeeds[i] ?? [113.1 + (i % 3) * 0.08, 28.15 + Math.floor(i / 3) * 0.07];
    return {
      name: d.name,
      centre,
      streets: d.streets.map((_, j): [number, number] => [centre[0] + (j - 1.5) * 0.02, centre[1] + ((j % 2) - 0.5) * 0.025]),
    };
  });

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The demo's emerging issue (未诉先办): water turning yellow in one estate of one street, a matter none of the
 * templates above speaks of, rising over the last three days (a share of the tickets filed there and then). The
 * cockpit's alerts and the wall's 未诉先办 panel have this to show; test/hotline/demo-emerging.test.ts checks it fires.
 */
export const demoEmergingIssue = {
  place: '建设新村',
  leaf: '水压不足',
  /** share of the tickets filed 0–1, 1–2 and 2–3 days before now that become the emerging matter */
  shareByDay: [0.3, 0.08, 0.04],
  problem: '自来水发黄浑浊，有铁锈味，烧开后壶底有黄色沉淀',
  ask: '检测水质并尽快处理',
} as const;

export async function seedHotlineDemo(input: HotlineDemoInput): Promise<{ areas: number; categories: number; rules: number; tickets: number; events: number }> {
  const { db, now, orgs, users, deadlines } = input;
  const log = input.log ?? (() => {});
  const rand = mulberry32(20261126);
  // A generator of its own for the emerging issue: the rest of the city stays the same ticket for ticket.
  const emergingRand = mulberry32(20261206);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const chance = (p: number) => rand() < p;
  const between = (a: number, b: number) => a + rand() * (b - a);

  // ── areas: districts and streets, each linked to its government org ──────────────────────────────────
  const centres = demoAreaCentres(input.districts);
  const districtRows = await reference.insertAreasBulk(db, input.districts.map((d, i) => ({
    name: d.name, level: 'district', parent_id: null, org_id: orgs.get(d.name) ?? null,
    center_lon: centres[i].centre[0], center_lat: centres[i].centre[1],
  })));
  const streetInputs = input.districts.flatMap((d, i) => d.streets.map((s, j) => ({
    name: s, level: 'street', parent_id: districtRows[i].id, org_id: orgs.get(`${d.name}${s}`) ?? null,
    center_lon: centres[i].streets[j][0], center_lat: centres[i].streets[j][1],
  })));
  const streetRows = await reference.insertAreasBulk(db, streetInputs);
  const districtById = new Map(districtRows.map((d) => [d.id, d]));

  // ── taxonomy ──────────────────────────────────────────────────────────────────────────────────────────
  let code = 1;
  const categoryInputs: { code: string; level1: string; level2: string | null; level3: string | null }[] = [];
  for (const t of taxonomy) {
    categoryInputs.push({ code: `C${String(code++).padStart(4, '0')}`, level1: t.level1, level2: null, level3: null });
    for (const c of t.classes) {
      categoryInputs.push({ code: `C${String(code++).padStart(4, '0')}`, level1: t.level1, level2: c.level2, level3: null });
      for (const leaf of c.leaves) categoryInputs.push({ code: `C${String(code++).padStart(4, '0')}`, level1: t.level1, level2: c.level2, level3: leaf });
    }
  }
  await reference.insertCategoriesIfAbsent(db, categoryInputs);
  const categories = await reference.listCategories(db, false);
  const catId = (l1: string, l2: string | null, l3: string | null) =>
    categories.find((c) => c.level1 === l1 && c.level2 === l2 && c.level3 === l3)!.id;

  // ── routing: level-2 class → department; 占道经营 per district → the district (more specific wins) ───────
  const rules: { category_id: string; area_id: string | null; unit_id: string; priority: number }[] = [];
  for (const t of taxonomy) {
    for (const c of t.classes) if (c.dept && orgs.get(c.dept)) rules.push({ category_id: catId(t.level1, c.level2, null), area_id: null, unit_id: orgs.get(c.dept)!, priority: 0 });
  }
  if (orgs.get('市公安局')) rules.push({ category_id: catId('交通运输', '道路交通', '交通信号灯'), area_id: null, unit_id: orgs.get('市公安局')!, priority: 0 });
  for (const d of districtRows) if (d.org_id) rules.push({ category_id: catId('城乡建设', '城市管理', '占道经营'), area_id: d.id, unit_id: d.org_id, priority: 0 });
  await reference.insertRoutingRulesBulk(db, rules);

  // in-memory routing with the same precedence as RoutingService.suggestUnit, for speed
  const unitFor = (leaf: { l1: string; l2: string; l3: string }, street: reference.AreaRow): string | null => {
    const district = districtById.get(street.parent_id!)!;
    if (leaf.l3 === '占道经营' && district.org_id) return district.org_id;
    if (leaf.l3 === '交通信号灯' && orgs.get('市公安局')) return orgs.get('市公安局')!;
    const cls = taxonomy.find((t) => t.level1 === leaf.l1)!.classes.find((c) => c.level2 === leaf.l2)!;
    return (cls.dept && orgs.get(cls.dept)) || district.org_id;
  };
  const leaves = taxonomy.flatMap((t) => t.classes.flatMap((c) => c.leaves.map((l3) => ({ l1: t.level1, l2: c.level2, l3, id: catId(t.level1, c.level2, l3) }))));

  // ── tickets ───────────────────────────────────────────────────────────────────────────────────────────
  const count = input.ticketCount ?? 3000;
  // Steps of people the demo has no user for are the seed's own (`system:demo-seed`).
  const seed = actorRef(systemActor('demo-seed'));
  const agent = users.get('agent') ? `user:${users.get('agent')}` : seed;
  const supervisor = users.get('supervisor') ? `user:${users.get('supervisor')}` : seed;
  const citizenId = users.get('citizen') ?? null;
  const dayOf = ticketDay(input.timeZone);
  const signHours = deadlines.signHours;

  type Row = tickets.NewTicketRow & { id: string; created_at: Date };
  const created = Array.from({ length: count }, () => new Date(now.getTime() - Math.pow(rand(), 1.15) * 90 * DAY))
    .sort((a, b) => a.getTime() - b.getTime());
  const perDay = new Map<string, number>();
  const rows: Row[] = [];
  const events: Insertable<HotlineTicketEventTable>[] = [];
  const recentByKey = new Map<string, Row>();

  const emergingStreet = streetRows[0];
  for (const createdAt of created) {
    const id = crypto.randomUUID();
    const ageDay = Math.floor((now.getTime() - createdAt.getTime()) / DAY);
    const emerging = ageDay < demoEmergingIssue.shareByDay.length && emergingRand() < demoEmergingIssue.shareByDay[ageDay];
    let street = pick(streetRows);
    let leaf = pick(leaves);
    let [problem, ask] = pick(issues[leaf.l3]);
    let place = pick(places);
    if (emerging) {
      street = emergingStreet;
      leaf = leaves.find((l) => l.l3 === demoEmergingIssue.leaf)!;
      ({ problem, ask, place } = demoEmergingIssue);
    }
    const district = districtById.get(street.parent_id!)!;
    const urgency = chance(0.04) ? 'emergency' : chance(0.15) ? 'urgent' : chance(0.1) ? 'complex' : 'normal';
    const byCitizenUser = citizenId && chance(0.006);
    const channel = byCitizenUser ? 'web' : pick(['phone', 'phone', 'phone', 'phone', 'phone', 'web', 'web', 'app', 'app', 'wechat', 'open311']);
    const day = dayOf(createdAt);
    const seq = (perDay.get(day) ?? 0) + 1;
    perDay.set(day, seq);
    const unit = unitFor(leaf, street);
    // the demo handler belongs to 市城市管理局; other units' steps are attributed to the seed
    const handler = unit && unit === orgs.get('市城市管理局') && users.get('handler') ? `user:${users.get('handler')}` : seed;
    const ev = (at: Date, actor: string, action: string, from: string | null, to: string, details: Record<string, unknown> = {}) =>
      events.push({
        ticket_id: id, at, actor, actor_org_id: actor === handler ? unit : null, action, from_status: from, to_status: to,
        details: JSON.stringify({ ...details, unit }),
      });

    const row: Row = {
      id, number: formatTicketNumber(day, seq), channel,
      citizen_name: pick(surnames) + pick(given), citizen_phone: `1${pick(['3', '5', '7', '8', '9'])}${String(Math.floor(rand() * 1e9)).padStart(9, '0')}`,
      citizen_user_id: byCitizenUser ? citizenId : null,
      title: emerging ? `${street.name}${place}自来水发黄` : `${street.name}${place}${leaf.l3}问题`,
      content: `您好，我是${district.name}${street.name}${place}附近的居民。${problem}，${pick(durations)}，希望有关部门${ask}。`,
      address: `${district.name}${street.name}${place}`,
      lon: street.center_lon! + between(-0.006, 0.006), lat: street.center_lat! + between(-0.006, 0.006),
      area_id: street.id, district_id: district.id, category_id: leaf.id, urgency,
      tags: chance(0.1) ? ['重复来电'] : [], attachments: '[]', status: 'received', unit_id: null,
      // what came in through Open311 is in its public feed; everything else is private (issue 15, finding 9)
      public: channel === 'open311',
      created_at: createdAt, updated_at: createdAt,
    };
    ev(createdAt, agent, 'create', null, 'received', { channel });

    // Duplicates: a few tickets repeat a recent one (same place and category) and are merged under it.
    const dupKey = `${street.id}:${leaf.id}`;
    const main = recentByKey.get(dupKey);
    if (main && createdAt.getTime() - main.created_at.getTime() < 10 * DAY && chance(0.5) && main.status !== 'merged') {
      const mergedAt = new Date(createdAt.getTime() + between(0.2, 2) * HOUR);
      // Only into a main ticket still open when the duplicate is merged: one closed earlier would close the
      // duplicate before it was filed (issue 18: 85 of 1,000 closed requests had updated_datetime < requested).
      const mainOpenAtMerge = !main.closed_at || new Date(main.closed_at).getTime() > mergedAt.getTime();
      if (mergedAt < now && mainOpenAtMerge) {
        row.main_ticket_id = main.id;
        row.unit_id = main.unit_id;
        ev(mergedAt, agent, 'merge', 'received', 'merged', { mainTicketId: main.id, mainNumber: main.number });
        row.status = main.status === 'closed' && main.closed_at && new Date(main.closed_at) <= now ? 'closed' : 'merged';
        if (row.status === 'closed') {
          row.closed_at = main.closed_at;
          row.reply_text = main.reply_text;
          row.result = main.result;
          ev(new Date(main.closed_at as Date), agent, 'close', 'merged', 'closed', { viaMainTicketId: main.id });
        }
        row.updated_at = row.status === 'closed' ? new Date(main.closed_at as Date) : mergedAt;
        rows.push(row);
        continue;
      }
    }
    recentByKey.set(dupKey, row);

    // The life of the ticket, step by step, stopping at the first step that lies in the future.
    let t = createdAt.getTime();
    const step = (hours: number) => (t += hours * HOUR) <= now.getTime();
    const at = () => new Date(t);
    let round = 0;
    // Some tickets stop at a stage (waiting for a unit, a stuck case…), more among recent ones, so every state
    // and the overdue / supervised queues have something to show.
    const ageDays = (now.getTime() - createdAt.getTime()) / DAY;
    const halt = chance(ageDays < 30 ? 0.25 : 0.02) ? pick(['received', 'dispatched', 'returned', 'accepted', 'in_progress', 'answered', 'visited']) : null;
    life: for (;;) {
      if (halt === 'received') break;
      if (!step(between(0.1, 1.5))) break;
      row.status = 'dispatched';
      row.unit_id = unit;
      row.dispatched_at = at();
      row.sign_due_at = new Date(t + signHours * HOUR);
      row.accepted_at = null;
      row.due_at = null;
      ev(at(), round ? supervisor : agent, round ? 'reopen' : 'dispatch', round ? 'visited' : 'received', 'dispatched', round ? { reopenCount: round } : { routing: 'rule', override: false });
      if (halt === 'dispatched') break;
      if (round === 0 && (chance(0.05) || halt === 'returned')) {
        if (!step(between(0.3, 3))) break;
        row.status = 'returned';
        row.return_count = 1;
        row.return_reason = '经核实不属于本单位职责范围，请重新派单';
        ev(at(), handler, 'return', 'dispatched', 'returned', { reason: row.return_reason });
        if (halt === 'returned') break;
        if (!step(between(0.2, 2))) break;
        row.status = 'dispatched';
        row.dispatched_at = at();
        row.sign_due_at = new Date(t + signHours * HOUR);
        ev(at(), agent, 'dispatch', 'returned', 'dispatched', { override: true });
      }
      const signDelay = chance(0.08) ? between(signHours, signHours * 3) : between(0.05, signHours * 0.9);
      if (!step(signDelay)) break;
      row.status = 'accepted';
      row.accepted_at = at();
      row.sign_overdue = signDelay > signHours;
      const limit = answerHours(deadlines, urgency);
      row.due_at = new Date(t + limit * HOUR);
      ev(at(), handler, 'accept', 'dispatched', 'accepted', { dueAt: row.due_at.toISOString() });
      if (halt === 'accepted') break;
      if (!step(between(0.05, 0.1) * limit)) break;
      row.status = 'in_progress';
      ev(at(), handler, 'start', 'accepted', 'in_progress');
      if (halt === 'in_progress') break;
      const late = chance(0.07);
      if (!step(late ? between(0.95, 1.5) * limit : between(0.1, 0.85) * limit)) break;
      const result = chance(0.7) ? 'solved' : chance(0.66) ? 'explained' : 'unsolved';
      row.status = 'answered';
      row.answered_at = at();
      row.reply_text = pick(replies[result]);
      row.result = result;
      row.overdue = t > row.due_at.getTime();
      ev(at(), handler, 'answer', 'in_progress', 'answered', { result, late: row.overdue });
      if (halt === 'answered') break;
      if (!step(between(2, 48))) break;
      const contacted = chance(0.95);
      const solved = result === 'solved' ? chance(0.92) : result === 'explained' ? chance(0.4) : chance(0.08);
      const r = rand();
      const satisfaction = solved ? (r < 0.8 ? 'satisfied' : r < 0.97 ? 'basically_satisfied' : 'unsatisfied')
        : result === 'explained' ? (r < 0.45 ? 'satisfied' : r < 0.75 ? 'basically_satisfied' : 'unsatisfied')
          : (r < 0.15 ? 'satisfied' : r < 0.4 ? 'basically_satisfied' : 'unsatisfied');
      row.status = 'visited';
      row.visited_at = at();
      row.visit_contacted = contacted;
      row.visit_solved = solved;
      row.satisfaction = satisfaction;
      ev(at(), agent, 'visit', 'answered', 'visited', { contacted, solved, satisfaction });
      if (halt === 'visited') break;
      if (satisfaction === 'unsatisfied' && round === 0 && chance(0.5)) {
        round = 1;
        row.reopen_count = 1;
        continue life;
      }
      if (!step(between(1, 24))) break;
      row.status = 'closed';
      row.closed_at = at();
      ev(at(), agent, 'close', 'visited', 'closed');
      break;
    }
    row.updated_at = new Date(Math.min(t, now.getTime()));
    rows.push(row);
  }

  // Deadline flags as the job would set them now, and supervision on a share of late or long-open tickets.
  const nowMs = now.getTime();
  for (const row of rows) {
    const dueMs = row.due_at ? new Date(row.due_at).getTime() : 0;
    if (row.status === 'dispatched' && row.sign_due_at && new Date(row.sign_due_at).getTime() <= nowMs) row.sign_overdue = true;
    if ((row.status === 'accepted' || row.status === 'in_progress') && dueMs) {
      if (dueMs <= nowMs) row.overdue = true;
      else if (new Date(row.accepted_at!).getTime() + (dueMs - new Date(row.accepted_at!).getTime()) * deadlines.warningFraction <= nowMs) row.deadline_warning = true;
    }
    const open = !['closed', 'merged'].includes(row.status);
    if (open && (row.overdue ? chance(0.6) : chance(0.03))) {
      row.supervised = true;
      events.push({
        ticket_id: row.id, at: new Date(Math.min(nowMs, new Date(row.updated_at as Date).getTime() + HOUR)), actor: supervisor, actor_org_id: null,
        action: 'supervise', from_status: row.status, to_status: row.status, details: JSON.stringify({ unit: row.unit_id, note: '请加快办理并及时反馈' }),
      });
    }
  }

  // Multi-row INSERTs in chunks that stay far below PostgreSQL's 65,535 parameters per statement.
  await db.transaction().execute(async (trx) => {
    const personal = input.personal ?? new TicketPersonalFields();
    for (let i = 0; i < rows.length; i += 500) await tickets.insertTicketsBulk(trx, rows.slice(i, i + 500).map((r) => personal.seal(r)));
    for (let i = 0; i < events.length; i += 2000) await tickets.insertTicketEventsBulk(trx, events.slice(i, i + 2000));
    await tickets.raiseTicketCounters(trx, [...perDay].map(([day, last]) => ({ day, last })));
  });
  log(`hotline: ${districtRows.length + streetRows.length} areas, ${categories.length} categories, ${rules.length} routing rules, ${rows.length} tickets, ${events.length} timeline events (generated history is not ledgered)`);
  return { areas: districtRows.length + streetRows.length, categories: categories.length, rules: rules.length, tickets: rows.length, events: events.length };
}
