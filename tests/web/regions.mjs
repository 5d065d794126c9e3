// Browser end-to-end test across two regions: a person in region A follows a person of
// region B from A's pages and sees B's posts on A's home timeline.
//
// Run through `cargo test -p roost-server --test it web_browser`, which starts the regions
// and sets ROOST_WEB_URL_A, ROOST_WEB_URL_B and ROOST_WEB_DOMAIN_B.

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
  screenshots,
  pathIs,
  submit,
  required,
  suffix,
} from './lib.mjs';

const A = required('ROOST_WEB_URL_A');
const B = required('ROOST_WEB_URL_B');
const DOMAIN_B = required('ROOST_WEB_DOMAIN_B');
let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("following a person of another region brings their posts home", { timeout: 180_000 }, async () => {
  const run = suffix();
  const ana = await person(browser, A);
  const budi = await person(browser, B);
  const a = ana.page;
  const b = budi.page;
  const handle = `budi_${run}@${DOMAIN_B}`;

  await step('ana signs up in region A', a, () => signUp(a, `ana_${run}`));
  await step('budi signs up in region B', b, () => signUp(b, `budi_${run}`));

  const early = `来自雅加达的问候 #跨区域 ${run}`;
  await step('budi posts in region B', b, () => compose(b, early));

  await step("ana opens budi's profile on A's site and follows him", a, async () => {
    const resp = await a.goto(`/@${handle}`);
    assert.equal(resp.status(), 200, `/@${handle} on region A`);
    await a.getByRole('heading', { level: 1 }).waitFor();
    await a.getByText(`@${handle}`).first().waitFor();
    await submit(a, a.getByRole('button', { name: 'Follow', exact: true }));
    await pathIs(a, `/@${handle}`);
    // The other region accepts asynchronously: pending first, then following.
    await reloadUntil(
      a,
      `/@${handle}`,
      () => a.getByRole('button', { name: 'Unfollow', exact: true }),
      'the follow to be accepted by region B',
    );
  });

  await step('budi is told in region B that ana follows him', b, async () => {
    await reloadUntil(b, '/notifications', () => b.getByText(/followed you/), 'the follow notification in region B');
    await b.getByText(`ana_${run}`).first().waitFor();
  });

  const later = `关注之后的新帖子 ${run}`;
  await step("budi posts again and it reaches ana's home in region A", a, async () => {
    await compose(b, later);
    await reloadUntil(a, '/home', () => statusWith(a, later), "budi's new post on ana's home timeline");
    const article = statusWith(a, later);
    await article.getByText(`@${handle}`).first().waitFor();
  });

  await step("budi's post from before the follow reaches ana's home too (backfill)", a, async () => {
    await reloadUntil(a, '/home', () => statusWith(a, early), "budi's earlier post on ana's home timeline");
  });

  await step('screenshots', a, async () => {
    await screenshots(browser, ana, A, '/home', 'home-two-regions');
    await screenshots(browser, ana, A, `/@${handle}`, 'profile-other-region');
  });

  ana.clean();
  budi.clean();
});
