/**
 * Enrollment end to end over real TLS on loopback: enroll → mTLS → device
 * token → verify; one-time tokens under concurrency; refusals.
 */
import assert from "node:assert/strict";
import { addDevice, deviceRevoke } from "../../signaling/admin/commands.ts";
import { verifyDeviceToken } from "../../signaling/auth/tokens.ts";
import { certInfo, createCsr, generateDeviceKey, x5tS256 } from "../../pki/mod.ts";
import { enrollDevice, startTestServer } from "../helpers/server.ts";

async function postJson(url: string, client: Deno.HttpClient, body: unknown) {
  const res = await fetch(url, {
    method: "POST",
    client,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

Deno.test("enrollment end to end", async (t) => {
  const s = await startTestServer();
  try {
    const dev = await enrollDevice(s, "cam-1");

    await t.step("the certificate names the device and is for clients only", () => {
      const info = certInfo(dev.certPem);
      assert.equal(info.deviceId, "cam-1");
      assert.equal(info.subjectCn, "cam-1");
      assert.deepEqual(info.extendedKeyUsages, ["1.3.6.1.5.5.7.3.2"]);
      assert.ok(info.notAfter.getTime() - Date.now() <= 24 * 3_600_000 + 60_000);
    });

    await t.step("mTLS token is bound to the certificate and verifies", async () => {
      const r = await postJson(`${dev.deviceBase}/device/token`, dev.client, {});
      assert.equal(r.status, 200);
      assert.ok(r.body.expiresIn <= 300);
      const claims = await verifyDeviceToken(
        s.ctx.ring,
        r.body.token,
        s.ctx.issuer,
        x5tS256(dev.certPem),
      );
      assert.equal(claims.sub, "cam-1");
      assert.equal(claims.role, "publisher");
    });

    await t.step(
      "a device token presented with another device's certificate is refused",
      async () => {
        const other = await enrollDevice(s, "cam-2");
        const r = await postJson(`${dev.deviceBase}/device/token`, dev.client, {});
        await assert.rejects(
          verifyDeviceToken(s.ctx.ring, r.body.token, s.ctx.issuer, x5tS256(other.certPem)),
          /cnf does not match/,
        );
        // and over the wire: cam-1's token on cam-2's connection
        const ws = await fetch(`${dev.deviceBase}/device/ws`, {
          client: other.client,
          headers: { authorization: `Bearer ${r.body.token}` },
        });
        assert.equal(ws.status, 401);
        assert.match((await ws.json()).message, /cnf/);
        other.client.close();
      },
    );

    await t.step("renewal over mTLS gives a new certificate", async () => {
      const keys = await generateDeviceKey();
      const r = await postJson(`${dev.deviceBase}/device/renew`, dev.client, {
        csr: await createCsr(keys, "x"),
      });
      assert.equal(r.status, 200);
      const info = certInfo(r.body.certificate);
      assert.equal(info.deviceId, "cam-1");
      assert.notEqual(info.serial, certInfo(dev.certPem).serial);
    });

    await t.step("openssl verify accepts the chain", async () => {
      const dir = await Deno.makeTempDir();
      await Deno.writeTextFile(`${dir}/ca.pem`, s.ctx.pki.caPem);
      await Deno.writeTextFile(`${dir}/dev.pem`, dev.certPem);
      const out = await new Deno.Command("openssl", {
        args: ["verify", "-purpose", "sslclient", "-CAfile", `${dir}/ca.pem`, `${dir}/dev.pem`],
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      await Deno.remove(dir, { recursive: true });
    });

    await t.step("a revoked device is refused and cannot renew; the CRL lists it", async () => {
      const revoked = await deviceRevoke(s.dataDir, "cam-1");
      assert.ok(revoked.revokedSerials.length >= 2);
      await new Promise((r) => setTimeout(r, 600)); // the watcher polls every 250 ms
      const fresh = Deno.createHttpClient({
        caCerts: [s.ctx.pki.caPem],
        cert: dev.certPem,
        key: dev.keyPem,
      });
      await assert.rejects(postJson(`${dev.deviceBase}/device/token`, fresh, {}));
      fresh.close();
      const crl = await (await fetch(`${s.base}/pki/crl`, { client: s.client })).text();
      assert.match(crl, /-----BEGIN X509 CRL-----/);
    });
    dev.client.close();
  } finally {
    await s.stop();
  }
});

Deno.test("a token works exactly once under 50 concurrent attempts", async () => {
  const s = await startTestServer();
  try {
    const added = await addDevice(s.dataDir, { id: "cam-race", ttlMs: 60_000, serverUrl: s.base });
    const csrs = await Promise.all(
      Array.from({ length: 50 }, async () => createCsr(await generateDeviceKey(), "x")),
    );
    const results = await Promise.all(
      csrs.map((csr) => postJson(`${s.base}/enroll`, s.client, { token: added.token, csr })),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((x) => x === 201).length, 1, JSON.stringify(statuses));
    assert.ok(statuses.every((x) => x === 201 || x === 409 || x === 429));
  } finally {
    await s.stop();
  }
});

Deno.test("enrollment refusals change nothing", async (t) => {
  const s = await startTestServer();
  try {
    const added = await addDevice(s.dataDir, { id: "cam-x", ttlMs: 60_000, serverUrl: s.base });
    const good = await createCsr(await generateDeviceKey(), "cam-x");

    await t.step("unknown token → 401", async () => {
      const r = await postJson(`${s.base}/enroll`, s.client, {
        token: "vet_unknown-token-value",
        csr: good,
      });
      assert.equal(r.status, 401);
      assert.equal(r.body.error, "token_unknown");
    });
    await t.step("a CSR with a bad signature → 400 and the token still works", async () => {
      const lines = good.split("\n");
      const body = lines.slice(1, -2).join("");
      const bytes = Uint8Array.from(atob(body), (ch) => ch.charCodeAt(0));
      bytes[bytes.length - 5] ^= 0xff;
      const bad = `-----BEGIN CERTIFICATE REQUEST-----\n${
        btoa(String.fromCharCode(...bytes))
      }\n-----END CERTIFICATE REQUEST-----\n`;
      const r = await postJson(`${s.base}/enroll`, s.client, { token: added.token, csr: bad });
      assert.equal(r.status, 400);
    });
    await t.step("oversized body → 413", async () => {
      const r = await postJson(`${s.base}/enroll`, s.client, {
        token: added.token,
        csr: "x".repeat(100_000),
      });
      assert.equal(r.status, 413);
    });
    await t.step("P-384 key → 400", async () => {
      const kp = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, true, [
        "sign",
        "verify",
      ]);
      const { X509 } = { X509: await import("../../pki/x509_lib.ts") };
      const csr = await X509.x509.Pkcs10CertificateRequestGenerator.create({
        name: "CN=x",
        keys: kp,
        signingAlgorithm: { name: "ECDSA", hash: "SHA-384" },
      });
      const r = await postJson(`${s.base}/enroll`, s.client, {
        token: added.token,
        csr: csr.toString("pem"),
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.error, "csr_unsupported_key");
    });
    await t.step("the token works once, then 409", async () => {
      assert.equal(
        (await postJson(`${s.base}/enroll`, s.client, { token: added.token, csr: good })).status,
        201,
      );
      const again = await postJson(`${s.base}/enroll`, s.client, { token: added.token, csr: good });
      assert.equal(again.status, 409);
    });
    await t.step("an expired token → 401", async () => {
      const exp = await addDevice(s.dataDir, { id: "cam-old", ttlMs: 1, serverUrl: s.base });
      await new Promise((r) => setTimeout(r, 5));
      const r = await postJson(`${s.base}/enroll`, s.client, { token: exp.token, csr: good });
      assert.equal(r.status, 401);
      assert.equal(r.body.error, "token_expired");
    });
  } finally {
    await s.stop();
  }
});
