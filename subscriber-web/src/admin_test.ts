import assert from "node:assert/strict";
import { auditDetails, parseIdList, unreachableNotice } from "./admin.ts";

Deno.test("console: unreachable cluster nodes in words", () => {
  assert.equal(unreachableNotice([]), "");
  assert.match(unreachableNotice(["c", "c"]), /^No answer from node c:/);
  assert.match(unreachableNotice(["d", "c"]), /^No answer from nodes c, d:/);
});

Deno.test("console: id lists and audit details", () => {
  assert.deepEqual(parseIdList(" door, yard ,,"), ["door", "yard"]);
  assert.equal(auditDetails({ ts: "x", event: "y", user: "root", n: 2 }), "user=root n=2");
});
