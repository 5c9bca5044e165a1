import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Actor } from '../platform/auth/roles.js';
import { assertCan } from '../platform/auth/permissions.js';
import { TicketPersonalFields } from './ticket-personal-fields.js';
import * as store from './citizen-store.js';
import type { TicketChange } from './ticket-changes.js';
import type { MyContact, NoticeList } from './citizen-schemas.js';

/** The workflow actions a citizen hears about (the others are the centre's internal steps). */
const noticeActions = new Set(['dispatch', 'accept', 'answer', 'visit', 'close', 'reopen', 'merge']);

/** A notice as an adapter receives it: what happened to which ticket, and where to send it. */
export interface OutgoingNotice {
  id: string;
  userId: string;
  ticketId: string;
  number: string;
  /** dispatch | accept | answer | redo | close | reopen | merge */
  kind: string;
  status: string;
  /** the phone given when filing, for SMS; null when none */
  phone: string | null;
  createdAt: Date;
}

/**
 * A way to reach citizens outside the app (SMS gateway, WeChat template messages). CityHub ships no sender: a city
 * installs its own with `hotline.notices.useChannel(…)`; the delivery job hands it each undelivered notice. A
 * channel that throws leaves the notice undelivered, to be tried again on the next run.
 */
export interface NoticeChannel {
  /** `sms`, `wechat`, … (logs) */
  name: string;
  send(notice: OutgoingNotice): Promise<void>;
}

/**
 * Notices to citizens (issue 17): written in the transaction of each workflow action that matters to the citizen
 * who filed the ticket and to those who follow it (+1), listed in the app, and delivered through the installed
 * channels by the `deliverNotices` job (an outbox: a notice is never lost, a channel may be retried).
 */
export class NoticeService {
  private readonly channels: NoticeChannel[] = [];

  /** `leaseSeconds`: how long a node may take to send a claimed notice before another node may send it. */
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly leaseSeconds: number,
    /** Opens the sealed name and phone (field encryption). */
    private readonly personal = new TicketPersonalFields(),
  ) {}

  useChannel(channel: NoticeChannel): void {
    this.channels.push(channel);
  }

  /** The workflow hook (TicketChangeHook): who hears about this change, in its transaction. */
  readonly onTicketChange = async (trx: Db, change: TicketChange): Promise<void> => {
    const { action, after, at } = change;
    if (!noticeActions.has(action)) return;
    // a rating that sent the case back (the visit moved it to dispatched) is told as a redo
    const kind = action === 'visit' && after.status !== 'visited' ? 'redo' : action;
    if (action === 'visit' && kind !== 'redo') return; // the citizen's own rating needs no notice to themselves
    const users = new Set((await store.listFollowers(trx, after.id)).map((f) => f.user_id));
    if (after.citizen_user_id) users.add(after.citizen_user_id);
    await store.insertNotices(trx, [...users].map((userId) => ({
      user_id: userId, ticket_id: after.id, kind, number: after.number, status: after.status, created_at: at,
    })));
  };

  /** The caller's notices, newest first, and how many are unread. */
  async list(actor: Actor, limit = 50): Promise<NoticeList> {
    assertCan(actor, 'hotline.citizen.self');
    if (actor.kind !== 'user' || !actor.id) return { items: [], unread: 0 };
    const rows = await store.listNotices(this.db, actor.id, limit);
    return {
      items: rows.map((r) => ({
        id: r.id, ticketId: r.ticket_id, number: r.number, kind: r.kind, status: r.status,
        createdAt: new Date(r.created_at).toISOString(), read: r.read_at !== null,
      })),
      unread: await store.countUnreadNotices(this.db, actor.id),
    };
  }

  /** Marks the caller's notices read (all of them, or these ids); someone else's ids change nothing. */
  async markRead(actor: Actor, ids: string[] | 'all'): Promise<NoticeList> {
    assertCan(actor, 'hotline.citizen.self');
    if (actor.kind === 'user' && actor.id) await store.markNoticesRead(this.db, actor.id, ids, this.clock());
    return this.list(actor);
  }

  /** The caller's name and phone as given on their latest filing, to prefill the next one. */
  async myContact(actor: Actor): Promise<MyContact> {
    assertCan(actor, 'hotline.citizen.self');
    const row = actor.kind === 'user' && actor.id ? await store.findLatestContact(this.db, actor.id) : undefined;
    const contact = row ? this.personal.open(row) : undefined;
    return { name: contact?.citizen_name ?? null, phone: contact?.citizen_phone ?? null };
  }

  /**
   * The delivery job: claims undelivered notices and hands each to every channel; without channels there is
   * nothing to do. Each node runs it; a claimed notice is this node's alone until its lease ends (a node killed
   * mid-send leaves it to another then: at least once). A failing channel hands the rest of the batch back.
   */
  async deliver(batch = 100): Promise<number> {
    if (this.channels.length === 0) return 0;
    const now = this.clock();
    const claimed = await store.claimUndeliveredNotices(this.db, now, new Date(now.getTime() + this.leaseSeconds * 1000), batch);
    try {
      return await this.send(claimed);
    } catch (err) {
      // the ones already sent are marked delivered and stay so; the rest go back at once
      await store.releaseNotices(this.db, claimed.map((n) => n.id));
      throw err;
    }
  }

  private async send(claimed: Awaited<ReturnType<typeof store.claimUndeliveredNotices>>): Promise<number> {
    let delivered = 0;
    for (const n of claimed) {
      const outgoing: OutgoingNotice = {
        id: n.id, userId: n.user_id, ticketId: n.ticket_id, number: n.number, kind: n.kind, status: n.status,
        // the phone is the filer's; followers are reached in the app only
        phone: n.user_id === n.citizen_user_id ? this.personal.open({ number: n.number, citizen_phone: n.citizen_phone }).citizen_phone ?? null : null, createdAt: new Date(n.created_at),
      };
      for (const channel of this.channels) await channel.send(outgoing);
      await store.markNoticeDelivered(this.db, n.id, this.clock());
      delivered++;
    }
    return delivered;
  }
}
