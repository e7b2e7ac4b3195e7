import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { assembleAccessUnits, splitAnnexB } from "./annexb.ts";
import { H264Depacketizer } from "./h264_depacketizer.ts";
import { H264Packetizer, nalRefIdc, NalType, nalType, packetizeNalus } from "./h264_packetizer.ts";

const SAMPLE = new URL("../assets/sample-720p30.h264", import.meta.url);

function nal(header: number, size: number, fill = 0x5a): Uint8Array {
  const n = new Uint8Array(size).fill(fill);
  n[0] = header;
  return n;
}

const SPS = nal(0x67, 12);
const PPS = nal(0x68, 4);
const SEI = nal(0x06, 30);

Deno.test("H264Packetizer (RFC 6184, packetization-mode 1)", async (t) => {
  await t.step("nal type and ref idc helpers", () => {
    assert.equal(nalType(SPS), NalType.Sps);
    assert.equal(nalRefIdc(SPS), 3);
    assert.equal(nalRefIdc(nal(0x41, 2)), 2);
    assert.equal(nalRefIdc(nal(0x01, 2)), 0);
  });

  await t.step("single NAL unit packet: the NAL unit itself, marker on the last", () => {
    const p = nal(0x41, 500);
    const out = packetizeNalus([p], 1200);
    assert.equal(out.length, 1);
    assert.equal(out[0].payload, p); // zero copy
    assert.equal(out[0].marker, true);
  });

  await t.step("STAP-A of SPS+PPS+SEI: header F|max NRI|24, 16-bit sizes", () => {
    const idr = nal(0x65, 3000);
    const out = packetizeNalus([SPS, PPS, SEI, idr], 1200);
    const stap = out[0].payload;
    assert.equal(stap[0] & 0x1f, 24);
    assert.equal(stap[0] & 0x80, 0);
    assert.equal((stap[0] >> 5) & 3, 3); // max(NRI of SPS=3, PPS=3, SEI=0)
    let o = 1;
    for (const n of [SPS, PPS, SEI]) {
      const size = (stap[o] << 8) | stap[o + 1];
      assert.equal(size, n.length);
      assert.deepEqual(stap.subarray(o + 2, o + 2 + size), n);
      o += 2 + size;
    }
    assert.equal(o, stap.length);
    assert.equal(stap.length, 1 + 3 * 2 + SPS.length + PPS.length + SEI.length);
    assert.equal(out[0].marker, false);
  });

  await t.step("STAP-A NRI is the maximum and F the OR of the aggregated units", () => {
    const out = packetizeNalus([nal(0x06, 5), nal(0xc1, 5)], 1200); // SEI NRI 0, slice F=1 NRI 2
    assert.equal(out.length, 1);
    assert.equal(out[0].payload[0], 0x80 | (2 << 5) | 24);
  });

  await t.step("FU-A: indicator F|NRI|28, header S/E/R/type, no payload over the budget", () => {
    const idr = nal(0x65, 5000);
    for (let i = 1; i < idr.length; i++) idr[i] = i & 0xff;
    const max = 1200;
    const out = packetizeNalus([idr], max);
    assert.equal(out.length, Math.ceil((idr.length - 1) / (max - 2)));
    out.forEach(({ payload, marker }, k) => {
      assert.ok(payload.length <= max);
      assert.equal(payload[0], (0x65 & 0xe0) | 28);
      const s = (payload[1] & 0x80) !== 0;
      const e = (payload[1] & 0x40) !== 0;
      assert.equal(s, k === 0);
      assert.equal(e, k === out.length - 1);
      assert.equal(payload[1] & 0x20, 0, "R bit");
      assert.equal(payload[1] & 0x1f, 5);
      assert.equal(marker, k === out.length - 1);
    });
    // Fragments are balanced (no tiny tail packet).
    const sizes = out.map((p) => p.payload.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
    // The NAL header byte is not repeated; the bodies concatenate to the NAL body.
    const body = out.flatMap((p) => Array.from(p.payload.subarray(2)));
    assert.deepEqual(new Uint8Array(body), idr.subarray(1));
  });

  await t.step("FU-A carries F and NRI of the original header", () => {
    const out = packetizeNalus([nal(0x80 | 0x20 | 1, 50)], 20);
    for (const p of out) assert.equal(p.payload[0], 0x80 | 0x20 | 28);
  });

  await t.step("AUD, filler and reserved types are not sent", () => {
    const out = packetizeNalus([nal(0x09, 2), nal(0x0c, 40), nal(0x18, 4), nal(0x41, 1500)], 1200);
    assert.ok(out.every((p) => (p.payload[0] & 0x1f) === 28));
  });

  await t.step("inserts the latest SPS/PPS before an IDR that lacks them", () => {
    const pk = new H264Packetizer();
    const idr = nal(0x65, 100);
    pk.packetize({ nalus: [SPS, PPS, idr], keyframe: true });
    const out = pk.packetize({ nalus: [SEI, idr], keyframe: true });
    const dep = new H264Depacketizer();
    let nalus: Uint8Array[] | null = null;
    for (const p of out) nalus = dep.push(p.payload, p.marker) ?? nalus;
    assert.deepEqual(nalus!.map(nalType), [7, 8, 6, 5]);
    // Not for non-IDR pictures, and not when disabled.
    assert.equal(pk.packetize({ nalus: [nal(0x41, 100)], keyframe: false }).length, 1);
    const plain = new H264Packetizer({ insertParameterSets: false });
    plain.packetize({ nalus: [SPS, PPS, idr], keyframe: true });
    assert.equal(plain.packetize({ nalus: [idr], keyframe: true })[0].payload, idr);
  });

  await t.step("rejects a payload budget below 3 bytes", () => {
    assert.throws(() => new H264Packetizer({ maxPayloadSize: 2 }), RangeError);
  });

  await t.step("round trip of the sample clip at several budgets; marker per AU", async () => {
    const aus = assembleAccessUnits(splitAnnexB(await Deno.readFile(SAMPLE)));
    for (const max of [1200, 500, 100, 3]) {
      const pk = new H264Packetizer({ maxPayloadSize: max });
      const dep = new H264Depacketizer();
      for (const au of aus) {
        const packets = pk.packetize(au);
        assert.ok(packets.length > 0);
        let got: Uint8Array[] | null = null;
        packets.forEach((p, k) => {
          assert.ok(p.payload.length <= max, `payload ${p.payload.length} > ${max}`);
          assert.equal(p.marker, k === packets.length - 1);
          const r = dep.push(p.payload, p.marker);
          if (k < packets.length - 1) assert.equal(r, null);
          else got = r;
        });
        assert.deepEqual(got, au.nalus);
      }
    }
  });

  await t.step("werift's depacketizer reads our packets back (interop)", async () => {
    const { H264RtpPayload } = await import("werift");
    const aus = assembleAccessUnits(splitAnnexB(await Deno.readFile(SAMPLE))).slice(0, 3);
    const pk = new H264Packetizer();
    for (const au of aus) {
      const annexB: number[] = [];
      let fragment: Buffer | undefined;
      for (const p of pk.packetize(au)) {
        // werift wants a Buffer: wrap without copying.
        const buf = Buffer.from(p.payload.buffer, p.payload.byteOffset, p.payload.byteLength);
        const parsed = H264RtpPayload.deSerialize(buf, fragment);
        fragment = parsed.fragment;
        if (parsed.payload) annexB.push(...parsed.payload);
      }
      const back = splitAnnexB(new Uint8Array(annexB));
      assert.deepEqual(back, au.nalus);
    }
  });
});
