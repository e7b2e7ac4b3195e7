import assert from "node:assert/strict";
import { planRetention, type SegmentFile } from "./retention.ts";
import { listSegments, sweepSegments } from "./sweeper.ts";

const HOUR = 3600_000;
const NOW = 1_700_000_000_000;
const seg = (i: number, ageH: number, size = 100): SegmentFile => ({
  name: `seg-20250101T0000${String(i).padStart(2, "0")}000Z-${String(i).padStart(5, "0")}.mp4`,
  sizeBytes: size,
  mtimeMs: NOW - ageH * HOUR,
});

Deno.test("retention planner", async (t) => {
  await t.step("deletes by age", () => {
    const plan = planRetention([seg(1, 30), seg(2, 20), seg(3, 1)], { maxAgeMs: 24 * HOUR }, NOW);
    assert.deepEqual(plan.remove, [seg(1, 0).name]);
    assert.equal(plan.keptBytes, 200);
  });

  await t.step("deletes oldest first until the total fits", () => {
    const files = [seg(3, 1), seg(1, 3), seg(2, 2), seg(4, 0)]; // unsorted input
    const plan = planRetention(files, { maxTotalBytes: 250 }, NOW);
    assert.deepEqual(plan.remove, [seg(1, 0).name, seg(2, 0).name]);
    assert.deepEqual(plan.keep, [seg(3, 0).name, seg(4, 0).name]);
  });

  await t.step("both limits, ties broken by name, protected names survive", () => {
    const files = [seg(2, 5), seg(1, 5), seg(3, 1, 500)];
    const plan = planRetention(
      files,
      { maxAgeMs: 10 * HOUR, maxTotalBytes: 100 },
      NOW,
      new Set([seg(3, 0).name]),
    );
    assert.deepEqual(plan.remove, [seg(1, 0).name, seg(2, 0).name]);
    assert.deepEqual(plan.keep, [seg(3, 0).name]);
  });

  await t.step("no policy, no deletions", () => {
    assert.deepEqual(planRetention([seg(1, 1000)], {}, NOW).remove, []);
  });
});

Deno.test("retention sweeper", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files = [seg(1, 5, 1000), seg(2, 4, 1000), seg(3, 3, 1000), seg(4, 0, 1000)];
    for (const f of files) {
      await Deno.writeFile(`${dir}/${f.name}`, new Uint8Array(f.sizeBytes));
      await Deno.utime(`${dir}/${f.name}`, f.mtimeMs / 1000, f.mtimeMs / 1000);
    }
    await Deno.writeTextFile(`${dir}/notes.txt`, "not a segment");
    const r1 = await sweepSegments(dir, { maxAgeMs: 4.5 * HOUR }, { nowMs: NOW });
    assert.deepEqual(r1.removed, [files[0].name]);
    const r2 = await sweepSegments(dir, { maxTotalBytes: 1500 }, { nowMs: NOW });
    assert.deepEqual(r2.removed, [files[1].name, files[2].name]);
    // The newest is protected while recording even if it alone breaks the limit.
    const r3 = await sweepSegments(dir, { maxTotalBytes: 10 }, { nowMs: NOW, protectNewest: true });
    assert.deepEqual(r3.removed, []);
    assert.deepEqual((await listSegments(dir)).map((f) => f.name), [files[3].name]);
    assert.ok((await Deno.stat(`${dir}/notes.txt`)).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
