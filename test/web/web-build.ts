import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const srcDir = path.join(root, 'src/web');
const indexHtml = path.join(root, 'dist/web/index.html');
const lockDir = path.join(root, 'dist/.web-build-lock');

const newest = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
    const p = path.join(dir, e.name);
    return Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }, 0);

const fresh = () => existsSync(indexHtml) && statSync(indexHtml).mtimeMs >= newest(srcDir);

/**
 * The browser tests run against the production build the server serves. Builds dist/web when it is missing or
 * older than src/web (about 10 s); a lock keeps two test files from building at once.
 */
export async function ensureWebBuild(): Promise<void> {
  if (fresh()) return;
  mkdirSync(path.dirname(lockDir), { recursive: true });
  for (let waited = 0; ; waited += 250) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      if (waited > 120_000) rmSync(lockDir, { recursive: true, force: true }); // a killed run left it behind
      await new Promise((r) => setTimeout(r, 250));
      if (fresh()) return;
    }
  }
  try {
    if (!fresh()) {
      execFileSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', path.join(srcDir, 'vite.config.ts'), '--logLevel', 'warn'], {
        cwd: root, stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
