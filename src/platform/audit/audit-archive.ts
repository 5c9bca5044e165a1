import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import type { Db } from '../db/database.js';
import type { Ledger } from '../ledger/ledger.js';
import { parseEntryBody } from '../ledger/entry-body.js';
import { systemActor } from '../auth/roles.js';
import * as store from './audit-store.js';

const DAY_MS = 86_400_000;
/** Days archived per run at most: a long backlog is caught up over several runs, each of them short. */
const MAX_DAYS_PER_RUN = 31;
const PAGE = 5000;

export interface ArchivedDay {
  day: string;
  file: string;
  count: number;
  sha256: string;
}

const dayOf = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * Exports the audit trail day by day (UTC) into `dir` (GB/T 22239-2019 8.1.4.3 c: records kept beyond the
 * database): each whole day not archived yet becomes `audit-<day>.jsonl.gz` — one record per line as the trail
 * shows them, with the hashed body, so each line can be checked against the ledger's leaf hashes — written
 * through a temporary name and renamed (a run cut short leaves no half file; a run again writes the same bytes),
 * then recorded in the ledger as `audit.trail.archived` with the file's SHA-256. Returns the days archived.
 *
 * @example const days = await archiveTrail(db, ledger, '/srv/audit-archive', new Date());
 */
export async function archiveTrail(db: Db, ledger: Ledger, dir: string, now: Date): Promise<ArchivedDay[]> {
  const last = await store.latestOfKind(db, 'audit.trail.archived');
  const lastDay = last ? (parseEntryBody(last.body)?.facts.day as string | undefined) : undefined;
  const oldest = await store.oldestEntryTime(db);
  if (!oldest) return [];
  let day = lastDay ? new Date(Date.parse(`${lastDay}T00:00:00Z`) + DAY_MS) : new Date(Date.parse(`${dayOf(oldest)}T00:00:00Z`));
  const today = Date.parse(`${dayOf(now)}T00:00:00Z`);
  const done: ArchivedDay[] = [];
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  while (day.getTime() < today && done.length < MAX_DAYS_PER_RUN) {
    const end = new Date(day.getTime() + DAY_MS);
    const lines: string[] = [];
    for (let after = -1; ;) {
      const rows = await store.listPeriodAscending(db, day, end, after, PAGE);
      for (const r of rows) {
        lines.push(JSON.stringify({ index: Number(r.idx), time: new Date(r.created_at).toISOString(), kind: r.kind, actor: r.actor, subject: r.subject, body: r.body }));
      }
      if (rows.length < PAGE) break;
      after = Number(rows.at(-1)!.idx);
    }
    const text = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
    const name = `audit-${dayOf(day)}.jsonl.gz`;
    const file = path.join(dir, name);
    writeFileSync(`${file}.tmp`, gzipSync(text), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    await ledger.append('audit.trail.archived', systemActor('audit-archive', []), `archive:${dayOf(day)}`, { day: dayOf(day), file: name, count: lines.length, sha256 });
    done.push({ day: dayOf(day), file, count: lines.length, sha256 });
    day = end;
  }
  return done;
}
