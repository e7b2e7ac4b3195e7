import assert from "node:assert/strict";
import { buildTimestampSei } from "../../publisher/media/timestamp_sei.ts";
import {
  captureTimeFromHead,
  type DisplayedFrameRecord,
  type EncodedFrameRecord,
  fromBase64,
  matchFrames,
  summarize,
} from "./glass_to_glass_samples.ts";

const SC = [0, 0, 0, 1];
const SPS = [0x67, 0x42, 0xc0, 0x1f, 0xda];
const PPS = [0x68, 0xce, 0x3c, 0x80];
const SLICE = [0x65, 0x88, 0x84, 0x00, 0x33];

function annexB(...nalus: ArrayLike<number>[]): Uint8Array {
  return Uint8Array.from(nalus.flatMap((n) => [...SC, ...Array.from(n)]));
}
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

Deno.test("captureTimeFromHead finds the SEI after parameter sets", () => {
  const t = 1_795_591_208_169.5;
  assert.equal(captureTimeFromHead(annexB(SPS, PPS, buildTimestampSei(t), SLICE)), t);
  assert.equal(captureTimeFromHead(annexB(SPS, PPS, SLICE)), null);
});

Deno.test("captureTimeFromHead ignores an SEI cut off by the head", () => {
  const full = annexB(SPS, buildTimestampSei(1000), SLICE);
  const cut = full.subarray(0, SC.length + SPS.length + SC.length + 10);
  assert.equal(captureTimeFromHead(cut), null);
});

Deno.test("fromBase64 round-trips", () => {
  const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
  assert.deepEqual(fromBase64(b64(bytes)), bytes);
});

Deno.test("matchFrames pairs by RTP timestamp and splits the latency", () => {
  const origin = 1_000_000;
  const enc = (rtp: number, capture: number | null, transformAt: number): EncodedFrameRecord => ({
    rtp,
    transformAt,
    headB64: b64(capture === null ? annexB(SLICE) : annexB(buildTimestampSei(capture), SLICE)),
  });
  const encoded = [enc(3000, 1_000_100, 105), enc(6000, null, 140), enc(9000, 1_000_166, 170)];
  const shown = (rtp: number, rx: number | null, display: number): DisplayedFrameRecord => ({
    rtp,
    receiveTime: rx,
    expectedDisplayTime: display,
    processingDuration: 0.004,
  });
  const displayed = [
    shown(3000, 104, 150),
    shown(3000, 104, 167), // repeated presentation of the same frame
    shown(6000, 139, 184), // no SEI
    shown(9000, null, 210),
    shown(12000, 200, 230), // encoded before recording began
  ];
  const m = matchFrames(encoded, displayed, origin);
  assert.equal(m.encodedWithoutSei, 1);
  assert.equal(m.displayedWithoutCapture, 2);
  assert.equal(m.samples.length, 2);
  assert.deepEqual(m.samples[0], {
    glassToGlassMs: 50,
    captureToReceiveMs: 4,
    receiveToDisplayMs: 46,
    decodeMs: 4,
    transformLagMs: 1,
  });
  assert.equal(m.samples[1].glassToGlassMs, 44);
  assert.equal(m.samples[1].captureToReceiveMs, null);
});

Deno.test("summarize skips nulls and rounds", () => {
  assert.deepEqual(summarize([10, null, 30, 20.04]), {
    count: 3,
    medianMs: 20,
    p95Ms: 30,
    minMs: 10,
    maxMs: 30,
  });
  assert.equal(summarize([]).count, 0);
});
