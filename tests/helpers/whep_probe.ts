/**
 * A minimal WHEP player for checks: logs in, posts a recvonly offer from a
 * werift peer, counts received H.264 frames (RTP marker bits), then DELETEs
 * the session.
 *
 * `deno run -A tests/helpers/whep_probe.ts https://host:8443 camera user password [seconds]`
 * (reads the password from $VIGIL_PASSWORD if the argument is "-"; trusts the
 * CA at $VIGIL_CA_FILE)
 *
 * @module
 */
import { RTCPeerConnection, RTCRtpCodecParameters } from "werift";
import { RtpLossCounter } from "./rtp_loss.ts";
import { h264Codec } from "../../publisher/peer/viewer_peer.ts";

const MDNS_CANDIDATE =
  "a=candidate:7 1 udp 2122260223 6b1d0e4f-7c3a-4b2e-9f00-112233445566.local 50123 typ host";

function withMdns(sdp: string): string {
  return sdp.replace(/(a=mid:[^\r\n]*\r\n)/, `$1${MDNS_CANDIDATE}\r\n`);
}

/** Result of {@linkcode probeWhep}. */
export interface ProbeResult {
  status: number;
  frames: number;
  packets: number;
  /** Packets missing from the received sequence-number range (RTP loss, before any NACK repair). */
  lost: number;
  firstFrameMs: number | null;
  answerMs: number;
}

/** Watches `camera` for `seconds` and counts frames. */
export async function probeWhep(
  base: string,
  camera: string,
  accessToken: string,
  client: Deno.HttpClient,
  seconds: number,
  injectMdns = false,
): Promise<ProbeResult> {
  const pc = new RTCPeerConnection({
    iceServers: [],
    iceInterfaceAddresses: { udp4: "127.0.0.1" },
    iceAdditionalHostAddresses: ["127.0.0.1"],
    codecs: { video: [h264Codec() as RTCRtpCodecParameters] },
  });
  pc.addTransceiver("video", { direction: "recvonly" });
  let frames = 0;
  let packets = 0;
  const loss = new RtpLossCounter();
  let firstFrameMs: number | null = null;
  const t0 = performance.now();
  pc.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      packets++;
      loss.add(rtp.header.sequenceNumber);
      if (rtp.header.marker) {
        frames++;
        firstFrameMs ??= performance.now() - t0;
      }
    })
  );
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== "complete") {
    await new Promise<void>((r) =>
      pc.iceGatheringStateChange.subscribe((s) => s === "complete" && r())
    );
  }
  const res = await fetch(`${base}/whep/${camera}`, {
    method: "POST",
    client,
    headers: { "content-type": "application/sdp", authorization: `Bearer ${accessToken}` },
    body: injectMdns ? withMdns(pc.localDescription!.sdp) : pc.localDescription!.sdp,
  });
  const answerMs = performance.now() - t0;
  const text = await res.text();
  if (res.status !== 201) {
    await pc.close();
    return { status: res.status, frames, packets, lost: 0, firstFrameMs, answerMs };
  }
  await pc.setRemoteDescription({ type: "answer", sdp: text });
  const loc = res.headers.get("location");
  if (injectMdns && loc) {
    // A trickled mDNS candidate, as a browser sends them: must be ignored.
    const p = await fetch(new URL(loc, base), {
      method: "PATCH",
      client,
      headers: {
        "content-type": "application/trickle-ice-sdpfrag",
        authorization: `Bearer ${accessToken}`,
      },
      body: `a=mid:0\r\n${MDNS_CANDIDATE}\r\n`,
    });
    await p.body?.cancel();
  }
  await new Promise((r) => setTimeout(r, seconds * 1000));
  if (loc) {
    const d = await fetch(new URL(loc, base), {
      method: "DELETE",
      client,
      headers: { authorization: `Bearer ${accessToken}` },
    });
    await d.body?.cancel();
  }
  await pc.close();
  return {
    status: res.status,
    frames,
    packets,
    lost: loss.lost,
    firstFrameMs,
    answerMs,
  };
}

if (import.meta.main) {
  const [base, camera, user, pw, secs] = Deno.args;
  const password = pw === "-" ? Deno.env.get("VIGIL_PASSWORD") ?? "" : pw;
  const caFile = Deno.env.get("VIGIL_CA_FILE");
  const client = Deno.createHttpClient(caFile ? { caCerts: [Deno.readTextFileSync(caFile)] } : {});
  const login = await fetch(`${base}/auth/login`, {
    method: "POST",
    client,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: user, password }),
  });
  const { accessToken } = await login.json();
  const r = await probeWhep(
    base,
    camera,
    accessToken,
    client,
    Number(secs ?? 3),
    Deno.env.get("VIGIL_PROBE_MDNS") === "1",
  );
  console.log(JSON.stringify(r));
  client.close();
  Deno.exit(0);
}
