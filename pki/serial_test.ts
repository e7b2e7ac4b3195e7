import assert from "node:assert/strict";
import { PkiError } from "./errors.ts";
import { normalizeSerial, randomSerial } from "./serial.ts";

const malformed = (err: unknown) => err instanceof PkiError && err.code === "serial_malformed";

Deno.test("serial", async (t) => {
  await t.step("normalizeSerial maps every tool's spelling to one form", () => {
    const canonical = "0000000000000000000000000000ab0c";
    for (
      const s of [
        "ab0c",
        "AB0C",
        "00AB0C",
        "0xab0c",
        "ab:0c",
        "00:AB:0C",
        " ab0c\n",
        "0000000000000000000000000000000000ab0c",
      ]
    ) {
      assert.equal(normalizeSerial(s), canonical, s);
    }
  });

  await t.step("node's spelling of a serial with a zero top byte matches", () => {
    // Seen from Deno's node:tls getPeerCertificate(): upper case, zero byte dropped.
    assert.equal(
      normalizeSerial("330383898DD47DD65890FA3B9F3A86"),
      "00330383898dd47dd65890fa3b9f3a86",
    );
  });

  await t.step("normalizeSerial keeps 128-bit serials at 32 digits", () => {
    const full = "7f" + "01".repeat(15);
    assert.equal(normalizeSerial(full.toUpperCase()), full);
    assert.equal(normalizeSerial("0"), "0".repeat(32));
  });

  await t.step("longer serials are padded to an even length only", () => {
    assert.equal(normalizeSerial("1" + "0".repeat(32)), "01" + "0".repeat(32));
    assert.equal(normalizeSerial("f".repeat(40)), "f".repeat(40));
  });

  await t.step("normalizeSerial rejects non-serials", () => {
    for (const s of ["", "xyz", "-1", "ab:c", "0x", "a b", "f".repeat(41)]) {
      assert.throws(() => normalizeSerial(s), malformed, s);
    }
  });

  await t.step("randomSerial is 128-bit, positive, non-zero and fresh", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const s = randomSerial();
      assert.match(s, /^[0-7][0-9a-f]{31}$/);
      assert.notEqual(BigInt("0x" + s), 0n);
      assert.equal(normalizeSerial(s), s);
      seen.add(s);
    }
    assert.equal(seen.size, 200);
  });
});
