/**
 * Writes one fold of the leakage-free Teddy Cup split (teddycup-split.ts) as CSV files, so that
 * `cityhub hotline eval` can be run on our own held-out messages and print accuracy, macro-F1 and the
 * calibration (expected calibration error) of the probabilities it would show:
 *
 *   node --import tsx bench/intel/write-teddycup-split.ts --fold 0 [--folds 5] --out /tmp/split
 *   node --import tsx src/cli/main.ts hotline eval --train /tmp/split/train.csv --test /tmp/split/test.csv
 *
 * One fold holds about 90 messages; pooled figures over all folds come from classifier.bench.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { csvLine } from '../../src/platform/csv/csv-writer.js';
import { loadTeddyData, makeSplit } from './teddycup-split.js';
import type { LabeledText } from '../../src/hotline/intel/text-classifier.js';

const { values } = parseArgs({ options: { fold: { type: 'string', default: '0' }, folds: { type: 'string', default: '5' }, out: { type: 'string' } } });
const folds = Number(values.folds);
const fold = Number(values.fold);
if (!values.out || !Number.isInteger(fold) || fold < 0 || fold >= folds) {
  console.error('usage: write-teddycup-split.ts --fold K (0 ≤ K < folds) [--folds 5] --out DIR');
  process.exit(2);
}
const toCsv = (rows: readonly LabeledText[]): string =>
  `${['title', 'detail', 'label'].join(',')}\n${rows.map((r) => csvLine([r.title ?? '', r.detail ?? '', r.label])).join('\n')}\n`;

const split = makeSplit(await loadTeddyData(), fold, folds);
mkdirSync(values.out, { recursive: true });
writeFileSync(path.join(values.out, 'train.csv'), toCsv(split.train));
writeFileSync(path.join(values.out, 'test.csv'), toCsv(split.test));
console.log(`fold ${fold} of ${folds}: ${split.train.length} training rows (${split.removedForLeakage} equal to a test text left out), ${split.test.length} test messages → ${values.out}`);
