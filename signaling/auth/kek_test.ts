import assert from "node:assert/strict";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { kekFromBytes, loadKek, seal, unseal } from "./kek.ts";

Deno.test("KEK: seal/unseal round trip, bound to the name and the key; the file is checked", async () => {
  const k1 = await kekFromBytes(crypto.getRandomValues(new Uint8Array(32)));
  const k2 = await kekFromBytes(crypto.getRandomValues(new Uint8Array(32)));
  const s = await seal(k1, "ca", "-----BEGIN PRIVATE KEY-----x");
  assert.equal(await unseal(k1, "ca", s), "-----BEGIN PRIVATE KEY-----x");
  assert.notEqual(await seal(k1, "ca", "same"), await seal(k1, "ca", "same"), "fresh IV");
  assert.doesNotMatch(s, /PRIVATE/);
  await assert.rejects(unseal(k2, "ca", s), /different key-encryption key/);
  await assert.rejects(unseal(k1, "jwt-x", s), /different key-encryption key/);
  const flipped = s.slice(0, -2) + (s.at(-2) === "A" ? "B" : "A") + s.at(-1);
  await assert.rejects(unseal(k1, "ca", flipped), /altered data/);
  await assert.rejects(unseal(k1, "ca", "garbage"), /not in the v1 form/);
  await assert.rejects(kekFromBytes(new Uint8Array(16)), /32 bytes, not 16/);

  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "kek");
    const text = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
    await Deno.writeTextFile(path, text + "\n", { mode: 0o644 });
    await Deno.chmod(path, 0o644);
    await assert.rejects(loadKek(path), /readable by others \(mode 644\): chmod 600/);
    await Deno.chmod(path, 0o600);
    const k = await loadKek(path);
    assert.equal(await unseal(k, "n", await seal(k, "n", "v")), "v");
    await Deno.writeTextFile(path, "short");
    await assert.rejects(loadKek(path), /32 random bytes in base64/);
    await assert.rejects(loadKek(join(dir, "none")), /cannot read the key-encryption key/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
