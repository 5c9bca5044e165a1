/**
 * A leakage-free evaluation split of the Teddy Cup 2020 C messages (teddycup2020c in CITYHUB_SHARED_DATA, default ../shared/data).
 *
 * Held-out items are labelled messages that have BOTH a title and a body (the case the issue's goal is about):
 * the union of messages_labeled_sample.csv and the rows of messages_details_labeled.csv that carry a title,
 * deduplicated by body. They are put into `folds` folds by a hash of their normalised title, so the split is
 * deterministic and independent of file order. For a test fold, training gets every other labelled text
 * EXCEPT any title or body that equals (after normalisation) a title or body of a test message: the titles
 * file and the details file hold the same messages as the full rows, so without this the model would see
 * the test messages' titles or bodies with their labels.
 */
import path from 'node:path';
import { readCsvRecords } from '../../src/platform/csv/csv-reader.js';
import { requireSharedData } from '../../test/support/shared-data.js';
import { hashString } from '../../src/hotline/intel/feature-hashing.js';
import { comparisonKey } from '../../src/hotline/intel/text-normalize.js';
import type { LabeledText } from '../../src/hotline/intel/text-classifier.js';
import type { UnlabeledText } from '../../src/hotline/intel/text-classifier.js';

export const teddyDir = requireSharedData('teddycup2020c');

/** Comparison key: letters and digits only (drops punctuation, spaces, width differences). */
export const textKey = comparisonKey;

async function readAll(file: string): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  for await (const r of readCsvRecords(path.join(teddyDir, file))) rows.push(r.values);
  return rows;
}

export interface TeddyData {
  /** Labelled messages with both title and body (the held-out pool). */
  full: LabeledText[];
  /** Labelled titles only. */
  titles: LabeledText[];
  /** Labelled bodies whose title is unknown. */
  bodies: LabeledText[];
  /** Unlabelled messages with title and body (official test set, hot messages, messages with replies). */
  unlabeled: UnlabeledText[];
}

export async function loadTeddyData(): Promise<TeddyData> {
  const [titleRows, detailRows, sampleRows] = await Promise.all([
    readAll('messages_titles_labeled.csv'),
    readAll('messages_details_labeled.csv'),
    readAll('messages_labeled_sample.csv'),
  ]);
  const full: LabeledText[] = [];
  const seenBody = new Set<string>();
  for (const r of [...sampleRows, ...detailRows]) {
    if (!r.title || !r.detail || !r.label || r.label_conflict === '1') continue;
    const k = textKey(r.detail);
    if (seenBody.has(k)) continue;
    seenBody.add(k);
    full.push({ title: r.title, detail: r.detail, label: r.label });
  }
  const bodies: LabeledText[] = [];
  for (const r of detailRows) {
    if (r.title || !r.detail || !r.label || r.label_conflict === '1') continue;
    if (seenBody.has(textKey(r.detail))) continue;
    bodies.push({ detail: r.detail, label: r.label });
  }
  const titles: LabeledText[] = titleRows.filter((r) => r.title && r.label).map((r) => ({ title: r.title, label: r.label }));
  const unlabeled: UnlabeledText[] = [];
  for (const file of ['messages_unlabeled_test.csv', 'messages_hot.csv', 'messages_replies.csv']) {
    for (const r of await readAll(file)) if (r.title || r.detail) unlabeled.push({ title: r.title, detail: r.detail });
  }
  return { full, titles, bodies, unlabeled };
}

export const foldOf = (item: LabeledText, folds: number): number => hashString(textKey(item.title), 0x7e57) % folds;

export interface Split {
  train: LabeledText[];
  test: LabeledText[];
  unlabeled: UnlabeledText[];
  /** Training texts dropped because they equal a test title or body. */
  removedForLeakage: number;
}

/** The train/test split for one fold; unlabelled messages equal to a test message are dropped too. */
export function makeSplit(data: TeddyData, fold: number, folds: number): Split {
  const test = data.full.filter((m) => foldOf(m, folds) === fold);
  const testKeys = new Set<string>();
  for (const m of test) {
    testKeys.add(textKey(m.title));
    testKeys.add(textKey(m.detail));
  }
  const leaks = (m: { title?: string; detail?: string }): boolean =>
    (!!m.title && testKeys.has(textKey(m.title))) || (!!m.detail && testKeys.has(textKey(m.detail)));
  const candidates = [...data.full.filter((m) => foldOf(m, folds) !== fold), ...data.titles, ...data.bodies];
  const train = candidates.filter((m) => !leaks(m));
  const unlabeled = data.unlabeled.filter((m) => !leaks(m));
  return { train, test, unlabeled, removedForLeakage: candidates.length - train.length };
}
