/**
 * A page that plays a WHEP stream with the `whip-whep` library (medooze's
 * WHEP client, used unchanged), set up the way its README shows: a max-bundle
 * RTCPeerConnection with an audio and a video transceiver (both sendrecv, audio
 * first). The test calls `play(url, token)` and reads `player` for results.
 * @module
 */
import { WHEPClient } from "whip-whep/whep.js";

/** What the test reads back. */
export interface PlayerState {
  /** ms from `play()` to the first presented video frame. */
  firstFrameMs: number | null;
  /** Frames decoded so far (inbound-rtp stats). */
  framesDecoded: number;
  width: number;
  height: number;
  connectionState: string;
  /** Chromium's DTLS state of the transport (diagnostics). */
  dtlsState: string;
  /** RTP packets received for video (diagnostics). */
  packetsReceived: number;
  error: string | null;
}

const state: PlayerState = {
  firstFrameMs: null,
  framesDecoded: 0,
  width: 0,
  height: 0,
  connectionState: "new",
  dtlsState: "new",
  packetsReceived: 0,
  error: null,
};
let client: WHEPClient | null = null;
let pc: RTCPeerConnection | null = null;

async function play(url: string, token: string): Promise<void> {
  const video = document.querySelector("video")!;
  const t0 = performance.now();
  pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
  pc.addTransceiver("audio");
  pc.addTransceiver("video");
  pc.addEventListener("connectionstatechange", () => (state.connectionState = pc!.connectionState));
  pc.ontrack = (ev) => {
    if (ev.track.kind !== "video") return;
    video.srcObject = ev.streams[0] ?? new MediaStream([ev.track]);
    video.requestVideoFrameCallback((now, meta) => {
      state.firstFrameMs = now - t0;
      state.width = meta.width;
      state.height = meta.height;
    });
  };
  client = new WHEPClient();
  try {
    await client.view(pc, url, token);
  } catch (err) {
    state.error = String(err);
  }
}

async function poll(): Promise<PlayerState> {
  if (pc) {
    (await pc.getStats()).forEach((s) => {
      const r = s as unknown as { type: string; kind?: string; framesDecoded?: number };
      if (r.type === "inbound-rtp" && r.kind === "video") {
        state.framesDecoded = r.framesDecoded ?? 0;
      }
    });
  }
  return { ...state };
}

/** The library's ICE restart (PATCH with If-Match "*", then the answer's new credentials). */
async function restart(): Promise<void> {
  await client?.restart();
}

async function stop(): Promise<void> {
  await client?.stop();
}

Object.assign(globalThis, { whepPage: { play, poll, restart, stop } });
