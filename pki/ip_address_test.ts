import assert from "node:assert/strict";
import { toHex } from "./encoding.ts";
import { formatIpForX509, parseIpAddress } from "./ip_address.ts";

const hexOf = (text: string) => {
  const bytes = parseIpAddress(text);
  return bytes ? toHex(bytes) : null;
};

Deno.test("ip_address", async (t) => {
  await t.step("IPv4", () => {
    assert.equal(hexOf("127.0.0.1"), "7f000001");
    assert.equal(hexOf("255.255.255.0"), "ffffff00");
    for (const bad of ["256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.-4", "a.b.c.d", ""]) {
      assert.equal(parseIpAddress(bad), null, bad);
    }
  });

  await t.step("IPv6", () => {
    assert.equal(hexOf("::1"), "0".repeat(30) + "01");
    assert.equal(hexOf("::"), "0".repeat(32));
    assert.equal(hexOf("fe80::1:2"), "fe80" + "0".repeat(20) + "00010002");
    assert.equal(hexOf("1:2:3:4:5:6:7:8"), "00010002000300040005000600070008");
    assert.equal(hexOf("1:2:3:4:5:6:7::"), "00010002000300040005000600070000");
    assert.equal(hexOf("::ffff:10.0.0.1"), "0".repeat(20) + "ffff0a000001");
    assert.equal(hexOf("1:2:3:4:5:6:1.2.3.4"), "000100020003000400050006" + "01020304");
    for (
      const bad of [
        "1::2::3",
        ":1",
        "1:",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7::8",
        "12345::",
        "1.2.3.4::",
        "::1.2.3.4:5",
        "fe80::1%eth0",
        "::g",
      ]
    ) {
      assert.equal(parseIpAddress(bad), null, bad);
    }
  });

  await t.step("formatIpForX509 spells out every IPv6 group", () => {
    assert.equal(formatIpForX509(parseIpAddress("::1")!), "0:0:0:0:0:0:0:1");
    assert.equal(formatIpForX509(parseIpAddress("10.1.2.3")!), "10.1.2.3");
  });
});
