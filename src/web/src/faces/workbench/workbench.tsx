import { useAuth } from '../../auth.js';
import { useRoute } from '../../router.js';
import { IntelAdmin } from './intel-admin.js';
import { NewCall } from './new-call.js';
import { QueueView } from './queue-view.js';
import { intelRoles, ticketRoles } from './roles.js';
import { ShareInbox } from './share-inbox.js';
import { TicketDetail } from './ticket-detail.js';

/**
 * 工作台: a queue per role, ticket detail with the timeline and the actions allowed now, bulk actions, keys; the
 * sharing-request inbox (共享申请) for data owners, the data bureau and units that asked for data.
 */
export function Workbench() {
  const route = useRoute();
  const { hasRole } = useAuth();
  const segments = route.path.split('/').filter(Boolean);
  if (segments[1] === 't' && segments[2]) return <TicketDetail id={segments[2]} />;
  if (segments[1] === 'new') return <NewCall />;
  if (segments[1] === 'intel' && hasRole(...intelRoles)) return <IntelAdmin />;
  if (segments[1] === 'share' || !hasRole(...ticketRoles)) return <ShareInbox />;
  return <QueueView />;
}
