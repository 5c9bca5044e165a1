import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

/**
 * zh-CN first, English second: one small dictionary instead of an i18n library. A key missing in English falls
 * back to Chinese, a key missing in both shows the key (so a gap is visible, never blank).
 */
export type Lang = 'zh' | 'en';

const dict = {
  app_name: ['城枢', 'CityHub'],
  app_tagline: ['城市数据底座与 12345 接诉即办平台', 'City data hub and 12345 hotline platform'],
  face_portal: ['市民服务', 'Citizen portal'],
  face_work: ['工作台', 'Workbench'],
  face_cockpit: ['驾驶舱', 'Cockpit'],
  lang_switch: ['English', '中文'],
  lang_switch_label: ['切换到英文', 'Switch to Chinese'],
  skip_to_main: ['跳到正文', 'Skip to content'],
  login: ['登录', 'Log in'],
  logout: ['退出', 'Log out'],
  username: ['用户名', 'Username'],
  password: ['密码', 'Password'],
  login_title: ['登录城枢', 'Log in to CityHub'],
  login_demo_hint: ['演示城市（npm start）的账号：角色名（citizen、agent、handler、supervisor、leader…），密码见 docs/demo.md', 'Demo city (npm start) users: the role name (citizen, agent, handler, supervisor, leader…), password in docs/demo.md'],
  login_as: ['快速选择演示角色', 'Pick a demo role'],
  logged_in_as: ['当前用户', 'Signed in as'],
  loading: ['正在加载…', 'Loading…'],
  retry: ['重试', 'Retry'],
  error_network: ['无法连接服务器', 'Cannot reach the server'],
  error_network_detail: ['请检查网络连接或稍后重试。', 'Check the connection or try again later.'],
  error_unexpected: ['页面出错了', 'Something went wrong on this page'],
  not_found: ['页面不存在', 'Page not found'],
  not_found_detail: ['该地址没有对应的页面。', 'There is no page at this address.'],
  need_login: ['请先登录', 'Please log in first'],
  need_role: ['当前账号无权访问此页面', 'Your account may not open this page'],
  need_role_detail: ['此页面需要以下角色之一：', 'This page needs one of these roles: '],
  home_portal_desc: ['提交诉求、查询进度、评价满意度、数据目录、我的数据谁用了', 'File an appeal, track it, rate the answer; the data catalog; who used my data'],
  home_work_desc: ['坐席受理派单、承办单位办理、督办、数据共享审批', 'Intake and dispatch, handling, supervision, sharing requests'],
  home_cockpit_desc: ['三率、排名、热点与城市实时态势', 'The three rates, rankings, hot issues, the live city'],
  open: ['进入', 'Open'],
  // roles
  role_citizen: ['市民', 'Citizen'],
  role_agent: ['12345 坐席', 'Hotline agent'],
  role_handler: ['承办单位', 'Handling unit'],
  role_supervisor: ['督办', 'Supervisor'],
  role_leader: ['领导', 'Leader'],
  role_dept_data_owner: ['部门数据负责人', 'Data owner'],
  role_data_admin: ['数据局', 'Data bureau'],
  role_market_operator: ['授权运营机构', 'Market operator'],
  role_market_user: ['数据使用者', 'Market user'],
  role_operation_admin: ['授权运营实施机构', 'Operation (implementing body)'],
  role_operation_supervisor: ['授权运营监管', 'Operation supervisor'],
  role_ops: ['运维', 'Operations'],
  role_admin: ['系统管理员', 'Administrator'],
  // ticket statuses
  status_received: ['已受理', 'Received'],
  status_dispatched: ['已派单', 'Dispatched'],
  status_returned: ['已退单', 'Returned'],
  status_accepted: ['已签收', 'Signed for'],
  status_in_progress: ['办理中', 'In progress'],
  status_answered: ['已反馈', 'Answered'],
  status_visited: ['已回访', 'Visited'],
  status_closed: ['已办结', 'Closed'],
  status_merged: ['已合并', 'Merged'],
  // actions
  action_dispatch: ['派单', 'Dispatch'],
  action_accept: ['签收', 'Sign for'],
  action_return: ['退单', 'Return'],
  action_start: ['开始办理', 'Start handling'],
  action_answer: ['反馈答复', 'Answer'],
  action_visit: ['回访', 'Return visit'],
  action_close: ['办结', 'Close'],
  action_reopen: ['重办', 'Re-open'],
  action_supervise: ['督办', 'Supervise'],
  action_merge: ['合并', 'Merge'],
  action_recategorize: ['改类', 'Re-categorise'],
  recategorize_to: ['改为类别（将作为模型训练标注）', 'New category (kept as a training label)'],
  // urgency
  urgency_emergency: ['紧急（2小时）', 'Emergency'],
  urgency_urgent: ['加急', 'Urgent'],
  urgency_normal: ['一般', 'Normal'],
  urgency_complex: ['复杂', 'Complex'],
  // results and satisfaction
  result_solved: ['已解决', 'Solved'],
  result_unsolved: ['未解决', 'Unsolved'],
  result_explained: ['已解释说明', 'Explained'],
  sat_satisfied: ['满意', 'Satisfied'],
  sat_basically_satisfied: ['基本满意', 'Basically satisfied'],
  sat_unsatisfied: ['不满意', 'Unsatisfied'],
  // portal
  portal_title: ['12345 市民诉求', '12345 citizen appeals'],
  portal_new: ['我要反映', 'File an appeal'],
  portal_track: ['进度查询', 'Track an appeal'],
  portal_mine: ['我的诉求', 'My appeals'],
  portal_intro: ['有困难、有诉求，找 12345。我们按时限办理并回访。', 'Problems or requests? Tell 12345: we handle them within deadlines and call back.'],
  f_title: ['标题', 'Title'],
  f_title_hint: ['一句话说明问题，例如：小区门口路灯不亮', 'One line, e.g. the street lamp at our gate is out'],
  f_content: ['诉求内容', 'What happened'],
  f_content_hint: ['时间、地点、具体情况和您的诉求', 'When, where, what, and what you ask for'],
  f_category: ['诉求分类', 'Category'],
  f_category_pick: ['请选择分类', 'Choose a category'],
  f_suggested: ['智能推荐', 'Suggested'],
  f_suggest_wait: ['输入内容后将推荐分类', 'A category will be suggested as you type'],
  f_suggest_none: ['暂无推荐，请手动选择', 'No suggestion; please choose'],
  f_address: ['地址', 'Address'],
  f_address_hint: ['区、街道、小区或路名门牌', 'District, street, estate or road and number'],
  f_map_pick: ['在地图上点选位置（可选）', 'Pick the place on the map (optional)'],
  f_map_picked: ['已选位置', 'Picked'],
  f_district: ['所在区', 'District'],
  f_name: ['称呼', 'Your name'],
  f_phone: ['手机号码', 'Mobile phone'],
  f_phone_hint: ['用于查询进度和回访', 'Used to track the appeal and for the return visit'],
  f_urgency: ['紧急程度', 'Urgency'],
  consent_title: ['个人信息告知', 'Personal information notice'],
  consent_text: [
    '您提交的姓名和电话仅用于办理和回访本诉求，只有办理本诉求的工作人员可以看到完整信息，其他人看到的是脱敏信息；每次查看都记入审计存证。',
    'Your name and phone are used only to handle this appeal and call you back. Only the staff handling it see them in full; everyone else sees them masked; every access is recorded in the audit ledger.',
  ],
  consent_agree: ['我已阅读并同意上述个人信息处理方式', 'I have read and agree to this use of my personal information'],
  f_public: ['公开此诉求（默认不公开）', 'Publish this appeal (private unless ticked)'],
  f_public_hint: [
    '勾选后，诉求内容会在公开诉求接口（Open311）中展示，姓名、电话、证件号、门牌号等个人信息会被隐去。',
    'When ticked, the appeal appears in the public Open311 feed with names, phone numbers, ID numbers, room numbers and other personal data hidden.',
  ],
  submit: ['提交', 'Submit'],
  submitting: ['正在提交…', 'Submitting…'],
  filed_title: ['诉求已受理', 'Your appeal is received'],
  filed_number: ['工单编号', 'Ticket number'],
  filed_keep: ['请记下编号，凭编号和手机号查询进度。', 'Keep the number: track the appeal with it and your phone.'],
  track_go: ['查询', 'Look up'],
  track_number: ['工单编号', 'Ticket number'],
  track_phone: ['提交时的手机号码', 'Phone used when filing'],
  timeline: ['办理过程', 'Timeline'],
  reply: ['答复', 'Reply'],
  no_reply_yet: ['尚未答复', 'No reply yet'],
  rate_title: ['评价本次办理', 'Rate how this was handled'],
  rate_contacted: ['办理单位是否联系了您？', 'Did the unit contact you?'],
  rate_solved: ['问题是否已解决？', 'Is the problem solved?'],
  rate_satisfaction: ['满意度', 'Satisfaction'],
  rate_send: ['提交评价', 'Send rating'],
  rated_thanks: ['感谢您的评价', 'Thank you for your rating'],
  yes: ['是', 'Yes'],
  no: ['否', 'No'],
  login_to_file: ['提交诉求前请先登录（演示账号 citizen）', 'Log in before filing (demo user: citizen)'],
  // tickets common
  t_number: ['编号', 'Number'],
  t_title: ['标题', 'Title'],
  t_status: ['状态', 'Status'],
  t_category: ['分类', 'Category'],
  t_unit: ['承办单位', 'Handling unit'],
  t_district: ['区域', 'District'],
  t_created: ['受理时间', 'Received at'],
  t_due: ['办理时限', 'Due'],
  t_sign_due: ['签收时限', 'Sign by'],
  t_citizen: ['诉求人', 'Citizen'],
  t_channel: ['渠道', 'Channel'],
  t_urgency: ['紧急程度', 'Urgency'],
  t_address: ['地址', 'Address'],
  t_content: ['内容', 'Content'],
  t_overdue: ['已超期', 'Overdue'],
  t_supervised: ['督办中', 'Supervised'],
  t_left: ['剩余', 'left'],
  t_over_by: ['超期', 'overdue by'],
  t_result: ['办理结果', 'Result'],
  t_satisfaction: ['满意度', 'Satisfaction'],
  // workbench
  work_title: ['工作台', 'Workbench'],
  q_intake: ['待派单', 'To dispatch'],
  q_returned: ['退回待重派', 'Returned'],
  q_to_sign: ['待签收', 'To sign for'],
  q_handling: ['办理中', 'Handling'],
  q_to_visit: ['待回访', 'To visit'],
  q_overdue: ['超期', 'Overdue'],
  q_unsatisfied: ['不满意', 'Unsatisfied'],
  q_supervised: ['督办件', 'Supervised'],
  q_all: ['全部', 'All'],
  q_new_call: ['新建来电', 'New call'],
  filter_search: ['搜索标题、内容或编号', 'Search title, content or number'],
  filter_status: ['状态筛选', 'Status filter'],
  filter_any: ['不限', 'Any'],
  select_all: ['全选', 'Select all'],
  select_row: ['选择', 'Select'],
  bulk_selected: ['已选', 'Selected'],
  bulk_apply: ['批量', 'Bulk'],
  no_tickets: ['暂无工单', 'No tickets here'],
  prev_page: ['上一页', 'Previous'],
  next_page: ['下一页', 'Next'],
  detail: ['工单详情', 'Ticket detail'],
  back_to_queue: ['返回列表', 'Back to the queue'],
  reason: ['原因', 'Reason'],
  reply_text: ['答复内容', 'Reply text'],
  note: ['说明', 'Note'],
  confirm: ['确认', 'Confirm'],
  cancel: ['取消', 'Cancel'],
  done: ['操作成功', 'Done'],
  unit_pick: ['选择承办单位', 'Choose the unit'],
  assist: ['智能辅助', 'Assist'],
  assist_categories: ['分类建议', 'Category suggestions'],
  assist_unit: ['建议承办单位', 'Suggested unit'],
  assist_duplicates: ['疑似重复', 'Possible duplicates'],
  assist_similar: ['相似案例与参考答复', 'Similar cases and their replies'],
  assist_summary: ['摘要', 'Summary'],
  assist_use: ['采用建议', 'Use suggestion'],
  routing_suggested: ['路由建议', 'Routing suggests'],
  routing_rule: ['按分类与区域规则', 'by a category × area rule'],
  routing_district: ['首接负责：属地区政府', 'first-contact rule: the district government'],
  routing_none: ['无匹配规则', 'no rule matched'],
  draft_reply: ['生成答复草稿', 'Draft a reply'],
  alert_count: ['件', 'tickets'],
  assist_unavailable: ['智能辅助暂不可用', 'The assist is not available'],
  kbd_help: ['快捷键：j/k 上下移动，Enter 打开，x 选择，/ 搜索', 'Keys: j/k move, Enter opens, x selects, / searches'],
  // cockpit
  cockpit_title: ['城市运行驾驶舱', 'City operations cockpit'],
  rate_response: ['响应率', 'Response rate'],
  rate_solve: ['解决率', 'Resolution rate'],
  rate_satisfy: ['满意率', 'Satisfaction rate'],
  rate_composite: ['综合得分', 'Composite'],
  rate_ontime: ['按时办结率', 'On-time rate'],
  trend: ['趋势', 'Trend'],
  rank_units: ['承办单位排名', 'Unit ranking'],
  rank_districts: ['区域排名', 'District ranking'],
  map_title: ['各区工单密度与超期', 'Tickets and overdue by district'],
  map_tickets: ['工单量', 'Tickets'],
  map_overdue: ['超期数', 'Overdue'],
  map_heat: ['工单热力', 'Ticket heat'],
  map_overdue_open: ['超期未结工单', 'Overdue open tickets'],
  hot_issues: ['热点诉求', 'Hot issues'],
  emerging: ['未诉先办预警', 'Emerging-issue alerts'],
  live_city: ['城市实时指标', 'Live city indicators'],
  fullscreen: ['全屏', 'Full screen'],
  exit_fullscreen: ['退出全屏', 'Exit full screen'],
  auto_refresh: ['自动刷新', 'Auto refresh'],
  updated_at: ['更新于', 'Updated'],
  period: ['统计周期', 'Period'],
  period_day: ['日', 'Day'],
  period_week: ['周', 'Week'],
  period_month: ['月', 'Month'],
  visited_count: ['回访量', 'Visited'],
  not_available_yet: ['该数据接口尚未提供', 'This data is not available yet'],
  no_data: ['暂无数据', 'No data'],
  // public track and rating
  track_login_to_rate: ['登录提交该诉求的账号后即可评价', 'Log in with the account that filed it to rate the answer'],
  // catalog in the portal
  portal_data: ['数据目录', 'Data catalog'],
  portal_usage: ['我的数据谁用了', 'Who used my data'],
  data_intro: ['政府部门开放和有条件开放的数据资源目录。', 'The open and conditionally open datasets of the city\'s departments.'],
  data_search: ['搜索数据资源', 'Search datasets'],
  data_search_hint: ['标题、描述或关键词', 'Title, description or keyword'],
  data_found: ['共找到数据资源', 'Datasets found'],
  data_none: ['没有符合条件的数据资源', 'No dataset matches'],
  facet_owner: ['提供部门', 'Publisher'],
  facet_theme: ['主题', 'Theme'],
  facet_open: ['开放属性', 'Openness'],
  facet_clear: ['清除筛选', 'Clear filters'],
  open_open: ['无条件开放', 'Open'],
  open_conditional_open: ['有条件开放', 'Conditionally open'],
  open_not_open: ['不予开放', 'Not open'],
  cycle_realtime: ['实时', 'Real time'],
  cycle_daily: ['每日', 'Daily'],
  cycle_weekly: ['每周', 'Weekly'],
  cycle_monthly: ['每月', 'Monthly'],
  cycle_quarterly: ['每季度', 'Quarterly'],
  cycle_yearly: ['每年', 'Yearly'],
  cycle_irregular: ['不定期', 'Irregular'],
  ds_update_cycle: ['更新周期', 'Updated'],
  ds_keywords: ['关键词', 'Keywords'],
  ds_formats: ['数据格式', 'Formats'],
  ds_licence: ['许可', 'Licence'],
  ds_contact: ['联系人', 'Contact'],
  theme_SOCI: ['人口与社会', 'Population and society'],
  theme_ECON: ['经济与金融', 'Economy and finance'],
  theme_GOVE: ['政府与公共部门', 'Government and public sector'],
  theme_REGI: ['区域与城市', 'Regions and cities'],
  theme_HEAL: ['卫生健康', 'Health'],
  theme_TRAN: ['交通', 'Transport'],
  theme_ENVI: ['环境', 'Environment'],
  theme_EDUC: ['教育文化体育', 'Education, culture and sport'],
  theme_JUST: ['司法与公共安全', 'Justice and public safety'],
  // who used my data
  usage_intro: ['以下是各部门通过数据共享网关读取到含有您身份信息的数据记录的情况，每次访问都已存证。', 'Every time a unit read records carrying your ID through the sharing gateway; each access is in the ledger.'],
  usage_not_linked: ['您的账号尚未与身份证号关联，暂无法查询。请联系数据局完成实名核验。', 'Your account is not linked to an ID number yet; ask the data bureau to verify it.'],
  usage_none: ['暂无部门使用您的数据', 'No unit has used your data'],
  usage_when: ['时间', 'When'],
  usage_unit: ['使用单位', 'Unit'],
  usage_purpose: ['用途', 'Purpose'],
  usage_dataset: ['数据资源', 'Dataset'],
  usage_owner: ['提供部门', 'Provided by'],
  usage_ledger: ['存证序号', 'Ledger entry'],
  usage_citizen_only: ['此页面供市民本人查询。', 'This page is for citizens to look up their own data.'],
  // sharing inbox in the workbench
  share_inbox: ['共享申请', 'Sharing requests'],
  share_box_pending: ['待审批', 'Pending'],
  share_box_overdue: ['超期未决', 'Overdue'],
  share_box_all: ['全部申请', 'All'],
  share_none: ['没有共享申请', 'No sharing requests'],
  share_from_to: ['申请单位 → 提供部门', 'Consumer → owner'],
  share_fields: ['申请字段', 'Fields asked for'],
  share_purpose: ['用途', 'Purpose'],
  share_basis: ['依据', 'Legal basis'],
  share_until: ['使用期限至', 'Term until'],
  share_due: ['审批时限', 'Decide by'],
  share_aggregate_only: ['仅统计', 'Aggregates only'],
  share_status_pending: ['待审批', 'Pending'],
  share_status_granted: ['已同意', 'Granted'],
  share_status_refused: ['已拒绝', 'Refused'],
  share_overdue: ['超期未审批', 'Overdue'],
  share_flagged: ['已报数据局督办', 'Flagged to the data bureau'],
  share_grant_fields: ['同意共享的字段（可缩小范围）', 'Fields to grant (you may narrow)'],
  share_grant: ['同意共享', 'Grant'],
  share_refuse: ['拒绝', 'Refuse'],
  share_refuse_reason: ['拒绝理由（必填）', 'Reason for refusing (required)'],
  share_decided: ['已处理', 'Decided'],
  share_reason: ['理由', 'Reason'],
  share_bureau_hint: ['数据局督办：以下申请超过审批时限仍未处理，已自动提示。', 'Data bureau: these requests passed their decision deadline undecided and were flagged.'],
  share_owner_hint: ['作为数据提供部门，请在审批时限内处理本部门数据资源的共享申请。', 'As the data owner, decide the requests for your datasets before their deadline.'],
  intel_admin: ['模型与词典', 'Models and dictionary'],
  intel_models: ['工单分类模型', 'Ticket classifier'],
  intel_active: ['当前使用', 'Active'],
  intel_new_since: ['上次训练后新增样本', 'New examples since the last model'],
  intel_labels: ['其中人工标注', 'of them agents\' labels'],
  intel_train: ['训练新版本', 'Train a new version'],
  intel_training: ['训练中', 'Training'],
  intel_train_failed: ['训练失败', 'Training failed'],
  intel_chart: ['各版本留出集得分', 'Hold-out scores by version'],
  intel_f1_level1: ['一级分类宏F1', 'Level-1 macro-F1'],
  intel_accuracy_level1: ['一级分类准确率', 'Level-1 accuracy'],
  intel_f1_labels: ['细分类宏F1', 'Macro-F1 over its categories'],
  intel_no_models: ['尚无模型：工单足够后会自动训练。', 'No model yet: one is trained once there are enough tickets.'],
  intel_version: ['版本', 'Version'],
  intel_trained: ['训练时间', 'Trained'],
  intel_examples: ['训练 / 留出', 'Trained / held out'],
  intel_categories: ['类别数', 'Categories'],
  intel_status: ['状态', 'Status'],
  intel_status_active: ['使用中', 'active'],
  intel_status_candidate: ['候选', 'candidate'],
  intel_status_retired: ['已停用', 'retired'],
  intel_activate: ['设为当前', 'Activate'],
  intel_dictionary: ['分词用户词典', 'Segmenter user dictionary'],
  intel_dictionary_hint: ['地名、单位名、政务术语保持完整，停用词被忽略；区域和单位名称已自动加入。', 'Place and unit names and terms stay whole, stop words are dropped; area and organisation names are in already.'],
  intel_word: ['词语', 'Word'],
  intel_word_kind: ['类型', 'Kind'],
  intel_kind_place: ['地名', 'place'],
  intel_kind_unit: ['单位名', 'unit'],
  intel_kind_term: ['术语', 'term'],
  intel_kind_stop: ['停用词', 'stop word'],
  intel_word_add: ['加入词典', 'Add'],
  intel_word_added: ['已加入', 'Added'],
  intel_word_exists: ['已在词典中', 'Already there'],
  intel_word_remove: ['删除', 'Remove'],
  intel_added: ['加入时间', 'Added'],
  intel_no_words: ['词典中尚无人工添加的词语。', 'No words added yet.'],
} satisfies Record<string, [string, string]>;

export type MessageKey = keyof typeof dict;

interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t(key: MessageKey | string): string;
}

const I18nContext = createContext<I18n>({ lang: 'zh', setLang: () => {}, t: (k) => translate('zh', k) });

/** Messages a face brings with its own chunk (addMessages), so the shell's dictionary stays small. */
const added: Record<string, [string, string]> = {};

/**
 * Adds a face's own messages (zh, en); called once when its chunk loads. A key the shell already has keeps the
 * shell's wording.
 *
 * @example addMessages({ wall_ticker: ['实时预警', 'Live alerts'] });
 */
export function addMessages(more: Record<string, [string, string]>): void {
  for (const [key, entry] of Object.entries(more)) if (!(key in dict)) added[key] = entry;
}

export function translate(lang: Lang, key: string): string {
  const entry = (dict as Record<string, [string, string]>)[key] ?? added[key];
  if (!entry) return key;
  return lang === 'en' ? entry[1] || entry[0] : entry[0];
}

const stored = (): Lang => {
  try {
    return localStorage.getItem('cityhub.lang') === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
};

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(stored);
  useEffect(() => {
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  }, [lang]);
  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      localStorage.setItem('cityhub.lang', next);
    } catch {
      // private mode: the choice lasts for this page only
    }
  }, []);
  const value = useMemo<I18n>(() => ({ lang, setLang, t: (key) => translate(lang, key) }), [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export const useI18n = (): I18n => useContext(I18nContext);
