import assert from "node:assert/strict";
import { certInfo } from "./cert_info.ts";
import { createCsr } from "./csr.ts";
import { signDeviceCsr } from "./device_cert.ts";
import { PkiError } from "./errors.ts";
import { exportPrivateKeyPem, generateDeviceKey } from "./keys.ts";
import { normalizeSerial } from "./serial.ts";
import { newCa, openssl, opensslOk, opensslTest, withTempDir } from "./_testing.ts";

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

opensslTest("signDeviceCsr", async (t) => {
  const { ca, certPem: caPem } = await newCa();
  const keys = await generateDeviceKey();
  const keyPem = await exportPrivateKeyPem(keys.privateKey);

  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ca.pem`, caPem);
    await Deno.writeTextFile(`${dir}/device.key`, keyPem);
    // The CSR asks for another identity, server use and CA powers: all must be ignored.
    const hostileCsr = await opensslOk([
      "req",
      "-new",
      "-key",
      `${dir}/device.key`,
      "-subj",
      "/CN=admin/O=evil",
      "-addext",
      "subjectAltName=DNS:evil.example,URI:urn:vigil:device:other-cam",
      "-addext",
      "extendedKeyUsage=serverAuth,codeSigning",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
    ]);
    const now = new Date();
    const issued = await signDeviceCsr(ca, hostileCsr, { deviceId: "cam-1", now });
    await Deno.writeTextFile(`${dir}/device.pem`, issued.certPem);
    const text = await opensslOk(["x509", "-noout", "-text", "-in", `${dir}/device.pem`]);

    await t.step("verifies against the CA as a TLS client certificate", async () => {
      const args = ["verify", "-CAfile", `${dir}/ca.pem`, "-purpose", "sslclient"];
      const res = await openssl([...args, `${dir}/device.pem`]);
      assert.equal(res.code, 0, res.stderr + res.stdout);
    });

    await t.step("is not usable as a TLS server certificate", async () => {
      const args = ["verify", "-CAfile", `${dir}/ca.pem`, "-purpose", "sslserver"];
      const res = await openssl([...args, `${dir}/device.pem`]);
      assert.notEqual(res.code, 0);
    });

    await t.step("takes its identity from opts only", () => {
      assert.match(text, /Subject: CN\s?=\s?cam-1\n/);
      assert.match(text, /X509v3 Subject Alternative Name: \n\s+URI:urn:vigil:device:cam-1\n/);
      assert.doesNotMatch(text, /admin|evil|other-cam/);
      const info = certInfo(issued.certPem);
      assert.equal(info.subjectCn, "cam-1");
      assert.equal(info.deviceId, "cam-1");
      assert.equal(info.issuerCn, "vigil test CA");
    });

    await t.step("has the client profile: clientAuth only, not a CA", () => {
      assert.deepEqual(certInfo(issued.certPem).extendedKeyUsages, [CLIENT_AUTH]);
      assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication\n/);
      assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
      assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/);
      assert.match(text, /X509v3 Subject Key Identifier/);
      assert.match(text, /X509v3 Authority Key Identifier/);
      assert.equal(certInfo(issued.certPem).isCa, false);
    });

    await t.step("is valid from 60 s ago for 24 h", () => {
      const second = (d: Date) => Math.floor(d.getTime() / 1000);
      assert.equal(second(issued.notBefore), second(now) - 60);
      assert.equal(second(issued.notAfter), second(now) + 86_400);
      assert.deepEqual(certInfo(issued.certPem).notAfter, issued.notAfter);
    });

    await t.step("reports the serial openssl sees", async () => {
      const out = await opensslOk(["x509", "-noout", "-serial", "-in", `${dir}/device.pem`]);
      assert.equal(normalizeSerial(out.trim().replace(/^serial=/, "")), issued.serial);
      assert.equal(certInfo(issued.certPem).serial, issued.serial);
    });
  });

  await t.step("serials are positive 128-bit values, fresh on each issue", async () => {
    const csr = await createCsr(keys, "cam-1");
    const serials = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const { serial, certPem } = await signDeviceCsr(ca, csr, { deviceId: "cam-1" });
      assert.match(serial, /^[0-7][0-9a-f]{31}$/);
      assert.notEqual(BigInt("0x" + serial), 0n);
      // As encoded: the second INTEGER of the certificate (after the version) is
      // positive (openssl would print a minus) and below 2^127.
      const parsed = await opensslOk(["asn1parse"], certPem);
      const serialLine = parsed.split("\n").filter((l) => /prim:\s+INTEGER/.test(l))[1];
      const encoded = serialLine.match(/INTEGER\s+:([0-9A-F]+)\s*$/)?.[1];
      assert.ok(encoded, serialLine);
      assert.ok(BigInt("0x" + encoded) < 2n ** 127n);
      assert.equal(normalizeSerial(encoded), serial);
      serials.add(serial);
    }
    assert.equal(serials.size, 8);
  });

  await t.step("lifetimeMs is honoured and capped at the CA's expiry", async () => {
    const csr = await createCsr(keys, "cam-1");
    const now = new Date();
    const hour = await signDeviceCsr(ca, csr, { deviceId: "cam-1", now, lifetimeMs: 3_600_000 });
    assert.equal(
      Math.floor(hour.notAfter.getTime() / 1000),
      Math.floor(now.getTime() / 1000) + 3600,
    );
    const long = await signDeviceCsr(ca, csr, { deviceId: "cam-1", lifetimeMs: 1e13 });
    assert.deepEqual(long.notAfter, ca.cert.notAfter);
  });

  await t.step("reports fingerprints of the issued certificate", async () => {
    const csr = await createCsr(keys, "cam-1");
    const issued = await signDeviceCsr(ca, csr, { deviceId: "cam-2" });
    const info = certInfo(issued.certPem);
    assert.equal(issued.fingerprint256, info.fingerprint256);
    assert.equal(issued.x5tS256, info.x5tS256);
  });

  await t.step("an invalid device id is a RangeError, a bad CSR a PkiError", async () => {
    const csr = await createCsr(keys, "cam-1");
    await assert.rejects(signDeviceCsr(ca, csr, { deviceId: "Cam 1" }), RangeError);
    await assert.rejects(signDeviceCsr(ca, csr, { deviceId: "" }), RangeError);
    await assert.rejects(
      signDeviceCsr(ca, "garbage", { deviceId: "cam-1" }),
      (err) => err instanceof PkiError && err.code === "csr_malformed",
    );
  });
});
