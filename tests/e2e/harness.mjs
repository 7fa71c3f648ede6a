// Shared harness for the end-to-end tests: serves the built dist/ under a
// sub-path on a free loopback port, launches Debian's Chromium (never a
// downloaded browser), and fails a test on any console error, page error or
// request that leaves the page's own origin.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const DIST = process.env.PODNET_DIST ?? new URL('../../dist', import.meta.url).pathname;
const SHOTS = process.env.PODNET_SHOTS ?? new URL('../../target/e2e', import.meta.url).pathname;
const CHROMIUM = process.env.PODNET_CHROMIUM ?? '/usr/bin/chromium';
// Course material is often hosted under a sub-path; the site must work there.
export const BASE_PATH = '/course/lab-3/';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
};

/** Serves DIST at BASE_PATH on 127.0.0.1; resolves to { origin, close }. */
export async function serveDist() {
  const index = await readFile(join(DIST, 'index.html'), 'utf8');
  if (index.includes('.well-known/trunk/ws')) {
    throw new Error(`${DIST} holds a \`trunk serve\` (debug, live-reload) build: run \`cargo xtask dist\` first`);
  }
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (!url.pathname.startsWith(BASE_PATH)) {
      res.writeHead(404).end('outside the site');
      return;
    }
    let rel = normalize(decodeURIComponent(url.pathname.slice(BASE_PATH.length)));
    if (rel === '.' || rel === '' || rel.endsWith('/')) rel = join(rel, 'index.html');
    if (rel.startsWith('..')) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(join(DIST, rel));
      res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Launches headless Chromium with the flags root needs and no background traffic. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * Opens the app in a fresh page (by default, once the app has replaced the
 * static first paint). Returns the page and `problems()`, which
 * lists console errors, uncaught errors and off-origin requests seen so far.
 */
export async function openApp(browser, origin, { colorScheme = 'light', viewport = { width: 1280, height: 900 }, query = '', context: given, live = true } = {}) {
  const context = given ?? (await browser.newContext({ colorScheme, viewport }));
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('request', (req) => {
    const url = req.url();
    const own = url.startsWith(`${origin}/`) || url.startsWith(`blob:${origin}/`) || url.startsWith('data:');
    if (!own) problems.push(`request outside the page's origin: ${url}`);
  });
  await page.goto(`${origin}${BASE_PATH}${query}`);
  // The static first paint is inert: wait until the app has replaced it
  // (unless the test looks at the first paint itself).
  if (live) await page.waitForFunction(() => !document.getElementById('podnet-static'));
  return { page, context, problems: () => problems.slice() };
}

/** Saves a screenshot under target/e2e/ for a person to look at. */
export async function screenshot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A fingerprint of what the map shows: every subnet's numbers and the step counter. */
export async function fingerprint(page) {
  // allTextContents does not wait: let the map render its subnets first.
  await page.locator('.subnet-card__numbers').first().waitFor();
  const subnets = await page.locator('.subnet-card__numbers').allTextContents();
  const clock = await page.locator('.timeline__clock').textContent();
  const pods = await page.locator('.pod-chip').count();
  return JSON.stringify({ subnets, clock, pods });
}

/** Waits until the page shows `n` node cards. */
export async function waitForNodes(page, n) {
  await page.waitForFunction((want) => document.querySelectorAll('.node-card').length === want, n);
}

/**
 * One server and one browser for a test file: started before its first
 * test, closed after its last. Returns `{ server, browser }`, filled in
 * once started.
 */
export function useServerAndBrowser() {
  const env = {};
  before(async () => {
    env.server = await serveDist();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}
