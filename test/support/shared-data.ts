/**
 * The shared data sets (Teddy Cup 2020 C, Baltimore 311…) are never copied into the repository: tests and benches
 * find them through ONE setting, `CITYHUB_SHARED_DATA`, default `../shared/data` beside the repository. A relative
 * value is read against the repository root, so it means the same folder from any working directory.
 *
 * A test that needs a data set is declared with itWithSharedData / describeWithSharedData. Where the data is absent
 * the test is skipped with one notice, so a bare clone still runs everything else (the importer and taxonomy code
 * paths also have fixtures of their own); under CI it fails instead, naming the folder, because a CI run must not
 * pass by skipping what it was meant to check.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export const sharedDataDir = path.resolve(repoRoot, process.env.CITYHUB_SHARED_DATA || '../shared/data');

/** A file or folder inside the shared data, e.g. `sharedDataPath('teddycup2020c', 'taxonomy.csv')`. */
export const sharedDataPath = (...parts: string[]): string => path.join(sharedDataDir, ...parts);

const notFound = (where: string) => `shared data not found at ${where} (set CITYHUB_SHARED_DATA)`;

/** For benches: the path, or an error naming it (a bench without its data has nothing to measure). */
export function requireSharedData(...parts: string[]): string {
  const where = sharedDataPath(...parts);
  if (!existsSync(where)) throw new Error(notFound(where));
  return where;
}

// GitHub Actions, GitLab and most CI services set CI=true.
const inCi = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());
const noticed = new Set<string>();

type Register = (name: string, fn: () => void | Promise<void>, timeout?: number) => void;

/** Run when the data is there; otherwise skip (one notice per missing path) or, under CI, fail naming the path. */
function gate(parts: string[], run: Register, skip: Register): Register {
  const wanted = sharedDataPath(...parts);
  if (existsSync(wanted)) return run;
  // With no shared data at all, name that folder: one notice, not one per data set.
  const where = existsSync(sharedDataDir) ? wanted : sharedDataDir;
  if (inCi) {
    return (name) => it(name, () => {
      throw new Error(`${notFound(where)}; under CI a test that needs it fails instead of being skipped`);
    });
  }
  if (!noticed.has(where)) {
    noticed.add(where);
    console.warn(`skipped: ${notFound(where)}`);
  }
  return skip;
}

/** `it`, for a test that reads `sharedDataPath(...parts)`: `itWithSharedData('teddycup2020c')('imports…', async () => …)`. */
export const itWithSharedData = (...parts: string[]): Register => gate(parts, it, it.skip);

/** `describe`, for a suite whose every test reads `sharedDataPath(...parts)` (under CI, one failing test in its place). */
export const describeWithSharedData = (...parts: string[]): Register => gate(parts, describe, describe.skip);
