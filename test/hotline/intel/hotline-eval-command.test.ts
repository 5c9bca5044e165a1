import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { commands } from '../../../src/cli/commands/index.js';
import { syntheticMessages } from './synthetic-messages.js';

const csvField = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

describe('cityhub hotline eval', () => {
  it('trains on the train CSVs, evaluates the test CSV and prints a JSON line last', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hotline-eval-'));
    const train = syntheticMessages(30, 3);
    // One file with titles only (and an extra column), one with bodies only, with a multi-line quoted body.
    const a = path.join(dir, 'titles.csv');
    writeFileSync(a, '\ufefftitle,label,split\n' + train.map((m) => `${csvField(m.title)},${m.label},train`).join('\n') + '\n');
    const b = path.join(dir, 'bodies.csv');
    writeFileSync(b, 'label,detail\r\n' + train.map((m) => `${m.label},${csvField(m.detail.replace('，', '\n'))}`).join('\r\n'));
    const t = path.join(dir, 'test.csv');
    const test = syntheticMessages(8, 42);
    writeFileSync(t, 'id,title,detail,label\n' + test.map((m, i) => `${i},${csvField(m.title)},${csvField(m.detail)},${m.label}`).join('\n'));

    const command = commands.find((c) => c.name === 'hotline eval');
    expect(command).toBeDefined();
    const out: string[] = [];
    const logSpy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(args.join(' ')));
    const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await command!.run({ train: [a, b], test: t, json: true }, []);
      expect(code).toBe(0);
    } finally {
      logSpy.mockRestore();
      errSpy.mockRestore();
    }
    const lines = out.join('\n').trim().split('\n');
    const result = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(result.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(result.macroF1).toBeGreaterThanOrEqual(0.85);
    expect(result.trainSeconds).toBeGreaterThan(0);
    expect(result.predictPerSecond).toBeGreaterThan(0);
    expect(result.testRows).toBe(test.length);
    expect(result.trainRows).toBe(train.length * 2);
    expect(out.join('\n')).toContain('confusion matrix');
    // the calibration of the confidence shown to agents, with its reliability table
    const calibration = result.calibration as { ece: number; bins: Array<{ n: number }> };
    expect(calibration.ece).toBeGreaterThanOrEqual(0);
    expect(calibration.ece).toBeLessThan(1);
    expect(calibration.bins.reduce((n, b) => n + b.n, 0)).toBe(test.length);
    expect(out.join('\n')).toContain(`expected calibration error ${calibration.ece.toFixed(4)}`);
  });

  it('exits with a usage error without --test', async () => {
    const command = commands.find((c) => c.name === 'hotline eval')!;
    const errSpy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await command.run({ train: ['x.csv'] }, [])).toBe(2);
    } finally {
      errSpy.mockRestore();
    }
  });
});
