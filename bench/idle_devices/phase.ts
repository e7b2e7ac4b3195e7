/**
 * One reading of the server in the idle-devices benchmark: memory after
 * settling, memory after a forced GC, idle CPU, presence and viewer latency.
 *
 * @example
 * ```ts
 * const p = await readPhase(server, viewer, { listed: 1000, settleMs: 10_000, log, label: "1000 connected" });
 * console.log(p.online, p.afterGc?.rssKiB);
 * ```
 * @module
 */
import { procCpuSeconds } from "../lib/proc.ts";
import { round, sleep } from "../lib/stats.ts";
import type { ServerProcess, ServerSample } from "./server.ts";
import type { MsSummary } from "./util.ts";
import { camerasOnline, type Viewer, viewerLatency } from "./viewer.ts";

/** The server at one phase. */
export interface PhaseReading {
  /** Cameras online per presence (GET /api/cameras). */
  online: number;
  /** Server CPU-seconds per second while settling (heartbeats only). */
  idleCpuPerS: number;
  /** 30 sequential viewer requests each: GET /api/cameras (all listed) and GET /pki/ca (small). */
  latency: { cameras: MsSummary; small: MsSummary };
  /** Median of 12 samples over 3 s after settling (with the inspector: after a GC, then settling). */
  settled: ServerSample;
  /** Right after a forced full GC (null without the inspector). */
  afterGc: ServerSample | null;
}

/** What {@linkcode readPhase} needs besides the server and viewer. */
export interface PhaseOptions {
  /** Cameras `GET /api/cameras` must list (all registered). */
  listed: number;
  settleMs: number;
  log: (s: string) => void;
  label: string;
}

/** GC (inspector only), settle measuring idle CPU, time viewer requests, then sample memory. */
export async function readPhase(
  srv: ServerProcess,
  v: Viewer,
  o: PhaseOptions,
): Promise<PhaseReading> {
  // Start from a collected heap, so the settled reading shows the idle steady
  // state rather than garbage of the previous step (enrollment, a connect
  // burst), which V8 may keep for long without memory pressure.
  await srv.collectGarbage();
  const cpu0 = procCpuSeconds(srv.pid);
  await sleep(o.settleMs);
  const idleCpuPerS = round((procCpuSeconds(srv.pid) - cpu0) / (o.settleMs / 1000), 3);
  const cameras = await viewerLatency(v, o.listed, "/api/cameras");
  const small = await viewerLatency(v, o.listed, "/pki/ca");
  const online = await camerasOnline(v, o.listed);
  const samples: ServerSample[] = [];
  for (let i = 0; i < 12; i++) {
    samples.push(await srv.sample());
    await sleep(250);
  }
  samples.sort((a, b) => a.rssKiB - b.rssKiB);
  const settled = samples[samples.length >> 1];
  let afterGc: ServerSample | null = null;
  if (await srv.collectGarbage()) {
    // Let the allocator hand freed pages back before reading RSS.
    await sleep(1000);
    afterGc = await srv.sample();
  }
  const mib = (k: number | undefined) => k === undefined ? "?" : (k / 1024).toFixed(1);
  o.log(
    `${o.label}: online ${online}, RSS ${mib(settled.rssKiB)} MiB, fds ${settled.fds}, ` +
      `idle CPU ${idleCpuPerS} s/s, GET /api/cameras ${cameras.medianMs} ms, /pki/ca ${small.medianMs} ms` +
      (afterGc
        ? `; after GC: RSS ${mib(afterGc.rssKiB)} MiB, heap used ${mib(afterGc.heapUsedKiB)} MiB`
        : ""),
  );
  return { online, idleCpuPerS, latency: { cameras, small }, settled, afterGc };
}
