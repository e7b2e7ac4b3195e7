import assert from "node:assert/strict";
import { HoldMeter, parseEncodeTimes } from "./source_delay.ts";

Deno.test("parseEncodeTimes sums the encode lines of each frame (ffmpeg 5, µs)", () => {
  const stderr = [
    "bench:        8 user        4 sys       12 real decode_video 0.0 ",
    "bench:     2368 user     1375 sys    14490 real encode_video 0.0 ",
    "bench:       47 user       27 sys       75 real encode_video 0.0 ",
    "frame=    1 fps=0.0 q=28.0 size=32kB speed=N/A    " +
    "bench:        7 user        4 sys       12 real decode_video 0.0 ",
    "bench:     3062 user        0 sys     3163 real encode_video 0.0 ",
    "bench:       29 user        0 sys       29 real encode_video 0.0 ",
  ].join("\n");
  assert.deepEqual(parseEncodeTimes(stderr).map((ms) => Math.round(ms * 1000)), [14565, 3192]);
  assert.deepEqual(parseEncodeTimes("no benchmark here"), []);
});

const SC = [0, 0, 0, 1];
const SPS = [0x67, 0x42, 0xc0, 0x1f];
const PPS = [0x68, 0xce, 0x3c, 0x80];
const IDR = [0x65, 0x88, 0x84, 0x21];
/** A P slice with first_mb_in_slice 0 (starts a picture); `n` (not 0) keeps the bytes distinct. */
const p = (n: number) => [0x41, 0x9a, 0x22, n];
/** A second slice of the same picture (first_mb_in_slice 1). */
const p2 = (n: number) => [0x41, 0x40, 0x22, n];

const chunk = (...nalus: number[][]) => Uint8Array.from(nalus.flatMap((n) => [...SC, ...n]));

Deno.test("HoldMeter: one slice per picture is held two frame intervals", () => {
  const m = new HoldMeter();
  assert.deepEqual(m.push(chunk(SPS, PPS, IDR), 0), []);
  assert.deepEqual(m.push(chunk(p(1)), 33), []); // the IDR slice ends here; its picture may go on
  assert.deepEqual(m.push(chunk(p(2)), 67), [67]); // p(1) complete, and it starts a new picture
  assert.deepEqual(m.push(chunk(SPS, PPS, IDR), 100), [67, 33]); // SPS ends p(1)'s, then p(2)'s
});

Deno.test("HoldMeter: two slices per picture (x264 sliced threads) are held one interval", () => {
  const m = new HoldMeter();
  assert.deepEqual(m.push(chunk(SPS, PPS, IDR, p2(9)), 0), []);
  assert.deepEqual(m.push(chunk(p(1), p2(1)), 33), [33]);
  assert.deepEqual(m.push(chunk(p(2), p2(2)), 67), [34]);
});

Deno.test("HoldMeter: an access unit whose end straddles two reads is not attributed", () => {
  const m = new HoldMeter();
  const whole = chunk(SPS, PPS, IDR);
  m.push(whole.subarray(0, whole.length - 2), 0);
  m.push(whole.subarray(whole.length - 2), 5);
  m.push(chunk(p(1)), 33);
  assert.deepEqual(m.push(chunk(p(2)), 67), [null]);
});
