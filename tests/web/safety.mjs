// Browser tests of safety on roost's pages: the "…" menu on a post card (mute, block
// after a confirmation, report), the settings list of blocks and mutes, and a moderator
// who finds the report through the navigation and resolves it. The menus are <details>
// with plain forms, so they are also used here with scripts off.
//
// Run through `cargo test -p roost-server --test it web_browser`, which starts roost, makes
// a moderator and sets ROOST_WEB_URL, ROOST_MOD_LOGIN and ROOST_MOD_PASSWORD.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  launch,
  person,
  step,
  signUp,
  compose,
  statusWith,
  nav,
  pathIs,
  submit,
  screenshots,
  required,
  suffix,
  DESKTOP,
  PHONE,
  SHOTS,
} from './lib.mjs';

const BASE = required('ROOST_WEB_URL');
const MOD_LOGIN = required('ROOST_MOD_LOGIN');
const MOD_PASSWORD = required('ROOST_MOD_PASSWORD');
let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// The card's "…" menu: its toggle and the menu itself.
function menuOf(card) {
  const more = card.locator('details.more');
  return { more, toggle: more.locator('summary'), menu: more.locator('.menu') };
}

// Screenshots of `path` with the menu of the card holding `text` open, at phone and
// desktop width, in a context sharing `from`'s cookies.
async function menuScreenshots(from, path, text, name) {
  mkdirSync(SHOTS, { recursive: true });
  const state = await from.context.storageState();
  for (const [kind, viewport, mobile] of [
    ['phone', PHONE, true],
    ['desktop', DESKTOP, false],
  ]) {
    const ctx = await browser.newContext({ baseURL: BASE, viewport, isMobile: mobile, hasTouch: mobile, storageState: state });
    const page = await ctx.newPage();
    await page.goto(path);
    const card = statusWith(page, text);
    const { toggle, menu } = menuOf(card);
    await toggle.click();
    await menu.waitFor();
    // The open menu stays on the screen: not cut at either side, no sideways scrolling.
    const box = await menu.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= viewport.width, `the menu fits a ${viewport.width}px screen: ${JSON.stringify(box)}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${path} with the menu open is ${overflow}px wider than the screen`);
    await menu.scrollIntoViewIfNeeded();
    const file = join(SHOTS, `${kind}-${name}.png`);
    await page.screenshot({ path: file });
    console.log(`  screenshot: ${file}`);
    await ctx.close();
  }
}

test('mute, block and report from a post card; a moderator resolves the report', { timeout: 300_000 }, async () => {
  const run = suffix();
  const grace = await person(browser, BASE);
  const henry = await person(browser, BASE);
  const g = grace.page;
  const h = henry.page;
  const henryName = `henry_${run}`;
  const graceName = `grace_${run}`;
  const handle = `@${henryName}`;
  const his = `henry 的帖子 ${run}`;
  const hers = `grace 的帖子 ${run}`;

  await step('grace and henry sign up, grace follows henry, both post', g, async () => {
    await signUp(g, graceName);
    await signUp(h, henryName);
    await g.goto(`/@${henryName}`);
    await submit(g, g.getByRole('button', { name: 'Follow', exact: true }));
    await g.getByRole('button', { name: 'Unfollow', exact: true }).waitFor();
    await compose(h, his);
    await compose(g, hers);
  });

  await step("henry's card has a closed menu; grace's own card has none", g, async () => {
    await g.goto('/home');
    const card = statusWith(g, his);
    await card.waitFor();
    const { toggle, menu } = menuOf(card);
    assert.ok(await menu.isHidden(), 'the menu starts closed');
    assert.equal(await card.locator('button', { hasText: `Block ${handle}` }).count(), 1, 'in the page, if closed');
    assert.equal(await menuOf(statusWith(g, hers)).more.count(), 0, 'no menu on her own post');
    await toggle.click();
    await card.getByRole('button', { name: `Mute ${handle}`, exact: true }).waitFor();
    await card.getByRole('button', { name: `Block ${handle}`, exact: true }).waitFor();
    await card.getByRole('link', { name: 'Report this post', exact: true }).waitFor();
    // Escape and a click elsewhere close it (roost.js).
    await g.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden' });
    await toggle.click();
    await menu.waitFor();
    await g.getByRole('heading', { level: 1 }).first().click();
    await menu.waitFor({ state: 'hidden' });
  });

  await step('screenshots of the open menu at phone and desktop width', g, () =>
    menuScreenshots(grace, '/home', his, 'post-menu'),
  );

  await step("muting henry from his card takes his posts off grace's home", g, async () => {
    const card = statusWith(g, his);
    await menuOf(card).toggle.click();
    await submit(g, card.getByRole('button', { name: `Mute ${handle}`, exact: true }));
    await pathIs(g, '/home');
    await g.getByRole('status').filter({ hasText: 'Muted.' }).waitFor();
    await statusWith(g, hers).waitFor();
    assert.equal(await statusWith(g, his).count(), 0, "henry's post is gone from home");
  });

  await step('the safety settings list henry as muted; unmuting brings him back', g, async () => {
    await g.goto('/settings/safety');
    const muted = g.getByRole('list', { name: 'Muted accounts' });
    await muted.getByText(handle, { exact: false }).waitFor();
    await g.getByText('You block no one.').waitFor();
    await submit(g, muted.getByRole('button', { name: 'Unmute', exact: true }));
    await pathIs(g, '/settings/safety');
    await g.getByText('You mute no one.').waitFor();
    await g.goto('/home');
    await statusWith(g, his).waitFor();
  });

  await step('with scripts off the menu is a set of plain forms that work', g, async () => {
    const state = await grace.context.storageState();
    const off = await person(browser, BASE, DESKTOP, { javaScriptEnabled: false, storageState: state });
    const o = off.page;
    await o.goto('/home');
    const card = statusWith(o, his);
    const { toggle, menu } = menuOf(card);
    assert.ok(await menu.isHidden(), 'closed without scripts too');
    await toggle.click();
    await menu.waitFor();
    for (const action of ['mute', 'block']) {
      const form = card.locator(`form[method="post"][action="/@${henryName}/${action}"]`);
      assert.equal(await form.count(), 1, `a ${action} form`);
      assert.equal(await form.locator('input[type="hidden"][name="csrf"]').count(), 1, `the ${action} form carries the CSRF token`);
    }
    await submit(o, card.getByRole('button', { name: `Mute ${handle}`, exact: true }));
    await pathIs(o, '/home');
    assert.equal(await statusWith(o, his).count(), 0, 'muted with scripts off');
    await o.goto('/settings/safety');
    await submit(o, o.getByRole('list', { name: 'Muted accounts' }).getByRole('button', { name: 'Unmute', exact: true }));
    await o.getByText('You mute no one.').waitFor();
    off.clean();
    await off.context.close();
  });

  const comment = `spam from a card ${run}`;
  await step('grace reports the post from its card', g, async () => {
    await g.goto('/home');
    const card = statusWith(g, his);
    await menuOf(card).toggle.click();
    await card.getByRole('link', { name: 'Report this post', exact: true }).click();
    await pathIs(g, `/report/${handle}`);
    await g.getByRole('heading', { name: `Report ${handle}` }).waitFor();
    await g.getByLabel('Why?', { exact: true }).selectOption('spam');
    await g.getByLabel('Anything the moderators should know', { exact: true }).fill(comment);
    await submit(g, g.getByRole('button', { name: 'Send report', exact: true }));
    await g.getByRole('status').filter({ hasText: 'the moderators will look at your report' }).waitFor();
    assert.equal(await nav(g).getByRole('link', { name: 'Moderation' }).count(), 0, 'no moderation link for grace');
  });

  await step('a moderator finds it through the navigation and resolves it', g, async () => {
    const mod = await person(browser, BASE);
    const m = mod.page;
    await m.goto('/login');
    await m.getByLabel('Username or e-mail', { exact: true }).fill(MOD_LOGIN);
    await m.getByLabel('Password', { exact: true }).fill(MOD_PASSWORD);
    await submit(m, m.getByRole('button', { name: 'Log in', exact: true }));
    await nav(m).getByRole('link', { name: 'Moderation', exact: true }).click();
    await pathIs(m, '/admin/reports');
    assert.equal(await nav(m).getByRole('link', { name: 'Moderation' }).getAttribute('aria-current'), 'page');
    const report = m.locator('li.report').filter({ hasText: comment });
    await report.waitFor();
    await report.getByText(handle, { exact: true }).first().waitFor();
    await report.getByText('1 post(s)').waitFor();
    await report.getByRole('link', { name: `@${graceName}`, exact: true }).waitFor();
    await submit(m, report.getByRole('button', { name: 'Resolve', exact: true }));
    await pathIs(m, '/admin/reports');
    await m.getByRole('status').filter({ hasText: 'Report updated.' }).waitFor();
    assert.equal(await m.locator('li.report').filter({ hasText: comment }).count(), 0, 'gone from the open reports');
    await m.goto('/admin/reports?resolved=1');
    await m.locator('li.report').filter({ hasText: comment }).getByRole('button', { name: 'Reopen', exact: true }).waitFor();
    // The navigation with its extra entry, at phone and desktop width.
    await screenshots(browser, mod, BASE, '/admin/reports?resolved=1', 'admin-reports');
    mod.clean();
    await mod.context.close();
  });

  await step('a dismissed confirmation blocks no one', g, async () => {
    await g.goto('/home');
    const card = statusWith(g, his);
    await menuOf(card).toggle.click();
    let posted = 0;
    const count = (r) => {
      if (r.method() === 'POST') posted += 1;
    };
    g.on('request', count);
    grace.expectConfirm(/^Block @henry_/, false);
    await card.getByRole('button', { name: `Block ${handle}`, exact: true }).click();
    await g.waitForTimeout(300);
    g.off('request', count);
    assert.equal(posted, 0, 'nothing was sent');
    assert.equal(grace.confirmed.length, 1, 'grace was asked first');
    await statusWith(g, his).waitFor();
  });

  await step('blocking henry from his card, once confirmed, hides him', g, async () => {
    await g.goto('/home');
    const card = statusWith(g, his);
    await menuOf(card).toggle.click();
    grace.expectConfirm(/^Block @henry_\w+\? You will not see each other's posts/);
    await submit(g, card.getByRole('button', { name: `Block ${handle}`, exact: true }));
    await pathIs(g, '/home');
    await g.getByRole('status').filter({ hasText: 'Blocked.' }).waitFor();
    assert.equal(await statusWith(g, his).count(), 0, "henry's post is gone from home");
    assert.equal(grace.confirmed.length, 2);
    await g.goto('/settings/safety');
    await g.getByRole('list', { name: 'Blocked accounts' }).getByText(handle).waitFor();
    // His profile offers to undo the block, and no follow (the block ended it).
    await g.goto(`/@${henryName}`);
    await g.getByRole('button', { name: 'Unblock', exact: true }).waitFor();
    assert.equal(await g.getByRole('button', { name: /^(Follow|Unfollow)$/ }).count(), 0);
  });

  await step("henry sees nothing of grace's", h, async () => {
    await h.goto(`/@${graceName}`);
    await h.getByText('This account blocks you.').waitFor();
    assert.equal(await statusWith(h, hers).count(), 0, "grace's post is not on her profile for henry");
    assert.equal(await h.getByRole('button', { name: /^(Follow|Unfollow)$/ }).count(), 0);
  });

  grace.clean();
  henry.clean();
});
