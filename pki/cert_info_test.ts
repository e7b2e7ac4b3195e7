import assert from "node:assert/strict";
import { certInfo } from "./cert_info.ts";
import { createCsr } from "./csr.ts";
import { signDeviceCsr } from "./device_cert.ts";
import { derToPem, pemToDer } from "./encoding.ts";
import { PkiError } from "./errors.ts";
import { fingerprint256, x5tS256 } from "./fingerprint.ts";
import { generateDeviceKey } from "./keys.ts";
import { newCa } from "./_testing.ts";

Deno.test("certInfo", async (t) => {
  const { ca, certPem: caPem } = await newCa("Test Root");
  const issued = await signDeviceCsr(ca, await createCsr(await generateDeviceKey(), "x"), {
    deviceId: "porch-cam",
  });

  await t.step("describes a device certificate", () => {
    const info = certInfo(issued.certPem);
    assert.deepEqual(info, {
      serial: issued.serial,
      subjectCn: "porch-cam",
      issuerCn: "Test Root",
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      isCa: false,
      extendedKeyUsages: ["1.3.6.1.5.5.7.3.2"],
      deviceId: "porch-cam",
      fingerprint256: fingerprint256(issued.certPem),
      x5tS256: x5tS256(issued.certPem),
    });
    assert.ok(Array.isArray(info.extendedKeyUsages));
    assert.equal(Object.getPrototypeOf(info.extendedKeyUsages), Array.prototype);
  });

  await t.step("describes the CA and accepts DER", () => {
    const info = certInfo(pemToDer(caPem));
    assert.equal(info.isCa, true);
    assert.equal(info.subjectCn, "Test Root");
    assert.equal(info.issuerCn, "Test Root");
    assert.deepEqual(info.extendedKeyUsages, []);
    assert.equal(info.deviceId, null);
  });

  await t.step("rejects non-certificates with cert_malformed", () => {
    const malformed = (err: unknown) => err instanceof PkiError && err.code === "cert_malformed";
    assert.throws(() => certInfo("junk"), malformed);
    assert.throws(() => certInfo(crypto.getRandomValues(new Uint8Array(50))), malformed);
    assert.throws(() => certInfo(derToPem(new Uint8Array([0x30, 0]), "CERTIFICATE")), malformed);
  });
});
