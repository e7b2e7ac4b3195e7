import assert from "node:assert/strict";
import { expectedOrigin, relyingPartyId } from "./passkeys_policy.ts";

Deno.test("RP ID: the setting, a DNS host, else localhost", () => {
  assert.equal(relyingPartyId({ rpId: "cams.example.com", host: "0.0.0.0" }), "cams.example.com");
  assert.equal(relyingPartyId({ rpId: null, host: "Cams.Example.com" }), "cams.example.com");
  assert.equal(relyingPartyId({ rpId: null, host: "0.0.0.0" }), "localhost");
  assert.equal(relyingPartyId({ rpId: null, host: "::" }), "localhost");
});

Deno.test("origin: the setting, else the Host when it names the RP ID", () => {
  assert.equal(expectedOrigin({ origin: "https://a.example" }, "x", "y"), "https://a.example");
  assert.equal(
    expectedOrigin({ origin: null }, "localhost", "localhost:8443"),
    "https://localhost:8443",
  );
  assert.equal(expectedOrigin({ origin: null }, "localhost", "localhost:443"), "https://localhost");
  assert.equal(expectedOrigin({ origin: null }, "localhost", "evil.example:8443"), null);
  assert.equal(expectedOrigin({ origin: null }, "localhost", undefined), null);
  assert.equal(expectedOrigin({ origin: null }, "localhost", "a b"), null);
});
