// Browser end-to-end tests of roost's web pages against one running region.
//
// Run through `cargo test -p roost-server --test it web_browser`, which starts roost and
// sets ROOST_WEB_URL; by hand: `ROOST_WEB_URL=http://127.0.0.1:8080 node tests/web/e2e.mjs`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch,
  person,
  step,
  signUp,
  compose,
  statusWith,
  reloadUntil,
  viewCount,
  screenshots,
  apiToken,
  json,
  nav,
  pathIs,
  submit,
  required,
  suffix,
  PASSWORD,
  DESKTOP,
  SHOTS,
} from './lib.mjs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const BASE = required('ROOST_WEB_URL');
let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('two people post, comment, repost, like and follow', { timeout: 240_000 }, async () => {
  const run = suffix();
  const alice = await person(browser, BASE);
  const bob = await person(browser, BASE);
  const a = alice.page;
  const b = bob.page;
  const tag = '散步';
  const text = `今天天气很好，我们去公园散步吧 #${tag} ${run}`;

  await step('alice signs up', a, () => signUp(a, `alice_${run}`));
  await step('bob signs up', b, () => signUp(b, `bob_${run}`));

  const post = await step('alice posts in Chinese with a hashtag', a, async () => {
    const ref = await compose(a, text);
    const article = statusWith(a, text);
    // The author's name and handle, linking to the profile.
    const author = article.locator('header').locator(`a[href="/@alice_${run}"]`).first();
    await author.waitFor();
    await article.locator('header').getByText(`@alice_${run}`, { exact: true }).waitFor();
    assert.match(await article.locator('.content').getAttribute('lang'), /^zh/);
    await a.getByRole('status').filter({ hasText: /\S/ }).first().waitFor();
    return ref;
  });

  await step('every page has the skip link, main and cached assets', a, async () => {
    const skip = a.getByRole('link', { name: 'Skip to content', exact: true });
    assert.equal(await skip.getAttribute('href'), '#main');
    assert.equal(await a.locator('main#main').count(), 1);
    await a.locator('header').getByRole('link', { name: 'roost', exact: true }).waitFor();
    const css = await a.locator('link[rel="stylesheet"][href^="/static/"]').first().getAttribute('href');
    const r = await a.request.get(css);
    assert.equal(r.status(), 200, css);
    assert.match(r.headers()['cache-control'] || '', /max-age=31536000/);
    assert.match(r.headers()['cache-control'] || '', /immutable/);
  });

  let first;
  await step('the post page counts its visits', a, async () => {
    await statusWith(a, text).locator('a.permalink').first().click();
    await pathIs(a, post.path);
    const focus = a.locator('article.status.focus');
    await focus.filter({ hasText: text }).waitFor();
    first = await viewCount(a);
    assert.equal(first, 1, 'the first visit is counted and shown at once');
    await a.reload();
    const second = await viewCount(a);
    assert.ok(second > first, `after a reload the count went up (was ${first}, now ${second})`);
    await a.getByRole('region', { name: 'Comments' }).getByRole('heading', { name: 'Comments' }).waitFor();
    await a.getByRole('region', { name: 'Related posts' }).getByRole('heading', { name: 'Related posts' }).waitFor();
    assert.equal(await a.locator('meta[property="og:type"]').getAttribute('content'), 'article');
    assert.match(await a.locator('meta[property="og:description"]').getAttribute('content'), /散步/);
    assert.ok(await a.locator('link[rel="alternate"][type="application/activity+json"]').count());
  });

  const comment = `说得好！我也想去。${run}`;
  await step('bob comments on the post', b, async () => {
    await b.goto(post.path);
    const form = b.getByRole('region', { name: 'Comments' });
    await form.getByLabel('Post a comment', { exact: true }).fill(comment);
    await submit(b, form.getByRole('button', { name: 'Comment', exact: true }));
    await b.goto(post.path);
    await b.getByRole('region', { name: 'Comments' }).locator('article.status').filter({ hasText: comment }).waitFor();
  });

  const words = `转发：值得一读 ${run}`;
  await step('bob reposts with his words', b, async () => {
    await b.goto(post.path);
    await b.getByLabel('Repost with your words', { exact: true }).fill(words);
    await submit(b, b.getByRole('button', { name: 'Repost', exact: true }));
    await b.goto(`/@bob_${run}`);
    const quote = statusWith(b, words);
    await quote.locator('blockquote.quote').filter({ hasText: text }).waitFor();
  });

  await step('bob likes the post', b, async () => {
    await b.goto(post.path);
    const focus = b.locator('article.status.focus');
    await submit(b, focus.getByRole('button', { name: 'Like', exact: true }));
    await pathIs(b, post.path);
    await b.locator('article.status.focus').getByRole('button', { name: 'Unlike', exact: true }).waitFor();
  });

  await step('alice is told about the like', a, async () => {
    await a.goto('/notifications');
    await a.getByText(/liked your post/).first().waitFor();
  });

  await step('bob follows alice and sees her post at home', b, async () => {
    await b.goto(`/@alice_${run}`);
    await b.getByRole('heading', { level: 1 }).waitFor();
    await submit(b, b.getByRole('button', { name: 'Follow', exact: true }));
    await pathIs(b, `/@alice_${run}`);
    await b.getByRole('button', { name: 'Unfollow', exact: true }).waitFor();
    await b.getByText(/\b1 followers?\b/).first().waitFor();
    await reloadUntil(b, '/home', () => statusWith(b, text), "alice's post on bob's home timeline");
  });

  await step('the hashtag page and its RSS feed', b, async () => {
    await b.goto(post.path);
    await b.locator('article.status.focus .content').getByRole('link', { name: `#${tag}` }).click();
    await b.getByRole('heading', { level: 1, name: `#${tag}` }).waitFor();
    assert.equal(decodeURIComponent(new URL(b.url()).pathname), `/tags/${tag}`);
    await statusWith(b, text).waitFor();
    const href = await b.locator('link[rel="alternate"][type="application/rss+xml"]').getAttribute('href');
    const rss = new URL(href, b.url());
    assert.equal(decodeURIComponent(rss.pathname), `/tags/${tag}.rss`);
    const feed = await b.request.get(rss.href);
    assert.equal(feed.status(), 200);
    assert.match(feed.headers()['content-type'], /application\/rss\+xml/);
    const body = await feed.text();
    assert.match(body, /<rss[\s>]/);
    assert.ok(body.includes(run), `the feed lists the post: ${body.slice(0, 1500)}`);
  });

  await step("alice's profile feeds", b, async () => {
    for (const [ext, type, root] of [
      ['rss', /application\/rss\+xml/, /<rss[\s>]/],
      ['atom', /application\/atom\+xml/, /<feed[\s>]/],
    ]) {
      const r = await b.request.get(`${BASE}/@alice_${run}.${ext}`);
      assert.equal(r.status(), 200, `/@alice_${run}.${ext}`);
      assert.match(r.headers()['content-type'], type);
      const body = await r.text();
      assert.match(body, root);
      assert.ok(body.includes(run), `the ${ext} feed lists alice's post`);
    }
  });

  await step("previous and next links walk alice's posts", a, async () => {
    const newer = await compose(a, `第二条：晚上去吃火锅 ${run}`);
    await a.goto(newer.path);
    await a.getByRole('link', { name: 'Previous post', exact: true }).click();
    await pathIs(a, post.path);
    await a.getByRole('link', { name: 'Next post', exact: true }).click();
    await pathIs(a, newer.path);
  });

  await step('bob reblogs the post', b, async () => {
    await b.goto(post.path);
    await submit(b, b.locator('article.status.focus').getByRole('button', { name: 'Reblog', exact: true }));
    await b.locator('article.status.focus').getByRole('button', { name: 'Undo reblog', exact: true }).waitFor();
    await b.goto(`/@bob_${run}`);
    await statusWith(b, text).getByText(/reblogged/).waitFor();
  });

  await step("alice's profile shows counts, feeds and Open Graph", b, async () => {
    await b.goto(`/@alice_${run}`);
    await b.getByText(/\b2 posts\b/).first().waitFor();
    await b.getByText(/\b0 following\b/).first().waitFor();
    assert.equal(await b.locator('meta[property="og:type"]').getAttribute('content'), 'profile');
    for (const type of ['application/rss+xml', 'application/atom+xml']) {
      const href = await b.locator(`link[rel="alternate"][type="${type}"]`).getAttribute('href');
      assert.ok(href?.endsWith(`/@alice_${run}.${type.includes('rss') ? 'rss' : 'atom'}`), href);
    }
  });

  await step('your data names the home region', a, async () => {
    const r = await a.goto('/your-data');
    assert.equal(r.status(), 200);
    await a.getByRole('heading', { level: 1 }).waitFor();
    await a.getByText(/home region/i).first().waitFor();
  });

  await step('screenshots', b, async () => {
    await screenshots(browser, bob, BASE, post.path, 'post');
    await screenshots(browser, bob, BASE, `/@alice_${run}`, 'profile');
    await screenshots(browser, bob, BASE, '/home', 'home');
  });

  alice.clean();
  bob.clean();
});

test('HTML in posts, display names and comments renders as text', { timeout: 180_000 }, async () => {
  const run = suffix();
  const script = `<script>alert("xss-${run}")</script>`;
  const img = `"><img src=x onerror=alert(1)>`;
  const mallory = await person(browser, BASE);
  const trudy = await person(browser, BASE);
  const m = mallory.page;
  const t = trudy.page;
  const injected = [];
  for (const p of [m, t]) {
    // A request for the injected image's `src` would mean the markup became an element.
    p.on('request', (r) => {
      if (/\/x$/.test(new URL(r.url()).pathname)) injected.push(r.url());
    });
  }

  await step('mallory and trudy sign up', m, async () => {
    await signUp(m, `mallory_${run}`);
    await signUp(t, `trudy_${run}`);
  });

  await step('their display names and bio are set through the API', m, async () => {
    const mt = await apiToken(BASE, `mallory_${run}`);
    const tt = await apiToken(BASE, `trudy_${run}`);
    await json(BASE, 'PATCH', '/api/v1/accounts/update_credentials', mt, {
      display_name: '<script>alert(2)</script>',
      note: `${script} ${img}`,
    });
    await json(BASE, 'PATCH', '/api/v1/accounts/update_credentials', tt, { display_name: img });
  });

  const text = `注入 ${script} ${img} ${run}`;
  const post = await step('mallory posts markup', m, async () => compose(m, text));

  await step('trudy comments with markup and follows mallory', t, async () => {
    await t.goto(post.path);
    const comments = t.getByRole('region', { name: 'Comments' });
    await comments.getByLabel('Post a comment', { exact: true }).fill(`评论 ${img} ${script}`);
    await submit(t, comments.getByRole('button', { name: 'Comment', exact: true }));
    // A follow puts trudy's name on mallory's notifications page.
    await t.goto(`/@mallory_${run}`);
    await submit(t, t.getByRole('button', { name: 'Follow', exact: true }));
    await t.getByRole('button', { name: 'Unfollow', exact: true }).waitFor();
  });

  const pages = [post.path, `/@mallory_${run}`, `/@trudy_${run}`, '/home', '/public', '/notifications'];
  for (const path of pages) {
    await step(`the markup shows as text on ${path}`, m, async () => {
      await m.goto(path);
      const main = m.locator('main');
      if (path === post.path) {
        const focus = m.locator('article.status.focus');
        await focus.locator('.content').getByText(script).waitFor();
        await focus.locator('.content').getByText(img).waitFor();
        await focus.getByText('<script>alert(2)</script>').first().waitFor();
        const comments = m.getByRole('region', { name: 'Comments' });
        await comments.getByText(`评论 ${img} ${script}`).waitFor();
        await comments.getByText(img, { exact: true }).first().waitFor();
      } else if (path === `/@mallory_${run}`) {
        await m.getByRole('heading', { level: 1, name: '<script>alert(2)</script>' }).waitFor();
        await main.getByText(script).first().waitFor();
      } else if (path === `/@trudy_${run}`) {
        await m.getByRole('heading', { level: 1, name: img }).waitFor();
      } else if (path === '/notifications') {
        await main.getByText(img).first().waitFor();
      } else {
        await main.getByText(script).first().waitFor();
      }
      const live = await m.evaluate(() => ({
        scripts: [...document.scripts].filter((s) => /alert\(/.test(s.textContent)).length,
        imgs: document.querySelectorAll('img[src="x"], [onerror]').length,
      }));
      assert.deepEqual(live, { scripts: 0, imgs: 0 }, `no injected elements on ${path}`);
    });
  }

  assert.deepEqual(injected, [], 'the injected image was never requested');
  mallory.clean();
  trudy.clean();
});

test('log out and in, CSRF and not-found pages', { timeout: 120_000 }, async () => {
  const run = suffix();
  const carol = await person(browser, BASE);
  const c = carol.page;
  const name = `carol_${run}`;

  await step('carol signs up and logs out', c, async () => {
    await signUp(c, name);
    await submit(c, nav(c).getByRole('button', { name: 'Log out', exact: true }));
    await pathIs(c, '/');
    await nav(c).getByRole('link', { name: 'Log in', exact: true }).waitFor();
    await nav(c).getByRole('link', { name: 'Sign up', exact: true }).waitFor();
    assert.equal(await nav(c).getByRole('button', { name: 'Log out' }).count(), 0);
  });

  await step('home needs a session and log-in returns there', c, async () => {
    await c.goto('/home');
    await pathIs(c, '/login');
    assert.equal(new URL(c.url()).searchParams.get('next'), '/home');
    await c.getByLabel('Username or e-mail', { exact: true }).fill(`${name}@example.org`);
    await c.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await submit(c, c.getByRole('button', { name: 'Log in', exact: true }));
    await pathIs(c, '/home');
    await nav(c).getByRole('button', { name: 'Log out', exact: true }).waitFor();
  });

  await step('a wrong password is refused', c, async () => {
    const other = await person(browser, BASE);
    const o = other.page;
    await o.goto('/login');
    await o.getByLabel('Username or e-mail', { exact: true }).fill(name);
    await o.getByLabel('Password', { exact: true }).fill('not the password');
    await o.getByRole('button', { name: 'Log in', exact: true }).click();
    await o.getByRole('alert').first().waitFor();
    assert.equal(await nav(o).getByRole('button', { name: 'Log out' }).count(), 0);
    await other.context.close();
  });

  await step('a picture with its description is posted from the compose form', c, async () => {
    const words = `a picture ${run}`;
    const alt = `a grey dot ${run}`;
    await c.goto('/home');
    const form = c.locator('form').filter({ has: c.getByLabel("What's on your mind?", { exact: true }) });
    await form.getByLabel("What's on your mind?", { exact: true }).fill(words);
    await form.getByLabel('Picture 1', { exact: true }).setInputFiles({
      name: 'dot.png',
      mimeType: 'image/png',
      buffer: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==', 'base64'),
    });
    await form.getByLabel('Description of picture 1', { exact: true }).fill(alt);
    await form.getByRole('button', { name: 'Post', exact: true }).click();
    const img = statusWith(c, words).getByRole('img', { name: alt, exact: true });
    await img.waitFor();
    assert.equal(await img.getAttribute('loading'), 'lazy');
    const loaded = await img.evaluate((el) => el.complete ? el.naturalWidth : new Promise((ok) => { el.onload = () => ok(el.naturalWidth); el.onerror = () => ok(0); }));
    assert.ok(loaded > 0, 'the picture loads under the page CSP');
  });

  await step('a form with a tampered CSRF token gets the 403 page', c, async () => {
    const words = `不应出现 ${run}`;
    await c.goto('/home');
    const form = c.locator('form').filter({ has: c.getByLabel("What's on your mind?", { exact: true }) });
    await form.getByLabel("What's on your mind?", { exact: true }).fill(words);
    await form.locator('input[type="hidden"][name="csrf"]').evaluate((el) => {
      el.value = `${el.value.slice(0, -4)}AAAA`;
    });
    carol.allowFailedLoads = true;
    const answer = c.waitForResponse((r) => r.request().method() === 'POST');
    await form.getByRole('button', { name: 'Post', exact: true }).click();
    const resp = await answer;
    assert.equal(resp.status(), 403);
    assert.match(resp.headers()['content-type'], /text\/html/);
    await c.getByRole('heading').first().waitFor();
    assert.ok(await c.locator('main a[href="/"], header a[href="/"]').count(), 'a link home');
    assert.doesNotMatch(await c.locator('body').innerText(), /panicked|stack backtrace|at src\//);
    carol.allowFailedLoads = false;
    await c.goto('/home');
    assert.equal(await statusWith(c, words).count(), 0, 'the tampered post was not made');
  });

  await step('an unknown post gives the 404 page', c, async () => {
    carol.allowFailedLoads = true;
    for (const path of [`/@${name}/123456789012345`, `/@nobody_${run}`]) {
      const resp = await c.goto(path);
      assert.equal(resp.status(), 404, path);
      assert.match(resp.headers()['content-type'], /text\/html/);
      await c.getByRole('heading', { name: 'Not found' }).waitFor();
      assert.ok(await c.locator('a[href="/"]').count(), 'a link home');
    }
    carol.allowFailedLoads = false;
  });

  carol.clean();
});

test('the pages work without JavaScript', { timeout: 120_000 }, async () => {
  const run = suffix();
  const dave = await person(browser, BASE, DESKTOP, { javaScriptEnabled: false });
  const d = dave.page;
  const text = `没有脚本也能发帖 ${run}`;

  const ref = await step('dave signs up and posts with scripts off', d, async () => {
    await signUp(d, `dave_${run}`);
    return compose(d, text);
  });

  await step('he likes his post and logs out with scripts off', d, async () => {
    await d.goto(ref.path);
    await submit(d, d.locator('article.status.focus').getByRole('button', { name: 'Like', exact: true }));
    await d.locator('article.status.focus').getByRole('button', { name: 'Unlike', exact: true }).waitFor();
    await submit(d, nav(d).getByRole('button', { name: 'Log out', exact: true }));
    await pathIs(d, '/');
  });

  dave.clean();
});

// Waits for the page's live stream (`/home/live`, `/live/replies/ID`) to be answered: the
// server subscribes before it answers, so from then on nothing is missed.
function liveOpened(page, path) {
  return page.waitForResponse((r) => new URL(r.url()).pathname === path && r.status() === 200);
}

test('home and post pages tell of new posts and replies live', { timeout: 180_000 }, async () => {
  const run = suffix();
  const erin = await person(browser, BASE);
  const frank = await person(browser, BASE);
  const e = erin.page;
  const f = frank.page;
  const frankName = `frank_${run}`;

  await step('erin and frank sign up, erin follows frank', e, async () => {
    await signUp(e, `erin_${run}`);
    await signUp(f, frankName);
    await e.goto(`/@${frankName}`);
    await submit(e, e.getByRole('button', { name: 'Follow', exact: true }));
    await e.getByRole('button', { name: 'Unfollow', exact: true }).waitFor();
  });
  const token = await apiToken(BASE, frankName);
  const mine = await step('erin posts', e, () => compose(e, `erin 的第一条 ${run}`));

  const first = `frank 说：实时更新 ${run}`;
  await step('a followed post makes "1 new post" appear on home', e, async () => {
    const opened = liveOpened(e, '/home/live');
    await e.goto('/home');
    await opened;
    const banner = e.locator('a[data-live-event="post"]');
    assert.ok(await banner.isHidden(), 'no banner before anything arrives');
    assert.equal(await e.locator('[aria-live="polite"]').filter({ has: banner }).count(), 1);
    await json(BASE, 'POST', '/api/v1/statuses', token, { status: first });
    await e.getByRole('link', { name: '1 new post — show', exact: true }).waitFor();
    assert.equal(await statusWith(e, first).count(), 0, 'the post itself is not drawn from the stream');
  });

  await step('a second post counts, its deletion uncounts', e, async () => {
    const second = await json(BASE, 'POST', '/api/v1/statuses', token, { status: `second ${run}` });
    await e.getByRole('link', { name: '2 new posts — show', exact: true }).waitFor();
    await json(BASE, 'DELETE', `/api/v1/statuses/${second.id}`, token);
    await e.getByRole('link', { name: '1 new post — show', exact: true }).waitFor();
  });

  await step('a like of her post shows "1 new notification"', e, async () => {
    await json(BASE, 'POST', `/api/v1/statuses/${mine.id}/favourite`, token, {});
    await e.getByRole('link', { name: '1 new notification — show', exact: true }).waitFor();
    mkdirSync(SHOTS, { recursive: true });
    const shot = join(SHOTS, 'desktop-home-live.png');
    await e.screenshot({ path: shot });
    console.log(`  screenshot: ${shot}`);
  });

  await step('the banner shows the new post', e, async () => {
    const opened = liveOpened(e, '/home/live');
    await e.getByRole('link', { name: '1 new post — show', exact: true }).click();
    await pathIs(e, '/home');
    await statusWith(e, first).waitFor();
    await opened;
    assert.ok(await e.locator('a[data-live-event="post"]').isHidden(), 'the banner starts hidden again');
  });

  const comment = `frank 的评论 ${run}`;
  await step('a reply makes "1 new reply" appear on the post page', e, async () => {
    const opened = liveOpened(e, `/live/replies/${mine.id}`);
    await e.goto(mine.path);
    await opened;
    const comments = e.getByRole('region', { name: 'Comments' });
    await json(BASE, 'POST', '/api/v1/statuses', token, { status: comment, in_reply_to_id: mine.id });
    await comments.getByRole('link', { name: '1 new reply — show', exact: true }).click();
    await pathIs(e, mine.path);
    await e.getByRole('region', { name: 'Comments' }).locator('article.status').filter({ hasText: comment }).waitFor();
  });

  await step('with scripts off the pages render and the banners stay hidden', e, async () => {
    const state = await erin.context.storageState();
    const off = await person(browser, BASE, DESKTOP, { javaScriptEnabled: false, storageState: state });
    const o = off.page;
    const streams = [];
    o.on('request', (r) => {
      if (/\/live(\/|$)/.test(new URL(r.url()).pathname)) streams.push(r.url());
    });
    await o.goto('/home');
    await o.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    await statusWith(o, first).waitFor();
    assert.equal(await o.locator('a[data-live-event="post"]').count(), 1);
    assert.ok(await o.locator('a[data-live-event="post"]').isHidden(), 'the home banner is hidden');
    await o.goto(mine.path);
    await o.getByRole('region', { name: 'Comments' }).locator('article.status').filter({ hasText: comment }).waitFor();
    assert.ok(await o.locator('a[data-live-event="reply"]').isHidden(), 'the reply banner is hidden');
    assert.deepEqual(streams, [], 'no live stream was opened');
    off.clean();
    await off.context.close();
  });

  erin.clean();
  frank.clean();
});
