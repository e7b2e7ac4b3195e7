/**
 * Markdown rows for the send-path section of bench/RESULTS.md (bench/send_path.ts):
 * targets judged from the direct path's figures, and before (werift's RTP
 * sender) / after (direct SRTP) ratios from the same run. Pure.
 *
 * @module
 */
import type { SendPathSeries } from "./dtls_role.ts";
import { median, round } from "./lib/stats.ts";
import type { SendPathResult } from "./send_path.ts";

/**
 * Janus 1.1.2 (streaming plugin, same clip and Chromium viewers) from the outside
 * measurement quoted in issue 16, used as the reference until the bench measures
 * Janus in the same run (bench/janus*.ts).
 */
export const JANUS_REFERENCE = { slope: 0.0064, surcharge: 0.005, idle: 0.004 };

/** The figures of one path, medians over its rounds. */
export interface SendPathFigures {
  slope: number;
  surcharge: number;
  idle: number;
  rssIdle: number;
  rss4: number;
  rss16: number;
  /** RssAnon (private memory) idle and with 4 viewers. */
  anonIdle: number;
  anon4: number;
  lost16: number;
  minFps16: number;
}

/** Medians of `path`'s rounds, or null when it was not measured. */
export function figures(results: SendPathResult[], path: string): SendPathFigures | null {
  const rs = results.filter((r) => r.sendPath === path);
  if (rs.length === 0) return null;
  const m = (f: (r: SendPathResult) => number) => median(rs.map(f));
  const level = (r: SendPathResult, n: number) => r.chromium.levels.find((l) => l.viewers === n);
  return {
    slope: m((r) => r.chromium.slopeCpuPerViewer),
    surcharge: m((r) => r.chromium.firstViewerSurchargeCpuPerS),
    idle: m((r) => r.chromium.idle.cpuPerS),
    rssIdle: m((r) => r.chromium.idle.rssMiB),
    rss4: m((r) => level(r, 4)?.rssMaxMiB ?? NaN),
    rss16: m((r) => r.werift16.rssMaxMiB),
    anonIdle: m((r) => r.chromium.idle.rssAnonMiB ?? NaN),
    anon4: m((r) => level(r, 4)?.rssAnonMiB ?? NaN),
    lost16: m((r) => r.werift16.perViewer.reduce((s, p) => s + p.packetsLost, 0)),
    minFps16: m((r) => Math.min(...r.werift16.perViewer.map((p) => p.framesPerS))),
  };
}

const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const yes = (ok: boolean) => (ok ? "yes" : "**no**");
const ratio = (a: number, b: number) => (b > 0 ? `${round(a / b, 2)}×` : "—");
const cpu = (x: number) => `${round(x, 4)} CPU-s/s`;

/** Rows for the targets table (6 columns: metric, vigil, baseline, ratio, target, met). */
export function sendPathTargetRows(results: SendPathResult[]): string[] {
  const d = figures(results, "direct");
  if (!d) return [];
  const j = JANUS_REFERENCE;
  const janus = (x: number) => `${x} (Janus, outside measurement)`;
  return [
    row([
      "Publisher CPU per added viewer (slope, 1–8 Chromium)",
      cpu(d.slope),
      janus(j.slope),
      ratio(d.slope, j.slope),
      "≤ Janus",
      yes(d.slope <= j.slope),
    ]),
    row([
      "First-viewer surcharge (fit at 0 viewers − idle)",
      cpu(d.surcharge),
      janus(j.surcharge),
      ratio(d.surcharge, j.surcharge),
      "≤ 1.5× Janus",
      yes(d.surcharge <= 1.5 * j.surcharge),
    ]),
    row([
      "Publisher idle CPU",
      cpu(d.idle),
      janus(j.idle),
      ratio(d.idle, j.idle),
      "≤ 1.5× Janus",
      yes(d.idle <= 1.5 * j.idle),
    ]),
    row([
      "Publisher RSS idle",
      `${round(d.rssIdle)} MiB`,
      "—",
      "—",
      "≤ 48 MiB",
      yes(d.rssIdle <= 48),
    ]),
    row([
      "Publisher RSS, 4 Chromium viewers (max; private at the end)",
      `${round(d.rss4)} MiB (${round(d.anon4)} MiB)`,
      "—",
      "—",
      "≤ 64 MiB",
      yes(d.rss4 <= 64),
    ]),
    row([
      "16 viewers (werift): loss and frame rate",
      `${d.lost16} packets lost, slowest ${d.minFps16} fps (RSS max ${round(d.rss16)} MiB)`,
      "source 30 fps",
      "—",
      "no loss, full rate",
      yes(d.lost16 === 0 && d.minFps16 >= 29),
    ]),
  ];
}

/** Rows for the before/after table (4 columns: change, before, after, ratio). */
export function sendPathBeforeAfterRows(
  results: SendPathResult[],
  firstFrame?: SendPathSeries[],
): string[] {
  const b = figures(results, "werift"), a = figures(results, "direct");
  const out: string[] = [];
  if (b && a) {
    const pair = (label: string, x: number, y: number, unit: (v: number) => string) =>
      row([label, unit(x), unit(y), ratio(y, x)]);
    const mib = (v: number) => `${round(v)} MiB`;
    out.push(
      pair(
        "Direct SRTP send path (publisher/peer/werift_direct.ts) instead of werift's RTP sender: CPU per added viewer",
        b.slope,
        a.slope,
        cpu,
      ),
      pair("… first-viewer surcharge", b.surcharge, a.surcharge, cpu),
      pair("… idle CPU", b.idle, a.idle, cpu),
      pair("… RSS idle", b.rssIdle, a.rssIdle, mib),
      pair("… RSS max, 4 Chromium viewers", b.rss4, a.rss4, mib),
      pair("… private memory (RssAnon), 4 Chromium viewers", b.anon4, a.anon4, mib),
      pair("… RSS max, 16 werift viewers", b.rss16, a.rss16, mib),
      pair("… packets lost, 16 werift viewers", b.lost16, a.lost16, String),
    );
  }
  const fb = firstFrame?.find((s) => s.sendPath === "werift");
  const fa = firstFrame?.find((s) => s.sendPath === "direct");
  if (fb && fa) {
    out.push(row([
      "… answer → first frame, median (in-process, Chromium)",
      `${fb.firstFrameMs.median} ms`,
      `${fa.firstFrameMs.median} ms`,
      ratio(fa.firstFrameMs.median, fb.firstFrameMs.median),
    ]));
  }
  return out;
}

/** A per-level table of both paths: CPU-s/s and RSS at each viewer count. */
export function sendPathLevelTable(results: SendPathResult[]): string[] {
  if (results.length === 0) return [];
  const levels = [...new Set(results.flatMap((r) => r.chromium.levels.map((l) => l.viewers)))];
  const out = [
    row(["Send path (round)", "idle", ...levels.map((n) => `${n} Chromium`), "16 werift"]),
    row(["---", "---", ...levels.map(() => "---"), "---"]),
  ];
  for (const r of results) {
    const cell = (c: number, rss: number) => `${round(c, 4)} CPU-s/s, ${round(rss)} MiB`;
    out.push(row([
      `${r.sendPath} (${r.round + 1})`,
      cell(r.chromium.idle.cpuPerS, r.chromium.idle.rssMiB),
      ...levels.map((n) => {
        const l = r.chromium.levels.find((x) => x.viewers === n);
        return l ? cell(l.cpuPerS, l.rssMaxMiB) : "—";
      }),
      cell(r.werift16.cpuPerS, r.werift16.rssMaxMiB),
    ]));
  }
  return out;
}
