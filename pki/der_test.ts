import assert from "node:assert/strict";
import {
  derOctetString,
  derSequence,
  derTlv,
  derUnsignedInteger,
  readDer,
  readDerChildren,
} from "./der.ts";
import { fromHex, toHex } from "./encoding.ts";

Deno.test("der", async (t) => {
  await t.step("unsigned integers are minimal with a sign byte when needed", () => {
    assert.equal(toHex(derUnsignedInteger(0)), "020100");
    assert.equal(toHex(derUnsignedInteger(127)), "02017f");
    assert.equal(toHex(derUnsignedInteger(128)), "02020080");
    assert.equal(toHex(derUnsignedInteger(256)), "02020100");
    assert.equal(toHex(derUnsignedInteger(2n ** 64n)), "0209010000000000000000");
    assert.throws(() => derUnsignedInteger(-1), RangeError);
  });

  await t.step("long lengths use the multi-byte form", () => {
    assert.equal(toHex(derTlv(0x04, new Uint8Array(127)).subarray(0, 2)), "047f");
    assert.equal(toHex(derTlv(0x04, new Uint8Array(200)).subarray(0, 3)), "0481c8");
    assert.equal(toHex(derTlv(0x04, new Uint8Array(300)).subarray(0, 4)), "0482012c");
  });

  await t.step("sequence and octet string", () => {
    assert.equal(
      toHex(derSequence(derUnsignedInteger(0), derOctetString(new Uint8Array([0xab])))),
      "3006020100" + "0401ab",
    );
    assert.equal(toHex(derSequence()), "3000");
  });

  await t.step("readDer reads what the encoders write", () => {
    const big = derOctetString(new Uint8Array(300).fill(7));
    const seq = derSequence(derUnsignedInteger(5), big);
    const outer = readDer(seq);
    assert.equal(outer.tag, 0x30);
    assert.equal(outer.end, seq.length);
    const [int, octets] = readDerChildren(outer.content);
    assert.equal(toHex(int.der), "020105");
    assert.equal(octets.content.length, 300);
    assert.deepEqual(octets.der, big);
  });

  await t.step("readDer rejects truncated and non-minimal input", () => {
    for (
      const bad of ["30", "3004020101", "308100", "3080", "30850000000001", "1f0100", "04820001aa"]
    ) {
      assert.throws(() => readDer(fromHex(bad)), RangeError, bad);
    }
  });
});
