import { createHash } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { Clock } from '../clock/clock.js';
import type { Config } from '../config/config.js';
import type { Ledger, LedgerFacts } from '../ledger/ledger.js';
import { parseEntryBody } from '../ledger/entry-body.js';
import type { EntryRecord } from '../ledger/ledger-service.js';
import { assertCan, can } from '../auth/permissions.js';
import { actorRef, systemActor, type Actor } from '../auth/roles.js';
import type { DeniedRequest } from '../http/access.js';
import { Problem } from '../errors/problem.js';
import { csvLine } from '../csv/csv-writer.js';
import * as store from './audit-store.js';
import { AlertFeed, type AlertSnapshot } from './alert-feed.js';
import { archiveTrail, type ArchivedDay } from './audit-archive.js';

export type AuditSettings = Config['audit'];

/** One audit record as auditors and users read it: a ledger entry without its proof material. */
export type TrailRecord = EntryRecord;

export interface AuditAlert {
  kind: 'repeated_denials' | 'unusual_reads';
  actor: string;
  address: string | null;
  count: number;
  windowMinutes: number;
  threshold: number;
  lastAt: string;
}

/** What personal data a read touched: a ticket with the citizen's details, a dataset graded sensitive. */
export type PersonalDataKind = 'ticket' | 'dataset';

const MAX_PAGE = 500;
/** An export is bounded like any answer: a longer period is exported in parts. */
const MAX_EXPORT = 100_000;
const DAY_MS = 86_400_000;

const toRecord = (row: { idx: number | string; kind: string; actor: string; subject: string; created_at: Date | string; body: string }): TrailRecord => ({
  index: Number(row.idx),
  kind: row.kind,
  actor: row.actor,
  subject: row.subject,
  time: new Date(row.created_at).toISOString(),
  facts: parseEntryBody(row.body)?.facts ?? {},
});

/**
 * The audit trail (GB/T 22239-2019 8.1.4.3 安全审计): what is recorded beyond each module's own entries (denied
 * requests, reads of personal data, configuration changes), who may read it (auditors everything, the operation
 * supervisor the operation entries, everyone the entries about themselves), its export, and the alerts shown
 * to the security administrator. Records go into the ledger, so they are as tamper-evident as the rest.
 */
export class AuditService {
  private pendingWrites = new Set<Promise<unknown>>();
  private readonly feed: AlertFeed;

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    private readonly settings: AuditSettings,
    private readonly onError: (err: unknown) => void,
  ) {
    this.feed = new AlertFeed(() => this.computeAlerts(), () => this.settings.alertCheckSeconds, onError);
  }

  /**
   * Records a refused request: who (the actor, or `anonymous` and the address), what (method and route pattern,
   * status, problem code), when, from where. Past `deniedPerMinute` for one actor and address — counted in the
   * database, so on all nodes together — one `audit.access.denied_burst` entry stands for the rest of that minute.
   */
  recordDenied(denied: DeniedRequest): void {
    const minute = Math.floor(this.clock().getTime() / 60_000);
    const limit = this.settings.deniedPerMinute;
    this.track(store.countDenial(this.db, `${actorRef(denied.actor)}|${denied.address}`, minute).then((count) => {
      if (count > limit + 1) return undefined;
      return count > limit
        ? this.ledger.append('audit.access.denied_burst', denied.actor, `address:${denied.address}`, { address: denied.address, limitPerMinute: limit })
        : this.ledger.append('audit.access.denied', denied.actor, `route:${denied.method} ${denied.route}`, {
          method: denied.method, route: denied.route, status: denied.status, code: denied.code ?? null, address: denied.address,
        });
    }));
  }

  /**
   * The audit trail's periodic keeping, run once per period across the nodes (a claimed job, app.ts): first the
   * export — every whole day not yet archived into `audit.archiveDir`, when set — and only after it the pruning of
   * what is kept shorter (the denial counts, a day). Ledger entries are never pruned (see pruneDenialCounts).
   */
  async keepTrail(): Promise<{ archived: ArchivedDay[]; prunedCounts: number }> {
    const archived = this.settings.archiveDir ? await archiveTrail(this.db, this.ledger, this.settings.archiveDir, this.clock()) : [];
    return { archived, prunedCounts: await this.pruneDenialCounts() };
  }

  /**
   * Drops denial counts older than a day: they only bound the current minute. Ledger entries are never pruned —
   * deleting one would break every root and checkpoint after it (docs/security.md, retention).
   */
  async pruneDenialCounts(): Promise<number> {
    return store.pruneDenialCounts(this.db, Math.floor(this.clock().getTime() / 60_000) - DAY_MS / 60_000);
  }

  /**
   * Records a read of personal data (a ticket shown with the citizen's name and phone) or of a dataset graded
   * sensitive, in the reader's transaction when given one.
   *
   * @example await audit.recordRead(actor, 'ticket', `ticket:${id}`);
   */
  async recordRead(actor: Actor, what: PersonalDataKind, subject: string, facts: LedgerFacts = {}): Promise<void> {
    await this.ledger.append('audit.personal_data.read', actor, subject, { what, address: actor.address ?? null, ...facts });
  }

  /**
   * Records the configuration in force when it differs from the last one recorded (a changed file or environment
   * between starts): its SHA-256, never its values (they hold keys).
   */
  async recordConfiguration(config: unknown): Promise<void> {
    const hash = createHash('sha256').update(JSON.stringify(config)).digest('hex');
    const last = await store.latestOfKind(this.db, 'audit.config.changed');
    const previous = last ? (parseEntryBody(last.body)?.facts.sha256 as string | undefined) ?? null : null;
    if (previous === hash) return;
    await this.ledger.append('audit.config.changed', systemActor('boot', []), 'config', { sha256: hash, previous });
  }

  /** The records about the caller: what they did and what was done to their account. */
  async mine(actor: Actor, options: { before?: number; limit?: number }): Promise<TrailRecord[]> {
    assertCan(actor, 'session.self');
    const rows = await store.listTrail(this.db, { about: actorRef(actor), beforeIndex: options.before, limit: Math.min(options.limit ?? 100, MAX_PAGE) });
    return rows.map(toRecord);
  }

  /** The trail for auditors; the operation supervisor sees the operation entries only. */
  async trail(actor: Actor, options: { before?: number; limit?: number; about?: string; kind?: string; from?: string; to?: string }): Promise<TrailRecord[]> {
    assertCan(actor, 'ledger.read');
    const range = this.range(options.from, options.to, false);
    const scope = this.scopeOf(actor);
    const kinds = options.kind ? [options.kind] : undefined;
    if (scope && kinds && !kinds.every((k) => scope.some((p) => k.startsWith(p)))) return [];
    const rows = await store.listTrail(this.db, {
      about: options.about, kindPrefixes: kinds ?? scope, from: range.from, to: range.to, beforeIndex: options.before, limit: Math.min(options.limit ?? 100, MAX_PAGE),
    });
    return rows.map(toRecord);
  }

  /**
   * The trail over a period as CSV or JSON (default: the retention period up to now), for keeping beyond the
   * database; the export itself is recorded.
   */
  async export(actor: Actor, options: { from?: string; to?: string; format: 'csv' | 'json' }): Promise<{ body: string; count: number; filename: string }> {
    assertCan(actor, 'audit.trail.read');
    const range = this.range(options.from, options.to, true);
    const rows = (await store.listTrail(this.db, { from: range.from, to: range.to, limit: MAX_EXPORT + 1 })).map(toRecord).reverse();
    if (rows.length > MAX_EXPORT) {
      throw new Problem('AUDIT_BAD_RANGE', { detail: `more than ${MAX_EXPORT} records: export a shorter period`, errors: [{ field: '/query/from', message: 'period too long' }] });
    }
    await this.ledger.append('audit.trail.exported', actor, 'ledger', {
      from: range.from!.toISOString(), to: range.to!.toISOString(), format: options.format, count: rows.length, address: actor.address ?? null,
    });
    const name = `audit-${range.from!.toISOString().slice(0, 10)}-${range.to!.toISOString().slice(0, 10)}.${options.format}`;
    if (options.format === 'json') return { body: JSON.stringify(rows), count: rows.length, filename: name };
    const header = ['index', 'time', 'kind', 'actor', 'subject', 'address', 'facts'];
    const lines = rows.map((r) => csvLine([r.index, r.time, r.kind, r.actor, r.subject, r.facts.address ?? '', JSON.stringify(r.facts)]));
    return { body: `\uFEFF${[csvLine(header), ...lines].join('\r\n')}\r\n`, count: rows.length, filename: name };
  }

  /** How long records are kept and how far back the trail reaches (for the auditor's screen). */
  async retention(actor: Actor): Promise<{ retentionDays: number; oldest: string | null; pruned: false }> {
    assertCan(actor, 'audit.trail.read');
    const oldest = await store.oldestEntryTime(this.db);
    return { retentionDays: this.settings.retentionDays, oldest: oldest?.toISOString() ?? null, pruned: false };
  }

  /**
   * The alerts of the last `alerts.windowMinutes`: an actor or address with `deniedThreshold` or more denials and
   * failed logins, an actor with `readThreshold` or more reads of personal data. Computed from the trail, so
   * every node shows the same.
   */
  async alerts(actor: Actor): Promise<AuditAlert[]> {
    assertCan(actor, 'audit.alert.read');
    return this.computeAlerts();
  }

  /**
   * The alerts pushed to the security administrator's screen by long polling: at once when they differ from the
   * version the caller holds (`since`), else as soon as they change within `waitSeconds`, else the same version.
   *
   * @example let v; for (;;) { const next = await audit.nextAlerts(actor, v, 25); v = next.version; show(next.alerts); }
   */
  async nextAlerts(actor: Actor, since: string | undefined, waitSeconds: number): Promise<AlertSnapshot> {
    assertCan(actor, 'audit.alert.read');
    return this.feed.next(since, waitSeconds);
  }

  /** Answers the long polls still waiting (shutdown). */
  stopAlertFeed(): void {
    this.feed.stop();
  }

  private async computeAlerts(): Promise<AuditAlert[]> {
    const { windowMinutes, deniedThreshold, readThreshold } = this.settings.alerts;
    const since = new Date(this.clock().getTime() - windowMinutes * 60_000);
    const [denials, reads] = await Promise.all([store.countDenials(this.db, since, deniedThreshold), store.countReads(this.db, since, readThreshold)]);
    return [
      ...denials.map((d) => ({ kind: 'repeated_denials' as const, actor: d.actor, address: d.address, count: Number(d.n), windowMinutes, threshold: deniedThreshold, lastAt: new Date(d.last_at as Date).toISOString() })),
      ...reads.map((r) => ({ kind: 'unusual_reads' as const, actor: r.actor, address: null, count: Number(r.n), windowMinutes, threshold: readThreshold, lastAt: new Date(r.last_at as Date).toISOString() })),
    ];
  }

  /** Whether the actor may read a ledger entry: auditors all, the operation supervisor operation entries, anyone their own. */
  mayReadEntry(actor: Actor, entry: { kind: string; actor: string; subject: string }): boolean {
    const scope = this.scopeOf(actor);
    if (can(actor, 'ledger.read') && (!scope || scope.some((p) => entry.kind.startsWith(p)))) return true;
    const me = actorRef(actor);
    return actor.kind !== 'anonymous' && (entry.actor === me || entry.subject === me);
  }

  /** Settles when the denial records written so far are in the ledger (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.pendingWrites]);
  }

  /** The kinds an actor with `ledger.read` sees: all for auditors, the operation entries for the operation supervisor. */
  private scopeOf(actor: Actor): string[] | undefined {
    return actor.roles.includes('audit_admin') ? undefined : ['operation.'];
  }

  private range(from: string | undefined, to: string | undefined, defaultToRetention: boolean): { from?: Date; to?: Date } {
    const parse = (text: string | undefined, field: string): Date | undefined => {
      if (text === undefined) return undefined;
      const d = new Date(text);
      if (Number.isNaN(d.getTime())) throw new Problem('AUDIT_BAD_RANGE', { errors: [{ field: `/query/${field}`, message: 'not a date-time' }] });
      return d;
    };
    const now = this.clock();
    // `to` is exclusive: by default just after now, so what happened this millisecond is in.
    const end = parse(to, 'to') ?? (defaultToRetention ? new Date(now.getTime() + 1) : undefined);
    const start = parse(from, 'from') ?? (defaultToRetention ? new Date(now.getTime() - this.settings.retentionDays * DAY_MS) : undefined);
    if (start && end && start >= end) throw new Problem('AUDIT_BAD_RANGE', { errors: [{ field: '/query/from', message: 'must be before to' }] });
    return { from: start, to: end };
  }

  private track(write: Promise<unknown>): void {
    const tracked = write.catch((err: unknown) => this.onError(err)).finally(() => this.pendingWrites.delete(tracked));
    this.pendingWrites.add(tracked);
  }
}
