import assert from "node:assert/strict";
import { certInfo } from "./cert_info.ts";
import { issueServerCertificate } from "./server_cert.ts";
import { newCa, openssl, opensslOk, opensslTest, withTempDir } from "./_testing.ts";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

opensslTest("issueServerCertificate", async (t) => {
  const { ca, certPem: caPem } = await newCa();
  const now = new Date();
  const server = await issueServerCertificate(ca, {
    dnsNames: ["vigil.local", "localhost"],
    ipAddresses: ["127.0.0.1", "::1", "::ffff:10.0.0.7"],
    now,
  });

  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ca.pem`, caPem);
    await Deno.writeTextFile(`${dir}/server.pem`, server.certPem);
    const verify = (...extra: string[]) =>
      openssl(["verify", "-CAfile", `${dir}/ca.pem`, ...extra, `${dir}/server.pem`]);

    await t.step("verifies as a TLS server certificate for each name and address", async () => {
      for (
        const extra of [
          ["-purpose", "sslserver"],
          ["-verify_hostname", "vigil.local"],
          ["-verify_hostname", "localhost"],
          ["-verify_ip", "127.0.0.1"],
          ["-verify_ip", "::1"],
          ["-verify_ip", "::ffff:10.0.0.7"],
        ]
      ) {
        const res = await verify(...extra);
        assert.equal(res.code, 0, `${extra.join(" ")}: ${res.stderr}${res.stdout}`);
      }
    });

    await t.step("fails for other names and for client use", async () => {
      assert.notEqual((await verify("-verify_hostname", "evil.example")).code, 0);
      assert.notEqual((await verify("-verify_ip", "127.0.0.2")).code, 0);
      assert.notEqual((await verify("-purpose", "sslclient")).code, 0);
    });

    await t.step("has the server profile", async () => {
      const text = await opensslOk(["x509", "-noout", "-text", "-in", `${dir}/server.pem`]);
      assert.match(text, /Subject: CN\s?=\s?vigil.local\n/);
      assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
      assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
      assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/);
      assert.match(text, /X509v3 Subject Key Identifier/);
      assert.match(text, /X509v3 Authority Key Identifier/);
      assert.deepEqual(certInfo(server.certPem).extendedKeyUsages, [SERVER_AUTH]);
      assert.equal(certInfo(server.certPem).deviceId, null);
    });

    await t.step("comes with its own PKCS#8 key", async () => {
      assert.match(server.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      const fromKey = await opensslOk(["pkey", "-pubout"], server.keyPem);
      const fromCert = await opensslOk(["x509", "-noout", "-pubkey"], server.certPem);
      assert.equal(fromKey, fromCert);
    });
  });

  await t.step("is valid for 90 days from a minute ago", () => {
    const second = (d: Date) => Math.floor(d.getTime() / 1000);
    assert.equal(second(server.notBefore), second(now) - 60);
    assert.equal(second(server.notAfter), second(now) + 90 * 86_400);
  });
});

Deno.test("issueServerCertificate argument checks", async (t) => {
  const { ca } = await newCa();

  await t.step("CN falls back to the first IP address", async () => {
    const server = await issueServerCertificate(ca, { dnsNames: [], ipAddresses: ["10.0.0.2"] });
    assert.equal(certInfo(server.certPem).subjectCn, "10.0.0.2");
  });

  await t.step("rejects missing or invalid names", async () => {
    await assert.rejects(issueServerCertificate(ca, { dnsNames: [], ipAddresses: [] }), RangeError);
    await assert.rejects(
      issueServerCertificate(ca, { dnsNames: ["bad name"], ipAddresses: [] }),
      RangeError,
    );
    await assert.rejects(
      issueServerCertificate(ca, { dnsNames: ["ok"], ipAddresses: ["1.2.3.256"] }),
      RangeError,
    );
    await assert.rejects(
      issueServerCertificate(ca, { dnsNames: ["ok"], ipAddresses: [], validityDays: 0 }),
      RangeError,
    );
  });
});
