import assert from "node:assert/strict";
import { pickV4l2Encoder, rpicamCommand, syntheticCommand, v4l2Command } from "./commands.ts";

const P = { width: 1280, height: 720, fps: 30, bitrateKbps: 1500, gop: 45 };

function after(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

Deno.test("source commands", async (t) => {
  await t.step(
    "synthetic: real-time testsrc2, libx264 zerolatency baseline, Annex-B on stdout",
    () => {
      const { binary, args } = syntheticCommand({ ...P, fontFile: "/f/DejaVu Sans.ttf" });
      assert.equal(binary, "ffmpeg");
      assert.ok(args.includes("-re"));
      assert.match(
        after(args, "-i")!,
        /^testsrc2=size=1280x720:rate=30,drawtext=fontfile='\/f\/DejaVu Sans.ttf'/,
      );
      assert.equal(after(args, "-c:v"), "libx264");
      assert.equal(after(args, "-tune"), "zerolatency");
      assert.equal(after(args, "-profile:v"), "baseline");
      assert.equal(after(args, "-g"), "45");
      assert.equal(after(args, "-bf"), "0");
      assert.equal(after(args, "-b:v"), "1500k");
      assert.equal(after(args, "-x264-params"), "repeat-headers=1");
      assert.deepEqual(args.slice(-3), ["-f", "h264", "pipe:1"]);
      const plain = syntheticCommand({ ...P, fontFile: null });
      assert.equal(after(plain.args, "-i"), "testsrc2=size=1280x720:rate=30");
    },
  );

  await t.step("v4l2: device input, hardware or software encoder", () => {
    const hw = v4l2Command({ ...P, device: "/dev/video2", encoder: "h264_v4l2m2m" });
    assert.equal(after(hw.args, "-i"), "/dev/video2");
    assert.equal(after(hw.args, "-video_size"), "1280x720");
    assert.equal(after(hw.args, "-c:v"), "h264_v4l2m2m");
    assert.equal(after(hw.args, "-bsf:v"), "dump_extra=freq=keyframe");
    const sw = v4l2Command({ ...P, device: "/dev/video0", encoder: "libx264" });
    assert.equal(after(sw.args, "-c:v"), "libx264");
    assert.equal(pickV4l2Encoder("V..... h264_v4l2m2m  V4L2", true), "h264_v4l2m2m");
    assert.equal(pickV4l2Encoder("V..... h264_v4l2m2m  V4L2", false), "libx264");
    assert.equal(pickV4l2Encoder("V..... libx264", true), "libx264");
  });

  await t.step("rpicam: inline headers, intra period, baseline, stdout", () => {
    const { binary, args } = rpicamCommand({ ...P, binary: "libcamera-vid" });
    assert.equal(binary, "libcamera-vid");
    assert.equal(after(args, "-t"), "0");
    assert.ok(args.includes("--inline") && args.includes("--flush"));
    assert.equal(after(args, "--intra"), "45");
    assert.equal(after(args, "--codec"), "h264");
    assert.equal(after(args, "--profile"), "baseline");
    assert.equal(after(args, "--bitrate"), "1500000");
    assert.equal(after(args, "--framerate"), "30");
    assert.deepEqual(args.slice(-2), ["-o", "-"]);
  });
});
