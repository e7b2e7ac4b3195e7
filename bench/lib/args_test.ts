import assert from "node:assert/strict";
import { countSetting, SettingError } from "./args.ts";

Deno.test("countSetting: default when absent, the number when valid, a clear error otherwise", () => {
  assert.equal(countSetting("N", undefined, 8, 1, 64), 8);
  assert.equal(countSetting("N", "", 8, 1, 64), 8);
  assert.equal(countSetting("N", "16", 8, 1, 64), 16);
  for (const bad of ["abc", "0", "65", "1.5", "-3"]) {
    assert.throws(() => countSetting("VIEWERS", bad, 8, 1, 64), (e: unknown) => {
      assert.ok(e instanceof SettingError);
      assert.match((e as Error).message, /^VIEWERS must be a whole number from 1 to 64, got "/);
      return true;
    });
  }
});
