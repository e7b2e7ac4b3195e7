/**
 * bench/results.svg: two small bar charts from a bench run, drawn as plain SVG
 * (no dependency): time to first frame and glass-to-glass (medians, with the
 * same-run baselines and the "before" variants), and publisher CPU per viewer per
 * level against the 0.02 CPU-s/s target. Pure.
 *
 * @module
 */
import type { BenchResults } from "./report.ts";
import { round } from "./lib/stats.ts";

interface Bar {
  label: string;
  value: number;
  /** Baselines and "before" variants are grey; vigil is blue. */
  kind: "vigil" | "reference";
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** One horizontal bar chart at (x, y); returns its SVG and height. */
function barChart(
  title: string,
  unit: string,
  bars: Bar[],
  x: number,
  y: number,
  target?: { value: number; label: string },
): { svg: string; height: number } {
  const width = 420, labelW = 190, rowH = 22;
  const max = Math.max(...bars.map((b) => b.value), target?.value ?? 0) * 1.15 || 1;
  const scale = (v: number) => ((width - labelW - 100) * v) / max;
  const parts = [`<text x="${x}" y="${y + 14}" font-weight="bold">${esc(title)}</text>`];
  bars.forEach((b, i) => {
    const top = y + 24 + i * rowH;
    parts.push(
      `<text x="${x + labelW - 6}" y="${top + 14}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${x + labelW}" y="${top + 3}" width="${round(scale(b.value))}" height="${
        rowH - 6
      }" ` +
        `fill="${b.kind === "vigil" ? "#2f6fb3" : "#b8b8b8"}"/>`,
      `<text x="${round(x + labelW + scale(b.value) + 4)}" y="${top + 14}">${
        round(b.value, unit === "ms" ? 0 : 4)
      } ${unit}</text>`,
    );
  });
  const height = 24 + bars.length * rowH + 8;
  if (target) {
    const tx = round(x + labelW + scale(target.value));
    parts.push(
      `<line x1="${tx}" y1="${y + 22}" x2="${tx}" y2="${
        y + height - 6
      }" stroke="#c0392b" stroke-dasharray="4 3"/>`,
      `<text x="${tx + 3}" y="${y + height + 6}" fill="#c0392b">${esc(target.label)}</text>`,
    );
  }
  return { svg: parts.join("\n"), height: height + 14 };
}

/** The SVG document, or null when the run has nothing to chart. */
export function chartSvg(r: BenchResults): string | null {
  const charts: { svg: string; height: number }[] = [];
  let y = 10;
  const latency: Bar[] = [];
  if (r.ttff) {
    latency.push(
      { label: "TTFF vigil", value: r.ttff.vigil.medianMs, kind: "vigil" },
      { label: "TTFF Chromium→Chromium", value: r.ttff.baseline.medianMs, kind: "reference" },
    );
  }
  for (const g of r.glassToGlass ?? []) {
    latency.push({
      label: `glass-to-glass (${g.variant === "after" ? "vigil" : "flush off"})`,
      value: g.glassToGlassMs.medianMs,
      kind: g.variant === "after" ? "vigil" : "reference",
    });
  }
  if (latency.length) {
    const c = barChart("Latency, median", "ms", latency, 10, y, { value: 100, label: "100 ms" });
    charts.push(c);
    y += c.height + 10;
  }
  const cost = (r.publisherCost ?? []).slice(1);
  if (cost.length) {
    const c = barChart(
      "Publisher CPU per viewer",
      "CPU-s/s",
      cost.map((c) => ({
        label: `${c.viewers} ${c.client}`,
        value: c.cpuPerViewer,
        kind: "vigil" as const,
      })),
      10,
      y,
      { value: 0.02, label: "target 0.02" },
    );
    charts.push(c);
    y += c.height + 10;
  }
  if (charts.length === 0) return null;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="460" height="${y}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...charts.map((c) => c.svg),
    "</svg>",
    "",
  ].join("\n");
}
