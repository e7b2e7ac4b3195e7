import assert from "node:assert/strict";
import { LiveTimestamper } from "./live_clock.ts";

Deno.test("LiveTimestamper", async (t) => {
  await t.step("nominal spacing despite arrival jitter", () => {
    const clock = new LiveTimestamper(30);
    const arrivals = [0, 40, 61, 100, 139, 166];
    assert.deepEqual(arrivals.map((ms) => clock.next(5000 + ms)), [
      0,
      3000,
      6000,
      9000,
      12000,
      15000,
    ]);
    assert.equal(clock.resyncs, 0);
  });

  await t.step("re-anchors on the wall clock after a stall", () => {
    const clock = new LiveTimestamper(30, { maxDriftMs: 100 });
    clock.next(0);
    clock.next(33);
    const after = clock.next(1033);
    assert.equal(after, Math.round(1.033 * 90_000));
    assert.equal(clock.next(1066), after + 3000);
    assert.equal(clock.resyncs, 1);
  });

  await t.step("a burst keeps timestamps strictly increasing", () => {
    const clock = new LiveTimestamper(30, { maxDriftMs: 50 });
    const ts = Array.from({ length: 20 }, () => clock.next(0));
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i] > ts[i - 1]);
  });
});
