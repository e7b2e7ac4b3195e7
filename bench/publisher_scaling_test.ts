import assert from "node:assert/strict";
import { leastSquares } from "./publisher_scaling.ts";

Deno.test("leastSquares: slope and intercept of a line, and of noisy points", async (t) => {
  await t.step("exact line", () => {
    const { slope, intercept } = leastSquares([[1, 0.02], [2, 0.03], [4, 0.05], [8, 0.09]]);
    assert.ok(Math.abs(slope - 0.01) < 1e-12);
    assert.ok(Math.abs(intercept - 0.01) < 1e-12);
  });
  await t.step("symmetric noise cancels", () => {
    const { slope, intercept } = leastSquares([[1, 3], [1, 1], [3, 7], [3, 5]]);
    assert.equal(slope, 2);
    assert.equal(intercept, 0);
  });
  await t.step("fewer than two points, or one x, is an error", () => {
    assert.throws(() => leastSquares([[1, 1]]), RangeError);
    assert.throws(() => leastSquares([[2, 1], [2, 3]]), RangeError);
  });
});
