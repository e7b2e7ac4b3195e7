import assert from "node:assert/strict";
import { nalType } from "./nal.ts";
import {
  buildTimestampSei,
  findCaptureTime,
  parseTimestampSei,
  TIMESTAMP_SEI_UUID,
  withTimestampSei,
} from "./timestamp_sei.ts";

Deno.test("timestamp SEI", async (t) => {
  await t.step("layout: SEI, user_data_unregistered, our UUID, trailing bits", () => {
    const sei = buildTimestampSei(1_700_000_000_123.456);
    assert.equal(nalType(sei), 6);
    assert.equal(sei[1], 5);
    assert.equal(sei[2], 24);
    const uuid = Array.from(sei.subarray(3, 19), (b) => b.toString(16).padStart(2, "0")).join("");
    assert.equal(uuid, TIMESTAMP_SEI_UUID.replaceAll("-", ""));
    assert.equal(sei[sei.length - 1], 0x80);
    assert.equal(parseTimestampSei(sei), 1_700_000_000_123.456);
  });

  await t.step("times whose bytes need emulation prevention round-trip", () => {
    for (const ms of [0, 0.001, 65.536, 2 ** 32 / 1000, 1_000_000_000_000]) {
      const sei = buildTimestampSei(ms);
      for (let i = 0; i + 2 < sei.length; i++) {
        assert.ok(!(sei[i] === 0 && sei[i + 1] === 0 && sei[i + 2] <= 2));
      }
      assert.equal(parseTimestampSei(sei), ms);
    }
  });

  await t.step("other SEI and NAL units are not mistaken for it", () => {
    assert.equal(parseTimestampSei(new Uint8Array([0x06, 0x05, 0x01, 0xaa, 0x80])), null);
    assert.equal(parseTimestampSei(new Uint8Array([0x41, 0x9a])), null);
  });

  await t.step("withTimestampSei puts it before the first slice and replaces an old one", () => {
    const sps = new Uint8Array([0x67, 0x42]);
    const idr = new Uint8Array([0x65, 0x88]);
    const au = { nalus: [sps, idr], keyframe: true, timestamp: 0, captureTimeMs: 1234.5 };
    const stamped = withTimestampSei(au);
    assert.deepEqual(stamped.nalus.map(nalType), [7, 6, 5]);
    assert.equal(findCaptureTime(stamped.nalus), 1234.5);
    const again = withTimestampSei({ ...stamped, captureTimeMs: 99 });
    assert.deepEqual(again.nalus.map(nalType), [7, 6, 5]);
    assert.equal(findCaptureTime(again.nalus), 99);
    assert.equal(au.nalus.length, 2, "input untouched");
  });
});
