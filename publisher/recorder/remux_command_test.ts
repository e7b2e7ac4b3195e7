import assert from "node:assert/strict";
import { remuxCommand, segmentStamp } from "./remux_command.ts";
import { SEGMENT_NAME } from "./sweeper.ts";

Deno.test("remux command", () => {
  const startedAt = new Date("2025-01-02T03:04:05.678Z");
  assert.equal(segmentStamp(startedAt), "20250102T030405678Z");
  const { binary, args } = remuxCommand({
    dir: "/rec/100%",
    fps: 25,
    segmentSeconds: 30,
    startedAt,
  });
  assert.equal(binary, "ffmpeg");
  const after = (flag: string) => args[args.indexOf(flag) + 1];
  assert.equal(after("-f"), "h264");
  assert.equal(after("-framerate"), "25");
  assert.equal(after("-i"), "pipe:0");
  assert.equal(after("-c"), "copy");
  assert.equal(after("-segment_time"), "30");
  assert.equal(after("-segment_format"), "mp4");
  assert.match(after("-segment_format_options"), /frag_keyframe\+empty_moov\+default_base_moof/);
  assert.equal(args.at(-1), "/rec/100%%/seg-20250102T030405678Z-%05d.mp4");
  assert.match("seg-20250102T030405678Z-00012.mp4", SEGMENT_NAME);
});
