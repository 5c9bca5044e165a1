/**
 * What the web app costs a phone and a wall: JavaScript and CSS bytes (gzip) and time to interactive for the
 * citizen's filing form (390×844, logged in) and the cockpit (1920×1080, a leader), on a throttled link
 * (1.6 Mbps down, 750 kbps up, 150 ms round trip: Chromium's DevTools protocol, Network.emulateNetworkConditions),
 * against the app as it was at a baseline commit, measured in the same run.
 *
 *   node --import tsx bench/web/web.bench.ts [--baseline a4c08be] [--runs 5]
 *
 * - The baseline: `git worktree add` of the baseline commit in a temporary folder, its own `vite build` there
 *   (node_modules linked), served the way that commit's server served it (no compression, `max-age=0`) by a small
 *   static server that passes API calls on, uncompressed, to the same demo hub.
 * - Today: this tree's build (`vite build`), served by the hub itself (precompressed files, immutable assets,
 *   compressed API answers).
 * - Both on one seeded demo city (PGlite in memory), so the data and the API are the same; each run is a fresh
 *   browser context (cold cache), logged in through the API before the clock starts.
 * - Figures per page: JS and CSS files loaded (count), their gzip size (level 9, the same measure for both),
 *   bytes on the wire (all requests, headers included: CDP encodedDataLength), requests, time to interactive
 *   (navigation start → the page's first control usable with its data: the form's title field and category
 *   options; the cockpit's visited count) and time until the network is quiet; medians of `runs`.
 * Goals (issue 17): filing form under 250 KB gzip and interactive under 2.5 s on this profile.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { median } from '../stats.js';
import { createTestHub } from '../../test/support/test-hub.js';
import { seedDemoCity, DEMO_PASSWORD } from '../../src/server/demo-city.js';

const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string', default: 'a4c08be' },
    runs: { type: 'string', default: '5' },
    chromium: { type: 'string', default: process.env.CITYHUB_CHROMIUM ?? '/usr/bin/chromium' },
  },
});
const runs = Number(args.runs);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROFILE = { latency: 150, downloadThroughput: (1.6e6 / 8), uploadThroughput: (750e3 / 8) };
const GOALS = { filingGzipKB: 250, filingInteractiveS: 2.5 };

const vite = (cwd: string) =>
  execFileSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', path.join(cwd, 'src/web/vite.config.ts'), '--logLevel', 'warn'], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });

/** The baseline commit's web app, built in a worktree of its own. */
function buildBaseline(rev: string): { dir: string; cleanup(): void } {
  const wt = mkdtempSync(path.join(tmpdir(), 'cityhub-web-baseline-'));
  rmSync(wt, { recursive: true, force: true });
  execFileSync('git', ['worktree', 'add', '--detach', wt, rev], { cwd: root, stdio: 'ignore' });
  symlinkSync(path.join(root, 'node_modules'), path.join(wt, 'node_modules'));
  process.stdout.write(`building the baseline (${rev}) in ${wt}…\n`);
  vite(wt);
  return {
    dir: path.join(wt, 'dist/web'),
    cleanup: () => execFileSync('git', ['worktree', 'remove', '--force', wt], { cwd: root, stdio: 'ignore' }),
  };
}

const types: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };

/**
 * The baseline's files as its server sent them (uncompressed, `public, max-age=0`), the rest (API, /openapi.json)
 * passed to the hub without Accept-Encoding, as that server answered uncompressed.
 */
function serveBaseline(dir: string, upstream: URL): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const file = path.join(dir, url.pathname === '/' ? 'index.html' : url.pathname);
    if (file.startsWith(dir) && existsSync(file) && statSync(file).isFile()) {
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'public, max-age=0' });
      res.end(readFileSync(file));
      return;
    }
    const headers = { ...req.headers, host: upstream.host };
    delete headers['accept-encoding'];
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(out);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface Sample { gzip: number; files: number; wire: number; requests: number; interactive: number; quiet: number }

/** One cold load of a page through the throttled link. */
async function measure(browser: Browser, base: string, dist: string, page: PageSpec): Promise<Sample> {
  const context = await browser.newContext({ viewport: page.viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const login = await context.request.post(`${base}/api/auth/login`, { data: { username: page.user, password: DEMO_PASSWORD } });
  if (!login.ok()) throw new Error(`login ${page.user}: ${login.status()}`);
  // the app asks /api/auth/me only when this browser logged in before (src/web/src/auth.tsx's hint)
  await context.addInitScript(() => localStorage.setItem('cityhub.session', '1'));
  const tab = await context.newPage();
  const cdp = await context.newCDPSession(tab);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, ...PROFILE });
  let wire = 0;
  let requests = 0;
  cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => { wire += e.encodedDataLength; requests++; });
  const assets = new Set<string>();
  tab.on('response', (r) => { const p = new URL(r.url()).pathname; if (/\.(js|css)$/.test(p)) assets.add(p); });
  const started = Date.now();
  await tab.goto(`${base}/${page.hash}`, { waitUntil: 'commit' });
  await tab.waitForFunction(page.ready, undefined, { timeout: 60_000, polling: 50 });
  const interactive = Date.now() - started;
  await tab.waitForLoadState('networkidle', { timeout: 120_000 }).catch(() => undefined);
  const quiet = Date.now() - started - 500; // networkidle waits 500 ms without requests
  const gzip = [...assets].reduce((n, p) => n + gzipSync(readFileSync(path.join(dist, p)), { level: 9 }).length, 0);
  await context.close();
  return { gzip, files: assets.size, wire, requests, interactive, quiet };
}

interface PageSpec { name: string; hash: string; user: string; viewport: { width: number; height: number }; ready: () => boolean }

const pages: PageSpec[] = [
  {
    // the form's title field usable and the category choice filled (select options or the cascade's level 1)
    name: 'filing form (phone)', hash: '#/portal/new', user: 'citizen', viewport: { width: 390, height: 844 },
    ready: () => {
      const title = document.querySelector<HTMLInputElement>('#f-title');
      return !!title && !title.disabled && title.offsetParent !== null && document.querySelectorAll('main form select option').length > 3;
    },
  },
  {
    name: 'cockpit (1920×1080)', hash: '#/cockpit', user: 'leader', viewport: { width: 1920, height: 1080 },
    ready: () => /\d/.test(document.querySelector('[data-testid="visited"]')?.textContent ?? ''),
  },
];

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  process.stdout.write('building this tree…\n');
  vite(root);
  const baseline = buildBaseline(args.baseline!);
  const hub = await createTestHub('pglite');
  let proxy: Server | null = null;
  let browser: Browser | null = null;
  try {
    await seedDemoCity(hub, () => undefined);
    await hub.http.listen({ port: 0, host: '127.0.0.1' });
    const today = `http://127.0.0.1:${(hub.http.server.address() as AddressInfo).port}`;
    proxy = await serveBaseline(baseline.dir, new URL(today));
    const before = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: args.chromium, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    process.stdout.write(`profile: ${PROFILE.downloadThroughput * 8 / 1e6} Mbps down, ${PROFILE.uploadThroughput * 8 / 1e3} kbps up, ${PROFILE.latency} ms RTT; ${runs} cold loads each, medians\n\n`);
    for (const page of pages) {
      const results: Record<'baseline' | 'today', Sample> = {} as never;
      for (const [label, base, dist] of [['baseline', before, baseline.dir], ['today', today, path.join(root, 'dist/web')]] as const) {
        const samples: Sample[] = [];
        for (let i = 0; i < runs; i++) samples.push(await measure(browser, base, dist, page));
        const pick = (k: keyof Sample) => median(samples.map((x) => x[k]));
        results[label] = { gzip: pick('gzip'), files: pick('files'), wire: pick('wire'), requests: pick('requests'), interactive: pick('interactive'), quiet: pick('quiet') };
      }
      const b = results.baseline;
      const t = results.today;
      const ratio = (x: number, y: number) => `${(y / x).toFixed(2)}×`;
      process.stdout.write(`${page.name}\n`);
      process.stdout.write(`  JS+CSS gzip      baseline ${kb(b.gzip).padStart(9)} (${b.files} files)   today ${kb(t.gzip).padStart(9)} (${t.files} files)   ${ratio(b.gzip, t.gzip)}\n`);
      process.stdout.write(`  on the wire      baseline ${kb(b.wire).padStart(9)} (${b.requests} requests)   today ${kb(t.wire).padStart(9)} (${t.requests} requests)   ${ratio(b.wire, t.wire)}\n`);
      process.stdout.write(`  interactive      baseline ${s(b.interactive).padStart(9)}   today ${s(t.interactive).padStart(9)}   ${ratio(b.interactive, t.interactive)}\n`);
      process.stdout.write(`  network quiet    baseline ${s(b.quiet).padStart(9)}   today ${s(t.quiet).padStart(9)}   ${ratio(b.quiet, t.quiet)}\n`);
      if (page.name.startsWith('filing')) {
        const gzipOk = t.gzip / 1024 < GOALS.filingGzipKB;
        const ttiOk = t.interactive / 1000 < GOALS.filingInteractiveS;
        process.stdout.write(`  goals: under ${GOALS.filingGzipKB} KB gzip ${gzipOk ? 'met' : 'NOT met'}, interactive under ${GOALS.filingInteractiveS} s ${ttiOk ? 'met' : 'NOT met'}\n`);
      }
      process.stdout.write('\n');
    }
  } finally {
    await browser?.close();
    proxy?.close();
    await hub.close();
    baseline.cleanup();
  }
}

await main();
