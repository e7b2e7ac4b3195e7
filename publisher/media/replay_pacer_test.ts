import assert from "node:assert/strict";
import type { AccessUnit } from "./access_unit.ts";
import { FanoutHub } from "./fanout.ts";
import { paceReplay } from "./replay_pacer.ts";

function frame(i: number): AccessUnit {
  const slice = new Uint8Array(100).fill(1);
  slice[0] = i % 30 === 0 ? 0x65 : 0x41;
  return { nalus: [slice], keyframe: i % 30 === 0, timestamp: i * 3000, captureTimeMs: i };
}

Deno.test("paceReplay", async (t) => {
  await t.step(
    "replayed units wait for their bytes to drain; live units pass straight",
    async () => {
      const hub = new FanoutHub();
      for (let i = 0; i < 10; i++) hub.publish(frame(i));
      const sent: number[] = [];
      const sleeps: number[] = [];
      let release: () => void = () => {};
      hub.subscribe(
        paceReplay((au) => void sent.push(au.captureTimeMs), {
          bitsPerSecond: 400_000, // 50 bytes per ms: each 100-byte unit = 2 ms
          minSleepMs: 4,
          sleep: (ms) => {
            sleeps.push(ms);
            return new Promise((r) => (release = r));
          },
        }),
      );
      assert.deepEqual(sent, [0, 1], "two units, then a 4 ms wait");
      hub.publish(frame(10)); // live: queued behind the replay
      await new Promise((r) => setTimeout(r, 0)); // the first wait starts
      for (let k = 0; k < 5; k++) {
        release();
        await new Promise((r) => setTimeout(r, 0));
      }
      assert.deepEqual(sent, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.deepEqual(sleeps, [4, 4, 4, 4, 4]);
      hub.publish(frame(11));
      assert.equal(sent.at(-1), 11);
      assert.equal(sleeps.length, 5);
    },
  );
});
