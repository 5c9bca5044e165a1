import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const webSrc = path.join(root, 'src/web/src');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const webProject = path.join(root, 'src/web/tsconfig.json');
const run = promisify(execFile);

/** `tsc` on the web project; resolves its output and exit code instead of throwing on errors. */
async function tscWeb(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [tsc, '-p', webProject, ...args], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : []);

/**
 * The web app compiles against the server's own types: its screens import the request and answer types from the
 * modules' schemas.ts files (type-only), so a change of an API's shape that the screens do not follow fails here.
 */
describe('web app typecheck', () => {
  it('tsc -p src/web/tsconfig.json --noEmit reports no error', async () => {
    const { code, output } = await tscWeb('--noEmit');
    expect(output.trim(), 'the web app does not typecheck against the server\'s types').toBe('');
    expect(code).toBe(0);
  });

  it('reaches only leaf server files (typebox and other leaves), never a service or a Node module', async () => {
    const { code, output } = await tscWeb('--listFilesOnly');
    expect(code, output).toBe(0);
    const server = output.split('\n').map((f) => f.trim()).filter(Boolean).map((f) => path.resolve(f))
      .filter((f) => f.startsWith(path.join(root, 'src') + path.sep) && !f.startsWith(path.join(root, 'src/web') + path.sep));
    expect(server.length, 'the web app imports no server type at all').toBeGreaterThan(0);
    const notLeaves = server.flatMap((f) =>
      importsOf(f).filter((spec) => spec !== 'typebox' && !spec.startsWith('.')).map((spec) => `${path.relative(root, f)} imports ${spec}`));
    expect(notLeaves).toEqual([]);
  });

  it('faces import from ui/ and the api files, never from another face or from app.tsx', () => {
    const faces = path.join(webSrc, 'faces');
    const crossings = sourceFiles(faces).flatMap((file) => {
      const face = path.relative(faces, file).split(path.sep)[0];
      return importsOf(file)
        .filter((spec) => spec.startsWith('.'))
        .map((spec) => path.resolve(path.dirname(file), spec))
        .filter((target) => {
          const rel = path.relative(faces, target);
          const otherFace = !rel.startsWith('..') && rel.split(path.sep)[0] !== face;
          return otherFace || target === path.join(webSrc, 'app.js');
        })
        .map((target) => `${path.relative(webSrc, file)} → ${path.relative(webSrc, target)}`);
    });
    expect(crossings).toEqual([]);
  });

  it('ui/ holds what the faces share and imports no face', () => {
    const ui = path.join(webSrc, 'ui');
    const upward = sourceFiles(ui).flatMap((file) =>
      importsOf(file).filter((spec) => spec.startsWith('.'))
        .map((spec) => path.resolve(path.dirname(file), spec))
        .filter((target) => target.startsWith(path.join(webSrc, 'faces') + path.sep) || target === path.join(webSrc, 'app.js'))
        .map((target) => `${path.relative(webSrc, file)} → ${path.relative(webSrc, target)}`));
    expect(upward).toEqual([]);
  });
});
