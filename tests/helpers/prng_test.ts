import assert from "node:assert/strict";
import { mulberry32 } from "./prng.ts";

Deno.test("mulberry32: reproducible per seed, different across seeds, in [0, 1)", () => {
  const a = Array.from({ length: 100 }, mulberry32(7));
  const b = Array.from({ length: 100 }, mulberry32(7));
  const c = Array.from({ length: 100 }, mulberry32(8));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.every((x) => x >= 0 && x < 1));
  assert.ok(new Set(a).size > 95);
});
