import assert from "node:assert/strict";
import { parseSourceConfig } from "./config.ts";
import { createSource, sourceBinary } from "./create_source.ts";
import { FileSource } from "./file_source.ts";
import { ProcessSource } from "./process_source.ts";

Deno.test("source config", async (t) => {
  await t.step("defaults", () => {
    assert.deepEqual(parseSourceConfig({ kind: "synthetic" }), {
      kind: "synthetic",
      width: 1280,
      height: 720,
      fps: 30,
      bitrateKbps: 1500,
      gop: 30,
      encoder: "auto",
      timestampSei: false,
      lowLatencyFlushMs: 4,
    });
  });

  await t.step("rejects bad values and unknown keys", () => {
    for (
      const bad of [
        { kind: "webcam" },
        { kind: "file", width: 1281 },
        { kind: "file", fps: 0 },
        { kind: "file", gop: 0 },
        { kind: "synthetic", lowLatencyFlushMs: -1 },
        { kind: "synthetic", lowLatencyFlushMs: 1.5 },
        { kind: "v4l2", device: "/dev/sda" },
        { kind: "v4l2", device: "/dev/video0; rm -rf /" },
        { kind: "rpicam", binary: "rpicam-vid --foo" },
        { kind: "file", extra: 1 },
      ]
    ) {
      assert.throws(() => parseSourceConfig(bad), Error, JSON.stringify(bad));
    }
  });

  await t.step("sourceBinary names what will be spawned", () => {
    assert.equal(sourceBinary({ kind: "file" }), null);
    assert.equal(sourceBinary({ kind: "synthetic" }), "ffmpeg");
    assert.equal(sourceBinary({ kind: "v4l2", device: "/dev/video2" }), "ffmpeg");
    assert.ok(["rpicam-vid", "libcamera-vid"].includes(sourceBinary({ kind: "rpicam" })!));
    assert.equal(sourceBinary({ kind: "rpicam", binary: "libcamera-vid" }), "libcamera-vid");
  });

  await t.step("createSource picks the implementation", () => {
    assert.ok(createSource({ kind: "file" }) instanceof FileSource);
    const s = createSource({ kind: "rpicam", width: 640, height: 480, fps: 25 });
    assert.ok(s instanceof ProcessSource);
    assert.deepEqual([s.info.kind, s.info.width, s.info.height, s.info.fps], [
      "rpicam",
      640,
      480,
      25,
    ]);
  });
});
