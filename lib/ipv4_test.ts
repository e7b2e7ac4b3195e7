import assert from "node:assert/strict";
import { inCidr, isLoopback, isUnusableDestination, parseIpv4 } from "./ipv4.ts";

Deno.test("parseIpv4: only the canonical dotted quad", () => {
  assert.equal(parseIpv4("10.0.0.7"), 0x0a000007);
  assert.equal(parseIpv4("255.255.255.255"), 0xffffffff);
  assert.equal(parseIpv4("0.0.0.0"), 0);
  for (
    const bad of [
      "127.1",
      "0x7f000001",
      "2130706433",
      "0177.0.0.1",
      "127.000.0.1",
      "127.0.0.1.",
      "256.0.0.1",
      "::ffff:127.0.0.1",
      "::",
      "localhost",
      " 10.0.0.1",
      "",
    ]
  ) assert.equal(parseIpv4(bad), null, bad);
});

Deno.test("inCidr: prefix lengths, bare addresses, malformed ranges", () => {
  const a = parseIpv4("192.168.1.20")!;
  assert.ok(inCidr(a, "192.168.0.0/16"));
  assert.ok(inCidr(a, "192.168.1.20"));
  assert.ok(inCidr(a, "0.0.0.0/0"));
  assert.ok(!inCidr(a, "192.168.2.0/24"));
  assert.ok(!inCidr(a, "192.168.1.0/33"));
  assert.ok(!inCidr(a, "fe80::/10"));
  assert.ok(!inCidr(a, "192.168.1.0/24/1"));
});

Deno.test("isUnusableDestination / isLoopback", () => {
  assert.ok(isUnusableDestination(parseIpv4("0.0.0.0")!));
  assert.ok(isUnusableDestination(parseIpv4("0.1.2.3")!));
  assert.ok(isUnusableDestination(parseIpv4("239.1.1.1")!));
  assert.ok(isUnusableDestination(parseIpv4("255.255.255.255")!));
  assert.ok(!isUnusableDestination(parseIpv4("10.0.0.1")!));
  assert.ok(isLoopback(parseIpv4("127.0.0.2")!));
  assert.ok(!isLoopback(parseIpv4("128.0.0.1")!));
});
