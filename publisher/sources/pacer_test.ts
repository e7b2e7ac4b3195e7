import assert from "node:assert/strict";
import { FramePacer, type PacerClock, sleep } from "./pacer.ts";

/** A clock whose sleep advances time instantly; `jump` simulates a stall. */
function fakeClock(): PacerClock & { t: number; slept: number[] } {
  const c = {
    t: 1000,
    slept: [] as number[],
    now: () => c.t,
    sleep: (ms: number) => {
      c.slept.push(ms);
      c.t += ms;
      return Promise.resolve();
    },
  };
  return c;
}

Deno.test("FramePacer", async (t) => {
  await t.step("absolute schedule at the frame rate", async () => {
    const clock = fakeClock();
    const pacer = new FramePacer(25, { clock });
    const ticks = [];
    for (let i = 0; i < 5; i++) {
      ticks.push(await pacer.next());
      clock.t += 3; // work done per frame does not shift the schedule
    }
    assert.deepEqual(ticks, [0, 1, 2, 3, 4]);
    assert.equal(clock.t, 1000 + 4 * 40 + 3);
    assert.deepEqual(clock.slept, [37, 37, 37, 37]);
  });

  await t.step("a stall restarts the schedule and skips ticks, without a burst", async () => {
    const clock = fakeClock();
    const pacer = new FramePacer(10, { clock, maxLagMs: 500 });
    await pacer.next();
    clock.t += 2000; // stalled 2 s
    const tick = await pacer.next();
    assert.equal(tick, 1 + 19);
    assert.equal(pacer.resyncs, 1);
    assert.equal(await pacer.next(), 21);
    assert.deepEqual(clock.slept, [100]);
  });

  await t.step("small lag is caught up by not sleeping", async () => {
    const clock = fakeClock();
    const pacer = new FramePacer(10, { clock });
    await pacer.next();
    clock.t += 250;
    assert.equal(await pacer.next(), 1);
    assert.equal(await pacer.next(), 2);
    assert.equal(await pacer.next(), 3);
    assert.deepEqual(clock.slept, [50]);
  });

  await t.step("sleep is abortable", async () => {
    const ac = new AbortController();
    const p = sleep(10_000, ac.signal);
    ac.abort(new Error("stop"));
    await assert.rejects(p, /stop/);
  });

  await t.step("rejects a non-positive frame rate", () => {
    assert.throws(() => new FramePacer(0), RangeError);
  });
});
