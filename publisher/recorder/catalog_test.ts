import assert from "node:assert/strict";
import { parseSegmentList, parseStamp, planFinished } from "./catalog.ts";
import { planRetention } from "./retention.ts";

const RUN = "20250102T030405678Z";
const T0 = parseStamp(RUN);
const name = (run: string, i: number) => `seg-${run}-${String(i).padStart(5, "0")}.mp4`;

Deno.test("catalog: finished segments and their wall-clock spans", async (t) => {
  await t.step("stamps and lists parse; a half-written last line is ignored", () => {
    assert.equal(T0, Date.UTC(2025, 0, 2, 3, 4, 5, 678));
    assert.deepEqual(parseSegmentList(`${name(RUN, 0)},0.000000,10.0\n${name(RUN, 1)},10.0`), [
      { name: name(RUN, 0), start: 0, end: 10 },
    ]);
  });

  await t.step("listed = finished; the current run's unlisted one is open", () => {
    const files = [0, 1].map((i) => ({ name: name(RUN, i), bytes: 100, mtimeMs: T0 + 20_000 }));
    const lists = new Map([[RUN, `${name(RUN, 0)},0.000000,10.000000\n`]]);
    const open = planFinished(files, lists, new Set(), RUN);
    assert.deepEqual(open.map((s) => [s.id, s.startMs - T0, s.endMs - T0]), [
      [`seg-${RUN}-00000`, 0, 10_000],
    ]);
    // An earlier run's unlisted segment was cut short: it ends at its last write.
    const cut = planFinished(files, lists, new Set([name(RUN, 0)]), "20250102T040000000Z");
    assert.deepEqual(cut.map((s) => [s.startMs - T0, s.endMs - T0, s.uploaded]), [
      [0, 10_000, true],
      [10_000, 20_000, false],
    ]);
    assert.deepEqual(planFinished([{ ...files[1], bytes: 0 }], lists, new Set(), null), []);
  });
});

Deno.test("retention with uploads: pending outlive age and leave last under the quota", () => {
  const f = (n: string, ageMs: number) => ({ name: n, sizeBytes: 100, mtimeMs: 1e12 - ageMs });
  const files = [f("a", 5000), f("b", 4000), f("c", 3000), f("d", 0)];
  const pending = new Set(["a", "b"]);
  const byAge = planRetention(files, { maxAgeMs: 2000 }, 1e12, new Set(), pending);
  assert.deepEqual(byAge.remove, ["c"]);
  const byQuota = planRetention(files, { maxTotalBytes: 200 }, 1e12, new Set(["d"]), pending);
  assert.deepEqual(byQuota.remove, ["a", "c"]);
  assert.deepEqual(byQuota.droppedPending, ["a"]);
});
