import assert from "node:assert/strict";
import { relativeTime, sinceLabel } from "./time.ts";

const NOW = Date.parse("2025-06-01T12:00:00Z");

Deno.test("time: relative labels", () => {
  assert.equal(relativeTime(NOW - 10_000, NOW, "en"), "just now");
  assert.equal(relativeTime(NOW - 5 * 60_000, NOW, "en"), "5 min. ago");
  assert.equal(relativeTime(NOW - 3 * 3_600_000, NOW, "en"), "3 hr. ago");
  assert.equal(relativeTime(NOW - 2 * 86_400_000, NOW, "en"), "2 days ago");
});

Deno.test("time: since label", () => {
  assert.equal(sinceLabel(true, null, NOW), "Online");
  assert.equal(sinceLabel(false, NOW + 3_600_000, NOW), "Offline", "future timestamps are ignored");
  assert.match(sinceLabel(true, NOW - 120_000, NOW), /^Online since .+ \(.*2.*\)$/);
});
