import assert from "node:assert/strict";
import { UsageError } from "./cli.ts";
import { formatDuration, parseDuration } from "./duration.ts";

Deno.test("parseDuration understands units and rejects junk", () => {
  assert.equal(parseDuration("15m"), 900_000);
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("24h"), 86_400_000);
  assert.equal(parseDuration("7d"), 604_800_000);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("250"), 250);
  assert.throws(() => parseDuration("1y"), UsageError);
  assert.throws(() => parseDuration("-5m"), UsageError);
  assert.throws(() => parseDuration(""), UsageError);
});

Deno.test("formatDuration is the inverse of parseDuration for whole units", () => {
  for (const text of ["15m", "90s", "12h", "7d", "250ms", "0ms", "1500ms"]) {
    assert.equal(formatDuration(parseDuration(text)), text);
  }
  assert.equal(formatDuration(parseDuration("24h")), "1d");
  assert.equal(formatDuration(3_600_000), "1h");
});
