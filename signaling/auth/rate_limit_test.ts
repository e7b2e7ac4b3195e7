import assert from "node:assert/strict";
import { Throttle } from "./rate_limit.ts";

Deno.test("throttle: free failures, then exponential backoff capped", () => {
  let now = 0;
  const t = new Throttle({ freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 4000 }, () => now);
  assert.equal(t.fail("a"), 0);
  assert.equal(t.fail("a"), 0);
  assert.equal(t.fail("a"), 1000);
  assert.equal(t.retryAfterMs("a"), 1000);
  assert.equal(t.retryAfterMs("b"), 0);
  assert.equal(t.fail("a"), 2000);
  assert.equal(t.fail("a"), 4000);
  assert.equal(t.fail("a"), 4000);
  now += 4000;
  assert.equal(t.retryAfterMs("a"), 0);
  t.succeed("a");
  assert.equal(t.fail("a"), 0);
});

Deno.test("throttle: forgets old failures and bounds its memory", () => {
  let now = 0;
  const t = new Throttle(
    { freeFailures: 0, baseDelayMs: 10, maxDelayMs: 10, forgetAfterMs: 100, maxKeys: 3 },
    () => now,
  );
  t.fail("a");
  now = 1000;
  assert.equal(t.retryAfterMs("a"), 0);
  for (const k of ["w", "x", "y", "z"]) t.fail(k);
  assert.equal(t.retryAfterMs("w"), 0); // evicted
  assert.equal(t.retryAfterMs("z"), 10);
});
