import assert from "node:assert/strict";
import {
  parseDirectoryMessage,
  refreshMessages,
  ResponderDirectory,
  TOPICS_PER_MESSAGE,
} from "./responder_directory.ts";

Deno.test("responder directory: refresh, expiry, remove, bye", () => {
  const d = new ResponderDirectory(1_000);
  d.apply({ v: 1, node: "a", kind: "refresh", topics: ["t1", "t2"] }, 0);
  d.apply({ v: 1, node: "b", kind: "refresh", topics: ["t2"] }, 500);
  assert.equal(d.has("t1", 999), true);
  assert.equal(d.has("t1", 1_000), false, "expired");
  assert.equal(d.has("t2", 1_200), true, "b still holds t2");
  d.apply({ v: 1, node: "a", kind: "refresh", topics: ["t1"] }, 1_100);
  assert.equal(d.has("t1", 2_000), true, "refreshed");
  d.apply({ v: 1, node: "a", kind: "remove", topics: ["t1"] }, 1_200);
  assert.equal(d.has("t1", 1_200), false);
  d.apply({ v: 1, node: "b", kind: "bye", topics: [] }, 1_300);
  assert.equal(d.has("t2", 1_300), false);
  d.apply({ v: 1, node: "c", kind: "hello", topics: ["ignored"] }, 1_300);
  assert.equal(d.has("ignored", 1_300), false);
});

Deno.test("responder directory: sweep drops expired entries", () => {
  const d = new ResponderDirectory(100);
  d.apply({ v: 1, node: "a", kind: "refresh", topics: ["x", "y"] }, 0);
  d.apply({ v: 1, node: "b", kind: "refresh", topics: ["y"] }, 50);
  d.sweep(120);
  assert.equal(d.size, 1);
  assert.equal(d.has("y", 120), true);
  d.sweep(200);
  assert.equal(d.size, 0);
});

Deno.test("responder directory: announcements are parsed strictly and split", () => {
  const ok = { v: 1, node: "n", kind: "refresh", topics: ["a"] };
  assert.deepEqual(parseDirectoryMessage(ok), ok);
  for (
    const bad of [
      null,
      "x",
      { ...ok, v: 2 },
      { ...ok, node: "" },
      { ...ok, node: "n".repeat(65) },
      { ...ok, kind: "drop" },
      { ...ok, topics: "a" },
      { ...ok, topics: [1] },
      { ...ok, topics: Array(TOPICS_PER_MESSAGE + 1).fill("a") },
    ]
  ) {
    assert.equal(parseDirectoryMessage(bad), null, JSON.stringify(bad)?.slice(0, 60));
  }
  const topics = Array.from({ length: 1_201 }, (_, i) => `t${i}`);
  const parts = refreshMessages("n", topics);
  assert.deepEqual(parts.map((p) => p.topics.length), [500, 500, 201]);
  assert.deepEqual(parts.flatMap((p) => p.topics), topics);
  assert.deepEqual(refreshMessages("n", []), []);
});
