import assert from "node:assert/strict";
import { RTCPeerConnection, RTCRtpCodecParameters } from "werift";
import { FanoutHub } from "../media/fanout.ts";
import { silentLogger } from "../../lib/log.ts";
import { createSource } from "../sources/mod.ts";
import { type SendPath, ViewerPeer } from "./viewer_peer.ts";
import { RtpLossCounter } from "../../tests/helpers/rtp_loss.ts";
import { ANY_ADDRESS } from "./candidate_policy.ts";

const LOOPBACK = { udp4: "127.0.0.1" };

/** A werift recvonly client, as a WHEP player would be. */
async function recvonlyClient(debug: { inboundPacketLoss?: number } = {}) {
  const pc = new RTCPeerConnection({
    debug,
    iceServers: [],
    iceInterfaceAddresses: LOOPBACK,
    iceAdditionalHostAddresses: ["127.0.0.1"],
    iceUseIpv6: false,
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: "video/H264",
          clockRate: 90_000,
          rtcpFeedback: [{ type: "nack" }, { type: "nack", parameter: "pli" }],
          parameters: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        }),
      ],
    },
  });
  pc.addTransceiver("video", { direction: "recvonly" });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    pc.iceGatheringStateChange.subscribe((s) => s === "complete" && resolve());
  });
  return pc;
}

Deno.test({
  name: "ViewerPeer streams H.264 to a werift recvonly client over loopback",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const hub = new FanoutHub();
    const source = createSource({ kind: "file" }, { logger: silentLogger });
    await source.start();
    const pump = (async () => {
      for await (const au of source) hub.publish(au);
    })();
    const client = await recvonlyClient();
    let frames = 0;
    let packets = 0;
    let h264 = true;
    let resolveFrames!: () => void;
    const enough = new Promise<void>((r) => (resolveFrames = r));
    client.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        packets++;
        const type = rtp.payload[0] & 0x1f; // single NAL 1–23, STAP-A 24, FU-A 28
        if (!((type >= 1 && type <= 24) || type === 28)) h264 = false;
        if (rtp.header.marker && ++frames >= 30) resolveFrames();
      });
    });
    // A mDNS candidate in the offer must be dropped, not resolved.
    const offer = client.localDescription!.sdp.replace(
      /(a=mid:[^\r\n]*\r\n)/,
      "$1a=candidate:9 1 udp 2122260223 0f3c7a2e-0000-4000-8000-000000000000.local 50000 typ host\r\n",
    );
    const started = performance.now();
    const peer = await ViewerPeer.answer(offer, {
      hub,
      iceServers: [],
      remoteCandidates: ANY_ADDRESS,
      interfaceAddresses: LOOPBACK,
      additionalHostAddresses: ["127.0.0.1"],
      rtcpTimeoutMs: 2_500,
    });
    assert.match(peer.answerSdp, /a=sendonly/);
    assert.match(peer.answerSdp, /H264\/90000/);
    assert.match(peer.answerSdp, /a=candidate:/);
    assert.doesNotMatch(peer.answerSdp, /stun\.l\.google/);
    // The viewer (offerer) is the DTLS client: it starts the handshake once its ICE check succeeds.
    assert.match(peer.answerSdp, /a=setup:passive/);
    await client.setRemoteDescription({ type: "answer", sdp: peer.answerSdp });
    const timeout = setTimeout(() => resolveFrames(), 3_000);
    await enough;
    clearTimeout(timeout);
    const elapsed = performance.now() - started;
    console.log(`frames=${frames} packets=${packets} in ${elapsed.toFixed(0)} ms`);
    assert.ok(frames >= 30, `only ${frames} frames within 3 s`);
    assert.ok(h264, "non-H.264 payload seen");
    assert.ok(peer.stats.accessUnits >= 30);
    assert.equal(peer.stats.sendPath, "direct", peer.stats.sendPathNote);

    // Still alive while the client keeps reporting.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(peer.isClosed, false, "peer closed while the viewer was active");
    assert.ok(peer.stats.accessUnits >= 100);

    // werift sends no DTLS close_notify: the RTCP watchdog must notice.
    await client.close();
    const reason = await Promise.race([
      peer.closed,
      new Promise<string>((r) => setTimeout(() => r("timeout"), 6_000)),
    ]);
    console.log(`peer closed after client close: ${reason}`);
    assert.match(reason, /RTCP|dtls|ice|connection/);
    await peer.close();
    assert.equal(hub.stats.subscribers, 0);
    await source.stop();
    await pump;
  },
});

for (const sendPath of ["direct", "werift"] as SendPath[]) {
  Deno.test({
    name: `ViewerPeer (${sendPath} path): packets lost on the way are NACKed and resent`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const hub = new FanoutHub();
      const source = createSource({ kind: "file" }, { logger: silentLogger });
      await source.start();
      const pump = (async () => {
        for await (const au of source) hub.publish(au);
      })();
      // werift's debug option drops an inbound RTP/RTCP packet when loss/100 < random():
      // 90 drops ~10 % of them before SRTP, as a lossy link would.
      const client = await recvonlyClient({ inboundPacketLoss: 90 });
      const loss = new RtpLossCounter();
      let frames = 0;
      client.onTrack.subscribe((track) => {
        track.onReceiveRtp.subscribe((rtp) => {
          loss.add(rtp.header.sequenceNumber);
          if (rtp.header.marker) frames++;
        });
      });
      const peer = await ViewerPeer.answer(client.localDescription!.sdp, {
        hub,
        iceServers: [],
        remoteCandidates: ANY_ADDRESS,
        interfaceAddresses: LOOPBACK,
        additionalHostAddresses: ["127.0.0.1"],
        sendPath,
      });
      try {
        await client.setRemoteDescription({ type: "answer", sdp: peer.answerSdp });
        await new Promise((r) => setTimeout(r, 4_000));
        assert.equal(peer.stats.sendPath, sendPath);
        assert.ok(frames >= 60, `only ${frames} frames`);
        const retransmitted = peer.stats.retransmitted;
        console.log(
          `${sendPath}: ${loss.received} received, ${loss.lost} still missing, ${retransmitted} resent`,
        );
        assert.ok(retransmitted > 0, "no packet was resent");
        // Most losses are repaired (a resent packet can be lost again, ~10 %).
        assert.ok(loss.lost < retransmitted, `${loss.lost} missing, ${retransmitted} resent`);
      } finally {
        await client.close();
        await peer.close();
        await source.stop();
        await pump;
      }
    },
  });
}
