import assert from "node:assert/strict";
import type { AccessUnit } from "./access_unit.ts";
import { GopCache } from "./gop_cache.ts";

function au(i: number, keyframe: boolean, size = 10): AccessUnit {
  const slice = new Uint8Array(size).fill(7);
  slice[0] = keyframe ? 0x65 : 0x41;
  return { nalus: [slice], keyframe, timestamp: i * 3000, captureTimeMs: i };
}

Deno.test("GopCache", async (t) => {
  await t.step("empty until the first IDR", () => {
    const cache = new GopCache();
    cache.push(au(0, false));
    assert.deepEqual(cache.snapshot(), []);
  });

  await t.step("keeps everything from the latest IDR", () => {
    const cache = new GopCache();
    for (let i = 0; i < 70; i++) cache.push(au(i, i % 30 === 0));
    const snap = cache.snapshot();
    assert.equal(snap.length, 10);
    assert.equal(snap[0].keyframe, true);
    assert.equal(snap[0].timestamp, 60 * 3000);
    assert.equal(cache.bytes, 100);
    snap.pop();
    assert.equal(cache.size, 10, "snapshot is a copy");
  });

  await t.step("outgrowing a bound empties the cache until the next IDR", () => {
    const byCount = new GopCache({ maxAccessUnits: 5 });
    for (let i = 0; i < 7; i++) byCount.push(au(i, i === 0));
    assert.equal(byCount.size, 0);
    byCount.push(au(7, true));
    assert.equal(byCount.size, 1);

    const byBytes = new GopCache({ maxBytes: 35 });
    for (let i = 0; i < 4; i++) byBytes.push(au(i, i === 0));
    assert.equal(byBytes.size, 0);
    byBytes.push(au(4, true));
    byBytes.push(au(5, false));
    assert.deepEqual(byBytes.snapshot().map((a) => a.captureTimeMs), [4, 5]);
  });

  await t.step("clear", () => {
    const cache = new GopCache();
    cache.push(au(0, true));
    cache.clear();
    assert.equal(cache.size, 0);
    assert.equal(cache.bytes, 0);
  });
});
