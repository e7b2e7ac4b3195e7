/**
 * Before/after of the publisher's DTLS role, in one run: a real
 * {@linkcode ViewerPeer} (fed by a fan-out hub playing the sample clip) answers
 * Chromium's recvonly offer, alternately as DTLS client (werift's default,
 * a=setup:active: before) and as DTLS server (a=setup:passive: after). Measured in
 * the page: answer applied → connectionState "connected" → first presented frame.
 *
 * `deno run -A bench/dtls_role.ts [RUNS]`
 * @module
 */
import type { Browser, Page } from "playwright-core";
import { assembleAccessUnits, splitAnnexB } from "../publisher/media/annexb.ts";
import { frameTimestamp } from "../publisher/media/access_unit.ts";
import { FanoutHub } from "../publisher/media/fanout.ts";
import { ViewerPeer } from "../publisher/peer/viewer_peer.ts";
import { SAMPLE_CLIP_PATH } from "../publisher/sources/config.ts";
import { launchChromium } from "../tests/helpers/browser.ts";
import { median, quantile, round } from "./lib/stats.ts";
import { countSetting } from "./lib/args.ts";

/** One role's samples (ms from the answer being applied). */
export interface RoleSeries {
  role: "client" | "server";
  connectedMs: { median: number; p95: number; samples: number[] };
  firstFrameMs: { median: number; p95: number; samples: number[] };
  /**
   * Calls that connected but showed no frame within 10 s (werift's rare stall, which the
   * publisher's watchdog repairs by renegotiating); each was repeated.
   */
  callsWithoutFrame: number;
}

/** Most calls without a frame per role before the benchmark gives up. */
const MAX_CALLS_WITHOUT_FRAME = 3;

async function call(page: Page, hub: FanoutHub, role: "client" | "server") {
  const offer = await page.evaluate(async () => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    (globalThis as unknown as { pc: RTCPeerConnection }).pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((r) => {
      if (pc.iceGatheringState === "complete") r();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r();
    });
    return pc.localDescription!.sdp;
  });
  const peer = await ViewerPeer.answer(offer, {
    hub,
    iceServers: [],
    interfaceAddresses: { udp4: "127.0.0.1" },
    additionalHostAddresses: ["127.0.0.1"],
    dtlsRole: role,
  });
  try {
    return await page.evaluate(async (sdp) => {
      const pc = (globalThis as unknown as { pc: RTCPeerConnection }).pc;
      const video = document.createElement("video");
      video.muted = true;
      document.body.replaceChildren(video);
      const t0 = performance.now();
      let connectedMs = -1;
      const first = new Promise<number>((resolve) => {
        pc.ontrack = (e) => {
          video.srcObject = new MediaStream([e.track]);
          video.play().catch(() => {});
          video.requestVideoFrameCallback((now) => resolve(now - t0));
        };
      });
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === "connected") connectedMs = performance.now() - t0;
      };
      await pc.setRemoteDescription({ type: "answer", sdp });
      const firstFrameMs = await Promise.race([
        first,
        new Promise<number>((r) => setTimeout(() => r(-1), 10_000)),
      ]);
      pc.close();
      return { connectedMs, firstFrameMs };
    }, peer.answerSdp);
  } finally {
    await peer.close();
  }
}

/** Alternates the two roles `runs` times each (after one warm-up call each). */
export async function benchDtlsRole(runs = 20, browser?: Browser): Promise<RoleSeries[]> {
  const aus = assembleAccessUnits(splitAnnexB(await Deno.readFile(SAMPLE_CLIP_PATH)));
  const hub = new FanoutHub();
  let i = 0;
  const timer = setInterval(() => {
    const u = aus[i % aus.length];
    hub.publish({
      nalus: u.nalus,
      keyframe: u.keyframe,
      timestamp: frameTimestamp(i, 30),
      captureTimeMs: Date.now(),
    });
    i++;
  }, 1000 / 30);
  const own = browser ? null : await launchChromium();
  const page = await (browser ?? own!).newPage();
  await page.goto("about:blank");
  const samples = {
    client: { c: [] as number[], f: [] as number[], stalls: 0 },
    server: { c: [] as number[], f: [] as number[], stalls: 0 },
  };
  try {
    for (let k = 0; k <= runs; k++) {
      for (const role of ["client", "server"] as const) {
        let r = await call(page, hub, role);
        while (r.firstFrameMs < 0) {
          if (++samples[role].stalls > MAX_CALLS_WITHOUT_FRAME) {
            throw new Error(
              `dtls role ${role}: ${MAX_CALLS_WITHOUT_FRAME + 1} calls without a frame`,
            );
          }
          r = await call(page, hub, role);
        }
        if (k > 0) {
          samples[role].c.push(round(r.connectedMs));
          samples[role].f.push(round(r.firstFrameMs));
        }
      }
    }
  } finally {
    clearInterval(timer);
    hub.close();
    await page.close();
    await own?.close();
  }
  const summary = (xs: number[]) => ({
    median: round(median(xs)),
    p95: round(quantile(xs, 0.95)),
    samples: xs,
  });
  return (["client", "server"] as const).map((role) => ({
    role,
    connectedMs: summary(samples[role].c),
    firstFrameMs: summary(samples[role].f),
    callsWithoutFrame: samples[role].stalls,
  }));
}

if (import.meta.main) {
  let runs: number;
  try {
    runs = countSetting("RUNS", Deno.args[0], 20, 1, 1000);
  } catch (error) {
    console.error(
      `dtls_role: ${(error as Error).message}\nusage: deno run -A bench/dtls_role.ts [RUNS]`,
    );
    Deno.exit(2);
  }
  const result = await benchDtlsRole(runs);
  for (const r of result) {
    console.log(
      `${r.role.padEnd(6)}: connected ${r.connectedMs.median} / p95 ${r.connectedMs.p95} ms, ` +
        `first frame ${r.firstFrameMs.median} / p95 ${r.firstFrameMs.p95} ms (from the answer)`,
    );
  }
  Deno.exit(0);
}
