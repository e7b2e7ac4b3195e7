import assert from "node:assert/strict";
import type { AccessUnit } from "../media/access_unit.ts";
import { findCaptureTime } from "../media/timestamp_sei.ts";
import { SAMPLE_CLIP_PATH } from "./config.ts";
import { FileSource } from "./file_source.ts";

async function collectFor(source: FileSource, ms: number): Promise<AccessUnit[]> {
  const got: AccessUnit[] = [];
  const timer = setTimeout(() => void source.stop(), ms);
  for await (const au of source) got.push(au);
  clearTimeout(timer);
  return got;
}

Deno.test("FileSource", async (t) => {
  await t.step(
    "paces in real time at 30 fps with 3000-tick timestamps, starting on an IDR",
    async () => {
      const source = new FileSource({ path: SAMPLE_CLIP_PATH, fps: 30 });
      await source.start();
      const t0 = performance.now();
      const got = await collectFor(source, 600);
      const elapsed = performance.now() - t0;
      // ~18 frames in 600 ms (first one at t=0); allow timer slack.
      assert.ok(got.length >= 13 && got.length <= 20, `${got.length} frames in ${elapsed} ms`);
      assert.equal(got[0].keyframe, true);
      got.forEach((au, i) => assert.equal(au.timestamp, i * 3000));
      const wallSpan = got.at(-1)!.captureTimeMs - got[0].captureTimeMs;
      const mediaSpan = (got.at(-1)!.timestamp - got[0].timestamp) / 90;
      assert.ok(
        Math.abs(wallSpan - mediaSpan) < 60,
        `wall ${wallSpan} ms vs media ${mediaSpan} ms`,
      );
      assert.equal(source.running, false);
    },
  );

  await t.step(
    "loops the clip with timestamps continuing; frame rate is configurable",
    async () => {
      const source = new FileSource({ path: SAMPLE_CLIP_PATH, fps: 500 });
      await source.start();
      const got = await collectFor(source, 400);
      assert.ok(got.length > 130, `only ${got.length} frames`);
      const step = 90_000 / 500;
      for (let i = 1; i < got.length; i++) {
        assert.ok(got[i].timestamp > got[i - 1].timestamp, "monotonic");
        assert.equal((got[i].timestamp - got[i - 1].timestamp) % step, 0);
      }
      // Frame 120 is the first frame again (an IDR with SPS/PPS).
      assert.equal(got[120].keyframe, true);
      assert.deepEqual(got[120].nalus, got[0].nalus);
      assert.ok(source.stats().restarts >= 1);
      assert.equal(source.stats().keyframes, got.filter((a) => a.keyframe).length);
    },
  );

  await t.step("loop: false ends after one pass", async () => {
    const source = new FileSource({ path: SAMPLE_CLIP_PATH, fps: 1000, loop: false });
    await source.start();
    const got = await collectFor(source, 5000);
    assert.equal(got.length, 120);
  });

  await t.step("timestampSei embeds the capture time", async () => {
    const source = new FileSource({ path: SAMPLE_CLIP_PATH, fps: 100, timestampSei: true });
    await source.start();
    const got = await collectFor(source, 100);
    assert.ok(got.length > 0);
    for (const au of got) assert.equal(findCaptureTime(au.nalus), au.captureTimeMs);
  });

  await t.step("a file without an IDR is rejected", async () => {
    const path = await Deno.makeTempFile({ suffix: ".h264" });
    try {
      await Deno.writeFile(path, new Uint8Array([0, 0, 0, 1, 0x41, 0x9a, 0, 0, 1, 0x41, 0x9b]));
      const source = new FileSource({ path });
      await assert.rejects(source.start(), /no IDR/);
    } finally {
      await Deno.remove(path);
    }
  });
});
