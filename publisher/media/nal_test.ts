import assert from "node:assert/strict";
import {
  addEmulationPrevention,
  isFirstSliceOfPicture,
  isVclType,
  nalRefIdc,
  nalType,
  removeEmulationPrevention,
} from "./nal.ts";

Deno.test("nal helpers", async (t) => {
  await t.step("header fields", () => {
    assert.equal(nalType(new Uint8Array([0x65])), 5);
    assert.equal(nalRefIdc(new Uint8Array([0x65])), 3);
    assert.equal(isVclType(1) && isVclType(5) && !isVclType(6) && !isVclType(0), true);
    assert.equal(isFirstSliceOfPicture(new Uint8Array([0x41, 0x9a])), true);
    assert.equal(isFirstSliceOfPicture(new Uint8Array([0x41, 0x1a])), false);
  });

  await t.step("emulation prevention escapes 00 00 0x (x <= 3) and round-trips", () => {
    const rbsp = new Uint8Array([0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0]);
    const ebsp = addEmulationPrevention(rbsp);
    assert.deepEqual(
      Array.from(ebsp),
      [0, 0, 3, 0, 0, 3, 1, 0, 0, 3, 2, 0, 0, 3, 3, 0, 0, 4, 0, 0],
    );
    for (let i = 0; i + 2 < ebsp.length; i++) {
      assert.ok(!(ebsp[i] === 0 && ebsp[i + 1] === 0 && ebsp[i + 2] <= 2), `start code at ${i}`);
    }
    assert.deepEqual(removeEmulationPrevention(ebsp), rbsp);
    const plain = new Uint8Array([1, 2, 3]);
    assert.equal(removeEmulationPrevention(plain), plain);
  });
});
