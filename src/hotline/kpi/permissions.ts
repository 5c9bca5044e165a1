import { definePermissions } from '../../platform/auth/permissions.js';

/** Who may read the three rates (三率). */
export const kpiPermissions = definePermissions({
  // the three rates: a handler sees its own unit only (src/hotline/kpi/kpi-service.ts); .all = the whole city
  'hotline.kpi.read': ['agent', 'handler', 'supervisor', 'leader'],
  'hotline.kpi.read.all': ['agent', 'supervisor', 'leader'],
});

declare module '../../platform/auth/permissions.js' {
  interface Permissions extends Granted {}
}
type Granted = typeof kpiPermissions;
