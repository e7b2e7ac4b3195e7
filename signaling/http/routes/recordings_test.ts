import assert from "node:assert/strict";
import { parseRange, UrlSigner } from "./recordings.ts";

Deno.test("parseRange: one byte range of RFC 9110 §14.1.2, else 416", () => {
  assert.equal(parseRange(undefined, 100), null);
  assert.deepEqual(parseRange("bytes=0-", 100), { start: 0, end: 99 });
  assert.deepEqual(parseRange("bytes=10-19", 100), { start: 10, end: 19 });
  assert.deepEqual(parseRange("bytes=90-500", 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=-10", 100), { start: 90, end: 99 });
  for (
    const bad of ["bytes=100-", "bytes=20-10", "bytes=-0", "bytes=-", "items=0-1", "bytes=0-1,5-6"]
  ) {
    assert.equal(parseRange(bad, 100), "bad", bad);
  }
});

Deno.test("UrlSigner: bound to user, camera, segment and expiry", () => {
  const s = new UrlSigner();
  const { exp, sig } = s.sign("alice", "door", "seg-1");
  assert.equal(s.verify("alice", "door", "seg-1", exp, sig), true);
  assert.equal(s.verify("bob", "door", "seg-1", exp, sig), false);
  assert.equal(s.verify("alice", "yard", "seg-1", exp, sig), false);
  assert.equal(s.verify("alice", "door", "seg-2", exp, sig), false);
  assert.equal(s.verify("alice", "door", "seg-1", String(Number(exp) + 1), sig), false);
  assert.equal(s.verify("alice", "door", "seg-1", exp, sig.slice(1)), false);
  const old = s.sign("alice", "door", "seg-1", Date.now() - 3600_000);
  assert.equal(s.verify("alice", "door", "seg-1", old.exp, old.sig), false, "expired");
  assert.equal(new UrlSigner().verify("alice", "door", "seg-1", exp, sig), false, "another key");
});
