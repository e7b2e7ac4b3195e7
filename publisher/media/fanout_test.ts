import assert from "node:assert/strict";
import type { AccessUnit } from "./access_unit.ts";
import { type Delivery, FanoutHub } from "./fanout.ts";
import { nalType } from "./nal.ts";

const SPS = new Uint8Array([0x67, 0x42, 0xc0, 0x1f]);
const PPS = new Uint8Array([0x68, 0xce, 0x3c, 0x80]);

/** Frame i of a 30 fps stream with an IDR every `gop` frames; SPS/PPS only on frame 0. */
function frame(
  i: number,
  gop = 30,
  opts: { disposable?: boolean; size?: number } = {},
): AccessUnit {
  const keyframe = i % gop === 0;
  const slice = new Uint8Array(opts.size ?? 100).fill(i & 0xff);
  slice[0] = keyframe ? 0x65 : opts.disposable ? 0x01 : 0x41;
  slice[1] = 0x88;
  return {
    nalus: i === 0 ? [SPS, PPS, slice] : [slice],
    keyframe,
    timestamp: 10_000 + i * 3000,
    captureTimeMs: 1000 + i,
  };
}

interface Got {
  au: AccessUnit;
  d: Delivery;
}

function collector(): { got: Got[]; sink: (au: AccessUnit, d: Delivery) => void } {
  const got: Got[] = [];
  return { got, sink: (au, d) => void got.push({ au, d }) };
}

function assertIncreasing(got: Got[]): void {
  for (let i = 1; i < got.length; i++) {
    assert.ok(got[i].au.timestamp > got[i - 1].au.timestamp, `timestamp ${i} not increasing`);
  }
}

Deno.test("FanoutHub", async (t) => {
  await t.step("a new subscriber gets the GOP replay from its IDR, squeezed, then live", () => {
    const hub = new FanoutHub();
    for (let i = 0; i < 40; i++) hub.publish(frame(i));
    const { got, sink } = collector();
    const sub = hub.subscribe(sink);
    assert.equal(got.length, 10);
    assert.equal(got[0].au.keyframe, true);
    assert.deepEqual(got[0].au.nalus.map(nalType), [7, 8, 5], "SPS/PPS added to the cached IDR");
    assert.ok(got.every((g) => g.d.replayed));
    assert.equal(got[0].d.sourceTimestamp, 10_000 + 30 * 3000);
    // Squeezed 90 ticks apart, ending on the last cached timestamp.
    assert.equal(got[9].au.timestamp, 10_000 + 39 * 3000);
    assert.equal(got[9].au.timestamp - got[0].au.timestamp, 9 * 90);
    for (let i = 40; i < 45; i++) hub.publish(frame(i));
    assert.equal(got.length, 15);
    assert.equal(got[10].d.replayed, false);
    assert.equal(got[10].au.timestamp, 10_000 + 40 * 3000, "live keeps its spacing");
    assertIncreasing(got);
    assert.deepEqual(sub.stats.delivered, 15);
    assert.deepEqual(sub.stats.replayed, 10);
    assert.equal(hub.stats.published, 45);
  });

  await t.step(
    "without a cached GOP (or replay: false) a subscriber waits for the next IDR",
    () => {
      const hub = new FanoutHub();
      const early = collector();
      hub.subscribe(early.sink);
      for (let i = 0; i < 5; i++) hub.publish(frame(i + 1)); // no IDR yet
      assert.equal(early.got.length, 0);
      const late = collector();
      hub.subscribe(late.sink, { replay: false });
      for (let i = 5; i < 31; i++) hub.publish(frame(i + 1)); // frame 30 is an IDR
      assert.equal(early.got[0].au.keyframe, true);
      assert.equal(late.got[0].au.keyframe, true);
      assert.equal(early.got.length, 2);
    },
  );

  await t.step("every subscriber receives the same units in order", () => {
    const hub = new FanoutHub();
    const a = collector();
    const b = collector();
    hub.subscribe(a.sink);
    hub.subscribe(b.sink);
    for (let i = 0; i < 60; i++) hub.publish(frame(i));
    assert.equal(a.got.length, 60);
    assert.deepEqual(a.got.map((g) => g.au.captureTimeMs), b.got.map((g) => g.au.captureTimeMs));
    assertIncreasing(a.got);
  });

  await t.step("a slow subscriber drops until the next IDR; its queue stays bounded", async () => {
    const hub = new FanoutHub();
    const got: AccessUnit[] = [];
    let release: () => void = () => {};
    let blocked = true;
    const slow = hub.subscribe((au) => {
      got.push(au);
      if (!blocked) return undefined;
      return new Promise<void>((r) => (release = r));
    }, { maxQueue: 10 });
    const fast = collector();
    hub.subscribe(fast.sink);
    let maxQueued = 0;
    for (let i = 0; i < 100; i++) {
      hub.publish(frame(i, 30, { size: 1000 }));
      maxQueued = Math.max(maxQueued, slow.stats.queued);
    }
    assert.ok(maxQueued <= 11, `queue grew to ${maxQueued}`);
    assert.equal(fast.got.length, 100, "others are not held back");
    assert.equal(got.length, 1);
    assert.ok(slow.stats.dropped > 50);
    // It got unstuck: delivery resumes at an IDR and goes on.
    blocked = false;
    release();
    await Promise.resolve();
    await Promise.resolve();
    const resumedAt = got.length;
    for (let i = 100; i < 125; i++) hub.publish(frame(i, 30, { size: 1000 }));
    assert.ok(got.length > resumedAt);
    assert.equal(got[1].keyframe, true, "first unit after the stall is an IDR");
    assert.equal(slow.stats.waitingForKeyframe, false);
    for (let i = 1; i < got.length; i++) assert.ok(got[i].timestamp > got[i - 1].timestamp);
  });

  await t.step("disposable (non-reference) units are dropped before anything else", async () => {
    const hub = new FanoutHub();
    const got: AccessUnit[] = [];
    const pending: Array<() => void> = [];
    const sub = hub.subscribe((au) => {
      got.push(au);
      return new Promise<void>((r) => pending.push(r));
    }, { maxQueue: 4 });
    hub.publish(frame(0));
    for (let i = 1; i <= 6; i++) hub.publish(frame(i, 30, { disposable: i % 2 === 0 }));
    assert.equal(sub.stats.dropped, 2);
    assert.equal(sub.stats.waitingForKeyframe, false);
    while (pending.length) {
      pending.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    }
    assert.deepEqual(got.map((a) => a.captureTimeMs - 1000), [0, 1, 3, 5, 6]);
  });

  await t.step("unsubscribe stops delivery, also with a promise in flight", async () => {
    const hub = new FanoutHub();
    let calls = 0;
    let release: () => void = () => {};
    const sub = hub.subscribe(() => {
      calls++;
      return new Promise<void>((r) => (release = r));
    });
    hub.publish(frame(0));
    hub.publish(frame(1));
    sub.unsubscribe();
    sub.unsubscribe();
    release();
    await new Promise((r) => setTimeout(r, 0));
    hub.publish(frame(2));
    assert.equal(calls, 1);
    assert.equal(hub.subscriberCount, 0);
  });

  await t.step("requestKeyframe replays the GOP after what was sent, rate-limited", () => {
    const hub = new FanoutHub();
    const { got, sink } = collector();
    const sub = hub.subscribe(sink, { minKeyframeIntervalMs: 1000 });
    for (let i = 0; i < 35; i++) hub.publish(frame(i));
    assert.equal(sub.requestKeyframe(5000), true);
    assert.equal(sub.requestKeyframe(5500), false);
    assert.equal(got.length, 35 + 5);
    assert.equal(got[35].au.keyframe, true);
    assert.equal(got[35].d.replayed, true);
    hub.publish(frame(35));
    assertIncreasing(got);
    assert.equal(got[40].au.timestamp - got[39].au.timestamp, 3000);
  });

  await t.step("a source that restarts its timeline still gives increasing timestamps", () => {
    const hub = new FanoutHub();
    const { got, sink } = collector();
    hub.subscribe(sink);
    for (let i = 0; i < 10; i++) hub.publish(frame(i));
    for (let i = 0; i < 10; i++) hub.publish(frame(i)); // restarted source
    assert.equal(got.length, 20);
    assertIncreasing(got);
    assert.equal(got[10].au.timestamp - got[9].au.timestamp, 3000);
  });

  await t.step("sink errors are counted and reported; delivery continues", async () => {
    const hub = new FanoutHub();
    const errors: unknown[] = [];
    let n = 0;
    const sub = hub.subscribe(() => {
      n++;
      if (n === 1) throw new Error("sync");
      if (n === 2) return Promise.reject(new Error("async"));
      return undefined;
    }, { onError: (e) => errors.push(e) });
    hub.publish(frame(0));
    hub.publish(frame(1));
    await new Promise((r) => setTimeout(r, 0));
    hub.publish(frame(2));
    assert.equal(n, 3);
    assert.equal(sub.stats.errors, 2);
    assert.equal(errors.length, 2);
  });
});
