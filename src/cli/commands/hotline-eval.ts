import type { Command, OptionValues } from '../command.js';
import { readCsvRecords } from '../../platform/csv/csv-reader.js';
import {
  calibrationReport,
  classificationReport,
  formatCalibrationReport,
  formatClassificationReport,
} from '../../hotline/intel/classification-metrics.js';
import { TextClassifier, type LabeledText, type UnlabeledText } from '../../hotline/intel/text-classifier.js';

const usage = `--train A.csv [--train B.csv …] --test T.csv [--unlabeled U.csv …] [--json]

Trains the hotline category classifier on the --train files only, predicts every row of --test and prints
accuracy, macro-F1, per-class precision/recall/F1, the confusion matrix and how well the model's confidence is
calibrated (expected calibration error over 10 bins, with the reliability table). Progress goes to stderr.

Each CSV (RFC 4180, UTF-8, optional BOM) needs a "label" column and a "title" and/or a "detail" column;
either text may be empty in a row, other columns are ignored. Rows without a label or without any text are
skipped in training; in --test a row without text is predicted from nothing (and counts as an error if wrong).

  --train FILE       labelled training file (repeatable)
  --test FILE        labelled test file
  --unlabeled FILE   optional unlabelled messages (title/detail) for document frequencies and self-training
  --json             print the result as one JSON object on the last stdout line`;

interface Row extends LabeledText {
  line: number;
}

/** Reads labelled rows; rows with no label are reported as skipped. */
async function readLabeled(file: string, requireText: boolean): Promise<{ rows: Row[]; skipped: number }> {
  const rows: Row[] = [];
  let skipped = 0;
  let checked = false;
  for await (const { line, values } of readCsvRecords(file)) {
    if (!checked) {
      checked = true;
      if (!('label' in values)) throw new Error(`${file}: no "label" column`);
      if (!('title' in values) && !('detail' in values)) throw new Error(`${file}: needs a "title" or a "detail" column`);
    }
    const label = (values.label ?? '').trim();
    const title = values.title?.trim() || undefined;
    const detail = values.detail?.trim() || undefined;
    if (!label || (requireText && !title && !detail)) {
      skipped++;
      continue;
    }
    rows.push({ line, label, title, detail });
  }
  return { rows, skipped };
}

async function readUnlabeled(file: string): Promise<UnlabeledText[]> {
  const rows: UnlabeledText[] = [];
  for await (const { values } of readCsvRecords(file)) {
    const title = values.title?.trim() || undefined;
    const detail = values.detail?.trim() || undefined;
    if (title || detail) rows.push({ title, detail });
  }
  return rows;
}

const asList = (v: OptionValues[string]): string[] =>
  v === undefined ? [] : (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');

export const hotlineEvalCommand: Command = {
  name: 'hotline eval',
  summary: 'train the category classifier on CSV files and evaluate it on a test CSV',
  usage,
  options: {
    train: { type: 'string', multiple: true },
    test: { type: 'string' },
    unlabeled: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  async run(values) {
    const trainFiles = asList(values.train);
    const testFile = typeof values.test === 'string' ? values.test : undefined;
    if (trainFiles.length === 0 || !testFile) {
      console.error(`cityhub hotline eval: --train and --test are required\n\nUsage: cityhub hotline eval ${usage}`);
      return 2;
    }
    const log = (m: string): void => void process.stderr.write(`${m}\n`);

    const train: LabeledText[] = [];
    for (const f of trainFiles) {
      const { rows, skipped } = await readLabeled(f, true);
      log(`read ${rows.length} training rows from ${f}${skipped ? ` (${skipped} without label or text skipped)` : ''}`);
      for (const r of rows) train.push({ title: r.title, detail: r.detail, label: r.label });
    }
    const { rows: test, skipped: testSkipped } = await readLabeled(testFile, false);
    log(`read ${test.length} test rows from ${testFile}${testSkipped ? ` (${testSkipped} without label skipped)` : ''}`);
    const unlabeled: UnlabeledText[] = [];
    for (const f of asList(values.unlabeled)) {
      const rows = await readUnlabeled(f);
      log(`read ${rows.length} unlabelled rows from ${f}`);
      unlabeled.push(...rows);
    }
    if (train.length === 0) throw new Error('no usable training rows (each needs a label and a title or detail)');
    if (test.length === 0) throw new Error('no labelled test rows');

    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const model = TextClassifier.train({ examples: train, unlabeled, onProgress: log });
    const trainSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    log(`trained in ${trainSeconds.toFixed(1)} s (${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU)`);

    // Steady-state throughput: the first calls pay for the JIT and the lookup tables, once per process.
    for (const r of train.slice(0, 50)) model.predict({ title: r.title, detail: r.detail });
    const p0 = performance.now();
    const predictions = test.map((r) => model.predict({ title: r.title, detail: r.detail }));
    const predictSeconds = (performance.now() - p0) / 1000;
    const predictPerSecond = test.length / Math.max(predictSeconds, 1e-9);
    log(`predicted ${test.length} rows in ${predictSeconds.toFixed(2)} s (${predictPerSecond.toFixed(0)}/s, after 50 warm-up predictions of training rows)`);

    const report = classificationReport(
      test.map((r) => r.label),
      predictions.map((p) => p.label),
      model.labels,
    );
    const calibration = calibrationReport(
      predictions.map((p) => p.confidence),
      predictions.map((p, i) => p.label === test[i].label),
    );
    console.log(formatClassificationReport(report));
    console.log(`\n${formatCalibrationReport(calibration)}`);
    console.log(`\ntrain ${trainSeconds.toFixed(1)} s on ${train.length} rows; ${predictPerSecond.toFixed(0)} predictions/s`);
    if (values.json) {
      console.log(
        JSON.stringify({
          accuracy: report.accuracy,
          macroF1: report.macroF1,
          weightedF1: report.weightedF1,
          trainSeconds,
          trainCpuSeconds: (cpu.user + cpu.system) / 1e6,
          predictPerSecond,
          trainRows: train.length,
          testRows: test.length,
          labels: report.labels,
          perClass: report.perClass,
          confusion: report.confusion,
          calibration: { ece: calibration.ece, maxGap: calibration.maxGap, meanConfidence: calibration.meanConfidence, bins: calibration.bins },
          model: { temperature: model.temperature, pseudoLabeled: model.summary.pseudoLabeled },
        }),
      );
    }
    return 0;
  },
};
