import assert from "node:assert/strict";
import { derToPem, pemToDer, toBase64Url } from "./encoding.ts";
import { PkiError } from "./errors.ts";
import { fingerprint256, normalizeFingerprint, x5tS256 } from "./fingerprint.ts";
import { newCa, opensslOk, opensslTest } from "./_testing.ts";

const HEX = "0123456789abcdef".repeat(4);
const CANONICAL = HEX.toUpperCase().replace(/(..)(?!$)/g, "$1:");

opensslTest("fingerprint256 matches openssl", async () => {
  const { certPem } = await newCa();
  const out = await opensslOk(["x509", "-noout", "-fingerprint", "-sha256"], certPem);
  const fp = fingerprint256(certPem);
  assert.match(fp, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(out.trim().split("=")[1], fp);
  // openssl's whole output line is accepted as a pin.
  assert.equal(normalizeFingerprint(out), fp);
});

Deno.test("fingerprints", async (t) => {
  const { certPem } = await newCa();
  const der = pemToDer(certPem);

  await t.step("PEM and DER give the same values", () => {
    assert.equal(fingerprint256(der), fingerprint256(certPem));
    assert.equal(x5tS256(der), x5tS256(certPem));
  });

  await t.step("x5tS256 is unpadded base64url of SHA-256(DER), per WebCrypto", async () => {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
    assert.equal(x5tS256(certPem), toBase64Url(digest));
    assert.match(x5tS256(certPem), /^[A-Za-z0-9_-]{43}$/);
    const hex = fingerprint256(certPem).replace(/:/g, "").toLowerCase();
    assert.equal(hex, Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""));
  });

  await t.step("non-certificates are cert_malformed", () => {
    const malformed = (err: unknown) => err instanceof PkiError && err.code === "cert_malformed";
    assert.throws(() => fingerprint256("junk"), malformed);
    assert.throws(() => fingerprint256(derToPem(der, "CERTIFICATE REQUEST")), malformed);
    assert.throws(() => x5tS256(new Uint8Array()), malformed);
  });

  await t.step("normalizeFingerprint accepts the usual spellings", () => {
    for (
      const input of [
        CANONICAL,
        CANONICAL.toLowerCase(),
        HEX,
        HEX.toUpperCase(),
        `sha256:${HEX}`,
        `SHA256:${CANONICAL}`,
        `sha-256:${HEX}`,
        `SHA256 Fingerprint=${CANONICAL}`,
        `sha256 Fingerprint=${CANONICAL}\n`,
        `  ${HEX}  `,
      ]
    ) {
      assert.equal(normalizeFingerprint(input), CANONICAL, input);
    }
  });

  await t.step("normalizeFingerprint rejects anything else", () => {
    for (
      const input of [
        "",
        HEX.slice(1),
        HEX + "0",
        HEX.slice(0, 40), // SHA-1 length
        HEX.slice(0, 63) + "g",
        CANONICAL.slice(0, 3) + CANONICAL.slice(4).replace(/:/, ""), // mixed separators
        CANONICAL.replace(/:/g, "-"),
        `md5:${HEX}`,
        `sha256:${HEX}:`,
      ]
    ) {
      assert.equal(normalizeFingerprint(input), null, input);
    }
  });
});
