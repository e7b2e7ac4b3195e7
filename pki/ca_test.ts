import assert from "node:assert/strict";
import { createRootCa, loadCa } from "./ca.ts";
import { certInfo } from "./cert_info.ts";
import { PkiError } from "./errors.ts";
import { issueServerCertificate } from "./server_cert.ts";
import { newCa, openssl, opensslOk, opensslTest, withTempDir } from "./_testing.ts";

const isCode = (code: string) => (err: unknown) => err instanceof PkiError && err.code === code;

opensslTest("root CA", async (t) => {
  const now = new Date();
  const { certPem, keyPem } = await createRootCa({ commonName: "vigil test root", now });

  await t.step("has the CA profile", async () => {
    const text = await opensslOk(["x509", "-noout", "-text"], certPem);
    assert.match(text, /Subject: CN\s?=\s?vigil test root/);
    assert.match(text, /Issuer: CN\s?=\s?vigil test root/);
    assert.match(text, /ASN1 OID: prime256v1/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.match(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    assert.match(text, /X509v3 Subject Key Identifier/);
    assert.doesNotMatch(text, /Extended Key Usage/);
  });

  await t.step("is valid for 10 years from a minute ago", () => {
    const info = certInfo(certPem);
    assert.equal(info.isCa, true);
    assert.equal(info.subjectCn, "vigil test root");
    const second = (d: Date) => Math.floor(d.getTime() / 1000);
    assert.equal(second(info.notBefore), second(now) - 60);
    assert.equal(second(info.notAfter), second(now) + 3650 * 86_400);
    assert.match(info.serial, /^[0-7][0-9a-f]{31}$/);
  });

  await t.step("verifies as a self-signed trust anchor", async () => {
    await withTempDir(async (dir) => {
      await Deno.writeTextFile(`${dir}/ca.pem`, certPem);
      const out = await opensslOk(["verify", "-CAfile", `${dir}/ca.pem`, `${dir}/ca.pem`]);
      assert.match(out, /OK/);
    });
  });

  await t.step("its key is PKCS#8 P-256 and matches the certificate", async () => {
    assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const fromKey = await opensslOk(["pkey", "-pubout"], keyPem);
    const fromCert = await opensslOk(["x509", "-noout", "-pubkey"], certPem);
    assert.equal(fromKey, fromCert);
  });
});

Deno.test("createRootCa defaults and argument checks", async (t) => {
  await t.step("default name is distinct per CA", async () => {
    const a = certInfo((await createRootCa()).certPem).subjectCn;
    const b = certInfo((await createRootCa()).certPem).subjectCn;
    assert.match(a, /^vigil root CA [0-9a-f]{8}$/);
    assert.notEqual(a, b);
  });

  await t.step("validityDays must be positive", async () => {
    await assert.rejects(createRootCa({ validityDays: 0 }), RangeError);
    await assert.rejects(createRootCa({ validityDays: NaN }), RangeError);
  });
});

Deno.test("loadCa", async (t) => {
  const { ca, certPem, keyPem } = await newCa();
  const other = await createRootCa();

  await t.step("loads a CA with a non-extractable key", () => {
    assert.equal(ca.privateKey.extractable, false);
    assert.equal(ca.privateKey.type, "private");
    assert.equal(ca.publicKey.type, "public");
    assert.equal(ca.certPem, certPem);
    assert.equal(ca.cert.subject, "CN=vigil test CA");
  });

  await t.step("rejects a key that is not the certificate's", async () => {
    await assert.rejects(loadCa(certPem, other.keyPem), isCode("key_malformed"));
  });

  await t.step("rejects unreadable keys", async () => {
    await assert.rejects(loadCa(certPem, "nope"), isCode("key_malformed"));
    await assert.rejects(loadCa(certPem, certPem), isCode("key_malformed"));
  });

  await t.step("rejects unreadable and non-CA certificates", async () => {
    await assert.rejects(loadCa("garbage", keyPem), isCode("cert_malformed"));
    await assert.rejects(loadCa(keyPem, keyPem), isCode("cert_malformed"));
    const server = await issueServerCertificate(ca, { dnsNames: ["localhost"], ipAddresses: [] });
    await assert.rejects(loadCa(server.certPem, server.keyPem), isCode("cert_malformed"));
  });
});

opensslTest("loadCa accepts a CA made by openssl with a SEC1 key", async () => {
  await withTempDir(async (dir) => {
    await opensslOk([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${dir}/ca.key`,
      "-out",
      `${dir}/ca.pem`,
      "-subj",
      "/CN=openssl CA",
      "-days",
      "2",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    const sec1 = await opensslOk(["ec", "-in", `${dir}/ca.key`]);
    assert.match(sec1, /BEGIN EC PRIVATE KEY/);
    const ca = await loadCa(await Deno.readTextFile(`${dir}/ca.pem`), sec1);
    const server = await issueServerCertificate(ca, { dnsNames: ["localhost"], ipAddresses: [] });
    // Capped at the CA's own expiry.
    assert.ok(server.notAfter.getTime() <= ca.cert.notAfter.getTime());
    await Deno.writeTextFile(`${dir}/server.pem`, server.certPem);
    const res = await openssl(["verify", "-CAfile", `${dir}/ca.pem`, `${dir}/server.pem`]);
    assert.equal(res.code, 0, res.stderr + res.stdout);
  });
});
