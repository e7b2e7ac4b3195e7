import assert from "node:assert/strict";
import { answerDtlsRole, isIpLiteral, parseSdpFrag, stripUnusableCandidates } from "./sdp.ts";

const OFFER = [
  "v=0",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "a=mid:0",
  "a=candidate:1 1 udp 2122260223 3f1c2b5e-1111-2222-3333-444455556666.local 54321 typ host generation 0",
  "a=candidate:2 1 udp 2122260223 192.168.1.20 54322 typ host",
  "a=candidate:3 1 udp 2122260223 2001:db8::1 54323 typ host",
  "a=candidate:4 1 udp 1686052607 attacker.example.com 3478 typ srflx raddr 0.0.0.0 rport 0",
  "a=candidate:5 1 UDP 2122260223 ABC.LOCAL 1 typ host",
  "a=sendrecv",
  "",
].join("\r\n");

Deno.test("stripUnusableCandidates drops .local and host-name candidates, keeps IPs", () => {
  const out = stripUnusableCandidates(OFFER);
  assert.ok(!/\.local/i.test(out));
  assert.ok(!out.includes("attacker.example.com"));
  assert.ok(out.includes("192.168.1.20 54322"));
  assert.ok(out.includes("2001:db8::1 54323"));
  assert.ok(out.includes("a=mid:0\r\n"));
  assert.equal(out.split("\r\n").length, OFFER.split("\r\n").length - 3);
});

Deno.test("stripUnusableCandidates keeps LF endings and non-candidate lines", () => {
  const sdp = "v=0\na=candidate:1 1 udp 1 x.local 1 typ host\na=ice-ufrag:abcd\n";
  assert.equal(stripUnusableCandidates(sdp), "v=0\na=ice-ufrag:abcd\n");
});

Deno.test("isIpLiteral", () => {
  assert.ok(isIpLiteral("10.0.0.1"));
  assert.ok(isIpLiteral("::1"));
  assert.ok(!isIpLiteral("256.1.1.1"));
  assert.ok(!isIpLiteral("foo.local"));
  assert.ok(!isIpLiteral("localhost"));
});

Deno.test("parseSdpFrag keeps mid/ufrag, skips .local, sees end-of-candidates", () => {
  const frag = [
    "a=ice-ufrag:EsAw",
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1",
    "m=audio 9 RTP/AVP 0",
    "a=mid:0",
    "a=candidate:1 1 UDP 2130706431 198.51.100.1 39132 typ host",
    "a=candidate:2 1 UDP 2130706431 a1b2.local 39133 typ host",
    "a=end-of-candidates",
  ].join("\r\n");
  const r = parseSdpFrag(frag);
  assert.equal(r.skipped, 1);
  assert.ok(r.endOfCandidates);
  assert.deepEqual(r.candidates, [{
    candidate: "candidate:1 1 UDP 2130706431 198.51.100.1 39132 typ host",
    sdpMid: "0",
    usernameFragment: "EsAw",
  }]);
});

Deno.test("answerDtlsRole: the preferred role unless the offer has chosen", () => {
  const offer = (setup: string) =>
    `v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n${setup}a=recvonly\r\n`;
  assert.equal(answerDtlsRole(offer("a=setup:actpass\r\n"), "server"), "server");
  assert.equal(answerDtlsRole(offer("a=setup:actpass\r\n"), "client"), "client");
  assert.equal(answerDtlsRole(offer(""), "server"), "server");
  assert.equal(answerDtlsRole(offer("a=setup:active\r\n"), "client"), "server");
  assert.equal(answerDtlsRole(offer("a=setup:passive\r\n"), "server"), "client");
});
