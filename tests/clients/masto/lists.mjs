// roost's lists and filters through masto.js 8's REST client (and its list stream).
//
// Env: ROOST_URL, ALICE_TOKEN, BOB_TOKEN, CAROL_TOKEN; alice follows bob, nobody else
// follows anyone. Run by crates/server/tests/it/masto_js.rs with the package's Node:
//   node_modules/.bin/node --test-reporter=spec lists.mjs

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createRestAPIClient, createStreamingAPIClient } from "masto";

const env = (name) => {
  const v = process.env[name];
  assert.ok(v, `${name} must be set`);
  return v;
};
const url = env("ROOST_URL");
const alice = createRestAPIClient({ url, accessToken: env("ALICE_TOKEN") });
const bob = createRestAPIClient({ url, accessToken: env("BOB_TOKEN") });
const carol = createRestAPIClient({ url, accessToken: env("CAROL_TOKEN") });
const sockets = [];
after(() => sockets.forEach((s) => s.close()));

/** The HTTP status of a failed call. */
async function statusOf(call) {
  try {
    await call();
  } catch (e) {
    return e.statusCode;
  }
  assert.fail("the call should have failed");
}

test("lists: create, members, timeline, stream, update, delete", async () => {
  const bobId = (await bob.v1.accounts.verifyCredentials()).id;
  const list = await alice.v1.lists.create({ title: "Friends", repliesPolicy: "list", exclusive: false });
  assert.equal(list.title, "Friends");
  assert.equal(list.repliesPolicy, "list");
  assert.equal(list.exclusive, false);
  assert.deepEqual((await alice.v1.lists.list()).map((l) => l.id), [list.id]);

  await alice.v1.lists.$select(list.id).accounts.create({ accountIds: [bobId] });
  assert.equal(await statusOf(() => alice.v1.lists.$select(list.id).accounts.create({ accountIds: [bobId] })), 422);
  assert.equal(await statusOf(() => carol.v1.lists.$select(list.id).fetch()), 404);
  const members = await alice.v1.lists.$select(list.id).accounts.list();
  assert.deepEqual(members.map((a) => a.id), [bobId]);
  assert.deepEqual((await alice.v1.accounts.$select(bobId).lists.fetch()).map((l) => l.id), [list.id]);

  // The list stream: posts by members arrive with the list named.
  const socket = createStreamingAPIClient({
    streamingApiUrl: (await alice.v2.instance.fetch()).configuration.urls.streaming,
    accessToken: env("ALICE_TOKEN"),
  });
  sockets.push(socket);
  const events = socket.list.subscribe({ list: list.id }).values();
  // masto.js subscribes once its socket is open (after a backoff): post until one of the
  // posts comes back, keeping the one pending read across tries.
  const posted = new Set();
  let pending = events.next();
  let got;
  for (let i = 0; i < 20 && !got; i++) {
    posted.add((await bob.v1.statuses.create({ status: `for my list ${i}` })).id);
    const late = new Promise((r) => setTimeout(() => r(null), 700));
    const e = await Promise.race([pending, late]);
    if (e) {
      pending = events.next();
      assert.ok(!e.done, "the subscription ended");
      if (e.value.event === "update") {
        assert.ok(posted.has(e.value.payload.id), `a post of the list: ${e.value.payload.id}`);
        got = e.value;
      }
    }
  }
  pending.catch(() => {});
  assert.ok(got, "a list stream update");
  assert.deepEqual(got.stream, ["list", list.id]);

  const timeline = await alice.v1.timelines.list.$select(list.id).list({ limit: 40 });
  assert.ok(timeline.some((s) => s.id === got.payload.id), "the post is in the list timeline");

  const updated = await alice.v1.lists.$select(list.id).update({ title: "Pals", exclusive: true });
  assert.equal(updated.title, "Pals");
  assert.equal(updated.exclusive, true);
  const home = await alice.v1.timelines.home.list({ limit: 40 });
  assert.ok(!home.some((s) => s.id === got.payload.id), "an exclusive list's posts leave home");

  await alice.v1.lists.$select(list.id).accounts.remove({ accountIds: [bobId] });
  assert.deepEqual(await alice.v1.lists.$select(list.id).accounts.list(), []);
  await alice.v1.lists.$select(list.id).remove();
  assert.equal(await statusOf(() => alice.v1.lists.$select(list.id).fetch()), 404);
});

test("filters v2: keywords, statuses, filtered results", async () => {
  const filter = await alice.v2.filters.create({
    title: "Dragons",
    context: ["home", "thread"],
    filterAction: "warn",
    keywordsAttributes: [{ keyword: "dragon", wholeWord: true }],
  });
  assert.equal(filter.filterAction, "warn");
  assert.deepEqual(filter.keywords.map((k) => k.keyword), ["dragon"]);
  assert.equal(await statusOf(() => alice.v2.filters.create({ title: "", context: ["home"] })), 422);
  assert.equal(await statusOf(() => carol.v2.filters.$select(filter.id).fetch()), 404);

  const keyword = await alice.v2.filters.$select(filter.id).keywords.create({ keyword: "手机", wholeWord: true });
  assert.equal((await alice.v2.filters.keywords.$select(keyword.id).fetch()).keyword, "手机");

  const hit = await bob.v1.statuses.create({ status: "我的新手机很好" });
  const seen = await alice.v1.statuses.$select(hit.id).fetch();
  assert.equal(seen.filtered.length, 1);
  assert.equal(seen.filtered[0].filter.title, "Dragons");
  assert.deepEqual(seen.filtered[0].keywordMatches, ["手机"]);

  const fs = await alice.v2.filters.$select(filter.id).statuses.create({ statusId: hit.id });
  assert.equal(fs.statusId, hit.id);
  const again = await alice.v1.statuses.$select(hit.id).fetch();
  assert.deepEqual(again.filtered[0].statusMatches, [hit.id]);

  const edited = await alice.v2.filters.$select(filter.id).update({
    filterAction: "hide",
    keywordsAttributes: [{ id: keyword.id, _destroy: true }],
  });
  assert.equal(edited.filterAction, "hide");
  assert.deepEqual(edited.keywords.map((k) => k.keyword), ["dragon"]);
  await alice.v2.filters.$select(filter.id).remove();
  assert.deepEqual(await alice.v2.filters.list(), []);
});
