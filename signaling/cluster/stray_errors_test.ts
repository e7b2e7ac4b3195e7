import assert from "node:assert/strict";
import { isStrayNetworkError } from "./stray_errors.ts";

Deno.test("stray network errors: connection resets only", () => {
  assert.equal(isStrayNetworkError(new Error("read ECONNRESET")), true);
  assert.equal(
    isStrayNetworkError(Object.assign(new Error("write failed"), { code: "EPIPE" })),
    true,
  );
  assert.equal(isStrayNetworkError(new Error("write CONNECTION_CLOSED 127.0.0.1:5432")), true);
  assert.equal(isStrayNetworkError(new TypeError("x is undefined")), false);
  assert.equal(isStrayNetworkError("boom"), false);
});
