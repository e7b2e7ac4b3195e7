/**
 * The results document of `deno task bench` and its markdown rendering
 * (bench/RESULTS.md): targets first, then before/after comparisons, then details.
 * Pure.
 *
 * @module
 */
import { type ClusterBenchResult, clusterMarkdown } from "./cluster_report.ts";
import { type TurnBenchResult, turnMarkdown } from "./turn.ts";
import type { RoleSeries, SendPathSeries } from "./dtls_role.ts";
import type { SendPathResult } from "./send_path.ts";
import {
  sendPathBeforeAfterRows,
  sendPathLevelTable,
  sendPathTargetRows,
} from "./send_path_report.ts";
import type { GlassToGlassResult } from "./glass_to_glass.ts";
import type { IdleDevicesResult } from "./idle_devices/mod.ts";
import type { JanusAbResult } from "./janus/ab.ts";
import { janusMarkdown } from "./janus/report.ts";
import type { Summary } from "./lib/glass_to_glass_samples.ts";
import { median, round } from "./lib/stats.ts";
import type { CostRow } from "./publisher_cost.ts";
import type { benchTokens, benchWhepSetups } from "./signaling.ts";
import type { TtffSeries } from "./ttff.ts";

/** Everything one bench run measured; a section is absent when skipped. */
export interface BenchResults {
  date: string;
  host: { cpus: number; cpuModel: string; deno: string };
  config: Record<string, unknown>;
  ttff?: { runs: number; vigil: TtffSeries; baseline: TtffSeries & { codec: string } };
  dtlsRole?: RoleSeries[];
  glassToGlass?: ({ variant: string; lowLatencyFlushMs: number } & GlassToGlassResult)[];
  encode?: Summary;
  publisherCost?: CostRow[];
  memory?: { variant: string; settings: string; idle: CostRow; loaded: CostRow }[];
  /** Per-viewer cost on each send path (bench/send_path.ts). */
  sendPath?: SendPathResult[];
  /** Answer → first frame on each send path (bench/dtls_role.ts). */
  sendPathFirstFrame?: SendPathSeries[];
  signaling?: {
    tokens: Awaited<ReturnType<typeof benchTokens>>;
    whepSetups: Awaited<ReturnType<typeof benchWhepSetups>>;
  };
  idleDevices?: IdleDevicesResult;
  /** vigil's publisher beside Janus, alternating A/B (bench/janus/ab.ts). */
  janus?: JanusAbResult;
  /** The bus in-process vs NATS, WHEP setups on one node vs two behind HAProxy (bench/cluster.ts). */
  cluster?: ClusterBenchResult;
  /** Remote viewing through TURN beside direct (bench/turn.ts). */
  turn?: TurnBenchResult;
}

const MB_IN_MIB = 1e6 / 2 ** 20; // the targets are in MB (10^6 bytes)
const yes = (ok: boolean) => (ok ? "yes" : "**no**");
const ratio = (a: number, b: number) => (b > 0 ? `${round(a / b, 2)}×` : "—");

function row(cells: (string | number)[]): string {
  return `| ${cells.join(" | ")} |`;
}

function fpsText(r: CostRow): string {
  const fps = r.perViewer.map((p) => p.framesPerS);
  if (fps.length === 0) return "—";
  const lost = r.perViewer.reduce((a, p) => a + p.packetsLost, 0);
  const dropped = r.perViewer.reduce((a, p) => a + (p.framesDropped ?? 0), 0);
  return `min ${Math.min(...fps)} / median ${median(fps)} fps; ${lost} packets lost` +
    (r.client === "chromium" ? `, ${dropped} frames dropped` : "");
}

/** bench/RESULTS.md. */
export function markdown(r: BenchResults): string {
  const out: string[] = [
    `# vigil bench — ${r.date}`,
    "",
    `Host: ${r.host.cpus} CPUs (${r.host.cpuModel}), Deno ${r.host.deno}. Loopback, headless Chromium. ` +
    "Every figure has a baseline measured in the same run; compare ratios across runs, not absolute numbers.",
    "",
    "![latency and CPU per viewer](results.svg)",
    "",
    "## Targets",
    "",
    row(["Metric", "vigil", "Baseline (same run)", "Ratio", "Target", "Met"]),
    row(["---", "---", "---", "---", "---", "---"]),
  ];
  const t = r.ttff;
  if (t) {
    out.push(
      row([
        `Time to first frame, median (${t.runs} runs)`,
        `${t.vigil.medianMs} ms`,
        `${t.baseline.medianMs} ms (Chromium→Chromium, ${t.baseline.codec})`,
        ratio(t.vigil.medianMs, t.baseline.medianMs),
        "≤ 200 ms and below the baseline",
        yes(t.vigil.medianMs <= 200 && t.vigil.medianMs < t.baseline.medianMs),
      ]),
      row([
        "Time to first frame, p95",
        `${t.vigil.p95Ms} ms`,
        `${t.baseline.p95Ms} ms`,
        ratio(t.vigil.p95Ms, t.baseline.p95Ms),
        "—",
        "—",
      ]),
    );
  }
  const g2gAfter = r.glassToGlass?.find((g) => g.variant === "after");
  const g2gBefore = r.glassToGlass?.find((g) => g.variant === "before");
  if (g2gAfter) {
    out.push(
      row([
        "Glass-to-glass, median / p95 (720p30, 2 Mbit/s)",
        `${g2gAfter.glassToGlassMs.medianMs} / ${g2gAfter.glassToGlassMs.p95Ms} ms`,
        g2gBefore
          ? `${g2gBefore.glassToGlassMs.medianMs} / ${g2gBefore.glassToGlassMs.p95Ms} ms (flush off)`
          : "—",
        g2gBefore
          ? ratio(g2gAfter.glassToGlassMs.medianMs, g2gBefore.glassToGlassMs.medianMs)
          : "—",
        "≤ 100 ms",
        yes(g2gAfter.glassToGlassMs.medianMs <= 100),
      ]),
    );
  }
  const cost = r.publisherCost;
  if (cost) {
    const idle = cost[0];
    for (const c of cost.slice(1)) {
      out.push(
        row([
          `Publisher CPU per viewer, ${c.viewers} ${c.client}`,
          `${round(c.cpuPerViewer, 4)} CPU-s/s (total ${round(c.cpuPerS, 3)})`,
          `idle ${round(idle.cpuPerS, 3)}`,
          `${round(c.cpuPerS / idle.cpuPerS, 1)}× idle`,
          "≤ 0.02",
          yes(c.cpuPerViewer <= 0.02),
        ]),
      );
    }
    for (const c of cost.slice(1)) {
      out.push(
        row([
          `Publisher resident memory, ${c.viewers} ${c.client}`,
          `max ${round(c.rssMaxMiB)} MiB (${c.rssAfterMiB ?? "—"} MiB after they left)`,
          `idle ${round(idle.rssMiB)} MiB`,
          ratio(c.rssMaxMiB, idle.rssMiB),
          "≤ 150 MB (143 MiB)",
          yes(c.rssMaxMiB <= 150 * MB_IN_MIB),
        ]),
      );
    }
    const sixteen = cost.find((c) => c.viewers === 16);
    if (sixteen) {
      const lost = sixteen.perViewer.reduce((a, p) => a + p.packetsLost, 0);
      const minFps = Math.min(...sixteen.perViewer.map((p) => p.framesPerS));
      out.push(
        row([
          `16 viewers (${sixteen.client}) without loss`,
          `${lost} packets lost, slowest viewer ${minFps} fps`,
          "source 30 fps",
          "—",
          "no loss",
          yes(lost === 0 && minFps >= 29),
        ]),
      );
    }
  }
  const d = r.idleDevices;
  if (d) {
    out.push(
      row([
        `Memory per idle connected device (${d.devices} connected)`,
        `${round(d.perDeviceKiB.rssSettled)} KiB RSS (${
          round(d.perDeviceKiB.heapUsedAfterGc ?? NaN)
        } KiB V8 heap)`,
        `server with 0 devices: ${round(d.phases.baseline.settled.rssKiB / 1024)} MiB RSS`,
        "—",
        "—",
        "—",
      ]),
    );
  }
  const sig = r.signaling;
  if (sig) {
    out.push(
      row([
        "Access-token verifications/s (EdDSA, pinned)",
        round(sig.tokens.vigilEdDSAPerS),
        `${round(sig.tokens.joseES256PerS)} (jose ES256)`,
        ratio(sig.tokens.vigilEdDSAPerS, sig.tokens.joseES256PerS),
        "—",
        "—",
      ]),
    );
    for (const w of sig.whepSetups) {
      out.push(
        row([
          `WHEP setups/s, concurrency ${w.concurrency}`,
          `${w.setupsPerS} (POST p50 ${w.postMedianMs} ms, p95 ${w.postP95Ms} ms)`,
          "—",
          "—",
          "—",
          "—",
        ]),
      );
    }
  }

  out.push(...sendPathTargetRows(r.sendPath ?? []));
  if (r.janus) out.push("", ...janusMarkdown(r.janus));

  out.push(
    "",
    "## Before / after (same run)",
    "",
    row(["Change", "Before", "After", "After / before"]),
    row(["---", "---", "---", "---"]),
  );
  out.push(...sendPathBeforeAfterRows(r.sendPath ?? [], r.sendPathFirstFrame));
  const dtlsClient = r.dtlsRole?.find((x) => x.role === "client");
  const dtlsServer = r.dtlsRole?.find((x) => x.role === "server");
  if (dtlsClient && dtlsServer) {
    out.push(
      row([
        "Publisher answers a=setup:passive (DTLS server) instead of active: answer → first frame, median",
        `${dtlsClient.firstFrameMs.median} ms`,
        `${dtlsServer.firstFrameMs.median} ms`,
        ratio(dtlsServer.firstFrameMs.median, dtlsClient.firstFrameMs.median),
      ]),
      row([
        "… answer → DTLS connected, median",
        `${dtlsClient.connectedMs.median} ms`,
        `${dtlsServer.connectedMs.median} ms`,
        ratio(dtlsServer.connectedMs.median, dtlsClient.connectedMs.median),
      ]),
      row([
        "… calls that connected but showed no frame within 10 s (repeated)",
        dtlsClient.callsWithoutFrame ?? 0,
        dtlsServer.callsWithoutFrame ?? 0,
        "—",
      ]),
    );
  }
  if (g2gBefore && g2gAfter) {
    out.push(
      row([
        `Low-latency picture flush (process sources end a picture after ${g2gAfter.lowLatencyFlushMs} ms of pipe idle): glass-to-glass median`,
        `${g2gBefore.glassToGlassMs.medianMs} ms`,
        `${g2gAfter.glassToGlassMs.medianMs} ms`,
        ratio(g2gAfter.glassToGlassMs.medianMs, g2gBefore.glassToGlassMs.medianMs),
      ]),
      row([
        "… p95",
        `${g2gBefore.glassToGlassMs.p95Ms} ms`,
        `${g2gAfter.glassToGlassMs.p95Ms} ms`,
        ratio(g2gAfter.glassToGlassMs.p95Ms, g2gBefore.glassToGlassMs.p95Ms),
      ]),
    );
  }
  const memBefore = r.memory?.find((v) => v.variant === "before");
  for (const m of (r.memory ?? []).filter((v) => v !== memBefore)) {
    if (!memBefore) break;
    const b = memBefore.loaded, a = m.loaded;
    out.push(
      row([
        `Memory settings, ${m.variant} (${m.settings}): RSS max, ${a.viewers} werift viewers`,
        `${round(b.rssMaxMiB)} MiB`,
        `${round(a.rssMaxMiB)} MiB`,
        ratio(a.rssMaxMiB, b.rssMaxMiB),
      ]),
      row([
        "… RSS after the viewers left",
        `${b.rssAfterMiB} MiB`,
        `${a.rssAfterMiB} MiB`,
        ratio(a.rssAfterMiB ?? NaN, b.rssAfterMiB ?? NaN),
      ]),
      row([
        "… publisher CPU-s/s",
        round(b.cpuPerS, 3),
        round(a.cpuPerS, 3),
        ratio(a.cpuPerS, b.cpuPerS),
      ]),
    );
  }
  out.push(
    row([
      "Shared RTP payloads (publisher/peer/rtp_payload_cache.ts)",
      'see `deno task bench:media`, group "viewer payloads"',
      "",
      "",
    ]),
  );

  const levels = sendPathLevelTable(r.sendPath ?? []);
  if (levels.length) {
    out.push("", "## Publisher CPU and RSS per send path and viewer count", "", ...levels);
  }
  if (cost) {
    out.push(
      "",
      "## Frames and losses per viewer",
      "",
      row(["Viewers", "Frames and losses"]),
      row(["---", "---"]),
    );
    for (const c of cost.slice(1)) out.push(row([`${c.viewers} ${c.client}`, fpsText(c)]));
  }
  if (g2gAfter) {
    const c = g2gAfter.components;
    out.push(
      "",
      "## Glass-to-glass components (after), median / p95 ms",
      "",
      row([
        "Capture stamp → last packet received",
        "Last packet → displayed",
        "of which decode",
        "Instrument's own hop",
        "Plain viewer (no instrument): received → displayed",
      ]),
      row(["---", "---", "---", "---", "---"]),
      row([
        `${c.captureToReceiveMs.medianMs} / ${c.captureToReceiveMs.p95Ms}`,
        `${c.receiveToDisplayMs.medianMs} / ${c.receiveToDisplayMs.p95Ms}`,
        `${c.decodeMs.medianMs} / ${c.decodeMs.p95Ms}`,
        `${c.transformLagMs.medianMs} / ${c.transformLagMs.p95Ms}`,
        g2gAfter.control
          ? `${g2gAfter.control.receiveToDisplayMs.medianMs} / ${g2gAfter.control.receiveToDisplayMs.p95Ms}`
          : "—",
      ]),
    );
  }

  out.push("", "## Method", "");
  if (t) {
    out.push(`- Time to first frame. vigil: ${t.vigil.method}. Baseline: ${t.baseline.method}.`);
  }
  if (g2gAfter) {
    out.push(
      "- Glass-to-glass: the synthetic source (ffmpeg testsrc2 → x264 ultrafast/zerolatency) carries a capture-time SEI " +
        "stamped when the picture's first bytes leave the encoder's pipe; the page reads it from each received frame " +
        "(RTCRtpScriptTransform) and matches it by RTP timestamp to `requestVideoFrameCallback`'s expectedDisplayTime. " +
        "Same machine, same clock (skew measured ≤ ~1 ms). Display is headless Chromium's compositor estimate (60 Hz).",
    );
    if (r.encode) {
      out.push(
        `- Not in the stamp: x264's own encode time, median ${r.encode.medianMs} ms / p95 ${r.encode.p95Ms} ms per frame (separate ffmpeg run), nor the camera's exposure and readout.`,
      );
    }
  }
  if (cost) {
    out.push(
      "- Publisher cost: publisher/main.ts only (utime+stime and VmRSS from /proc), " +
        `${r.config.windowS} s windows, a ${
          JSON.stringify(r.config.clip)
        } clip through the file source. ` +
        "CPU per viewer = (CPU-s/s with N viewers − idle CPU-s/s) / N. Chromium and the werift probe share the same cores.",
      "- werift viewers (bench/probe_many.ts) count frames by RTP marker bits and losses by sequence gaps; they do not decode. " +
        "Their fps includes the GOP replay a new viewer gets at once, hence slightly above 30.",
    );
  }
  if (d) {
    out.push(
      `- Idle devices: ${d.devices} devices enrolled through the real token + CSR flow, each holding an mTLS WebSocket with a ` +
        "cert-bound device JWT to a separate server process; (RSS connected − RSS with none) / N, settled.",
    );
  }
  if (r.cluster) out.push("", "## Cluster", "", clusterMarkdown(r.cluster));
  if (r.turn) out.push("", "## Remote viewing: direct vs TURN", "", turnMarkdown(r.turn));
  out.push("");
  return out.join("\n");
}
