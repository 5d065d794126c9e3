// Browser tests of discovery: opting in to search in the settings, the search box and its
// results page (accounts, tags, posts; Chinese found by a word inside unspaced text),
// the trends panel, a tag page with its counts and related posts on a post page.
//
// Run through `cargo test -p roost-server --test it web_browser`, which starts roost and
// sets ROOST_WEB_URL.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, person, step, signUp, compose, statusWith, submit, pathIs, required, suffix } from './lib.mjs';

const BASE = required('ROOST_WEB_URL');
let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// Searches from the box in the page header and waits for the results page.
async function search(page, q) {
  const box = page.getByRole('search').first().getByRole('searchbox');
  await box.fill(q);
  await box.press('Enter');
  await pathIs(page, '/search');
  await page.getByRole('heading', { name: 'Posts', exact: true }).waitFor();
}

// The results page's posts, polled: the index takes a moment to see a new post.
async function postsFound(page, q, want, ms = 15_000) {
  const until = Date.now() + ms;
  for (;;) {
    await search(page, q);
    const found = page.locator('section[aria-labelledby="found-posts"] article.status');
    if ((await found.filter({ hasText: want }).count()) > 0) return found;
    if (Date.now() > until) throw new Error(`"${want}" not found by "${q}" after ${ms} ms`);
    await page.waitForTimeout(250);
  }
}

test('search, trends, tag pages and related posts', { timeout: 180_000 }, async () => {
  const run = suffix();
  const alice = await person(browser, BASE);
  const bob = await person(browser, BASE);
  const a = alice.page;
  const b = bob.page;
  const tag = `小米${run}`;
  const phone = `小米发布了新的手机操作系统 #${tag}`;
  // No run suffix here: the tag carries it, and related posts would rightly match it.
  const walk = '今天天气很好，我们去公园散步吧';
  const again = `这个手机操作系统很好用 #${tag}`;

  await step('alice signs up and lets people find her posts', a, async () => {
    await signUp(a, `alice_${run}`);
    await a.goto('/settings/profile');
    const box = a.getByLabel('Let people find my public posts in search');
    assert.equal(await box.isChecked(), false, 'search opt-in is off by default');
    await box.check();
    await submit(a, a.getByRole('button', { name: 'Save', exact: true }));
    await a.goto('/settings/profile');
    assert.equal(await a.getByLabel('Let people find my public posts in search').isChecked(), true);
  });
  const first = await step('alice posts about her phone, and about a walk', a, async () => {
    const ref = await compose(a, phone);
    await compose(a, walk);
    await compose(a, again);
    return ref;
  });

  await step('bob finds the phone posts by a word inside unspaced Chinese', b, async () => {
    await signUp(b, `bob_${run}`);
    const found = await postsFound(b, '操作系统', phone);
    await found.filter({ hasText: again }).first().waitFor();
    assert.equal(await found.filter({ hasText: walk }).count(), 0, 'the walk is not about phones');
  });

  await step('bob finds alice and the tag', b, async () => {
    await search(b, `alice_${run}`);
    const accounts = b.locator('section[aria-labelledby="found-accounts"]');
    await accounts.getByRole('link').filter({ hasText: `alice_${run}` }).first().waitFor();
    await search(b, `#${tag}`);
    const tags = b.locator('section[aria-labelledby="found-tags"] li').filter({ hasText: `#${tag}` });
    await tags.first().waitFor();
    assert.match(await tags.first().innerText(), /2 posts this week/);
  });

  await step('the tag page shows its posts and counts; the trends panel names it', b, async () => {
    await b.locator('section[aria-labelledby="found-tags"]').getByRole('link', { name: `#${tag}` }).click();
    await b.getByRole('heading', { name: `#${tag}`, level: 1 }).waitFor();
    assert.match(await b.locator('.tag-counts').innerText(), /2 posts this week, 2 today/);
    await statusWith(b, phone).waitFor();
    await statusWith(b, again).waitFor();
    assert.equal(await statusWith(b, walk).count(), 0);
    const trends = b.getByRole('complementary', { name: 'Trending in this region' });
    await trends.getByRole('link', { name: `#${tag}` }).waitFor();
    await b.goto('/public');
    await trends.getByRole('link', { name: `#${tag}` }).waitFor();
  });

  await step('the post page shows the other phone post as related', b, async () => {
    await b.goto(first.path);
    const related = b.getByRole('region', { name: 'Related posts' });
    await related.locator('article.status').filter({ hasText: again }).first().waitFor();
    assert.equal(await related.locator('article.status').filter({ hasText: walk }).count(), 0);
  });

  await step('signed out, the search page finds accounts and asks to log in for posts', b, async () => {
    const anon = await person(browser, BASE);
    await anon.page.goto(`/search?q=${encodeURIComponent(`alice_${run}`)}`);
    await anon.page.locator('section[aria-labelledby="found-accounts"]').getByRole('link').first().waitFor();
    await anon.page.getByText('to search posts.').waitFor();
    anon.clean();
  });
  alice.clean();
  bob.clean();
});
