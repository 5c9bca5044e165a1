import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registeredProblems } from '../../src/platform/errors/problem-codes.js';
import { modules } from '../../src/server/modules.js';
import { Problem } from '../../src/platform/errors/problem.js';

describe('error registry', () => {
  it('documents every code in docs/errors.md (run scripts/errors-doc.ts after adding one)', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const missing = [...registeredProblems().keys()].filter((code) => !doc.includes(`| \`${code}\` |`));
    expect(missing).toEqual([]);
  });

  it('holds every module\'s declared codes', () => {
    for (const m of modules) for (const code of Object.keys(m.problems)) expect(registeredProblems().has(code), code).toBe(true);
    expect(registeredProblems().size).toBeGreaterThan(60);
  });

  it('gives every code a 4xx/5xx status and a Chinese title', () => {
    for (const [code, entry] of registeredProblems()) {
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
      expect(entry.status, code).toBeLessThan(600);
      expect(entry.zh.length, code).toBeGreaterThan(0);
    }
  });

  it('renders a problem document with the field at fault', () => {
    const doc = new Problem('VALIDATION_FAILED', { errors: [{ field: '/body/x', message: 'bad' }] }).toJSON('/api/x');
    expect(doc).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', instance: '/api/x', errors: [{ field: '/body/x' }] });
  });
});
