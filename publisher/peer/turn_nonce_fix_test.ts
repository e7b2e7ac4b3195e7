import assert from "node:assert/strict";
import { TurnProtocol } from "werift";
import { installTurnNonceFix } from "./turn_nonce_fix.ts";

// The behaviour is proven against a real coturn in tests/nat/turn_test.ts; here: it installs
// on this werift version (false would mean werift changed and the fix no longer applies).
Deno.test("installTurnNonceFix installs once on werift's TurnProtocol", () => {
  const before = TurnProtocol.prototype.request;
  assert.equal(installTurnNonceFix(), true);
  const after = TurnProtocol.prototype.request;
  assert.notEqual(after, before);
  assert.equal(installTurnNonceFix(), true);
  assert.equal(TurnProtocol.prototype.request, after, "a second install must not wrap again");
});
