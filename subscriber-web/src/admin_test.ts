import assert from "node:assert/strict";
import {
  auditDetails,
  formatAge,
  formatBytes,
  parseIdList,
  retentionSummary,
  streamSummary,
  unreachableNotice,
} from "./admin.ts";

Deno.test("console: unreachable cluster nodes in words", () => {
  assert.equal(unreachableNotice([]), "");
  assert.match(unreachableNotice(["c", "c"]), /^No answer from node c:/);
  assert.match(unreachableNotice(["d", "c"]), /^No answer from nodes c, d:/);
});

Deno.test("console: id lists and audit details", () => {
  assert.deepEqual(parseIdList(" door, yard ,,"), ["door", "yard"]);
  assert.equal(auditDetails({ ts: "x", event: "y", user: "root", n: 2 }), "user=root n=2");
});

Deno.test("console: a stream in a few words", () => {
  assert.equal(streamSummary(null), "—");
  const s = { viewers: 1, bitrateBps: 2_049_000, fps: 29.97, packetsLost: 0, rssBytes: 1 };
  assert.equal(streamSummary(s), "2.0 Mbit/s · 30 fps · 1 viewer · 0 lost");
  assert.equal(
    streamSummary({ ...s, viewers: 3, bitrateBps: 640_400, packetsLost: 12 }),
    "640 kbit/s · 30 fps · 3 viewers · 12 lost",
  );
});

Deno.test("console: sizes, ages and the retention in words", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(20 * 2 ** 30), "20 GiB");
  assert.equal(formatBytes(150 * 2 ** 20), "150 MiB");
  assert.equal(formatAge(30 * 86_400_000), "30 days");
  assert.equal(formatAge(36 * 3_600_000), "36 h");
  assert.equal(formatAge(90 * 60_000), "1.5 h");
  assert.equal(
    retentionSummary({
      totalBytes: 2 ** 30,
      retention: { maxAgeMs: 30 * 86_400_000, maxBytes: 20 * 2 ** 30 },
    }),
    "Kept 30 days or up to 20 GiB, whichever ends first (oldest deleted first); stored now: 1 GiB (5 %).",
  );
});
