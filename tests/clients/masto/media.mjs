// roost's media API through a real client: masto.js 8's `v2.media.create` (multipart
// upload), polling `v1.media` until processed, then a post with `mediaIds`.
//
// Env: ROOST_URL (http://host:port), ALICE_TOKEN.
// Run by crates/server/tests/it/masto_js.rs with the Node of the `node` package:
//   node_modules/.bin/node --test-reporter=spec media.mjs

import assert from "node:assert/strict";
import { test } from "node:test";
import { deflateSync } from "node:zlib";
import { createRestAPIClient } from "masto";

const env = (name) => {
  const v = process.env[name];
  assert.ok(v, `${name} must be set`);
  return v;
};
const alice = createRestAPIClient({ url: env("ROOST_URL"), accessToken: env("ALICE_TOKEN") });

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};
/** A w x h RGB PNG. */
function png(w, h) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + 3 * w);
    for (let x = 0; x < w; x++) row.set([(x * 9) & 255, (y * 7) & 255, 120], 1 + 3 * x);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

test("v2.media.create, then a post with the attachment", async () => {
  let media = await alice.v2.media.create({
    file: new Blob([png(24, 16)], { type: "image/png" }),
    description: "a gradient from masto.js",
  });
  for (let i = 0; i < 50 && !media.url; i++) {
    await new Promise((ok) => setTimeout(ok, 100));
    media = await alice.v1.media.$select(media.id).fetch();
  }
  assert.equal(media.type, "image");
  assert.ok(media.url, "processed");
  assert.equal(media.meta.original.width, 24);
  assert.equal(media.description, "a gradient from masto.js");
  const status = await alice.v1.statuses.create({ status: "from masto.js", mediaIds: [media.id] });
  assert.equal(status.mediaAttachments.length, 1);
  assert.equal(status.mediaAttachments[0].id, media.id);
  const updated = await alice.v1.media.$select(media.id).update({ description: "renamed" });
  assert.equal(updated.description, "renamed");
});
