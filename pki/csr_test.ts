import assert from "node:assert/strict";
import { createCsr, verifyCsr } from "./csr.ts";
import { derToPem, pemToDer } from "./encoding.ts";
import { PkiError } from "./errors.ts";
import { exportPrivateKeyPem, generateDeviceKey } from "./keys.ts";
import { newCa, openssl, opensslOk, opensslTest, withTempDir } from "./_testing.ts";

const isCode = (code: string) => (err: unknown) => err instanceof PkiError && err.code === code;

/** A CSR for a fresh key made by openssl, e.g. `["-newkey", "rsa:2048"]`. */
async function opensslCsr(keyArgs: string[], extra: string[] = []): Promise<string> {
  return await withTempDir(async (dir) =>
    await opensslOk([
      "req",
      "-new",
      ...keyArgs,
      "-nodes",
      "-keyout",
      `${dir}/key.pem`,
      "-subj",
      "/CN=someone",
      ...extra,
    ])
  );
}

Deno.test("createCsr and verifyCsr", async (t) => {
  const keys = await generateDeviceKey();
  const csrPem = await createCsr(keys, "cam-1");

  await t.step("a fresh CSR verifies and yields its public key", async () => {
    assert.match(csrPem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    const { publicKey } = await verifyCsr(csrPem);
    const spki = (k: CryptoKey) => crypto.subtle.exportKey("spki", k);
    assert.deepEqual(
      new Uint8Array(await spki(publicKey)),
      new Uint8Array(await spki(keys.publicKey)),
    );
  });

  await t.step("a tampered signature is csr_bad_signature", async () => {
    const der = pemToDer(csrPem);
    der[der.length - 1] ^= 0x01; // last byte of the ECDSA s value
    await assert.rejects(
      verifyCsr(derToPem(der, "CERTIFICATE REQUEST")),
      isCode("csr_bad_signature"),
    );
  });

  await t.step("a tampered subject is csr_bad_signature", async () => {
    const der = pemToDer(csrPem);
    const at = new TextDecoder("latin1").decode(der).indexOf("cam-1");
    assert.ok(at > 0);
    der[at] = "k".charCodeAt(0);
    await assert.rejects(
      verifyCsr(derToPem(der, "CERTIFICATE REQUEST")),
      isCode("csr_bad_signature"),
    );
  });

  await t.step("a CSR signed by another key is csr_bad_signature", async () => {
    // Splice a second key's public key into the first one's request.
    const other = await generateDeviceKey();
    const der = pemToDer(csrPem);
    const mine = new Uint8Array(await crypto.subtle.exportKey("raw", keys.publicKey));
    const theirs = new Uint8Array(await crypto.subtle.exportKey("raw", other.publicKey));
    const at = indexOf(der, mine);
    assert.ok(at > 0);
    der.set(theirs, at);
    await assert.rejects(
      verifyCsr(derToPem(der, "CERTIFICATE REQUEST")),
      isCode("csr_bad_signature"),
    );
  });

  await t.step("garbage is csr_malformed", async () => {
    const { certPem } = await newCa();
    const random = derToPem(crypto.getRandomValues(new Uint8Array(64)), "CERTIFICATE REQUEST");
    for (const bad of ["", "garbage", random, certPem, "x".repeat(20_000)]) {
      await assert.rejects(verifyCsr(bad), isCode("csr_malformed"), bad.slice(0, 30));
    }
    await assert.rejects(verifyCsr(123 as unknown as string), isCode("csr_malformed"));
  });

  await t.step("the subject CN length is checked", async () => {
    await assert.rejects(createCsr(keys, ""), RangeError);
    await assert.rejects(createCsr(keys, "a".repeat(65)), RangeError);
  });
});

opensslTest("verifyCsr against openssl-made requests", async (t) => {
  await t.step("openssl accepts our CSR", async () => {
    const csrPem = await createCsr(await generateDeviceKey(), "cam-1");
    const res = await openssl(["req", "-verify", "-noout"], csrPem);
    assert.equal(res.code, 0, res.stderr);
  });

  await t.step("an openssl P-256 CSR for our key is accepted", async () => {
    const keys = await generateDeviceKey();
    await withTempDir(async (dir) => {
      await Deno.writeTextFile(`${dir}/key.pem`, await exportPrivateKeyPem(keys.privateKey));
      const csr = await opensslOk(["req", "-new", "-key", `${dir}/key.pem`, "-subj", "/CN=x"]);
      await verifyCsr(csr);
    });
  });

  await t.step("RSA-2048 is csr_unsupported_key", async () => {
    const csr = await opensslCsr(["-newkey", "rsa:2048"]);
    await assert.rejects(verifyCsr(csr), isCode("csr_unsupported_key"));
  });

  await t.step("P-384 is csr_unsupported_key", async () => {
    const csr = await opensslCsr(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"]);
    await assert.rejects(verifyCsr(csr), isCode("csr_unsupported_key"));
  });

  await t.step("secp256k1 and Ed25519 are csr_unsupported_key", async () => {
    const k1 = await opensslCsr(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"]);
    await assert.rejects(verifyCsr(k1), isCode("csr_unsupported_key"));
    const ed = await opensslCsr(["-newkey", "ed25519"]);
    await assert.rejects(verifyCsr(ed), isCode("csr_unsupported_key"));
  });

  await t.step("a P-256 CSR signed with SHA-1 is csr_bad_signature", async () => {
    const csr = await opensslCsr(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], [
      "-sha1",
    ]);
    await assert.rejects(verifyCsr(csr), isCode("csr_bad_signature"));
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
