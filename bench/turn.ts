/**
 * Remote viewing through TURN beside direct viewing, in one run, in the
 * simulated internet of tests/nat/ (network namespaces, real NAT routers,
 * the shipped coturn config, the real server, publisher and viewer app):
 *
 * - **time to first frame** (the viewer app's `__vigil.ttffMs`: WHEP offer →
 *   first presented frame; the ICE-server fetch before the offer is not in
 *   it): a viewer on the camera's LAN (direct host pair) vs a viewer behind
 *   the mobile symmetric NAT (relay pair), fresh sessions alternating;
 * - **publisher CPU per viewer**: (CPU-s/s with `n` viewers − idle) / `n`, the
 *   viewers all direct, then all through TURN (the publisher sends into its
 *   own relay: ChannelData framing to coturn instead of plain UDP).
 *
 * Needs root (namespaces) and turnserver; otherwise the section is skipped
 * with the reason.
 * @module
 */
import { join } from "node:path";
import { startCoturn } from "../tests/nat/_coturn.ts";
import { buildTopology, type Role } from "../tests/nat/_topology.ts";
import { startDeployment, type Viewer } from "../tests/nat/_vigil.ts";
import { findChildPid, sampleWindow } from "./lib/proc.ts";
import { median, quantile, round, sleep } from "./lib/stats.ts";
import { leaveCamera, openCamera } from "./ttff.ts";

/** One path's figures. */
export interface TurnPathResult {
  path: "direct" | "turn";
  /** Candidate types of the selected pair (viewer's local → remote). */
  pair: string;
  ttffMedianMs: number;
  ttffP95Ms: number;
  ttffSamplesMs: number[];
  viewers: number;
  cpuPerS: number;
  cpuPerViewer: number;
}

/** The section's result. */
export interface TurnBenchResult {
  idleCpuPerS: number;
  windowS: number;
  paths: TurnPathResult[];
  method: string;
}

/** Why the section cannot run here, or null. */
export function turnBenchProblem(): string | null {
  if (Deno.uid() !== 0) return "needs root (network namespaces)";
  const r = new Deno.Command("sh", { args: ["-c", "command -v turnserver"], stdout: "null" })
    .outputSync();
  return r.success ? null : "turnserver is missing (apt-get install coturn)";
}

/** Runs the section: `runs` TTFF samples per path, `viewers` viewers per path for the CPU window. */
export async function benchTurn(o: {
  runs: number;
  windowS: number;
  viewers: number;
  log: (m: string) => void;
}): Promise<TurnBenchResult> {
  const artifacts = "tests/artifacts/nat";
  await Deno.mkdir(artifacts, { recursive: true });
  const topo = await buildTopology();
  const dir = await Deno.makeTempDir({ prefix: "vigil-bench-turn-" });
  const viewers: Viewer[] = [];
  try {
    const turn = await startCoturn(topo, { dir });
    const vigil = await startDeployment(topo, {
      artifacts,
      ice: { urls: [`turn:${turn.address}?transport=udp`], secretFile: join(dir, "turn-secret") },
    });
    try {
      await vigil.startPublisher(["192.168.1.0/24"]);
      const launcher = vigil.publisherLauncherPid()!;
      const pid = findChildPid(launcher, "publisher/main.ts");
      if (!pid) throw new Error("the publisher process was not found");
      const idle = await sampleWindow(pid, o.windowS);
      o.log(`idle publisher: ${round(idle.cpuPerS, 4)} CPU-s/s`);
      const paths: TurnPathResult[] = [];
      for (const [path, role] of [["direct", "homeV"], ["turn", "mobile"]] as [string, Role][]) {
        const open: Viewer[] = [];
        for (let i = 0; i < o.viewers; i++) {
          const v = await vigil.openViewer(role);
          viewers.push(v);
          open.push(v);
          await waitFrames(v, 30);
        }
        const { selected } = await open[0].peers();
        const pair = selected ? `${selected.local} → ${selected.remote}` : "none";
        await sleep(2_000); // past the GOP replay
        const w = await sampleWindow(pid, o.windowS);
        const cpuPerViewer = (w.cpuPerS - idle.cpuPerS) / o.viewers;
        o.log(
          `${path}: ${o.viewers} viewers ${round(w.cpuPerS, 4)} CPU-s/s → ${
            round(cpuPerViewer, 4)
          } per viewer (pair ${pair})`,
        );
        for (const v of open.slice(1)) await v.close();
        // TTFF: fresh sessions of the first viewer (its first one was the warm-up).
        const page = open[0].page;
        const samples: number[] = [];
        for (let i = 0; i < o.runs; i++) {
          await leaveCamera(page);
          await sleep(300);
          samples.push(await openCamera(page, vigil.camera));
        }
        o.log(`${path}: time to first frame median ${median(samples)} ms over ${o.runs}`);
        await open[0].close();
        paths.push({
          path: path as "direct" | "turn",
          pair,
          ttffMedianMs: round(median(samples)),
          ttffP95Ms: round(quantile(samples, 0.95)),
          ttffSamplesMs: samples,
          viewers: o.viewers,
          cpuPerS: round(w.cpuPerS, 4),
          cpuPerViewer: round(cpuPerViewer, 4),
        });
      }
      return {
        idleCpuPerS: round(idle.cpuPerS, 4),
        windowS: o.windowS,
        paths,
        method:
          "tests/nat topology: camera at home behind NAT; direct = viewer on the home LAN (host pair), " +
          "turn = viewer behind the mobile symmetric NAT through coturn (shipped config); " +
          "TTFF = __vigil.ttffMs (offer → first presented frame); CPU = publisher utime+stime",
      };
    } finally {
      await vigil.stop();
      await turn.stop();
    }
  } finally {
    await topo.destroy();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function waitFrames(v: Viewer, n: number): Promise<void> {
  const deadline = Date.now() + 40_000;
  while ((await v.frames()) < n) {
    if (Date.now() > deadline) throw new Error(`no ${n} frames within 40 s`);
    await sleep(250);
  }
}

/** The section for bench/RESULTS.md. */
export function turnMarkdown(r: TurnBenchResult): string {
  const lines = [
    "| path | selected pair | time to first frame median / p95 | publisher CPU-s/s per viewer |",
    "| --- | --- | --- | --- |",
    ...r.paths.map((p) =>
      `| ${p.path} | ${p.pair} | ${p.ttffMedianMs} / ${p.ttffP95Ms} ms (${p.ttffSamplesMs.length} runs) | ${p.cpuPerViewer} (${p.viewers} viewers; idle ${r.idleCpuPerS}) |`
    ),
    "",
    r.method,
  ];
  return lines.join("\n");
}
