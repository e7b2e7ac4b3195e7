import assert from "node:assert/strict";
import {
  AccessUnitAssembler,
  AnnexBParser,
  assembleAccessUnits,
  splitAnnexB,
  toAnnexB,
} from "./annexb.ts";
import { NalType, nalType } from "./nal.ts";
import { mulberry32 } from "../../tests/helpers/prng.ts";

const SAMPLE = new URL("../assets/sample-720p30.h264", import.meta.url);

function parseInChunks(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const parser = new AnnexBParser();
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(...parser.push(bytes.subarray(prev, c)));
    prev = c;
  }
  out.push(...parser.flush());
  return out;
}

const hex = (u: Uint8Array) => Array.from(u, (b) => b.toString(16).padStart(2, "0")).join("");

// NAL units with emulation prevention bytes and trailing non-zero data.
const NALS = [
  new Uint8Array([0x67, 0x42, 0xc0, 0x1f, 0x00, 0x00, 0x03, 0x00, 0x10]),
  new Uint8Array([0x68, 0xce, 0x3c, 0x80]),
  new Uint8Array([0x65, 0x88, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03, 0x03, 0xff]),
  new Uint8Array([0x41, 0x9a, 0x01, 0x01, 0x00, 0x00, 0x03, 0x02, 0x77]),
];

/** Mixed 3- and 4-byte start codes, leading garbage, trailing zeros. */
function stream(): Uint8Array {
  const parts: number[] = [0xaa, 0xbb]; // garbage before the first start code: ignored
  NALS.forEach((n, i) => {
    parts.push(...(i % 2 === 0 ? [0, 0, 0, 1] : [0, 0, 1]), ...n);
    if (i === 1) parts.push(0, 0); // trailing_zero_8bits
  });
  return new Uint8Array(parts);
}

Deno.test("AnnexBParser", async (t) => {
  await t.step("whole buffer: 3- and 4-byte start codes, emulation bytes untouched", () => {
    const out = parseInChunks(stream(), []);
    assert.deepEqual(out.map(hex), NALS.map(hex));
  });

  await t.step("every single split point gives the same NAL units", () => {
    const bytes = stream();
    for (let cut = 0; cut <= bytes.length; cut++) {
      assert.deepEqual(parseInChunks(bytes, [cut]).map(hex), NALS.map(hex), `cut at ${cut}`);
    }
  });

  await t.step("every pair of split points, and one byte at a time", () => {
    const bytes = stream();
    for (let a = 0; a <= bytes.length; a++) {
      for (let b = a; b <= bytes.length; b++) {
        assert.deepEqual(parseInChunks(bytes, [a, b]).map(hex), NALS.map(hex), `cuts ${a},${b}`);
      }
    }
    const ones = Array.from({ length: bytes.length }, (_, i) => i);
    assert.deepEqual(parseInChunks(bytes, ones).map(hex), NALS.map(hex));
  });

  await t.step("NAL completes only when the next start code arrives", () => {
    const parser = new AnnexBParser();
    assert.deepEqual(parser.push(new Uint8Array([0, 0, 0, 1, 0x09, 0xf0, 0, 0])), []);
    assert.deepEqual(parser.push(new Uint8Array([0])), []);
    const out = parser.push(new Uint8Array([1, 0x67]));
    assert.deepEqual(out.map(hex), ["09f0"]);
    assert.deepEqual(parser.flush().map(hex), ["67"]);
    assert.deepEqual(parser.flush(), []);
  });

  await t.step("bytes after flush without a start code are ignored", () => {
    const parser = new AnnexBParser();
    parser.push(new Uint8Array([0, 0, 1, 0x41, 0x9a]));
    assert.deepEqual(parser.flush().map(hex), ["419a"]);
    assert.deepEqual(parser.push(new Uint8Array([0x55, 0, 0, 1, 0x41, 0x9b])), []);
    assert.deepEqual(parser.flush().map(hex), ["419b"]);
  });

  await t.step("oversized NAL units are discarded, parsing resumes", () => {
    const parser = new AnnexBParser({ maxNalBytes: 8 });
    const big = new Uint8Array(20).fill(0x11);
    const out = [
      ...parser.push(new Uint8Array([0, 0, 1, 0x41, ...big, 0, 0, 1, 0x41, 0x22])),
      ...parser.flush(),
    ];
    assert.deepEqual(out.map(hex), ["4122"]);
    assert.equal(parser.discarded, 1);
  });

  await t.step("random chunking of the sample clip equals one-shot parsing", async () => {
    const bytes = await Deno.readFile(SAMPLE);
    const expected = splitAnnexB(bytes);
    const rand = mulberry32(42);
    for (let round = 0; round < 3; round++) {
      const cuts: number[] = [];
      for (let p = 0; p < bytes.length;) {
        p += 1 + Math.floor(rand() * (round === 0 ? 7 : 70_000));
        if (p < bytes.length) cuts.push(p);
      }
      const got = parseInChunks(bytes, cuts);
      assert.equal(got.length, expected.length);
      for (let i = 0; i < got.length; i++) {
        assert.equal(got[i].length, expected[i].length);
        assert.equal(hex(got[i].subarray(0, 32)), hex(expected[i].subarray(0, 32)));
        assert.equal(hex(got[i].subarray(-32)), hex(expected[i].subarray(-32)));
      }
    }
    // Re-serializing and parsing again is the identity on NAL units.
    assert.deepEqual(splitAnnexB(toAnnexB(expected)), expected);
  });
});

Deno.test("AccessUnitAssembler", async (t) => {
  const sps = new Uint8Array([0x67, 0x42]);
  const pps = new Uint8Array([0x68, 0xce]);
  const sei = new Uint8Array([0x06, 0x05]);
  const aud = new Uint8Array([0x09, 0xf0]);
  const idr = (first: boolean) => new Uint8Array([0x65, first ? 0x88 : 0x40]);
  const p = (first: boolean) => new Uint8Array([0x41, first ? 0x9a : 0x20]);

  await t.step("first_mb_in_slice == 0 starts a picture; later slices join it", () => {
    const aus = assembleAccessUnits([sps, pps, idr(true), idr(false), p(true), p(false), p(true)]);
    assert.equal(aus.length, 3);
    assert.deepEqual(aus[0].nalus, [sps, pps, idr(true), idr(false)]);
    assert.equal(aus[0].keyframe, true);
    assert.equal(aus[1].nalus.length, 2);
    assert.equal(aus[1].keyframe, false);
  });

  await t.step("AUD, SPS, PPS and SEI after a slice begin a new access unit; AUDs dropped", () => {
    const aus = assembleAccessUnits([
      aud,
      sps,
      pps,
      idr(true),
      aud,
      sei,
      p(true),
      sps,
      pps,
      idr(true),
    ]);
    assert.equal(aus.length, 3);
    assert.deepEqual(aus[0].nalus, [sps, pps, idr(true)]);
    assert.deepEqual(aus[1].nalus, [sei, p(true)]);
    assert.deepEqual(aus[2].nalus, [sps, pps, idr(true)]);
  });

  await t.step("flush keeps parameter sets that have no slice yet", () => {
    const asm = new AccessUnitAssembler();
    assert.equal(asm.push(sps), null);
    assert.equal(asm.flush(), null);
    asm.push(pps);
    asm.push(idr(true));
    assert.deepEqual(asm.flush()?.nalus, [sps, pps, idr(true)]);
  });

  await t.step("an oversized access unit is dropped and output resumes at an IDR", () => {
    const asm = new AccessUnitAssembler({ maxNalus: 3 });
    const out = [p(true), p(false), p(false), p(false), p(true), sps, idr(true), p(true)]
      .map((n) => asm.push(n)).filter((x) => x !== null);
    const last = asm.flush();
    assert.equal(out.length, 1);
    assert.equal(out[0]!.keyframe, true);
    assert.equal(last?.keyframe, false);
    assert.ok(asm.discarded >= 2);
  });

  await t.step(
    "sample clip: 120 pictures (4 s × 30 fps), one IDR per 30, SPS/PPS on each",
    async () => {
      const aus = assembleAccessUnits(splitAnnexB(await Deno.readFile(SAMPLE)));
      assert.equal(aus.length, 120);
      const keyIdx = aus.flatMap((au, i) => (au.keyframe ? [i] : []));
      assert.deepEqual(keyIdx, [0, 30, 60, 90]);
      for (const i of keyIdx) {
        const types = aus[i].nalus.map(nalType);
        assert.ok(types.includes(NalType.Sps) && types.includes(NalType.Pps), `AU ${i}: ${types}`);
      }
      for (const au of aus) {
        assert.ok(au.nalus.some((n) => [1, 5].includes(nalType(n))));
      }
    },
  );
});
