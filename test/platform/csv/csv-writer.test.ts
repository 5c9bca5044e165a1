import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, csvLine, neutraliseFormula } from '../../../src/platform/csv/csv-writer.js';
import { readCsvRows } from '../../../src/platform/csv/csv-reader.js';

describe('the CSV writer', () => {
  it('finding 10: neutralises cells a spreadsheet would run as formulas (=, +, -, @, tab, CR), per OWASP', () => {
    expect(csvCell("=cmd|' /C calc'!A0")).toBe("'=cmd|' /C calc'!A0");
    expect(csvCell('+HYPERLINK("http://x")')).toBe('"\'+HYPERLINK(""http://x"")"');
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1:A9)')).toBe("'@SUM(A1:A9)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('\r=1')).toBe('"\'\r=1"');
    expect(neutraliseFormula('plain = text')).toBe('plain = text');
    // numbers and booleans are values, not text: -5 stays a number
    expect(csvLine([-5, 1.5, true, null, undefined, '临江区'])).toBe('-5,1.5,true,,,临江区');
    expect(csvCell(new Date('2026-01-02T03:04:05Z'))).toBe('2026-01-02T03:04:05.000Z');
  });

  it('writes text that reads back as itself, apostrophe aside, and never starts a cell with a formula character (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !s.includes('\u0000')), { minLength: 1, maxLength: 8 }), async (cells) => {
      const line = csvLine(cells);
      const rows: string[][] = [];
      for await (const row of readCsvRows([`${line}\r\n`], { skipEmptyRows: false })) rows.push(row.fields);
      expect(rows).toHaveLength(1);
      rows[0]!.forEach((read, i) => {
        expect(read).toBe(/^[=+\-@\t\r]/.test(cells[i]!) ? `'${cells[i]}` : cells[i]);
        expect(read).not.toMatch(/^[=+\-@\t\r]/);
      });
    }), { numRuns: 2000 });
  });
});
