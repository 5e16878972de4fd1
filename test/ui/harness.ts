/**
 * Plumbing for the web UI tests: a broker with its management listener, a headless Debian Chromium
 * driven by playwright-core, login, screenshots into test-artifacts/screenshots, and a few bounded
 * waits that keep clicking the UI's refresh button while they wait.
 *
 * WARREN_UI_REFERENCE=http://guest:guest@127.0.0.1:15672 runs the same tests against a RabbitMQ
 * management listener instead (with WARREN_UI_REFERENCE_AMQP for its AMQP URL): the built UI is served
 * from here and /api is proxied there. That proves the tests and the UI follow RabbitMQ's API.
 *
 * Without /usr/bin/chromium (or WARREN_CHROMIUM) the tests fail with the reason, unless
 * WARREN_SKIP_BROWSER=1 asks to skip them.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { Warren } from '../../src/index.js';

/** the repository root, from dist/test/ui/harness.js or test/ui/harness.ts */
const ROOT = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above the UI tests');
    dir = up;
  }
  return dir;
})();

export const SCREENSHOT_DIR = path.join(ROOT, 'test-artifacts', 'screenshots');
const UI_DIR = path.join(ROOT, 'dist', 'ui');

export const CHROMIUM = process.env['WARREN_CHROMIUM'] ?? '/usr/bin/chromium';

/** Set when the browser tests are to be skipped (only on request: a missing browser is a failure). */
export const SKIP_BROWSER: string | false =
  process.env['WARREN_SKIP_BROWSER'] === '1' ? 'WARREN_SKIP_BROWSER=1 skips the web UI tests' : false;

/** Throws, naming what to do, when the browser or the built UI is missing. */
export function requireBrowser(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `The web UI tests need Debian's chromium at ${CHROMIUM} (apt-get install chromium, as .ci/run does), ` +
        'or WARREN_CHROMIUM=<path>; set WARREN_SKIP_BROWSER=1 to skip them.',
    );
  if (!existsSync(path.join(UI_DIR, 'index.html')))
    throw new Error(`The web UI is not built: ${UI_DIR}/index.html is missing (npm run build builds it).`);
}

export interface Target {
  /** http://127.0.0.1:<port>/ serving the UI and /api */
  url: string;
  /** amqp:// URL of the same broker, guest's credentials */
  amqpUrl: string;
  /** Warren in process, or undefined against the reference */
  warren: Warren | undefined;
  /** a management API call as guest */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startTarget(): Promise<Target> {
  const reference = process.env['WARREN_UI_REFERENCE'];
  if (reference) return startReferenceProxy(reference);
  const warren = await Warren.start({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
  const managementUrl = (warren as unknown as { managementUrl?: string }).managementUrl;
  if (!managementUrl) {
    await warren.close();
    throw new Error('Warren started without a management listener (managementUrl is undefined)');
  }
  const url = managementUrl.endsWith('/') ? managementUrl : `${managementUrl}/`;
  return {
    url,
    amqpUrl: warren.url,
    warren,
    api: (method, p, body) => apiCall(url, 'guest', 'guest', method, p, body),
    close: () => warren.close(),
  };
}

async function apiCall<T>(
  base: string,
  user: string,
  pass: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(new URL(`api${p}`, base), {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /api${p}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves dist/ui and forwards /api to a RabbitMQ management listener. */
async function startReferenceProxy(reference: string): Promise<Target> {
  const ref = new URL(reference);
  const user = decodeURIComponent(ref.username || 'guest');
  const pass = decodeURIComponent(ref.password || 'guest');
  ref.username = '';
  ref.password = '';
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname.startsWith('/api/')) {
      const headers = { ...req.headers, host: ref.host };
      const up = http.request(new URL(req.url ?? '/', ref), { method: req.method ?? 'GET', headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      req.pipe(up);
      return;
    }
    const rel = u.pathname === '/' ? 'index.html' : decodeURIComponent(u.pathname.slice(1));
    const file = path.join(UI_DIR, rel);
    if (!file.startsWith(UI_DIR)) {
      res.writeHead(403);
      res.end();
      return;
    }
    readFile(file).then(
      (data) => {
        res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' });
        res.end(data);
      },
      () => {
        res.writeHead(404);
        res.end('not found');
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    amqpUrl: process.env['WARREN_UI_REFERENCE_AMQP'] ?? 'amqp://guest:guest@127.0.0.1:5672',
    warren: undefined,
    api: (method, p, body) => apiCall(url, user, pass, method, p, body),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh page (own sessionStorage) that accepts confirm() dialogs and fails on page errors. */
export async function newPage(browser: Browser, target: Target): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('dialog', (d) => void d.accept());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  (page as Page & { uiErrors: string[] }).uiErrors = errors;
  // everything the page loads comes from the broker: no CDN, no fonts, no outside requests
  await context.route(
    (u) => !u.href.startsWith(target.url) && !u.href.startsWith('blob:') && !u.href.startsWith('data:'),
    (route) => {
      errors.push(`outside request: ${route.request().url()}`);
      return route.abort();
    },
  );
  return page;
}

export function pageErrors(page: Page): string[] {
  return (page as Page & { uiErrors?: string[] }).uiErrors ?? [];
}

export async function login(page: Page, target: Target, user = 'guest', pass = 'guest'): Promise<void> {
  await page.goto(target.url);
  await page.locator('input[name=username]').fill(user);
  await page.locator('input[name=password]').fill(pass);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Goes to a hash route, e.g. go(page, target, 'queues', '/', 'q1'). */
export async function go(page: Page, target: Target, ...segments: string[]): Promise<void> {
  await page.goto(`${target.url}#/${segments.map((s) => encodeURIComponent(s)).join('/')}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  // let running requests land and the notices fade out of the way
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Waits until `locator`'s text matches, clicking the UI's refresh button now and then (the broker's
 * counters and rates change between refreshes).
 */
export async function waitForText(
  page: Page,
  locator: Locator,
  expected: string | RegExp,
  ms = 20_000,
): Promise<string> {
  const deadline = Date.now() + ms;
  let last = '';
  let nextRefresh = Date.now() + 1000;
  for (;;) {
    last = (
      (await locator
        .first()
        .textContent({ timeout: 1000 })
        .catch(() => null)) ?? ''
    ).trim();
    if (typeof expected === 'string' ? last === expected : expected.test(last)) return last;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${ms} ms: text was ${JSON.stringify(last)}, expected ${String(expected)}`,
      );
    if (Date.now() > nextRefresh) {
      await page
        .getByRole('button', { name: 'refresh now' })
        .click({ timeout: 1000 })
        .catch(() => {});
      nextRefresh = Date.now() + 1000;
    }
    await page.waitForTimeout(100);
  }
}

/** The row of a list table that holds a link or cell with exactly this text. */
export function row(page: Page, testid: string, name: string): Locator {
  return page
    .getByTestId(testid)
    .locator('tbody tr')
    .filter({ has: page.getByText(name, { exact: true }) });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
