/**
 * Test support for the peer tests: a camera (the sample file looping into a
 * hub) and a Chromium page that makes offers and decodes what it gets.
 * @module
 */
import type { Page } from "playwright-core";
import { FanoutHub } from "../media/fanout.ts";
import { silentLogger } from "../../lib/log.ts";
import { createSource } from "../sources/mod.ts";

/** A camera: the sample file looping into a hub. */
export async function camera() {
  const hub = new FanoutHub();
  const source = createSource({ kind: "file" }, { logger: silentLogger });
  await source.start();
  const pump = (async () => {
    for await (const au of source) hub.publish(au);
  })();
  return {
    hub,
    async stop() {
      await source.stop();
      await pump;
    },
  };
}

export type Shape = "recvonly" | "sendrecv" | "audio-first" | "datachannel";

/** In the page: build an offer of `shape`, wait for ICE gathering, return the SDP. */
export function makeOffer(page: Page, shape: Shape): Promise<string> {
  return page.evaluate(async (shape) => {
    const g = globalThis as unknown as Record<string, unknown>;
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle" });
    g.pc = pc;
    if (shape === "audio-first") {
      pc.addTransceiver("audio"); // sendrecv, first: the bundle's offerer-tagged section
      pc.addTransceiver("video");
    } else if (shape === "sendrecv") {
      pc.addTransceiver("video");
    } else {
      pc.addTransceiver("video", { direction: "recvonly" });
    }
    if (shape === "datachannel") {
      const dc = pc.createDataChannel("probe");
      g.dcOpened = false;
      dc.onopen = () => (g.dcOpened = true);
    }
    await pc.setLocalDescription();
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") resolve();
      });
    });
    return pc.localDescription!.sdp;
  }, shape);
}

/** In the page: apply the answer (throws with Chromium's message if refused). */
export function applyAnswer(page: Page, sdp: string): Promise<void> {
  return page.evaluate(async (sdp) => {
    const pc = (globalThis as unknown as { pc: RTCPeerConnection }).pc;
    await pc.setRemoteDescription({ type: "answer", sdp });
  }, sdp);
}

/** In the page: video frames decoded so far. */
export function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const pc = (globalThis as unknown as { pc: RTCPeerConnection }).pc;
    let frames = 0;
    (await pc.getStats()).forEach((s) => {
      const r = s as unknown as Record<string, unknown>;
      if (r.type === "inbound-rtp" && r.kind === "video") frames = Number(r.framesDecoded ?? 0);
    });
    return frames;
  });
}

/** In the page: Chromium's view of the transport and the video stream (for failure messages). */
export function transportState(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const pc = (globalThis as unknown as { pc: RTCPeerConnection }).pc;
    const out: string[] = [];
    (await pc.getStats()).forEach((s) => {
      const r = s as unknown as Record<string, unknown>;
      if (r.type === "transport") {
        out.push(`dtls ${r.dtlsState}, ice ${r.iceState}, rx ${r.bytesReceived} B`);
      } else if (r.type === "inbound-rtp" && r.kind === "video") {
        out.push(`rtp ${r.packetsReceived} packets, ${r.framesDecoded} frames, pli ${r.pliCount}`);
      }
    });
    return out.join("; ") || "no transport";
  });
}

/**
 * Polls `check` until it holds; on timeout the error says what was awaited
 * and, with `page`, Chromium's transport state.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  ms = 10_000,
  page?: Page,
) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const state = page ? ` (${await transportState(page).catch((e) => String(e))})` : "";
      throw new Error(`timed out waiting for ${what}${state}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
