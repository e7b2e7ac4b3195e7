import assert from "node:assert/strict";
import { checkFragmentedMp4 } from "./mp4_check.ts";

const box = (type: string, payload = 0) => {
  const b = new Uint8Array(8 + payload);
  new DataView(b.buffer).setUint32(0, b.length);
  b.set(new TextEncoder().encode(type), 4);
  return b;
};
const join = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const check = (b: Uint8Array) =>
  checkFragmentedMp4((off, len) => Promise.resolve(b.subarray(off, off + len)), b.length);

Deno.test("checkFragmentedMp4: boxes tile the file; ftyp, moov, moof+mdat", async () => {
  const good = join(box("ftyp", 8), box("moov", 20), box("moof", 10), box("mdat", 100));
  assert.deepEqual(await check(good), { ok: true, boxes: ["ftyp", "moov", "moof", "mdat"] });
  const cases: [Uint8Array, RegExp][] = [
    [join(box("moov", 20), box("ftyp", 8), box("moof"), box("mdat")), /ftyp/],
    [join(box("ftyp", 8), box("moof"), box("mdat")), /moov/],
    [join(box("ftyp", 8), box("moov")), /fragment/],
    [good.subarray(0, good.length - 5), /overruns/],
    [join(good, new Uint8Array(3)), /truncated/],
    [new TextEncoder().encode("just some text, not boxes"), /not a box|overruns/],
  ];
  for (const [bytes, why] of cases) {
    const r = await check(bytes);
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, why);
  }
});
