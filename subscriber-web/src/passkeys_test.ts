import assert from "node:assert/strict";
import { ApiError } from "./api.ts";
import { passkeyErrorMessage } from "./passkeys.ts";
import { passkeySummary } from "./account.ts";

const named = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error("browser text"), { name, ...extra });

Deno.test("passkeys: browser failures in words", () => {
  assert.match(passkeyErrorMessage(named("NotAllowedError"), "get"), /No passkey was used/);
  assert.match(passkeyErrorMessage(named("NotAllowedError"), "create"), /No passkey was created/);
  assert.match(
    passkeyErrorMessage(
      named("InvalidStateError", { code: "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED" }),
      "create",
    ),
    /already holds a passkey/,
  );
  assert.equal(passkeyErrorMessage(named("AbortError"), "get"), "Cancelled.");
  assert.match(passkeyErrorMessage(named("SecurityError"), "get"), /--rp-id/);
  assert.equal(
    passkeyErrorMessage(
      new ApiError(401, "passkey_refused", "This passkey was not accepted."),
      "get",
    ),
    "This passkey was not accepted.",
  );
  assert.equal(passkeyErrorMessage(named("UnknownError"), "get"), "Passkey failed: browser text");
});

Deno.test("passkeys: a row says when it was added and last used", () => {
  const now = Date.parse("2026-12-02T12:00:00Z");
  const s = passkeySummary(
    { id: "x", createdAt: now - 60_000, lastUsedAt: null, transports: ["internal", "hybrid"] },
    now,
    "en-GB",
  );
  assert.match(s, /^Added \d\d:\d\d · last used never · internal, hybrid$/);
});
