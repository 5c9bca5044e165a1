import { definePermissions } from '../platform/auth/permissions.js';

/** Who may file, read and act on tickets, and manage the hotline's reference data. */
export const hotlinePermissions = definePermissions({
  // hotline: finer rules (own unit, own ticket, the workflow's roles per action) are in src/hotline/ticket-workflow.ts
  'hotline.ticket.create': ['citizen', 'agent', 'supervisor'],
  'hotline.ticket.read': ['citizen', 'agent', 'handler', 'supervisor', 'leader'],
  'hotline.ticket.act': ['citizen', 'agent', 'handler', 'supervisor'],
  // issue 17: "+1 / 关注" and nearby open appeals while filing; a citizen's own notices and contact details
  'hotline.ticket.follow': ['citizen'],
  'hotline.citizen.self': ['citizen'],
  'hotline.reference.read': ['citizen', 'agent', 'handler', 'supervisor', 'leader', 'data_admin'],
  'hotline.reference.manage': [],
  // `cityhub import tickets`: bulk history import (admin only; runs from the CLI as the system actor)
  'hotline.import': [],
});

declare module '../platform/auth/permissions.js' {
  interface Permissions extends Granted {}
}
type Granted = typeof hotlinePermissions;
