import assert from "node:assert/strict";
import { Membership } from "./membership.ts";

Deno.test("membership: alone, a node is its own cluster", () => {
  const m = new Membership("a", 1_000);
  assert.deepEqual(m.nodes(0), ["a"]);
  assert.equal(m.heard("a", 0), false, "hearing itself adds nothing");
  assert.deepEqual(m.nodes(10_000), ["a"]);
  assert.deepEqual(m.expire(10_000), []);
});

Deno.test("membership: nodes heard join, sorted after this node; new ones are reported", () => {
  const m = new Membership("b", 1_000);
  assert.equal(m.heard("c", 100), true);
  assert.equal(m.heard("a", 200), true);
  assert.equal(m.heard("c", 300), false, "known");
  assert.deepEqual(m.nodes(400), ["b", "a", "c"]);
});

Deno.test("membership: a node not heard for expireMs leaves; heard again, it is new", () => {
  const m = new Membership("a", 1_000);
  m.heard("b", 0);
  m.heard("c", 0);
  m.heard("c", 600);
  assert.deepEqual(m.nodes(999), ["a", "b", "c"]);
  assert.deepEqual(m.nodes(1_000), ["a", "c"], "b: silent for exactly expireMs");
  assert.deepEqual(m.expire(1_000), ["b"]);
  assert.deepEqual(m.expire(1_000), [], "once");
  assert.deepEqual(m.nodes(1_599), ["a", "c"]);
  assert.deepEqual(m.expire(1_600), ["c"]);
  assert.deepEqual(m.nodes(1_600), ["a"]);
  assert.equal(m.heard("b", 2_000), true);
  assert.deepEqual(m.nodes(2_000), ["a", "b"]);
});

Deno.test("membership: a late (older) announcement does not move a node's time back", () => {
  const m = new Membership("a", 1_000);
  m.heard("b", 900);
  m.heard("b", 100);
  assert.deepEqual(m.nodes(1_500), ["a", "b"]);
});

Deno.test("membership: a node silent past expiry but not yet expired counts as new", () => {
  const m = new Membership("a", 1_000);
  m.heard("b", 0);
  assert.equal(m.heard("b", 5_000), true);
  assert.deepEqual(m.nodes(5_000), ["a", "b"]);
});
