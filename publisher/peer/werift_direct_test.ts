import assert from "node:assert/strict";
import { MediaStreamTrack, RTCPeerConnection } from "werift";
import { startDirectPath } from "./werift_direct.ts";
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
