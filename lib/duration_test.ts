import assert from "node:assert/strict";
import { parseDuration, parsePort, UsageError } from "./cli.ts";

Deno.test("parseDuration understands units and rejects junk", () => {
  assert.equal(parseDuration("15m"), 900_000);
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("24h"), 86_400_000);
  assert.equal(parseDuration("250"), 250);
  assert.throws(() => parseDuration("1y"), UsageError);
  assert.throws(() => parseDuration("-5m"), UsageError);
});

Deno.test("parsePort validates the range", () => {
  assert.equal(parsePort("8443", "--port"), 8443);
  assert.throws(() => parsePort("70000", "--port"), /--port must be/);
  assert.throws(() => parsePort("abc", "--port"), UsageError);
});
