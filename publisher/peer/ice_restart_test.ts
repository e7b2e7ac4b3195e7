import assert from "node:assert/strict";
import { parseRestartFrag, restartAnswerFrag, RestartError, restartOffer } from "./ice_restart.ts";
import { planOffer } from "./offer_plan.ts";

const FRAG = [
  "a=ice-ufrag:Nw3z",
  "a=ice-pwd:QbXk0tmRJu4IcYmRA6ObeBJb",
  "m=audio 9 UDP/TLS/RTP/SAVPF 0",
  "a=mid:0",
  "a=candidate:1 1 udp 2122260223 192.0.2.7 50001 typ host",
  "a=candidate:2 1 udp 2122260223 1f2e3d4c-0000-4000-8000-000000000000.local 50002 typ host",
  "a=end-of-candidates",
  "",
].join("\r\n");

const OFFER = [
  "v=0",
  "o=- 1 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0 1",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111",
  "a=ice-ufrag:old1",
  "a=ice-pwd:oldpasswordoldpassword",
  "a=fingerprint:sha-256 AB:CD",
  "a=setup:actpass",
  "a=mid:0",
  "a=sendrecv",
  "a=rtpmap:111 opus/48000/2",
  "a=candidate:9 1 udp 2122260223 192.0.2.9 40000 typ host",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "a=ice-ufrag:old1",
  "a=ice-pwd:oldpasswordoldpassword",
  "a=fingerprint:sha-256 AB:CD",
  "a=setup:actpass",
  "a=mid:1",
  "a=sendrecv",
  "a=rtpmap:96 H264/90000",
  "a=end-of-candidates",
  "",
].join("\r\n");

const WERIFT_ANSWER = [
  "v=0",
  "o=- 9 1 IN IP4 0.0.0.0",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 1",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "a=ice-ufrag:new2",
  "a=ice-pwd:newpasswordnewpassword",
  "a=fingerprint:sha-256 11:22",
  "a=setup:passive",
  "a=mid:1",
  "a=sendonly",
  "a=candidate:3 1 udp 2130706431 192.0.2.1 41000 typ host",
  "a=end-of-candidates",
  "",
].join("\r\n");

Deno.test("ICE restart SDP", async (t) => {
  await t.step("parseRestartFrag takes credentials and IP candidates only", () => {
    const r = parseRestartFrag(FRAG);
    assert.equal(r.ufrag, "Nw3z");
    assert.equal(r.pwd, "QbXk0tmRJu4IcYmRA6ObeBJb");
    assert.deepEqual(r.candidates, ["a=candidate:1 1 udp 2122260223 192.0.2.7 50001 typ host"]);
    assert.equal(r.endOfCandidates, true);
  });

  await t.step("parseRestartFrag refuses fragments that cannot restart", () => {
    assert.throws(
      () => parseRestartFrag("a=candidate:1 1 udp 1 192.0.2.1 9 typ host"),
      RestartError,
    );
    assert.throws(() => parseRestartFrag("a=ice-ufrag:ab\r\na=ice-pwd:" + "p".repeat(22)), /ufrag/);
    assert.throws(() => parseRestartFrag("a=ice-ufrag:abcd\r\na=ice-pwd:short"), /pwd/);
    assert.throws(
      () => parseRestartFrag("a=ice-ufrag:ab;d\r\na=ice-pwd:" + "p".repeat(22)),
      /ufrag/,
    );
  });

  await t.step("restartOffer swaps credentials and candidates, never end-of-candidates", () => {
    const plan = planOffer(OFFER);
    const next = restartOffer(plan.weriftOffer, parseRestartFrag(FRAG));
    assert.match(next, /a=ice-ufrag:Nw3z\r\n/);
    assert.match(next, /a=ice-pwd:QbXk0tmRJu4IcYmRA6ObeBJb\r\n/);
    assert.doesNotMatch(next, /old1|oldpassword|192\.0\.2\.9|\.local/);
    assert.match(next, /a=candidate:1 1 udp 2122260223 192\.0\.2\.7 50001 typ host\r\n$/);
    assert.doesNotMatch(next, /end-of-candidates/);
    assert.match(next, /a=fingerprint:sha-256 AB:CD\r\n/, "DTLS parameters stay");
    assert.match(next, /a=recvonly\r\n/);
  });

  await t.step("restartAnswerFrag answers in the answerer-tagged section", () => {
    const frag = restartAnswerFrag(planOffer(OFFER), WERIFT_ANSWER);
    assert.equal(
      frag,
      [
        "a=group:BUNDLE 0 1",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "a=mid:0",
        "a=ice-ufrag:new2",
        "a=ice-pwd:newpasswordnewpassword",
        "a=candidate:3 1 udp 2130706431 192.0.2.1 41000 typ host",
        "a=end-of-candidates",
        "",
      ].join("\r\n"),
    );
  });
});
