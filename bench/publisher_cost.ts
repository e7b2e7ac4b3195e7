/**
 * What serving N viewers at once costs the publisher process: CPU-seconds per
 * second (utime+stime from /proc), resident memory, and per viewer the frames
 * received or decoded and the packets lost. Viewers are headless Chromium pages
 * of the built viewer (they decode) or werift peers in one probe process
 * (bench/probe_many.ts: they count frames and sequence gaps, and do not decode).
 *
 * @module
 */
import type { Browser, Page } from "playwright-core";
import { childEnv } from "./lib/publisher.ts";
import { procCpuSeconds, procStatusMiB, sampleWindow, type WindowSample } from "./lib/proc.ts";
import { round, sleep } from "./lib/stats.ts";
import { leaveCamera, openCamera, type ViewerLogin, viewerPage } from "./ttff.ts";

/** One measured level. */
export interface CostRow extends WindowSample {
  viewers: number;
  client: "none" | "chromium" | "werift";
  /** (CPU-s/s − idle CPU-s/s) / viewers. */
  cpuPerViewer: number;
  /** VmRSS a few seconds after the viewers left. */
  rssAfterMiB?: number;
  perViewer: { framesPerS: number; framesDropped?: number; packetsLost: number }[];
  /** CPU-s/s of the probe process (werift viewers), for context. */
  probeCpuPerS?: number;
}

/** The publisher with no viewer: the baseline every level is compared with. */
export async function idleCost(pid: number, windowS: number): Promise<CostRow> {
  const w = await sampleWindow(pid, windowS);
  return { viewers: 0, client: "none", ...w, cpuPerViewer: 0, perViewer: [] };
}

/** Inbound video counters of every live peer connection of the page (summed). */
function inboundStats(page: Page) {
  return page.evaluate(async () => {
    const pcs = (globalThis as unknown as { __benchPcs: RTCPeerConnection[] }).__benchPcs;
    let framesDecoded = 0, framesDropped = 0, packetsLost = 0;
    for (const pc of pcs) {
      if (pc.connectionState === "closed") continue;
      (await pc.getStats()).forEach((r) => {
        if (r.type === "inbound-rtp" && r.kind === "video") {
          framesDecoded += r.framesDecoded ?? 0;
          framesDropped += r.framesDropped ?? 0;
          packetsLost += r.packetsLost ?? 0;
        }
      });
    }
    return { framesDecoded, framesDropped, packetsLost };
  });
}

/** `n` Chromium viewers of the built viewer, measured over `windowS` once past the GOP replay. */
export async function chromiumCost(
  browser: Browser,
  login: ViewerLogin,
  pid: number,
  n: number,
  windowS: number,
  idle: CostRow,
): Promise<CostRow> {
  const pages = [];
  try {
    for (let i = 0; i < n; i++) pages.push(await viewerPage(browser, login));
    await Promise.all(pages.map(({ page }) => openCamera(page, login.camera)));
    await sleep(2000); // past the GOP replay burst
    const before = await Promise.all(pages.map(({ page }) => inboundStats(page)));
    const w = await sampleWindow(pid, windowS);
    const after = await Promise.all(pages.map(({ page }) => inboundStats(page)));
    return {
      viewers: n,
      client: "chromium",
      ...w,
      cpuPerViewer: (w.cpuPerS - idle.cpuPerS) / n,
      perViewer: after.map((a, i) => ({
        framesPerS: round((a.framesDecoded - before[i].framesDecoded) / w.wallS),
        framesDropped: a.framesDropped - before[i].framesDropped,
        packetsLost: a.packetsLost - before[i].packetsLost,
      })),
    };
  } finally {
    for (const { page, ctx } of pages) {
      await leaveCamera(page).catch(() => {});
      await ctx.close();
    }
  }
}

/** `n` werift viewers in one probe process, measured over `windowS`. */
export async function weriftCost(
  login: ViewerLogin & { caFile: string },
  pid: number,
  n: number,
  windowS: number,
  idle: CostRow,
  log: (m: string) => void,
): Promise<CostRow> {
  const probeSecs = windowS + 5;
  const probe = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "bench/probe_many.ts",
      login.base,
      login.camera,
      login.user,
      String(n),
      String(probeSecs),
    ],
    env: { ...childEnv, VIGIL_PASSWORD: login.password, VIGIL_CA_FILE: login.caFile },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await sleep(3500); // start-up, login, ICE/DTLS, GOP replay
  const probeCpu0 = procCpuSeconds(probe.pid);
  const w = await sampleWindow(pid, windowS);
  const probeCpuPerS = (procCpuSeconds(probe.pid) - probeCpu0) / w.wallS;
  const out = await probe.output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  let perViewer: CostRow["perViewer"] = [];
  try {
    const parsed = JSON.parse(text) as {
      results: {
        status: number;
        frames: number;
        lost: number;
        firstFrameMs: number | null;
        answerMs: number;
      }[];
    };
    perViewer = parsed.results.map((r) => ({
      // Frames over the time the viewer was receiving (the probe ran probeSecs after its answer).
      framesPerS: r.firstFrameMs === null
        ? 0
        : round(r.frames / (probeSecs - (r.firstFrameMs - r.answerMs) / 1000)),
      packetsLost: r.lost,
    }));
  } catch {
    log(
      `  probe output unreadable: ${text.slice(0, 200)} ${
        new TextDecoder().decode(out.stderr).slice(-300)
      }`,
    );
  }
  return {
    viewers: n,
    client: "werift",
    ...w,
    cpuPerViewer: (w.cpuPerS - idle.cpuPerS) / n,
    probeCpuPerS: round(probeCpuPerS, 3),
    perViewer,
  };
}

/** Waits `ms`, then records the RSS the publisher kept after a level's viewers left. */
export async function rssAfter(pid: number, row: CostRow, ms = 3000): Promise<void> {
  await sleep(ms);
  row.rssAfterMiB = round(procStatusMiB(pid, "VmRSS"));
}
