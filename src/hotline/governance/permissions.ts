import { definePermissions } from '../../platform/auth/permissions.js';

/** Who may inspect replies, run 每月一题 and read the monthly report (docs/hotline-governance.md). */
export const governancePermissions = definePermissions({
  // the reply form's inspection: whoever writes or checks replies
  'hotline.inspection.check': ['agent', 'handler', 'supervisor'],
  // a unit's inspection scores: a handler sees its own unit only (governance-service.ts); .all = every unit
  'hotline.inspection.read': ['handler', 'supervisor', 'leader'],
  'hotline.inspection.read.all': ['supervisor', 'leader'],
  // bulk inspection over a month (starts a run, reads its progress)
  'hotline.inspection.run': ['supervisor'],
  // 每月一题: proposals and topics are read by the units that carry the tasks; the supervision office sets them
  'hotline.governance.read': ['handler', 'supervisor', 'leader'],
  'hotline.governance.manage': ['supervisor'],
  // a task's progress: its own unit's handler (checked in the service), or the supervision office
  'hotline.governance.task.update': ['handler', 'supervisor'],
  // the monthly report (月度通报): every unit's rates and scores, for the centre and the leaders
  'hotline.report.read': ['supervisor', 'leader'],
});

declare module '../../platform/auth/permissions.js' {
  interface Permissions extends Granted {}
}
type Granted = typeof governancePermissions;
