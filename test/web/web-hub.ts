import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import type { Clock } from '../../src/platform/clock/clock.js';
import { DEMO_PASSWORD, seedDemoCity } from '../../src/server/demo-city.js';
import { createTestHub, type TestHub } from '../support/test-hub.js';
import { ensureWebBuild } from './web-build.js';
import {
  launchBrowser, login, newPerson, screenshotOnFailure, watchConsole, type Browser, type BrowserContext, type BrowserContextOptions, type Page,
} from './browser.js';

/** Where the browser tests leave the screenshots the README links (created on first use). */
export const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');

/** Serves the hub (API and the production build) on a free local port; returns its base URL. */
export async function serveHub(hub: TestHub): Promise<string> {
  mkdirSync(screenshots, { recursive: true });
  await hub.http.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(hub.http.server.address() as AddressInfo).port}`;
}

/**
 * The seeded demo city on an in-memory PGlite, served with a fresh production build of the web app.
 *
 * @example const { hub, base } = await serveDemoCity({ clock: () => now });
 */
export async function serveDemoCity(options: { clock?: Clock } = {}): Promise<{ hub: TestHub; base: string }> {
  await ensureWebBuild();
  const hub = await createTestHub('pglite', options);
  await seedDemoCity(hub, () => undefined);
  return { hub, base: await serveHub(hub) };
}

export interface PageOptions {
  viewport?: { width: number; height: number };
  /** How long each action and wait of the page may take (ms). */
  timeout?: number;
  /** More options of the person's browser context (geolocation and its permission…). */
  context?: BrowserContextOptions;
  /** Run on the context before the page opens (cookies, init scripts). */
  prepare?: (context: BrowserContext) => Promise<void>;
}

/** The hub, its address and the browser of a describe block's tests (set before the first test runs). */
export interface WebSuite {
  readonly hub: TestHub;
  readonly base: string;
  readonly browser: Browser;
  /** A page of a new person (own cookies), its console errors collected from the start; a failing test screenshots it. */
  open(options?: PageOptions): Promise<{ page: Page; errors: string[] }>;
  /** `open`, then signed in through the login page (the demo city's password unless given). */
  signIn(username: string, options?: PageOptions & { password?: string }): Promise<{ page: Page; errors: string[] }>;
}

/**
 * In a describe block: before its tests, a hub served with a fresh production build — the seeded demo city, or with
 * `demo: false` an empty PGlite hub `setup` fills — and a headless chromium; after them, both closed. A failing
 * test leaves a screenshot of the last page `open` gave.
 *
 * @example const web = webSuite({ setup: (hub) => seedTopics(hub) }); … const { page } = await web.signIn('supervisor');
 */
export function webSuite(options: { demo?: boolean; clock?: Clock; setup?: (hub: TestHub) => Promise<void> } = {}): WebSuite {
  let hub: TestHub | undefined;
  let base = '';
  let browser: Browser | undefined;
  let current: Page | null = null;
  screenshotOnFailure(() => current);
  beforeAll(async () => {
    if (options.demo === false) {
      await ensureWebBuild();
      hub = await createTestHub('pglite', { clock: options.clock });
      await options.setup?.(hub);
      base = await serveHub(hub);
    } else {
      ({ hub, base } = await serveDemoCity({ clock: options.clock }));
      await options.setup?.(hub);
    }
    browser = await launchBrowser();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the web suite is not set up yet (use it inside a test)');
    return value;
  };
  const suite: WebSuite = {
    get hub() {
      return ready(hub);
    },
    get base() {
      return base;
    },
    get browser() {
      return ready(browser);
    },
    async open({ viewport, timeout = 20_000, context: more, prepare } = {}) {
      const context = await newPerson(suite.browser, viewport, more);
      await prepare?.(context);
      const page = (current = await context.newPage());
      page.setDefaultTimeout(timeout);
      return { page, errors: watchConsole(page) };
    },
    async signIn(username, { password = DEMO_PASSWORD, ...pageOptions } = {}) {
      const opened = await suite.open(pageOptions);
      await login(opened.page, base, username, password);
      return opened;
    },
  };
  return suite;
}
