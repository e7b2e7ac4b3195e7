import assert from "node:assert/strict";
import { derOctetString, derSequence, derUnsignedInteger } from "./der.ts";
import { derToPem } from "./encoding.ts";
import { PkiError } from "./errors.ts";
import {
  exportPrivateKeyPem,
  generateDeviceKey,
  generateEcKeyPair,
  importEcKeyPairPem,
  importEcPrivateKeyPem,
  keysMatch,
} from "./keys.ts";
import { opensslOk, opensslTest } from "./_testing.ts";

const keyMalformed = (err: unknown) => err instanceof PkiError && err.code === "key_malformed";
const spki = async (k: CryptoKey) => new Uint8Array(await crypto.subtle.exportKey("spki", k));

Deno.test("keys", async (t) => {
  const device = await generateDeviceKey();
  const pem = await exportPrivateKeyPem(device.privateKey);

  await t.step("device keys are extractable P-256 ECDSA", () => {
    assert.equal(device.privateKey.extractable, true);
    assert.deepEqual(device.privateKey.algorithm, { name: "ECDSA", namedCurve: "P-256" });
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
  });

  await t.step("import gives a non-extractable key of the same pair", async () => {
    const key = await importEcPrivateKeyPem(pem);
    assert.equal(key.extractable, false);
    assert.ok(await keysMatch(key, device.publicKey));
    const other = await generateEcKeyPair(false);
    assert.equal(await keysMatch(key, other.publicKey), false);
  });

  await t.step("importEcKeyPairPem derives the public key", async () => {
    const pair = await importEcKeyPairPem(pem);
    assert.deepEqual(await spki(pair.publicKey), await spki(device.publicKey));
    assert.equal(pair.privateKey.extractable, false);
    assert.ok(await keysMatch(pair.privateKey, pair.publicKey));
  });

  await t.step("a non-extractable key can't be exported", async () => {
    const { privateKey } = await generateEcKeyPair(false);
    await assert.rejects(exportPrivateKeyPem(privateKey), keyMalformed);
    await assert.rejects(exportPrivateKeyPem(device.publicKey), keyMalformed);
  });

  await t.step("out-of-range scalars are key_malformed", async () => {
    for (const fill of [0x00, 0xff]) {
      const sec1 = derSequence(
        derUnsignedInteger(1),
        derOctetString(new Uint8Array(32).fill(fill)),
      );
      await assert.rejects(importEcPrivateKeyPem(derToPem(sec1, "EC PRIVATE KEY")), keyMalformed);
    }
  });

  await t.step("garbage and wrong labels are key_malformed", async () => {
    for (const bad of ["", "junk", pem.replace(/PRIVATE KEY/g, "PUBLIC KEY")]) {
      await assert.rejects(importEcPrivateKeyPem(bad), keyMalformed, bad);
    }
  });
});

opensslTest("keys from openssl", async (t) => {
  await t.step("SEC1 and PKCS#8 P-256 keys import, with the right public key", async () => {
    const sec1 = await opensslOk(["ecparam", "-name", "prime256v1", "-genkey", "-noout"]);
    assert.match(sec1, /BEGIN EC PRIVATE KEY/);
    const pkcs8 = await opensslOk(["pkey"], sec1);
    assert.match(pkcs8, /BEGIN PRIVATE KEY/);
    const expected = await opensslOk(["pkey", "-pubout"], sec1);
    for (const pem of [sec1, pkcs8]) {
      const pair = await importEcKeyPairPem(pem);
      assert.equal(derToPem(await spki(pair.publicKey), "PUBLIC KEY"), expected);
      assert.ok(await keysMatch(await importEcPrivateKeyPem(pem), pair.publicKey));
    }
  });

  await t.step("other key types are key_malformed", async () => {
    const rsa = await opensslOk([
      "genpkey",
      "-algorithm",
      "RSA",
      "-pkeyopt",
      "rsa_keygen_bits:1024",
    ]);
    const p384 = await opensslOk([
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-384",
    ]);
    const p384Sec1 = await opensslOk(["ec"], p384);
    const ed = await opensslOk(["genpkey", "-algorithm", "ed25519"]);
    const encrypted = await opensslOk(
      ["pkcs8", "-topk8", "-v2", "aes-128-cbc", "-passout", "pass:x"],
      p384,
    );
    for (const pem of [rsa, p384, p384Sec1, ed, encrypted]) {
      await assert.rejects(importEcPrivateKeyPem(pem), keyMalformed, pem.split("\n")[0]);
    }
  });
});
