import assert from "node:assert/strict";
import { UsageError } from "./cli.ts";
import { parsePort } from "./port.ts";

Deno.test("parsePort validates the range", () => {
  assert.equal(parsePort("8443", "--port"), 8443);
  assert.equal(parsePort("0", "--port"), 0);
  assert.throws(() => parsePort("70000", "--port"), /--port must be/);
  assert.throws(() => parsePort("abc", "--port"), UsageError);
  assert.throws(() => parsePort("", "--port"), UsageError);
  assert.throws(() => parsePort("80.5", "--port"), UsageError);
});
