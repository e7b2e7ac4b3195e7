import assert from "node:assert/strict";
import { assertDeviceId, assertDnsName, deviceIdFromUri, deviceUri } from "./names.ts";

Deno.test("names", async (t) => {
  await t.step("device ids follow the protocol pattern", () => {
    for (const ok of ["cam-1", "a", "0", "a".repeat(63)]) assertDeviceId(ok);
    for (const bad of ["", "-cam", "Cam", "cam_1", "a".repeat(64), "cam/1", "cam 1"]) {
      assert.throws(() => assertDeviceId(bad), RangeError, bad);
    }
  });

  await t.step("device URIs round-trip and reject anything else", () => {
    assert.equal(deviceUri("cam-1"), "urn:vigil:device:cam-1");
    assert.equal(deviceIdFromUri("urn:vigil:device:cam-1"), "cam-1");
    assert.equal(deviceIdFromUri("urn:vigil:device:"), null);
    assert.equal(deviceIdFromUri("urn:vigil:device:Cam"), null);
    assert.equal(deviceIdFromUri("https://example.org/"), null);
    assert.throws(() => deviceUri("../x"), RangeError);
  });

  await t.step("DNS names", () => {
    for (
      const ok of ["localhost", "vigil.example.org", "*.example.org", "xn--bcher-kva.de", "a-b.c"]
    ) {
      assertDnsName(ok);
    }
    for (
      const bad of ["", "-a.b", "a-.b", "a..b", "*.", "a.*.b", "exa mple", "ü.de", "a".repeat(64)]
    ) {
      assert.throws(() => assertDnsName(bad), RangeError, bad);
    }
  });
});
