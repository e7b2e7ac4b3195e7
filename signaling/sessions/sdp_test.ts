import assert from "node:assert/strict";
import { checkOffer, MAX_MEDIA_SECTIONS } from "./sdp.ts";

const section = (kind: string, direction: string | null, port = 9, extra: string[] = []) => [
  kind === "application"
    ? `m=application ${port} UDP/DTLS/SCTP webrtc-datachannel`
    : `m=${kind} ${port} UDP/TLS/RTP/SAVPF 96`,
  "c=IN IP4 0.0.0.0",
  `a=mid:${kind}`,
  ...(direction ? [`a=${direction}`] : []),
  ...extra,
];
const offer = (...sections: string[][]) =>
  ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", ...sections.flat(), ""].join("\r\n");

Deno.test("checkOffer", async (t) => {
  await t.step("recvonly and sendrecv video pass (sendrecv is answered sendonly)", () => {
    assert.equal(checkOffer(offer(section("video", "recvonly"))), null);
    assert.equal(checkOffer(offer(section("video", "sendrecv"))), null);
    assert.equal(checkOffer(offer(section("video", null))), null, "no attribute = sendrecv");
  });

  await t.step("audio first, video bundle-only with port 0 (max-bundle) passes", () => {
    const sdp = offer(
      section("audio", "sendrecv"),
      section("video", "sendrecv", 0, ["a=bundle-only"]),
    );
    assert.equal(checkOffer(sdp), null);
  });

  await t.step("video the camera cannot send to is refused", () => {
    for (const sdp of [offer(section("video", "sendonly")), offer(section("video", "inactive"))]) {
      assert.match(checkOffer(sdp)!, /no video section to receive/);
    }
    assert.match(checkOffer(offer(section("video", "recvonly", 0)))!, /no video section/);
    assert.match(checkOffer(offer(section("audio", "recvonly")))!, /no video section/);
  });

  await t.step("a live data channel section is refused, also when marked recvonly", () => {
    for (const direction of [null, "recvonly", "inactive"]) {
      const sdp = offer(section("video", "recvonly"), section("application", direction));
      assert.match(checkOffer(sdp)!, /data channel \(m=application\) is not accepted/);
    }
    const rejected = offer(section("video", "recvonly"), section("application", null, 0));
    assert.equal(checkOffer(rejected), null, "an application section the offerer disabled is fine");
  });

  await t.step("unknown media kinds, bad SDP and sizes are refused", () => {
    assert.match(checkOffer(offer(section("video", "recvonly"), section("text", null)))!, /text/);
    assert.match(checkOffer("hello")!, /not SDP/);
    assert.match(checkOffer("v=0\r\n")!, /no media section/);
    assert.match(
      checkOffer(offer(section("video", "recvonly", 9, ["a=x:" + "y".repeat(5000)])))!,
      /too long/,
    );
    const many = Array.from({ length: MAX_MEDIA_SECTIONS + 1 }, () => section("audio", "inactive"));
    assert.match(checkOffer(offer(section("video", "recvonly"), ...many))!, /too many/);
  });
});
