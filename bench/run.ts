/**
 * Runs one benchmark by name, or lists them: `npm run bench` lists, `npm run bench -- intel/classifier --fold 0`
 * runs bench/intel/classifier.bench.ts with the arguments after the name.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const SUFFIX = '.bench.ts';

const names = readdirSync(benchDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith(SUFFIX))
  .map((f) => f.slice(0, -SUFFIX.length).split(path.sep).join('/'))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  if (name) process.stderr.write(`unknown benchmark "${name}"\n`);
  process.stdout.write(`usage: npm run bench -- <name> [options]\nbenchmarks (the header of each file says what it measures):\n${names.map((n) => `  ${n}`).join('\n')}\n`);
  process.exit(name ? 2 : 0);
}
const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(benchDir, `${name}${SUFFIX}`), ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
