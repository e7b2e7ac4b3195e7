/**
 * How a media server's CPU and memory grow with its viewers: CPU-s/s (from
 * /proc) idle and at each viewer level, the least-squares slope over the
 * levels (CPU per added viewer), the first-viewer surcharge (fitted CPU at
 * zero viewers minus idle: what the first viewer costs beyond the slope), and
 * RSS per level. Server-agnostic: the caller says which process to watch and
 * how to open N viewers, so the same function measures vigil's publisher and a
 * Janus baseline with the same viewers.
 *
 * @example
 * ```ts
 * const open = chromiumWhepViewers(browser, { origin, endpoint, token: () => login() });
 * const r = await measureScaling(publisherPid, open, { levels: [1, 2, 4, 8], windowS: 10 });
 * r.slopeCpuPerViewer; // CPU-s/s per added viewer
 * ```
 * @module
 */
import type { Browser, Page } from "playwright-core";
import { procStatusMiB, sampleWindow, type WindowSample } from "./lib/proc.ts";
import { round, sleep } from "./lib/stats.ts";

/** What one viewer saw during the measured window. */
export interface ViewerWindowStats {
  framesPerS: number;
  packetsLost: number;
  framesDropped?: number;
}

/** N open viewers. */
export interface ViewerGroup {
  /** Counters now (cumulative); the caller takes differences over the window. */
  counters(): Promise<{ frames: number; packetsLost: number; framesDropped?: number }[]>;
  close(): Promise<void>;
}

/** Opens `n` viewers of the measured server, playing once resolved. */
export type OpenViewers = (n: number) => Promise<ViewerGroup>;

/** One measured level. */
export interface ScalingLevel extends WindowSample {
  viewers: number;
  perViewer: ViewerWindowStats[];
}

/** Result of {@linkcode measureScaling}. */
export interface ScalingResult {
  idle: WindowSample;
  levels: ScalingLevel[];
  /** Least-squares slope of CPU-s/s over the viewer levels: CPU per added viewer. */
  slopeCpuPerViewer: number;
  /** The fit's CPU-s/s at zero viewers. */
  interceptCpuPerS: number;
  /** Intercept minus idle CPU: what serving any viewer at all costs beyond the slope. */
  firstViewerSurchargeCpuPerS: number;
  /** RSS a few seconds after the last level's viewers left. */
  rssAfterMiB: number;
}

/** Options of {@linkcode measureScaling}. */
export interface ScalingOptions {
  /** Viewer counts (default 1, 2, 4, 8). */
  levels?: number[];
  /** Seconds measured per level and idle (default 10). */
  windowS?: number;
  /** Wait after the viewers play, before measuring (default 2000 ms: past the GOP replay). */
  settleMs?: number;
  log?: (message: string) => void;
}

/** Least-squares line through `points` ([x, y]). */
export function leastSquares(points: readonly [number, number][]): {
  slope: number;
  intercept: number;
} {
  const n = points.length;
  if (n < 2) throw new RangeError("a line needs at least two points");
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0, sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  if (sxx === 0) throw new RangeError("all x values are equal");
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** Measures `pid` idle, then with each level of viewers from `open`. */
export async function measureScaling(
  pid: number,
  open: OpenViewers,
  o: ScalingOptions = {},
): Promise<ScalingResult> {
  const levels = o.levels ?? [1, 2, 4, 8];
  const windowS = o.windowS ?? 10;
  const log = o.log ?? (() => {});
  await sleep(1000);
  const idle = await sampleWindow(pid, windowS);
  log(`idle: ${round(idle.cpuPerS, 4)} CPU-s/s, RSS ${round(idle.rssMiB)} MiB`);
  const rows: ScalingLevel[] = [];
  for (const n of levels) {
    const group = await open(n);
    try {
      await sleep(o.settleMs ?? 2000);
      const before = await group.counters();
      const w = await sampleWindow(pid, windowS);
      const after = await group.counters();
      const perViewer = after.map((a, i) => ({
        framesPerS: round((a.frames - before[i].frames) / w.wallS),
        packetsLost: a.packetsLost - before[i].packetsLost,
        ...(a.framesDropped !== undefined
          ? { framesDropped: a.framesDropped - (before[i].framesDropped ?? 0) }
          : {}),
      }));
      rows.push({ viewers: n, ...w, perViewer });
      log(
        `${n} viewer(s): ${round(w.cpuPerS, 4)} CPU-s/s, RSS ${round(w.rssMaxMiB)} MiB max, ` +
          `fps ${perViewer.map((p) => p.framesPerS).join(",")}, lost ${
            perViewer.map((p) => p.packetsLost).join(",")
          }`,
      );
    } finally {
      await group.close();
    }
  }
  await sleep(3000);
  const fit = leastSquares(rows.map((r) => [r.viewers, r.cpuPerS]));
  return {
    idle,
    levels: rows,
    slopeCpuPerViewer: fit.slope,
    interceptCpuPerS: fit.intercept,
    firstViewerSurchargeCpuPerS: fit.intercept - idle.cpuPerS,
    rssAfterMiB: round(procStatusMiB(pid, "VmRSS")),
  };
}

/** A WHEP endpoint and its bearer token. */
export interface WhepTarget {
  /** Page origin to load first (the WHEP URL's origin, so fetch is same-origin). */
  origin: string;
  /** WHEP endpoint URL. */
  endpoint: string;
  /** A fresh bearer token for each group of viewers (tokens are short-lived), or null for none. */
  token: () => Promise<string | null>;
}

/**
 * `n` Chromium viewers as recvonly RTCPeerConnections in one page, each
 * playing into a muted `<video>` (so Chromium decodes): a WHEP client
 * (draft-ietf-wish-whep §4.2: POST offer, 201 answer; DELETE on close).
 */
export function chromiumWhepViewers(browser: Browser, target: WhepTarget): OpenViewers {
  return async (n) => {
    const token = await target.token();
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await ctx.newPage();
    await page.goto(target.origin);
    try {
      await page.evaluate(async ({ endpoint, token, n }) => {
        const g = globalThis as unknown as { viewers: { pc: RTCPeerConnection; url: string }[] };
        g.viewers = [];
        const attempt = async (): Promise<boolean> => {
          const pc = new RTCPeerConnection({ iceServers: [] });
          pc.addTransceiver("video", { direction: "recvonly" });
          const video = document.createElement("video");
          const playing = new Promise<void>((resolve) => {
            pc.ontrack = (e) => {
              video.muted = true;
              video.srcObject = new MediaStream([e.track]);
              document.body.append(video);
              video.play().catch(() => {});
              video.requestVideoFrameCallback(() => resolve());
            };
          });
          await pc.setLocalDescription(await pc.createOffer());
          await new Promise<void>((r) => {
            if (pc.iceGatheringState === "complete") r();
            pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r();
          });
          const res = await fetch(endpoint, {
            method: "POST",
            headers: {
              "content-type": "application/sdp",
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body: pc.localDescription!.sdp,
          });
          if (res.status !== 201) throw new Error(`WHEP POST ${res.status}: ${await res.text()}`);
          const url = new URL(res.headers.get("location") ?? "", endpoint).href;
          await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
          const ok = await Promise.race([
            playing.then(() => true),
            new Promise<boolean>((r) => setTimeout(() => r(false), 4_000)),
          ]);
          if (ok) {
            g.viewers.push({ pc, url });
            return true;
          }
          // Like the built viewer's watchdog: a session that never shows a frame is redone.
          pc.close();
          video.remove();
          const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
          await fetch(url, { method: "DELETE", headers: auth }).catch(() => {});
          return false;
        };
        const one = async () => {
          for (let i = 0; i < 3; i++) if (await attempt()) return;
          throw new Error("no frame after 3 WHEP sessions");
        };
        await Promise.all(Array.from({ length: n }, one));
      }, { endpoint: target.endpoint, token, n });
    } catch (error) {
      await ctx.close();
      throw error;
    }
    return {
      counters: () => inboundCounters(page),
      close: async () => {
        await page.evaluate(async (token) => {
          const g = globalThis as unknown as { viewers: { pc: RTCPeerConnection; url: string }[] };
          await Promise.all(g.viewers.map(async ({ pc, url }) => {
            pc.close();
            await fetch(url, {
              method: "DELETE",
              headers: token ? { authorization: `Bearer ${token}` } : {},
            }).catch(() => {});
          }));
        }, token).catch(() => {});
        await ctx.close();
      },
    };
  };
}

/** Per-connection inbound video counters of the page's viewers. */
function inboundCounters(page: Page) {
  return page.evaluate(async () => {
    const g = globalThis as unknown as { viewers: { pc: RTCPeerConnection }[] };
    return await Promise.all(g.viewers.map(async ({ pc }) => {
      let frames = 0, packetsLost = 0, framesDropped = 0;
      (await pc.getStats()).forEach((r) => {
        if (r.type === "inbound-rtp" && r.kind === "video") {
          frames += r.framesDecoded ?? 0;
          packetsLost += r.packetsLost ?? 0;
          framesDropped += r.framesDropped ?? 0;
        }
      });
      return { frames, packetsLost, framesDropped };
    }));
  });
}
