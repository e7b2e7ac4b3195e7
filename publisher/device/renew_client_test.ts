import assert from "node:assert/strict";
import { renewDueAt } from "./renew_client.ts";

Deno.test("renewDueAt is 2/3 of the lifetime ±5 %", () => {
  const nb = new Date("2030-01-01T00:00:00Z");
  const na = new Date(nb.getTime() + 24 * 3_600_000);
  assert.equal(renewDueAt(nb, na, 0).getTime(), nb.getTime() + 16 * 3_600_000);
  assert.equal(renewDueAt(nb, na, 1).getTime(), nb.getTime() + 16 * 3_600_000 + 0.05 * 86_400_000);
  assert.equal(renewDueAt(nb, na, -1).getTime(), nb.getTime() + 16 * 3_600_000 - 0.05 * 86_400_000);
  assert.equal(renewDueAt(nb, na, 7).getTime(), renewDueAt(nb, na, 1).getTime()); // clamped
  for (let i = 0; i < 100; i++) {
    const t = renewDueAt(nb, na).getTime() - nb.getTime();
    assert.ok(t >= (2 / 3 - 0.05) * 86_400_000 - 1 && t <= (2 / 3 + 0.05) * 86_400_000 + 1);
  }
});
