// Polls through masto.js 8's REST client: posting one, reading it, voting, the rules a
// vote must keep, and the poll on the status afterwards.
//
// Env: ROOST_URL (http://host:port), ALICE_TOKEN, BOB_TOKEN.
// Run by crates/server/tests/it/masto_js.rs with the Node of the `node` package:
//   node_modules/.bin/node --test-reporter=spec polls.mjs

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

const status = (e) => e?.statusCode ?? e?.status ?? e?.cause?.statusCode;

test("a poll is posted, voted on once and tallied", async () => {
  const post = await alice.v1.statuses.create({
    status: "which one?",
    poll: { options: ["left", "right"], expiresIn: 600, multiple: false },
  });
  assert.deepEqual(post.poll.options.map((o) => o.title), ["left", "right"]);
  assert.equal(post.poll.expired, false);
  assert.equal(post.poll.voted, true, "the author counts as having voted");

  const fresh = await bob.v1.polls.$select(post.poll.id).fetch();
  assert.equal(fresh.voted, false);
  assert.deepEqual(fresh.ownVotes, []);

  const voted = await bob.v1.polls.$select(post.poll.id).votes.create({ choices: [1] });
  assert.equal(voted.voted, true);
  assert.deepEqual(voted.ownVotes, [1]);
  assert.equal(voted.votesCount, 1);
  assert.equal(voted.options[1].votesCount, 1);

  await assert.rejects(
    bob.v1.polls.$select(post.poll.id).votes.create({ choices: [0] }),
    (e) => status(e) === 422,
    "a second vote is refused",
  );
  await assert.rejects(
    alice.v1.polls.$select(post.poll.id).votes.create({ choices: [0] }),
    (e) => status(e) === 422,
    "one's own poll takes no vote",
  );
  const seen = await bob.v1.statuses.$select(post.id).fetch();
  assert.deepEqual(seen.poll.ownVotes, [1]);
});

test("a poll out of the advertised limits is refused", async () => {
  const v2 = await alice.v2.instance.fetch();
  const max = v2.configuration.polls.maxOptions;
  const options = Array.from({ length: max + 1 }, (_, i) => `o${i}`);
  await assert.rejects(
    alice.v1.statuses.create({ status: "too many", poll: { options, expiresIn: 600 } }),
    (e) => status(e) === 422,
  );
});
