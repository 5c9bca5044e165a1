import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Actor } from '../platform/auth/roles.js';
import { Problem } from '../platform/errors/problem.js';
import { FailureThrottle } from '../platform/throttle/failure-throttle.js';
import type { HotlineConfig } from './config.js';
import * as tickets from './ticket-store.js';
import { isOwnTicket } from './ticket-access.js';
import { allowedActions, workflowTicket } from './ticket-workflow.js';
import { toPublicEventView, toPublicTicketView } from './ticket-view.js';
import type { TrackResult } from './schemas.js';
import { TicketPersonalFields } from './ticket-personal-fields.js';


/**
 * The public lookup (查询进度): anyone holding the ticket number and the phone given when filing sees its status,
 * timeline and reply — nothing else personal.
 */
export class TicketTrackingService {
  /** Misses per client address and per number (in the database: one limit for all nodes). */
  private readonly throttle: FailureThrottle;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    settings: HotlineConfig['track'],
    /** The handling unit's name (an organisation's, never a person's), shown with the progress. */
    private readonly unitName: (orgId: string) => Promise<string | null> = async () => null,
    /** Opens the sealed phone to compare it (field encryption). */
    private readonly personal = new TicketPersonalFields(),
  ) {
    this.throttle = new FailureThrottle(db, 'hotline.track', settings);
  }

  /**
   * An unknown number and a wrong phone are the same HOTLINE_TICKET_NOT_FOUND, and misses are counted per client
   * address and per number: past `track.maxFailures` in `track.windowSeconds`, HOTLINE_TRACK_RATE_LIMITED with
   * the seconds to wait.
   *
   * @example await hotline.tracking.track(anonymous, '20261126-000001', '13800001234', request.ip)
   */
  async track(actor: Actor, number: string, phone: string, clientAddress: string): Promise<TrackResult> {
    const now = this.clock();
    const keys = [`a:${clientAddress}`, `n:${number.trim()}`];
    const wait = await this.throttle.retryAfter(keys, now);
    if (wait > 0) throw new Problem('HOTLINE_TRACK_RATE_LIMITED', { detail: `try again in ${wait} s`, retryAfterSeconds: wait });
    const found = await tickets.findTicketByNumber(this.db, number.trim());
    const row = found && this.personal.open(found);
    if (!row || !this.personal.samePhone(row.citizen_phone, phone)) {
      await this.throttle.recordFailure(keys, now);
      // the same answer for both, so the lookup does not tell which numbers exist
      throw new Problem('HOTLINE_TICKET_NOT_FOUND', { detail: 'no ticket with this number and phone' });
    }
    const allowed = isOwnTicket(actor, row) ? allowedActions(workflowTicket(row), actor) : [];
    const events = await tickets.listTicketEvents(this.db, row.id);
    const unit = row.unit_id ? await this.unitName(row.unit_id) : null;
    return { ticket: toPublicTicketView(row, allowed, unit), timeline: events.map(toPublicEventView) };
  }
}
