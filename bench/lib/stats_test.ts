import assert from "node:assert/strict";
import { median, quantile, round } from "./stats.ts";

Deno.test("median and quantile", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(quantile([5, 1, 4, 2, 3], 0.95), 5);
  assert.equal(quantile([5, 1, 4, 2, 3], 0.5), 3);
  assert.equal(Number.isNaN(median([])), true);
  assert.equal(round(1.26, 1), 1.3);
});
