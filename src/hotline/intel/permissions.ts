import { definePermissions } from '../../platform/auth/permissions.js';

/** Who may use hotline intelligence: the intake assist, hot issues, replies, models and the dictionary. */
export const intelPermissions = definePermissions({
  // hotline intelligence (src/hotline/intel/intake-service.ts): a citizen's assist answer is the category
  // suggestion only (no duplicates, similar cases, unit or summary: those show other citizens' matters)
  'hotline.intel.assist': ['citizen', 'agent', 'supervisor'],
  'hotline.intel.hot.read': ['agent', 'supervisor', 'leader'],
  'hotline.intel.reply': ['agent', 'handler', 'supervisor'],
  // the category model: agents' corrections become training labels (数据标注); versions and their evaluation are
  // read by supervisors and the data bureau, which trains and activates (rolls back) models
  'hotline.intel.label': ['agent', 'supervisor'],
  'hotline.intel.model.read': ['supervisor', 'data_admin'],
  'hotline.intel.model.manage': ['data_admin'],
  // the policy knowledge base (知识库): the hotline centre's supervisors upload and retire documents; agents and
  // handlers search it and ask it questions
  'hotline.intel.knowledge.read': ['agent', 'handler', 'supervisor'],
  'hotline.intel.knowledge.manage': ['supervisor'],
  // the segmenter's user dictionary (place and unit names, terms, stop words)
  'hotline.intel.dictionary.read': ['agent', 'supervisor', 'data_admin'],
  'hotline.intel.dictionary.manage': ['supervisor', 'data_admin'],
});

declare module '../../platform/auth/permissions.js' {
  interface Permissions extends Granted {}
}
type Granted = typeof intelPermissions;
