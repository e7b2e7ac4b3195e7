import assert from "node:assert/strict";
import { MediaStreamTrack, RTCPeerConnection } from "werift";
import { ntpNow, startDirectPath } from "./werift_direct.ts";
import { h264Codec } from "./viewer_peer.ts";

Deno.test("startDirectPath: says why it cannot start before DTLS is up", async () => {
  const none = new RTCPeerConnection({ iceServers: [] });
  const pc = new RTCPeerConnection({ iceServers: [], codecs: { video: [h264Codec()], audio: [] } });
  try {
    assert.deepEqual(startDirectPath(none, 1), { unavailable: "no transceiver" });
    pc.addTransceiver(new MediaStreamTrack({ kind: "video" }), { direction: "sendonly" });
    assert.deepEqual(startDirectPath(pc, 1), { unavailable: "DTLS not connected" });
  } finally {
    await none.close();
    await pc.close();
  }
});

Deno.test("ntpNow: seconds since 1900 and a binary fraction", () => {
  // 1970-01-01T00:00:00.5Z is 2,208,988,800.5 s after the NTP epoch.
  const t = ntpNow(500);
  assert.equal(t >> 32n, 2_208_988_800n);
  assert.equal(t & 0xffffffffn, 2n ** 31n);
  assert.ok(ntpNow() > t);
});
