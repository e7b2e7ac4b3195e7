import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { deriveSrtpKey, gcmSessionKeys, SrtpLabel } from "./srtp_kdf.ts";

const hex = (s: string) => Buffer.from(s.replaceAll(" ", ""), "hex");
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();

Deno.test("deriveSrtpKey: RFC 3711 Appendix B.3 key derivation test vectors", async (t) => {
  const masterKey = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const masterSalt = hex("0EC675AD498AFEEBB6960B3AABE6");
  await t.step("cipher key", () => {
    assert.equal(
      toHex(deriveSrtpKey(masterKey, masterSalt, SrtpLabel.rtpEncryption, 16)),
      "C61E7A93744F39EE10734AFE3FF7A087",
    );
  });
  await t.step("cipher salt", () => {
    assert.equal(
      toHex(deriveSrtpKey(masterKey, masterSalt, SrtpLabel.rtpSalt, 14)),
      "30CBBC08863D8C85D49DB34A9AE1",
    );
  });
  await t.step("auth key (two AES-CM blocks)", () => {
    assert.equal(
      toHex(deriveSrtpKey(masterKey, masterSalt, SrtpLabel.rtpAuthentication, 20)).slice(0, 32),
      "CEBE321F6FF7716B6FD4AB49AF256A15",
    );
  });
  await t.step("a salt longer than 112 bits is refused", () => {
    assert.throws(() => deriveSrtpKey(masterKey, new Uint8Array(15), 0, 16), RangeError);
  });
});

Deno.test("gcmSessionKeys: 16-byte key and the first 12 bytes of the derived salt", () => {
  const masterKey = hex("000102030405060708090a0b0c0d0e0f");
  const masterSalt = hex("a0a1a2a3a4a5a6a7a8a9aaab");
  const { key, salt } = gcmSessionKeys(masterKey, masterSalt);
  assert.equal(key.length, 16);
  assert.equal(salt.length, 12);
  // The 12-byte salt is the 14-byte KDF output truncated (RFC 7714 §12).
  assert.deepEqual(
    [...salt],
    [...deriveSrtpKey(masterKey, masterSalt, SrtpLabel.rtpSalt, 14)].slice(0, 12),
  );
});
