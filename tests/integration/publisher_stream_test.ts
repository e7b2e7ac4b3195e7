/**
 * Real media from the real publisher process (file source, started through
 * its launcher) to a werift WHEP viewer through the real server: H.264 RTP
 * is depacketized strictly into complete access units, with SPS/PPS before
 * the first IDR; DELETE ends the session on the publisher.
 */
import assert from "node:assert/strict";
import { RTCPeerConnection, type RTCRtpCodecParameters } from "werift";
import { h264Codec } from "../../publisher/peer/viewer_peer.ts";
import { H264Depacketizer } from "../../publisher/media/h264_depacketizer.ts";
import { NalType, nalType } from "../../publisher/media/nal.ts";
import { loginViewer } from "../helpers/server.ts";
import { startPublisherRig } from "./publisher_fixture.ts";
import { hasTool } from "../helpers/tools.ts";

/** Reassembles access units, dropping any frame that saw a sequence gap or a bad packet. */
class FrameCollector {
  #d = new H264Depacketizer();
  #lastSeq: number | null = null;
  #broken = false;
  packets = 0;
  dropped = 0;
  /** Complete access units, in order (each a list of NAL units). */
  frames: Uint8Array[][] = [];

  push(seq: number, payload: Uint8Array, marker: boolean): void {
    this.packets++;
    if (this.#lastSeq !== null && seq !== ((this.#lastSeq + 1) & 0xffff)) this.#broken = true;
    this.#lastSeq = seq;
    let nalus: Uint8Array[] | null = null;
    try {
      nalus = this.#d.push(payload, marker);
    } catch {
      this.#broken = true;
      this.#d = new H264Depacketizer();
    }
    if (!marker) return;
    if (this.#broken || !nalus) {
      this.dropped++;
      this.#d = new H264Depacketizer();
    } else {
      this.frames.push(nalus.map((n) => n.slice()));
    }
    this.#broken = false;
  }
}

Deno.test({
  name: "publisher process streams decodable H.264 to a WHEP viewer; DELETE closes it",
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const rig = await startPublisherRig({ deviceId: "stream-cam", source: "file" });
  const viewer = await loginViewer(rig.server, "watcher", ["stream-cam"]);
  const pc = new RTCPeerConnection({
    iceServers: [],
    iceInterfaceAddresses: { udp4: "127.0.0.1" },
    iceAdditionalHostAddresses: ["127.0.0.1"],
    codecs: { video: [h264Codec() as RTCRtpCodecParameters] },
  });
  const collector = new FrameCollector();
  let mime = "";
  let location: string | null = null;
  try {
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.onTrack.subscribe((track) => {
      mime = track.codec?.mimeType ?? "";
      track.onReceiveRtp.subscribe((rtp) =>
        collector.push(rtp.header.sequenceNumber, new Uint8Array(rtp.payload), rtp.header.marker)
      );
    });
    await pc.setLocalDescription(await pc.createOffer());
    if (pc.iceGatheringState !== "complete") {
      await new Promise<void>((r) =>
        pc.iceGatheringStateChange.subscribe((s) => s === "complete" && r())
      );
    }

    await t.step("POST /whep with the Bearer token is answered 201 by the publisher", async () => {
      const res = await fetch(`${rig.server.base}/whep/stream-cam`, {
        method: "POST",
        client: rig.server.client,
        headers: { "content-type": "application/sdp", authorization: `Bearer ${viewer.token}` },
        body: pc.localDescription!.sdp,
      });
      const sdp = await res.text();
      assert.equal(res.status, 201, sdp);
      assert.equal(res.headers.get("content-type"), "application/sdp");
      assert.match(sdp, /a=sendonly/);
      assert.match(sdp, /H264\/90000/);
      location = res.headers.get("location");
      assert.ok(location, "no Location header");
      await pc.setRemoteDescription({ type: "answer", sdp });
      await rig.waitForLog(/session [^ ]+: answered in \d+ ms/, 10_000);
    });

    await t.step("at least 30 complete frames, an IDR with SPS/PPS before it", async () => {
      const deadline = Date.now() + 20_000;
      const hasIdr = () => collector.frames.some((f) => f.some((n) => nalType(n) === NalType.Idr));
      while (collector.frames.length < 30 || !hasIdr()) {
        if (Date.now() > deadline) {
          throw new Error(
            `got ${collector.frames.length} frames (${collector.packets} packets, ${collector.dropped} dropped), IDR ${hasIdr()}; pc ${pc.connectionState}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(mime.toLowerCase(), "video/h264");
      // Scan NAL units in arrival order: SPS and PPS must precede the first IDR slice.
      let sps = false, pps = false, idrAt = -1;
      scan: for (const [i, frame] of collector.frames.entries()) {
        for (const n of frame) {
          const type = nalType(n);
          if (type === NalType.Sps) sps = true;
          if (type === NalType.Pps) pps = true;
          if (type === NalType.Idr) {
            idrAt = i;
            break scan;
          }
        }
      }
      assert.ok(idrAt >= 0);
      assert.ok(sps, "no SPS before the first IDR");
      assert.ok(pps, "no PPS before the first IDR");
      // Every frame carries a coded slice.
      for (const f of collector.frames) {
        assert.ok(f.some((n) => [NalType.Slice, NalType.Idr].includes(nalType(n) as 1 | 5)));
      }
      console.log(
        `  ${collector.frames.length} frames (${collector.packets} packets, ${collector.dropped} dropped), first IDR in frame ${idrAt}`,
      );
    });

    await t.step(
      "its stats reach the server: one viewer, frame rate, bitrate, CPU, memory",
      async () => {
        // The publisher reports every 5 s (publisher/device/stats_report.ts) for /metrics.
        const deadline = Date.now() + 20_000;
        let stats = rig.server.hub.cameraStats()[0]?.stats;
        while (!(stats && stats.viewers === 1 && stats.fps > 0)) {
          if (Date.now() > deadline) {
            throw new Error(`no stats with a viewer: ${JSON.stringify(stats)}`);
          }
          await new Promise((r) => setTimeout(r, 200));
          stats = rig.server.hub.cameraStats()[0]?.stats;
        }
        console.log(`  publisher stats: ${JSON.stringify(stats)}`);
        assert.ok(stats.fps > 5 && stats.fps < 100, String(stats.fps));
        assert.ok(stats.bitrateBps > 10_000, String(stats.bitrateBps));
        assert.ok(stats.cpuSeconds > 0);
        assert.ok(stats.rssBytes > 10_000_000);
        assert.ok(stats.packetsLost >= 0);
      },
    );

    await t.step("the frames decode (ffprobe, when installed)", async () => {
      if (!hasTool("ffprobe")) {
        console.warn("  skipped: ffprobe not installed");
        return;
      }
      // Annex B from the first IDR frame on.
      const first = collector.frames.findIndex((f) => f.some((n) => nalType(n) === NalType.Idr));
      // Include the parameter sets seen before it (they may have come in an earlier AU).
      const params = collector.frames.slice(0, first).flat().filter((n) =>
        [NalType.Sps, NalType.Pps].includes(nalType(n) as 7 | 8)
      );
      const nalus = [...params, ...collector.frames.slice(first).flat()];
      const parts: number[] = [];
      for (const n of nalus) parts.push(0, 0, 0, 1, ...n);
      const file = await Deno.makeTempFile({ suffix: ".h264" });
      try {
        await Deno.writeFile(file, new Uint8Array(parts));
        const out = await new Deno.Command("ffprobe", {
          args: [
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames,width,height",
            "-of",
            "json",
            file,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.ok(out.success, new TextDecoder().decode(out.stderr));
        const s = JSON.parse(new TextDecoder().decode(out.stdout)).streams[0];
        console.log(`  ffprobe decoded ${s.nb_read_frames} frames ${s.width}x${s.height}`);
        assert.ok(Number(s.nb_read_frames) >= 30, `decoded only ${s.nb_read_frames}`);
      } finally {
        await Deno.remove(file);
      }
    });

    await t.step("DELETE ends the session and the publisher logs it closed", async () => {
      const from = rig.log().length;
      const sessionId = location!.split("/").pop()!;
      const res = await fetch(new URL(location!, rig.server.base), {
        method: "DELETE",
        client: rig.server.client,
        headers: { authorization: `Bearer ${viewer.token}` },
      });
      await res.body?.cancel();
      assert.ok(res.status === 200 || res.status === 204, `DELETE ${res.status}`);
      const m = await rig.waitForLog(/session ([^ :]+): closed[^\n]*/, 10_000, from);
      console.log(`  publisher: ${m[0]}`);
      assert.equal(m[1], sessionId, "closed a different session");
      // And media stops: no RTP after the close has settled.
      await new Promise((r) => setTimeout(r, 500));
      const before = collector.packets;
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(collector.packets, before, "RTP still arriving after DELETE");
    });
  } finally {
    await pc.close();
    await rig.stop();
  }
});
