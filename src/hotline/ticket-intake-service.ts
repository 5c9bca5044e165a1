import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import type { Clock } from '../platform/clock/clock.js';
import type { Ledger } from '../platform/ledger/ledger.js';
import type { EventBus } from '../platform/events/index.js';
import { assertCan } from '../platform/auth/permissions.js';
import type { Actor } from '../platform/auth/roles.js';
import { invalidField, Problem } from '../platform/errors/problem.js';
import * as tickets from './ticket-store.js';
import type { NewTicketRow, TicketRow } from './ticket-store.js';
import * as reference from './reference-store.js';
import { citizenOnly } from './ticket-access.js';
import { addTicketChange, ticketEventRow, TicketChangeAnnouncer, type RecordedChange } from './ticket-changes.js';
import { GroupCommit } from '../platform/db/group-commit.js';
import { urgencies, type TicketChannel } from './ticket-enums.js';
import { ticketDay } from './ticket-number.js';
import { toTicketView } from './ticket-view.js';
import type { NewTicket, TicketView } from './schemas.js';
import type { PhotoService } from './photo-service.js';
import { TicketPersonalFields } from './ticket-personal-fields.js';

/** A category the classifier is sure enough of, for a ticket filed without one. */
export interface AutoCategory {
  categoryId: string;
  confidence: number;
  modelVersion: number | null;
}

/** Returns null when not sure enough: the ticket then waits for an agent to categorise it. */
export type AutoCategorizer = (title: string, content: string) => AutoCategory | null;

export interface TicketIntakeDeps {
  db: Db;
  ledger: Ledger;
  clock: Clock;
  /** Committed creates are announced on it (`TICKETS_CHANGED`), through `changes` when given (else at once). */
  events: EventBus;
  changes?: TicketChangeAnnouncer;
  /** The city's time zone: a ticket's number carries its local day. */
  timeZone: string;
  /** Links the filer's uploaded photos to the new ticket, in its transaction (issue 17). */
  photos?: Pick<PhotoService, 'attach'>;
  /** Seals the citizen's name, phone and address at rest (field encryption); plain when not given. */
  personal?: TicketPersonalFields;
  /** How long an Idempotency-Key is kept (config `modules.hotline.intake.idempotencyKeyHours`). */
  idempotencyKeyHours?: number;
  /** Most filings written in one transaction when they arrive together (config `modules.hotline.intake.maxBatch`). */
  maxBatch?: number;
}

/** The columns a ledger entry vouches for that a filing leaves to their default (null). */
const UNSET_BY_INTAKE = { unit_id: null, reply_text: null, result: null, visit_contacted: null, visit_solved: null, satisfaction: null } as const;

/** A filing checked and ready to be written: all but its number, its photos' attachments and its ledger entry. */
interface Filing {
  actor: Actor;
  /** The local day its number carries. */
  day: string;
  now: Date;
  photoIds: string[];
  /** What the filer listed, before its photos. */
  attachments: unknown[];
  /** The create event's details besides channel, number and photos. */
  details: Record<string, unknown>;
  inTransaction?: (trx: Db, ticketId: string, now: Date) => Promise<void>;
  row: Omit<NewTicketRow, 'number' | 'attachments'> & { id: string; category_id: string | null };
}

/** An Idempotency-Key: printable ASCII without spaces at the ends, as clients send UUIDs or similar. */
const KEY_PATTERN = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;

/** Thrown inside the filing's transaction when its key turned out taken: the filing rolls back. */
class KeyTaken extends Error {}

/**
 * Intake (受理): files a ticket in status `received` with the next number of the day, its timeline event and
 * ledger entry in one transaction, and announces it on the bus. The web form, agents, the Open311 facade and
 * API keys all file through it.
 *
 * @example const t = await hotline.intake.create(agent, { title: '路灯不亮', content: '…', areaId, categoryId });
 */
export class TicketIntakeService {
  private readonly dayOf: (at: Date) => string;
  private autoCategorizer: AutoCategorizer | undefined;
  private readonly personal: TicketPersonalFields;
  private readonly filings: GroupCommit<Filing, TicketRow>;
  private readonly changes: TicketChangeAnnouncer;

  constructor(private readonly deps: TicketIntakeDeps) {
    this.dayOf = ticketDay(deps.timeZone);
    this.changes = deps.changes ?? new TicketChangeAnnouncer(deps.events, 0);
    this.personal = deps.personal ?? new TicketPersonalFields();
    this.filings = new GroupCommit((filings) => this.fileAll(filings), deps.maxBatch ?? 32);
  }

  /** Files tickets that come without a category under the classifier's, when it is confident (set by the intel module). */
  useAutoCategorizer(categorizer: AutoCategorizer): void {
    this.autoCategorizer = categorizer;
  }

  /**
   * Files a ticket at most once per `Idempotency-Key` of a caller (issue 20): a retry after a lost answer (a node
   * died after committing) gets the ticket the key filed, `replayed`, instead of a second one, on any node; the
   * same key with another body is a 422. The key is held in the filing's transaction, so two racing requests
   * file one ticket. Only an identified caller (a user or an API key) may send one: keys are per caller.
   */
  async createOnce(actor: Actor, input: NewTicket, key: string): Promise<{ ticket: TicketView; replayed: boolean }> {
    if (!KEY_PATTERN.test(key)) throw invalidField('/headers/idempotency-key', 'printable ASCII, 1 to 255 characters');
    if ((actor.kind !== 'user' && actor.kind !== 'api_key') || !actor.id) throw invalidField('/headers/idempotency-key', 'only a signed-in user or an API key may send one');
    assertCan(actor, 'hotline.ticket.create');
    const caller = `${actor.kind}:${actor.id}`;
    // A token the facade generated (Open311) differs on every retry: what counts is that one was asked for.
    const asSent = typeof input.open311Token === 'string' ? { ...input, open311Token: true } : input;
    const bodyHash = createHash('sha256').update(JSON.stringify(asSent)).digest('hex');
    const replay = async (): Promise<{ ticket: TicketView; replayed: boolean } | undefined> => {
      const held = await tickets.findIntakeKey(this.deps.db, caller, key, this.deps.clock());
      if (!held) return undefined;
      if (held.body_hash !== bodyHash) throw new Problem('HOTLINE_IDEMPOTENCY_KEY_REUSED', { errors: [{ field: '/headers/idempotency-key', message: 'used for a different request' }] });
      const row = await tickets.findTicket(this.deps.db, held.ticket_id);
      if (!row) throw new Problem('HOTLINE_TICKET_NOT_FOUND');
      return { ticket: toTicketView(this.personal.open(row), actor), replayed: true };
    };
    const first = await replay();
    if (first) return first;
    const hours = this.deps.idempotencyKeyHours ?? 24;
    try {
      const ticket = await this.create(actor, input, async (trx, ticketId, now) => {
        const row = { caller, idem_key: key, body_hash: bodyHash, ticket_id: ticketId, expires_at: new Date(now.getTime() + hours * 3_600_000) };
        if (!(await tickets.claimIntakeKey(trx, row, now))) throw new KeyTaken();
      });
      return { ticket, replayed: false };
    } catch (err) {
      if (!(err instanceof KeyTaken)) throw err;
      // A filing with this key committed while this one ran: its answer.
      const again = await replay();
      if (!again) throw err;
      return again;
    }
  }

  /**
   * Deletes the Idempotency-Keys past their `idempotencyKeyHours` (the hotline's `purgeIntakeKeys` job, once per
   * period across the nodes); returns how many went. Keys still within their window stay, so a retry still gets
   * the first answer.
   */
  purgeExpiredKeys(): Promise<number> {
    return tickets.purgeExpiredIntakeKeys(this.deps.db, this.deps.clock());
  }

  /** Files a ticket in status `received` with the next number of the day (e.g. `20261126-000123`). */
  async create(actor: Actor, input: NewTicket, inTransaction?: (trx: Db, ticketId: string, now: Date) => Promise<void>): Promise<TicketView> {
    assertCan(actor, 'hotline.ticket.create');
    const { db, clock } = this.deps;
    const now = clock();
    const isCitizen = citizenOnly(actor);
    const channel: TicketChannel = input.channel ?? (actor.kind === 'api_key' ? 'open311' : isCitizen ? 'web' : 'phone');
    if (isCitizen && actor.kind === 'user' && !['web', 'app'].includes(channel)) {
      throw invalidField('channel', 'citizens file tickets on the web or the app');
    }
    if (!input.title?.trim()) throw invalidField('title', 'a title is required');
    if (!input.content?.trim()) throw invalidField('content', 'the content is required');
    const urgency = input.urgency ?? 'normal';
    if (!(urgencies as readonly string[]).includes(urgency)) throw invalidField('urgency', `one of ${urgencies.join(', ')}`);
    let districtId: string | null = null;
    if (input.areaId) {
      const area = await reference.findArea(db, input.areaId);
      if (!area) throw new Problem('HOTLINE_AREA_NOT_FOUND', { errors: [{ field: 'areaId', message: 'no such area' }] });
      districtId = area.level === 'district' ? area.id : area.parent_id;
    }
    if (input.categoryId && !(await reference.findCategory(db, input.categoryId))) {
      throw new Problem('HOTLINE_CATEGORY_NOT_FOUND', { errors: [{ field: 'categoryId', message: 'no such category' }] });
    }
    // 置信度高的自动分类: only for a ticket that names no category; below the threshold a person decides.
    const auto = input.categoryId ? null : (this.autoCategorizer?.(input.title, input.content) ?? null);
    const token = input.open311Token === true ? randomBytes(12).toString('hex') : (input.open311Token ?? null);
    const isPublic = input.public === true;
    const row = await this.filings.submit({
      actor,
      day: this.dayOf(now),
      now,
      photoIds: input.photoIds ?? [],
      attachments: input.attachments ?? [],
      details: { ...(isPublic ? { public: true } : {}), ...(auto ? { autoCategory: { category: auto.categoryId, confidence: auto.confidence, model: auto.modelVersion } } : {}) },
      inTransaction,
      row: {
        id: randomUUID(),
        channel,
        citizen_name: input.citizenName ?? null,
        citizen_phone: input.citizenPhone ?? null,
        citizen_user_id: isCitizen && actor.kind === 'user' ? (actor.id ?? null) : null,
        title: input.keepTextAsSent ? input.title : input.title.trim(),
        content: input.keepTextAsSent ? input.content : input.content.trim(),
        address: input.address ?? null,
        lon: input.lon ?? null,
        lat: input.lat ?? null,
        area_id: input.areaId ?? null,
        district_id: districtId,
        category_id: input.categoryId ?? auto?.categoryId ?? null,
        urgency,
        tags: input.tags ?? [],
        status: 'received',
        source: input.source ?? null,
        external_id: input.externalId ?? null,
        open311_token: token,
        open311_address_id: input.open311AddressId ?? null,
        // private unless the citizen (or Open311, a public API) asks for publication
        public: isPublic,
        created_at: now,
        updated_at: now,
      },
    });
    return toTicketView(row, actor);
  }

  /**
   * Writes filings that arrived together in one transaction (group commit, see GroupCommit). What needs only a
   * ticket's id (its Idempotency-Key, its photos; their references are checked at commit) runs first. Then one
   * round trip takes the days' numbers and the ledger's head (counter rows first, as the importer), and one more
   * writes the tickets, their events and their ledger entries: the serial part, which every node's intake queues
   * for, is two round trips and the commit per batch, however many tickets it files. Committed tickets are
   * announced on the bus.
   */
  private async fileAll(filings: Filing[]): Promise<TicketRow[]> {
    const { db, ledger } = this.deps;
    const rows = await db.transaction().execute(async (trx) => {
      const photos: Array<Awaited<ReturnType<PhotoService['attach']>>> = [];
      for (const f of filings) {
        await f.inTransaction?.(trx, f.row.id, f.now);
        photos.push(await this.deps.photos?.attach(trx, f.actor, f.row.id, f.photoIds) ?? []);
      }
      const days = filings.map((f) => f.day);
      const taking = tickets.ticketNumbersQuery(trx, days);
      const batch = await ledger.batch(trx, taking.query);
      const numbers = taking.numbers(batch.before);
      const changes: RecordedChange[] = filings.map((f, i) => ({
        action: 'create', from: null, to: 'received', at: f.now,
        details: { channel: f.row.channel, number: numbers[i], ...(photos[i].length ? { photos: photos[i].length } : {}), ...f.details },
      }));
      const plain = filings.map((f, i) => ({ ...f.row, number: numbers[i], attachments: JSON.stringify([...f.attachments, ...photos[i]]) }));
      // A new ticket's entry vouches for the row as inserted: what the filing does not set is null.
      plain.forEach((t, i) => addTicketChange(batch, filings[i].actor, { ...UNSET_BY_INTAKE, ...t }, changes[i]));
      let filed: TicketRow[] = [];
      batch.ride(
        tickets.insertTicketsWithEventsQuery(trx, plain.map((t) => this.personal.seal(t)), filings.map((f, i) => ticketEventRow(f.actor, f.row.id, changes[i]))),
        (returned) => {
          const byId = new Map((returned as TicketRow[]).map((r) => [r.id, r]));
          filed = plain.map((t) => byId.get(t.id)!);
        },
      );
      await batch.write();
      return filed.map((ticket) => this.personal.open(ticket));
    });
    this.changes.announce(rows.map((r) => r.id));
    return rows;
  }
}
