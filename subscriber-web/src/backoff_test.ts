import assert from "node:assert/strict";
import { Backoff, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";

const noJitter = { ...DEFAULT_BACKOFF, jitter: 0 };

Deno.test("backoff: doubles from the base up to the cap", () => {
  const delays = Array.from({ length: 10 }, (_, i) => backoffDelay(i, noJitter));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
});

Deno.test("backoff: jitter spreads the delay over [d/2, d]", () => {
  assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 0), 2000);
  assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 0.999999), 4000);
  assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 0.5), 3000);
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(4, DEFAULT_BACKOFF);
    assert.ok(d >= 4000 && d <= 8000, String(d));
  }
});

Deno.test("backoff: never exceeds the cap, even for huge attempts", () => {
  assert.equal(backoffDelay(1e6, noJitter), 30000);
  assert.equal(backoffDelay(Number.POSITIVE_INFINITY, noJitter), 500);
  assert.equal(backoffDelay(-3, noJitter), 500);
  assert.equal(backoffDelay(5000, DEFAULT_BACKOFF, () => 1), 30000);
});

Deno.test("backoff: bad random values are clamped", () => {
  assert.equal(backoffDelay(0, DEFAULT_BACKOFF, () => Number.NaN), 250);
  assert.equal(backoffDelay(0, DEFAULT_BACKOFF, () => 7), 500);
});

Deno.test("Backoff: next() advances, reset() starts over", () => {
  const b = new Backoff({ baseMs: 100, maxMs: 1000, factor: 3, jitter: 0 });
  assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [100, 300, 900, 1000]);
  assert.equal(b.attempt, 4);
  b.reset();
  assert.equal(b.next(), 100);
});
