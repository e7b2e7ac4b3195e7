/**
 * Before/after of the publisher's DTLS role, in one run: a real
 * {@linkcode ViewerPeer} (fed by a fan-out hub playing the sample clip) answers
 * Chromium's recvonly offer, alternately as DTLS client (werift's default,
 * a=setup:active: before) and as DTLS server (a=setup:passive: after). Measured in
 * the page: answer applied → connectionState "connected" → first presented frame.
 *
 * The same harness compares the send paths ({@linkcode benchSendPathFirstFrame}):
 * werift's RTP sender vs the direct SRTP path, both as DTLS server.
 *
 * `deno run -A bench/dtls_role.ts [RUNS] [--send-path]`
 * @module
 */
import type { Browser, Page } from "playwright-core";
import { assembleAccessUnits, splitAnnexB } from "../publisher/media/annexb.ts";
import { frameTimestamp } from "../publisher/media/access_unit.ts";
import { FanoutHub } from "../publisher/media/fanout.ts";
import { type SendPath, ViewerPeer } from "../publisher/peer/viewer_peer.ts";
import { SAMPLE_CLIP_PATH } from "../publisher/sources/config.ts";
import { launchChromium } from "../tests/helpers/browser.ts";
import { median, quantile, round } from "./lib/stats.ts";
import { countSetting } from "./lib/args.ts";
import { ANY_ADDRESS } from "../publisher/peer/candidate_policy.ts";

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
  /** What both sides saw in each of those calls. */
  failures?: string[];
}

/** Most calls without a frame per variant before the benchmark gives up. */
const MAX_CALLS_WITHOUT_FRAME = 3;

async function call(
  page: Page,
  hub: FanoutHub,
  role: "client" | "server",
  sendPath: SendPath = "direct",
) {
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
    remoteCandidates: ANY_ADDRESS,
    interfaceAddresses: { udp4: "127.0.0.1" },
    additionalHostAddresses: ["127.0.0.1"],
    dtlsRole: role,
    sendPath,
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
      let inbound = "";
      if (firstFrameMs < 0) {
        (await pc.getStats()).forEach((r) => {
          if (r.type === "inbound-rtp") {
            inbound = `received ${r.packetsReceived} packets, decoded ${r.framesDecoded}`;
          }
        });
      }
      pc.close();
      return { connectedMs, firstFrameMs, inbound };
    }, peer.answerSdp).then((r) => ({
      ...r,
      publisher: `${peer.stats.sendPath} path, ${peer.stats.packets} packets sent, ` +
        `${peer.isClosed ? "closed" : peer.connectionState}`,
    }));
  } finally {
    await peer.close();
  }
}

/** Alternates the two roles `runs` times each (after one warm-up call each). */
export async function benchDtlsRole(runs = 20, browser?: Browser): Promise<RoleSeries[]> {
  const r = await alternate(runs, browser, [
    { name: "client", role: "client" },
    { name: "server", role: "server" },
  ]);
  return r.map(({ name, connectedMs, firstFrameMs, failures }) => ({
    role: name as RoleSeries["role"],
    connectedMs,
    firstFrameMs,
    callsWithoutFrame: failures.length,
    failures,
  }));
}

/** Answer → first frame on each send path (publisher as DTLS server), alternating. */
export interface SendPathSeries {
  sendPath: SendPath;
  connectedMs: RoleSeries["connectedMs"];
  firstFrameMs: RoleSeries["firstFrameMs"];
  failures?: string[];
}

/** Alternates werift's send path and the direct one `runs` times each (after a warm-up each). */
export async function benchSendPathFirstFrame(
  runs = 20,
  browser?: Browser,
): Promise<SendPathSeries[]> {
  const r = await alternate(runs, browser, [
    { name: "werift", role: "server", sendPath: "werift" },
    { name: "direct", role: "server", sendPath: "direct" },
  ]);
  return r.map(({ name, connectedMs, firstFrameMs, failures }) => ({
    sendPath: name as SendPath,
    connectedMs,
    firstFrameMs,
    failures,
  }));
}

interface Variant {
  name: string;
  role: "client" | "server";
  sendPath?: SendPath;
}

async function alternate(runs: number, browser: Browser | undefined, variants: Variant[]) {
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
  const samples = variants.map(() => ({ c: [] as number[], f: [] as number[] }));
  const failures = variants.map(() => [] as string[]);
  try {
    for (let k = 0; k <= runs; k++) {
      for (const [v, variant] of variants.entries()) {
        let r = await call(page, hub, variant.role, variant.sendPath);
        while (r.firstFrameMs < 0) {
          // Like the built viewer's watchdog, a session that shows nothing is redone (counted).
          failures[v].push(
            `no frame in 10 s: viewer ${r.inbound || "no inbound RTP"}; ${r.publisher}`,
          );
          if (failures[v].length > MAX_CALLS_WITHOUT_FRAME) {
            throw new Error(
              `${variant.name}: ${failures[v].length} calls without a frame (${failures[v]})`,
            );
          }
          r = await call(page, hub, variant.role, variant.sendPath);
        }
        if (k > 0) {
          samples[v].c.push(round(r.connectedMs));
          samples[v].f.push(round(r.firstFrameMs));
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
  return variants.map((v, n) => ({
    name: v.name,
    connectedMs: summary(samples[n].c),
    firstFrameMs: summary(samples[n].f),
    failures: failures[n],
  }));
}

if (import.meta.main) {
  let runs: number;
  try {
    runs = countSetting("RUNS", Deno.args.find((a) => !a.startsWith("--")), 20, 1, 1000);
  } catch (error) {
    console.error(
      `dtls_role: ${
        (error as Error).message
      }\nusage: deno run -A bench/dtls_role.ts [RUNS] [--send-path]`,
    );
    Deno.exit(2);
  }
  const result = Deno.args.includes("--send-path")
    ? (await benchSendPathFirstFrame(runs)).map((r) => ({ ...r, role: r.sendPath }))
    : await benchDtlsRole(runs);
  for (const r of result) {
    console.log(
      `${r.role.padEnd(6)}: connected ${r.connectedMs.median} / p95 ${r.connectedMs.p95} ms, ` +
        `first frame ${r.firstFrameMs.median} / p95 ${r.firstFrameMs.p95} ms (from the answer)` +
        (r.failures?.length ? `; ${r.failures.length} redone: ${r.failures.join(" | ")}` : ""),
    );
  }
  Deno.exit(0);
}
