import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { HotlineDeadlines } from './config.js';
import * as tickets from './ticket-store.js';

const HOUR = 3_600_000;
const addHours = (d: Date, hours: number) => new Date(d.getTime() + hours * HOUR);

/** Hours to answer a ticket of this urgency. */
export const answerHours = (deadlines: HotlineDeadlines, urgency: string): number => {
  switch (urgency) {
    case 'emergency':
      return deadlines.emergencyHours;
    case 'urgent':
      return deadlines.urgentHours;
    case 'complex':
      return deadlines.complexHours;
    default:
      return deadlines.normalHours;
  }
};

/**
 * Deadlines (`modules.hotline.deadlines`): when a dispatched ticket must be signed for and an accepted one
 * answered, and the flags (sign_overdue, overdue, deadline_warning) the deadline job keeps up to date.
 */
export class DeadlineService {
  constructor(
    private readonly db: Db,
    /** The configured hours, read by the importer and the demo seed too. */
    readonly settings: HotlineDeadlines,
    private readonly clock: Clock,
  ) {}

  /** When a ticket dispatched at `at` must be signed for (签收). */
  signDueAt(at: Date): Date {
    return addHours(at, this.settings.signHours);
  }

  /** When a ticket of this urgency accepted at `at` must be answered (反馈). */
  answerDueAt(at: Date, urgency: string): Date {
    return addHours(at, answerHours(this.settings, urgency));
  }

  /**
   * Recomputes the deadline flags for `now` (the deadline job calls it every `deadlineJobIntervalSeconds`; tests
   * call it with a fake clock). Each flag is one idempotent UPDATE, so several nodes may run it at once.
   */
  async refreshDeadlines(now: Date = this.clock()): Promise<{ signOverdue: number; overdue: number; warning: number }> {
    const signOverdue = await tickets.markSignOverdue(this.db, now);
    const overdue = await tickets.markOverdue(this.db, now);
    const warning = await tickets.markDeadlineWarning(this.db, now, this.settings.warningFraction);
    return { signOverdue, overdue, warning };
  }
}
