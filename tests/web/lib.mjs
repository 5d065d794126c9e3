// Shared helpers for roost's browser tests: Debian's Chromium driven by playwright-core,
// selectors from the page contract (accessible names first), polling instead of sleeps.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

export const PASSWORD = 'correct horse battery staple';
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

const here = dirname(fileURLToPath(import.meta.url));
export const SHOTS = resolve(process.env.ROOST_SCREENSHOT_DIR || join(here, '../../target/screenshots'));

export function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run these tests through cargo test)`);
  return v.replace(/\/$/, '');
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.ROOST_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

// A short unique suffix so repeated runs against one server don't collide.
export function suffix() {
  return Math.random().toString(36).slice(2, 8);
}

// A browser context (its own cookie jar: one person) with a page that records every
// dialog, uncaught page error and console error; `clean()` asserts there were none.
export async function person(browser, base, viewport = DESKTOP, options = {}) {
  const context = await browser.newContext({ baseURL: base, viewport, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = [];
  // Dialogs a step announced with `expectConfirm` are answered as asked; any other is a problem.
  const expected = [];
  const who = { context, page, problems, allowFailedLoads: false, confirmed: [] };
  who.expectConfirm = (pattern, accept = true) => expected.push({ pattern, accept });
  page.on('dialog', (d) => {
    const want = expected.shift();
    if (want && d.type() === 'confirm' && want.pattern.test(d.message())) {
      who.confirmed.push(d.message());
      (want.accept ? d.accept() : d.dismiss()).catch(() => {});
      return;
    }
    problems.push(`dialog (${d.type()}): ${d.message()} on ${page.url()}`);
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message} on ${page.url()}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // The browser logs every 4xx answer as a failed resource; the tests that expect a
    // 403/404 check the status themselves.
    const failedLoad = /Failed to load resource/.test(m.text());
    const expected = failedLoad && who.allowFailedLoads;
    const favicon = /favicon\.ico/.test(m.location()?.url || '');
    if (!expected && !favicon) problems.push(`console error: ${m.text()} at ${m.location()?.url} on ${page.url()}`);
  });
  who.clean = () => {
    assert.deepEqual(problems, [], 'the pages raised dialogs or errors');
    assert.deepEqual(expected, [], 'every expected dialog came');
  };
  return who;
}

// Runs one step of a flow; on failure, names the step and shows what the page showed.
export async function step(name, page, fn) {
  const started = Date.now();
  try {
    const v = await fn();
    console.log(`  ok  ${name} (${Date.now() - started} ms)`);
    return v;
  } catch (e) {
    let seen = '';
    try {
      mkdirSync(SHOTS, { recursive: true });
      const shot = join(SHOTS, `failed-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      const text = await page.locator('body').innerText({ timeout: 2000 });
      seen = `\n  page: ${page.url()}\n  screenshot: ${shot}\n  page text:\n${text.slice(0, 3000)}`;
    } catch {
      seen = `\n  page: ${page.url()} (could not read it)`;
    }
    // A new error: node's runner prints the stack, which the original computed already.
    throw new Error(`step "${name}" failed: ${e.message}${seen}`, { cause: e });
  }
}

export async function pathIs(page, path) {
  await page.waitForURL((u) => u.pathname === path, { timeout: 10_000 });
}

// Submits a form by its button and waits for the page the answer leads to. The forms
// answer 303 See Other on success; the redirect's target must then load.
export async function submit(page, button, status = 303) {
  const isPost = (r) => r.request().method() === 'POST' && r.request().isNavigationRequest();
  const post = page.waitForResponse(isPost);
  // The GET the browser makes on the redirect, registered before the click so it can't be missed.
  const redirected =
    status >= 300 && status < 400
      ? page.waitForResponse((r) => r.request().redirectedFrom()?.method() === 'POST')
      : null;
  await button.click();
  const answer = await post;
  assert.equal(answer.status(), status, `POST ${answer.url()} answered ${answer.status()}`);
  if (redirected) {
    const next = await redirected;
    assert.equal(next.status(), 200, `the page after POST ${answer.url()}: ${next.url()}`);
  }
  await page.waitForLoadState('domcontentloaded');
  return answer;
}

export function nav(page) {
  return page.getByRole('navigation', { name: 'Main' });
}

export async function signUp(page, username) {
  await page.goto('/signup');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('E-mail', { exact: true }).fill(`${username}@example.org`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await submit(page, page.getByRole('button', { name: 'Sign up', exact: true }));
  await pathIs(page, '/home');
  await nav(page).getByRole('button', { name: 'Log out', exact: true }).waitFor();
  await nav(page).getByRole('link', { name: 'Home', exact: true }).waitFor();
}

// Posts from the compose form of /home; returns the new status's ID and permalink.
export async function compose(page, text, visibility = 'public') {
  await page.goto('/home');
  await page.getByLabel("What's on your mind?", { exact: true }).fill(text);
  await page.getByLabel('Visibility', { exact: true }).selectOption(visibility);
  await submit(page, page.getByRole('button', { name: 'Post', exact: true }));
  await pathIs(page, '/home');
  const article = statusWith(page, text);
  await article.waitFor();
  return statusRef(page, article);
}

// The first status article whose text contains `text`.
export function statusWith(page, text) {
  return page.locator('article.status').filter({ hasText: text }).first();
}

export async function statusRef(page, article) {
  const id = (await article.getAttribute('id'))?.replace(/^status-/, '');
  assert.match(id || '', /^\d+$/, 'article.status carries id="status-ID"');
  const href = await article.locator('a.permalink').first().getAttribute('href');
  assert.ok(href, 'the status has a permalink');
  const url = new URL(href, page.url());
  assert.ok(url.pathname.endsWith(`/${id}`), `permalink ${href} ends with the ID ${id}`);
  return { id, path: url.pathname };
}

// Reloads `path` until `locator()` matches something, or fails after `ms`.
export async function reloadUntil(page, path, locator, what, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    await page.goto(path);
    if ((await locator().count()) > 0) return;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await page.waitForTimeout(250);
  }
}

export async function viewCount(page) {
  const text = await page.locator('p.views').innerText();
  const m = text.match(/Visited (\d+) times?/);
  assert.ok(m, `"Visited N times" in ${JSON.stringify(text)}`);
  return Number(m[1]);
}

// Screenshots of one page at phone and desktop width, in a context sharing `from`'s
// cookies; returns the files written.
export async function screenshots(browser, from, base, path, name) {
  mkdirSync(SHOTS, { recursive: true });
  const state = await from.context.storageState();
  const files = [];
  for (const [kind, viewport, mobile] of [
    ['phone', PHONE, true],
    ['desktop', DESKTOP, false],
  ]) {
    const ctx = await browser.newContext({
      baseURL: base,
      viewport,
      isMobile: mobile,
      hasTouch: mobile,
      storageState: state,
    });
    const page = await ctx.newPage();
    const resp = await page.goto(path);
    assert.equal(resp.status(), 200, `${path} for the ${kind} screenshot`);
    const file = join(SHOTS, `${kind}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    // Wider than the viewport means the page scrolls sideways on that screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${path} is ${overflow}px wider than a ${viewport.width}px screen`);
    await ctx.close();
    files.push(file);
  }
  for (const f of files) console.log(`  screenshot: ${f}`);
  return files;
}

// A Mastodon API token for a user signed up through the pages (password grant).
export async function apiToken(base, username) {
  const app = await json(base, 'POST', '/api/v1/apps', null, {
    client_name: 'web-e2e',
    redirect_uris: 'urn:ietf:wg:oauth:2.0:oob',
    scopes: 'read write follow',
  });
  const tok = await json(base, 'POST', '/oauth/token', null, {
    grant_type: 'password',
    client_id: app.client_id,
    client_secret: app.client_secret,
    scope: 'read write follow',
    username,
    password: PASSWORD,
  });
  return tok.access_token;
}

export async function json(base, method, path, token, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}
