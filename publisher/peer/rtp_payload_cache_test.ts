import assert from "node:assert/strict";
import { RtpPayloadCache } from "./rtp_payload_cache.ts";
import { packetizeNalus } from "../media/h264_packetizer.ts";
import { FanoutHub } from "../media/fanout.ts";
import type { AccessUnit } from "../media/access_unit.ts";

const sps = new Uint8Array([0x67, 0x42, 0xe0, 0x1f, 0xaa]);
const pps = new Uint8Array([0x68, 0xce, 0x3c, 0x80]);
const idr = new Uint8Array(5000).fill(0x11);
idr[0] = 0x65;
const slice = new Uint8Array(300).fill(0x22);
slice[0] = 0x41;

function unit(i: number, keyframe: boolean): AccessUnit {
  return {
    nalus: keyframe ? [sps, pps, idr] : [slice],
    keyframe,
    timestamp: i * 3000,
    captureTimeMs: i,
  };
}

Deno.test("RtpPayloadCache: same payloads as the packetizer, made once per unit", () => {
  const cache = new RtpPayloadCache(1200);
  const au = unit(0, true);
  const a = cache.of(au);
  const shifted: AccessUnit = { ...au, timestamp: 999 }; // another timestamp, same NAL units
  const b = cache.of(shifted);
  assert.equal(a, b);
  assert.equal(cache.packetized, 1);
  const expected = packetizeNalus(au.nalus, 1200);
  assert.deepEqual(a.map((p) => [...p.payload]), expected.map((p) => [...p.payload]));
  assert.deepEqual(a.map((p) => p.marker), expected.map((p) => p.marker));
  assert.ok(a.every((p) => p.payload.length <= 1200));
});

Deno.test("RtpPayloadCache: viewers of one hub share the work, also a late joiner's replay", () => {
  const hub = new FanoutHub();
  const cache = new RtpPayloadCache();
  const seen: number[][] = [[], [], []];
  const subscribe = (k: number) => hub.subscribe((au) => void seen[k].push(cache.of(au).length));
  subscribe(0);
  subscribe(1);
  for (let i = 0; i < 5; i++) hub.publish(unit(i, i === 0));
  subscribe(2); // replays the cached GOP with shifted timestamps
  hub.publish(unit(5, false));
  assert.equal(cache.packetized, 6);
  assert.deepEqual(seen[0], seen[1]);
  assert.deepEqual(seen[2], seen[0]);
});

Deno.test("RtpPayloadCache.fragmentsOf: the same payloads as views into the NAL units, made once", () => {
  const cache = new RtpPayloadCache(1200);
  const au = unit(0, true);
  const fragments = cache.fragmentsOf(au);
  const later: AccessUnit = { ...au, timestamp: 5 }; // another timestamp, same NAL units
  assert.equal(cache.fragmentsOf(later), fragments);
  const materialized = fragments.map((f) =>
    f.prefixLength ? [f.prefix0, f.prefix1, ...f.body] : [...f.body]
  );
  assert.deepEqual(materialized, packetizeNalus(au.nalus, 1200).map((p) => [...p.payload]));
  // FU-A bodies are windows on the IDR slice itself: no copy of the picture.
  const fuA = fragments.filter((f) => f.prefixLength === 2);
  assert.ok(fuA.length >= 4);
  assert.ok(fuA.every((f) => f.body.buffer === idr.buffer));
  assert.equal(fragments.at(-1)!.marker, true);
});
