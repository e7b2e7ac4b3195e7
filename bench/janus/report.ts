/**
 * The "vigil beside Janus" section of bench/RESULTS.md, from a
 * {@linkcode JanusAbResult}. Pure.
 *
 * @module
 */
import { median, round } from "../lib/stats.ts";
import type { JanusAbResult } from "./ab.ts";
import type { Judged } from "./compare.ts";

const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const yes = (ok: boolean) => (ok ? "yes" : "**no**");

function value(x: number, unit: string): string {
  if (!Number.isFinite(x)) return "—";
  const digits = unit === "CPU-s/s" ? 4 : 1;
  return `${round(x, digits)} ${unit}`;
}

function ratioText(f: Judged): string {
  return f.ratio === null ? "—" : `${round(f.ratio, 2)}×`;
}

const cpu = (x: number) => round(x, 4);

/** The section's markdown lines (heading first). */
export function janusMarkdown(ab: JanusAbResult): string[] {
  const c = ab.config;
  const out = [
    "## vigil beside Janus (same run, alternating A/B)",
    "",
    `Janus ${ab.janusVersion} (Debian), streaming plugin, one RTP H.264 mountpoint fed by ffmpeg with the same clip ` +
    `(keyframe buffer on); ${c.rounds} round(s) over ${
      c.levels.join(", ")
    } headless Chromium viewers, ${c.windowS} s windows; ` +
    `${c.ttffRuns} answer → first frame calls each. Lower is better; the ratio is vigil / Janus.`,
    "",
    row(["Metric", "vigil", "Janus", "vigil / Janus", "Target", "Met"]),
    row(["---", "---", "---", "---", "---", "---"]),
  ];
  for (const f of ab.figures) {
    out.push(
      row([
        f.metric,
        value(f.vigil, f.unit),
        value(f.janus, f.unit),
        ratioText(f),
        f.target,
        yes(f.met),
      ]),
    );
  }
  out.push(
    "",
    row([
      "Viewers",
      "vigil CPU-s/s (each round)",
      "Janus CPU-s/s (each round)",
      "vigil added / Janus added (median)",
      "Slowest viewer, fps (vigil / Janus)",
      "Packets lost (vigil / Janus)",
    ]),
    row(["---", "---", "---", "---", "---", "---"]),
  );
  for (const n of c.levels) {
    const at = ab.levels.filter((l) => l.viewers === n);
    const added = at.map((l) => {
      const vAdded = l.vigil.cpuPerViewer * n, jAdded = l.janus.cpuPerViewer * n;
      return jAdded > 0 ? vAdded / jAdded : NaN;
    }).filter(Number.isFinite);
    const minFps = (rows: { perViewer: { framesPerS: number }[] }[]) =>
      Math.min(...rows.flatMap((r) => r.perViewer.map((p) => p.framesPerS)));
    const lost = (rows: { perViewer: { packetsLost: number }[] }[]) =>
      rows.reduce((a, r) => a + r.perViewer.reduce((b, p) => b + p.packetsLost, 0), 0);
    out.push(
      row([
        n,
        at.map((l) => cpu(l.vigil.cpuPerS)).join(", "),
        at.map((l) => cpu(l.janus.cpuPerS)).join(", "),
        added.length ? `${round(median(added), 2)}×` : "—",
        `${minFps(at.map((l) => l.vigil))} / ${minFps(at.map((l) => l.janus))}`,
        `${lost(at.map((l) => l.vigil))} / ${lost(at.map((l) => l.janus))}`,
      ]),
    );
  }
  const feederIdle = median(ab.idle.janus.map((w) => w.feederCpuPerS));
  const janusIdle = median(ab.idle.janus.map((w) => w.cpuPerS));
  const vigilIdle = median(ab.idle.vigil.map((w) => w.cpuPerS));
  const fit = (f: JanusAbResult["fit"]["vigil"]) =>
    `${cpu(f.intercept)} + ${cpu(f.slope)} · viewers (r² ${round(f.r2, 3)}, ${f.points} windows)`;
  out.push(
    "",
    `- Fitted CPU-s/s: vigil ${fit(ab.fit.vigil)}; Janus ${fit(ab.fit.janus)}.`,
    `- The RTP feeder (ffmpeg, reading the clip and packetizing it) is outside Janus's figures: ${
      cpu(feederIdle)
    } CPU-s/s idle; Janus + feeder idle ${cpu(janusIdle + feederIdle)} CPU-s/s against vigil's ${
      cpu(vigilIdle)
    } (vigil's publisher reads and packetizes its clip itself).`,
    `- Negotiated with Chromium: vigil ${ab.ttff.vigil.srtpCipher} over ${ab.ttff.vigil.dtlsCipher}; ` +
      `Janus ${ab.ttff.janus.srtpCipher} over ${ab.ttff.janus.dtlsCipher}.`,
    `- Answer → first frame, p95: vigil ${ab.ttff.vigil.p95Ms} ms, Janus ${ab.ttff.janus.p95Ms} ms.`,
    "",
    "Method: CPU = utime+stime of the one process (publisher/main.ts; janus) from /proc over the window, " +
      "RSS = VmRSS (highest of 250 ms samples while loaded). vigil's viewers are the built viewer's pages " +
      "(bench/publisher_cost.ts), Janus's are pages with one RTCPeerConnection and a playing video element " +
      "(bench/janus/viewers.ts), one browser context and one session each. The order of vigil and Janus flips at " +
      "every level and round; the other system stays running, idle, meanwhile. " +
      `Answer → first frame: vigil ${ab.ttff.vigil.method}; Janus ${ab.ttff.janus.method}.`,
  );
  return out;
}
