import assert from "node:assert/strict";
import type { AccessUnit } from "../media/access_unit.ts";
import { NalType, nalType } from "../media/nal.ts";
import { findCaptureTime } from "../media/timestamp_sei.ts";
import { createSource } from "./create_source.ts";
import { assertBinaries, ignoreWithout } from "./_needs_binary.ts";
import type { ProcessSource } from "./process_source.ts";
import { silentLogger } from "../../lib/log.ts";

Deno.test({
  name: "synthetic source (ffmpeg testsrc2 → Annex-B → access units)",
  ignore: ignoreWithout("ffmpeg"),
  fn: async (t) => {
    assertBinaries("ffmpeg");
    const collect = async (flushMs: number) => {
      const source = createSource(
        {
          kind: "synthetic",
          width: 320,
          height: 240,
          fps: 30,
          gop: 10,
          bitrateKbps: 300,
          timestampSei: true,
        },
        { logger: silentLogger, lowLatencyFlushMs: flushMs },
      ) as ProcessSource;
      await source.start();
      const got: AccessUnit[] = [];
      for await (const au of source) {
        got.push(au);
        if (got.length === 25) break; // leaving the loop stops the source
      }
      await source.stop();
      assert.equal(source.pid, null);
      return { got, stats: source.stats() };
    };

    await t.step("pictures in order, IDR every 10 with SPS/PPS, timestamps and SEI", async () => {
      const { got } = await collect(0);
      assert.equal(got[0].keyframe, true);
      got.forEach((au, i) => {
        assert.equal(au.keyframe, i % 10 === 0, `AU ${i}`);
        if (au.keyframe) {
          const types = au.nalus.map(nalType);
          assert.ok(types.includes(NalType.Sps) && types.includes(NalType.Pps));
        }
        assert.equal(findCaptureTime(au.nalus), au.captureTimeMs);
        if (i > 0) assert.ok(au.timestamp > got[i - 1].timestamp);
      });
      // Roughly real time: 24 intervals of ~33 ms.
      const span = (got.at(-1)!.captureTimeMs - got[0].captureTimeMs) / 1000;
      assert.ok(span > 0.5 && span < 1.5, `span ${span} s`);
    });

    await t.step("low-latency flush yields the same picture structure", async () => {
      const { got, stats } = await collect(5);
      got.forEach((au, i) => assert.equal(au.keyframe, i % 10 === 0, `AU ${i}`));
      assert.equal(stats.flushMisses, 0);
    });
  },
});

Deno.test("a process source whose binary cannot be spawned rejects start()", async () => {
  const source = createSource({ kind: "rpicam", binary: "/nonexistent/rpicam-vid" }, {
    logger: silentLogger,
  });
  await assert.rejects(source.start(), /cannot start/);
  assert.equal(source.running, false);
  const it = source[Symbol.asyncIterator]();
  assert.equal((await it.next()).done, true);
});
