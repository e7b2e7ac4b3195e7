import assert from "node:assert/strict";
import { mergeOptions } from "./options.ts";
import { UsageError } from "../../scripts/cli.ts";

Deno.test("mergeOptions: --send-path", async (t) => {
  await t.step("direct by default", () => {
    assert.equal(mergeOptions([], null).sendPath, "direct");
  });
  await t.step("the config's sendPath, overridden by the command line", () => {
    const cfg = JSON.stringify({ sendPath: "werift" });
    assert.equal(mergeOptions([], cfg).sendPath, "werift");
    assert.equal(mergeOptions(["--send-path", "direct"], cfg).sendPath, "direct");
  });
  await t.step("anything else is a usage error naming the choices", () => {
    assert.throws(() => mergeOptions(["--send-path", "fast"], null), (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /direct or werift/);
      return true;
    });
    assert.throws(() => mergeOptions([], JSON.stringify({ sendPath: "fast" })), UsageError);
  });
});
