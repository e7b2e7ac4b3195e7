import assert from "node:assert/strict";
import { CLOCK_SKEW_MS, validityWindow } from "./validity.ts";

Deno.test("validity", async (t) => {
  const now = new Date("2030-01-01T00:00:00Z");
  const caNotAfter = new Date("2040-01-01T00:00:00Z");

  await t.step("backdates notBefore by the clock skew", () => {
    const v = validityWindow(now, 3_600_000, caNotAfter);
    assert.equal(v.notBefore.getTime(), now.getTime() - CLOCK_SKEW_MS);
    assert.equal(v.notAfter.getTime(), now.getTime() + 3_600_000);
  });

  await t.step("never outlives the CA", () => {
    const v = validityWindow(now, 20 * 365 * 86_400_000, caNotAfter);
    assert.equal(v.notAfter.getTime(), caNotAfter.getTime());
  });

  await t.step("rejects bad lifetimes and an expired CA", () => {
    for (const bad of [0, -1, NaN, Infinity]) {
      assert.throws(() => validityWindow(now, bad, caNotAfter), RangeError, String(bad));
    }
    assert.throws(() => validityWindow(now, 1000, new Date("2029-01-01T00:00:00Z")), RangeError);
  });
});
