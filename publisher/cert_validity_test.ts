import assert from "node:assert/strict";
import { certValidity } from "./cert_validity.ts";
import { certInfo, createRootCa } from "../pki/mod.ts";

Deno.test("certValidity: the same dates as pki's certInfo, and bad input throws", async (t) => {
  const ca = await createRootCa({ commonName: "vigil test CA" });
  await t.step("same notBefore / notAfter", () => {
    const info = certInfo(ca.certPem);
    const v = certValidity(ca.certPem);
    assert.equal(v.notBefore.getTime(), info.notBefore.getTime());
    assert.equal(v.notAfter.getTime(), info.notAfter.getTime());
  });
  await t.step("not a certificate", () => {
    assert.throws(() =>
      certValidity("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
    );
  });
});
