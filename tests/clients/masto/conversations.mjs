// Direct messages through masto.js 8's REST client: conversations listed with their
// unread state, marked read, a reply reopening them unread, removed.
//
// Env: ROOST_URL, ALICE_TOKEN, BOB_TOKEN, CAROL_TOKEN (nobody follows anyone).
// Run by crates/server/tests/it/masto_js.rs with the package's Node:
//   node_modules/.bin/node --test-reporter=spec conversations.mjs

import assert from "node:assert/strict";
import { test } from "node:test";
import { createRestAPIClient } from "masto";

const env = (name) => {
  const v = process.env[name];
  assert.ok(v, `${name} must be set`);
  return v;
};
const url = env("ROOST_URL");
const alice = createRestAPIClient({ url, accessToken: env("ALICE_TOKEN") });
const bob = createRestAPIClient({ url, accessToken: env("BOB_TOKEN") });
const carol = createRestAPIClient({ url, accessToken: env("CAROL_TOKEN") });

/** The HTTP status of a failed call. */
async function statusOf(call) {
  try {
    await call();
  } catch (e) {
    return e.statusCode;
  }
  assert.fail("the call should have failed");
}

test("conversations: direct messages, unread, read, reply, remove", async () => {
  const aliceId = (await alice.v1.accounts.verifyCredentials()).id;
  const bobId = (await bob.v1.accounts.verifyCredentials()).id;
  const dm = await alice.v1.statuses.create({ status: "@bob psst, a secret", visibility: "direct" });
  assert.equal(dm.visibility, "direct");

  // bob's side: one conversation with alice, unread, the DM as its last status.
  const [theirs, ...rest] = await bob.v1.conversations.list();
  assert.deepEqual(rest, []);
  assert.ok(theirs, "bob has a conversation");
  assert.equal(theirs.unread, true);
  assert.equal(theirs.lastStatus.id, dm.id);
  assert.deepEqual(theirs.accounts.map((a) => a.id), [aliceId]);

  // alice's side: with bob, read (she wrote it).
  const [mine] = await alice.v1.conversations.list();
  assert.ok(mine, "alice has a conversation");
  assert.equal(mine.unread, false);
  assert.deepEqual(mine.accounts.map((a) => a.id), [bobId]);

  // carol sees none of it, and cannot touch bob's.
  assert.deepEqual(await carol.v1.conversations.list(), []);
  assert.equal(await statusOf(() => carol.v1.conversations.$select(theirs.id).read()), 404);

  const read = await bob.v1.conversations.$select(theirs.id).read();
  assert.equal(read.id, theirs.id);
  assert.equal(read.unread, false);
  assert.equal((await bob.v1.conversations.list())[0].unread, false);

  // bob answers: alice's conversation comes back unread with the reply last.
  const reply = await bob.v1.statuses.create({
    status: "@alice noted",
    visibility: "direct",
    inReplyToId: dm.id,
  });
  const again = await alice.v1.conversations.list();
  assert.equal(again.length, 1);
  assert.equal(again[0].id, mine.id);
  assert.equal(again[0].unread, true);
  assert.equal(again[0].lastStatus.id, reply.id);

  await bob.v1.conversations.$select(theirs.id).remove();
  assert.deepEqual(await bob.v1.conversations.list(), []);
  assert.equal(await statusOf(() => bob.v1.conversations.$select(theirs.id).read()), 404);
  // Removing is bob's alone: alice keeps hers.
  assert.equal((await alice.v1.conversations.list()).length, 1);
});
