// roost's streaming API through a real client: masto.js 8's WebSocket client
// (createStreamingAPIClient), with masto.js's REST client making the posts.
//
// Env: ROOST_URL (http://host:port), ALICE_TOKEN, BOB_TOKEN; alice follows bob. And a
// user of another region that alice follows: REMOTE_URL (its region), REMOTE_TOKEN,
// REMOTE_ACCT (its handle as alice's region shows it).
// Run by crates/server/tests/it/masto_js.rs with the Node of the `node` package:
//   node_modules/.bin/node --test-reporter=spec stream.mjs
//
// Every wait for an event gives up after EVENT_MS, so a missing event fails the test
// instead of hanging it, and every client is closed at the end so node exits.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createRestAPIClient, createStreamingAPIClient } from "masto";

const EVENT_MS = 10_000;

const env = (name) => {
  const v = process.env[name];
  assert.ok(v, `${name} must be set`);
  return v;
};
const url = env("ROOST_URL");
const aliceToken = env("ALICE_TOKEN");
const bobToken = env("BOB_TOKEN");

const alice = createRestAPIClient({ url, accessToken: aliceToken });
const bob = createRestAPIClient({ url, accessToken: bobToken });
const remote = createRestAPIClient({ url: env("REMOTE_URL"), accessToken: env("REMOTE_TOKEN") });
const remoteAcct = env("REMOTE_ACCT");

let streamingApiUrl;
let aliceName;
let bobName;
const clients = [];

before(async () => {
  const v2 = await alice.v2.instance.fetch();
  streamingApiUrl = v2.configuration.urls.streaming;
  assert.match(streamingApiUrl, /^wss?:\/\//, "instance v2 configuration.urls.streaming");
  const v1 = await alice.v1.instance.fetch();
  assert.equal(v1.urls.streamingApi, streamingApiUrl, "instance v1 urls.streaming_api agrees");
  aliceName = (await alice.v1.accounts.verifyCredentials()).username;
  bobName = (await bob.v1.accounts.verifyCredentials()).username;
});

after(() => {
  for (const c of clients) c.close();
});

/** A streaming client for `accessToken`, closed when the file's tests end. */
function streaming(accessToken) {
  const c = createStreamingAPIClient({ streamingApiUrl, accessToken });
  clients.push(c);
  return c;
}

/** No event came in time. */
class Late extends Error {}

/**
 * Reads one masto.js subscription with a deadline per event. Updates of the readiness
 * probes are skipped, so a probe that arrives late does not count as a real event.
 */
class Reader {
  constructor(subscription, label) {
    this.it = subscription.values();
    this.label = label;
    this.probes = new Set();
    this.pending = null;
    this.seen = [];
  }

  /** The next event; throws when none comes within `ms`. */
  async next(ms = EVENT_MS) {
    for (;;) {
      const e = await this.raw(ms);
      if (e.event === "update" && this.probes.has(e.payload.id)) continue;
      this.seen.push(`${e.event} ${e.event === "delete" ? e.payload : e.payload?.id}`);
      return e;
    }
  }

  async raw(ms) {
    // A wait that timed out leaves its next() pending; the following call picks it up.
    const p = this.pending ?? this.it.next();
    this.pending = p;
    p.catch(() => {}); // a rejection after a timeout is not unhandled
    let timer;
    const late = new Promise((_, reject) => {
      const seen = this.seen.join(", ") || "none";
      const why = `${this.label}: no event within ${ms} ms (seen before: ${seen})`;
      timer = setTimeout(() => reject(new Late(why)), ms);
    });
    try {
      const r = await Promise.race([p, late]);
      this.pending = null;
      assert.ok(!r.done, `${this.label}: the subscription ended`);
      return r.value;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts the subscription (masto.js sends `subscribe` on the first read) and returns
   * once it delivers: posts a probe through `post` until one comes back. There is no
   * acknowledgement of a subscribe in Mastodon's protocol, and masto.js opens its socket
   * only after a one-second backoff, so the first probes are usually missed.
   */
  async ready(post, ms = EVENT_MS) {
    const deadline = Date.now() + ms;
    for (let wait = 200; Date.now() < deadline; wait = Math.min(2 * wait, 1600)) {
      const probe = await post();
      this.probes.add(probe.id);
      try {
        const e = await this.raw(Math.min(wait, Math.max(1, deadline - Date.now())));
        if (e.event === "update" && this.probes.has(e.payload.id)) return;
        assert.fail(`${this.label}: before any probe came ${e.event} ${JSON.stringify(e.payload)}`);
      } catch (err) {
        // No probe yet: the subscribe may not have been applied; post another.
        if (!(err instanceof Late)) throw err;
      }
    }
    assert.fail(`${this.label}: no probe came back within ${ms} ms`);
  }
}

test("the user stream: update, mention notification, status.update, delete", async () => {
  const user = new Reader(streaming(aliceToken).user.subscribe(), "user");
  let n = 0;
  await user.ready(() => bob.v1.statuses.create({ status: `probe ${++n} for the user stream` }));

  const post = await bob.v1.statuses.create({ status: "hello from masto.js #roost" });
  let e = await user.next();
  assert.equal(e.event, "update");
  assert.deepEqual(e.stream, ["user"]);
  assert.equal(e.payload.id, post.id);
  assert.equal(e.payload.content, post.content);
  assert.equal(e.payload.account.username, bobName);

  // A mention: alice gets the status (she follows bob) and the notification, in any order.
  const mention = await bob.v1.statuses.create({ status: `@${aliceName} look at this` });
  const two = [await user.next(), await user.next()].sort((a, b) => a.event.localeCompare(b.event));
  assert.deepEqual(two.map((x) => x.event), ["notification", "update"]);
  const [note, update] = two;
  assert.equal(note.payload.type, "mention");
  assert.equal(note.payload.account.username, bobName);
  assert.equal(note.payload.status.id, mention.id);
  assert.equal(update.payload.id, mention.id);

  // An edit.
  const edited = await bob.v1.statuses
    .$select(post.id)
    .update({ status: "hello again from masto.js #roost" });
  e = await user.next();
  assert.equal(e.event, "status.update");
  assert.equal(e.payload.id, post.id);
  assert.match(e.payload.content, /hello again from masto\.js/);
  assert.equal(e.payload.content, edited.content);
  assert.ok(e.payload.editedAt, "an edited status has edited_at");

  // The deletion: the payload is the bare id.
  await bob.v1.statuses.$select(post.id).remove();
  e = await user.next();
  assert.equal(e.event, "delete");
  assert.equal(e.payload, post.id);
});

test("a post made in another region reaches the user stream", async () => {
  const user = new Reader(streaming(aliceToken).user.subscribe(), "user (remote)");
  let n = 0;
  await user.ready(() => bob.v1.statuses.create({ status: `probe ${++n} before the remote post` }));
  const post = await remote.v1.statuses.create({ status: "from the other region, via masto.js" });
  const e = await user.next();
  assert.equal(e.event, "update");
  assert.equal(e.payload.id, post.id);
  assert.equal(e.payload.account.acct, remoteAcct);
  await remote.v1.statuses.$select(post.id).remove();
  const d = await user.next();
  assert.equal(d.event, "delete");
  assert.equal(d.payload, post.id);
});

test("the hashtag stream gets a tagged public post", async () => {
  const tag = new Reader(streaming(aliceToken).hashtag.subscribe({ tag: "mastojs" }), "hashtag");
  let n = 0;
  await tag.ready(() => bob.v1.statuses.create({ status: `probe ${++n} #mastojs` }));

  const tagged = await bob.v1.statuses.create({ status: "tagged #mastojs", visibility: "public" });
  const e = await tag.next();
  assert.equal(e.event, "update");
  assert.deepEqual(e.stream, ["hashtag", "mastojs"]);
  assert.equal(e.payload.id, tagged.id);
  assert.equal(e.payload.content, tagged.content);
});

test("the public stream skips an unlisted post", async () => {
  const pub = new Reader(streaming(aliceToken).public.subscribe(), "public");
  let n = 0;
  await pub.ready(() => bob.v1.statuses.create({ status: `probe ${++n} for the public stream` }));

  const unlisted = await bob.v1.statuses.create({ status: "quiet", visibility: "unlisted" });
  const sentinel = await bob.v1.statuses.create({ status: "loud", visibility: "public" });
  const e = await pub.next();
  assert.equal(e.event, "update");
  assert.deepEqual(e.stream, ["public"]);
  assert.notEqual(e.payload.id, unlisted.id, "the unlisted post reached the public stream");
  assert.equal(e.payload.id, sentinel.id);
});

// Mastodon names a hashtag stream with the tag as the client subscribed to it
// (`["hashtag", "MastoJS"]`), and masto.js keeps only the events whose `stream` holds
// that exact tag.
test(
  "a hashtag subscribed with capitals",
  async () => {
    const sub = streaming(aliceToken).hashtag.subscribe({ tag: "MastoJS" });
    const tag = new Reader(sub, "hashtag MastoJS");
    let n = 0;
    await tag.ready(() => bob.v1.statuses.create({ status: `probe ${++n} #MastoJS` }), 3000);
    const tagged = await bob.v1.statuses.create({ status: "capitals #MastoJS" });
    const e = await tag.next();
    assert.deepEqual(e.stream, ["hashtag", "MastoJS"]);
    assert.equal(e.payload.id, tagged.id);
  },
);
