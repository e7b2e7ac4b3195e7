import assert from "node:assert/strict";
import { auditDetails, parseIdList, streamSummary, unreachableNotice } from "./admin.ts";

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
