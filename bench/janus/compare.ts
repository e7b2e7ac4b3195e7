/**
 * The arithmetic of the vigil-beside-Janus comparison, pure: a least-squares
 * line of process CPU over viewer count (its slope is the CPU per added
 * viewer, its intercept above idle the first viewer's surcharge), and each
 * figure's ratio to Janus judged against its target.
 *
 * @example
 * ```ts
 * const fit = leastSquares([[1, 0.03], [2, 0.05], [4, 0.09], [8, 0.17]]);
 * fit.slope; // 0.02 (CPU-s/s per added viewer)
 * judge({ metric: "idle CPU", unit: "CPU-s/s", vigil: 0.009, janus: 0.004, rule: { kind: "ratio", max: 1.5 } }).met; // false
 * ```
 * @module
 */

/** A fitted line y = intercept + slope · x. */
export interface LineFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination (1 = every point on the line; NaN if y is constant). */
  r2: number;
  points: number;
}

/** Ordinary least squares over (x, y) points; needs two distinct x values. */
export function leastSquares(points: readonly (readonly [number, number])[]): LineFit {
  const n = points.length;
  const xs = points.map((p) => p[0]);
  if (n < 2 || new Set(xs).size < 2) {
    throw new RangeError("leastSquares needs points at two or more distinct x values");
  }
  const mx = xs.reduce((a, x) => a + x, 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (const [x, y] of points) sse += (y - (intercept + slope * x)) ** 2;
  return { slope, intercept, r2: syy === 0 ? NaN : 1 - sse / syy, points: n };
}

/** How a vigil figure is judged. */
export type Rule =
  /** vigil ≤ max × Janus (lower is better). */
  | { kind: "ratio"; max: number }
  /** vigil ≤ limit in the figure's own unit, shown beside Janus. */
  | { kind: "limit"; limit: number; label: string };

/** One figure of both systems. */
export interface Figure {
  metric: string;
  unit: string;
  vigil: number;
  janus: number;
  rule: Rule;
}

/** A judged figure: the ratio vigil / Janus and whether the target is met. */
export interface Judged extends Figure {
  /** vigil / Janus; null when Janus's figure is not positive (no meaningful ratio). */
  ratio: number | null;
  target: string;
  met: boolean;
}

/**
 * Judges one figure. A ratio rule with a non-positive Janus figure (a fit's
 * intercept can fall below idle in noise) is met only if vigil is no higher.
 */
export function judge(f: Figure): Judged {
  const ratio = f.janus > 0 && Number.isFinite(f.vigil) ? f.vigil / f.janus : null;
  if (!Number.isFinite(f.vigil) || !Number.isFinite(f.janus)) {
    return { ...f, ratio: null, target: targetText(f.rule), met: false };
  }
  const met = f.rule.kind === "limit"
    ? f.vigil <= f.rule.limit
    : f.janus > 0
    ? f.vigil <= f.rule.max * f.janus
    : f.vigil <= f.janus;
  return { ...f, ratio, target: targetText(f.rule), met };
}

function targetText(r: Rule): string {
  if (r.kind === "limit") return r.label;
  return r.max === 1 ? "≤ Janus" : `≤ ${r.max}× Janus`;
}

/** Median of `xs`; NaN for none. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** What {@linkcode abFigures} needs of one system's windows. */
export interface SystemWindows {
  /** Idle windows (source running, no viewer). */
  idle: readonly { cpuPerS: number; rssMiB: number }[];
  /** Loaded windows, every round and level. */
  levels: readonly { viewers: number; cpuPerS: number; rssMaxMiB: number }[];
  /** Answer → first frame, median ms. */
  ttffMedianMs: number;
}

/** The targets for vigil's publisher beside Janus (issue 16). */
export const TARGETS = {
  /** Per added viewer: at or below Janus. */
  perViewerMaxRatio: 1,
  /** First-viewer surcharge and idle CPU: at most 1.5× Janus. */
  surchargeMaxRatio: 1.5,
  idleMaxRatio: 1.5,
  /** Resident memory, MiB. */
  rssIdleMiB: 48,
  rss4MiB: 64,
  /** Answer → first frame: at or below Janus (keyframe buffer on). */
  ttffMaxRatio: 1,
} as const;

/**
 * Both systems' figures from their windows: slope and intercept of CPU-s/s
 * over viewers (all rounds), idle and memory as medians over rounds, each
 * judged against {@linkcode TARGETS}.
 */
export function abFigures(
  vigil: SystemWindows,
  janus: SystemWindows,
): { fit: { vigil: LineFit; janus: LineFit }; figures: Judged[] } {
  const fitOf = (s: SystemWindows) =>
    leastSquares(s.levels.map((l) => [l.viewers, l.cpuPerS] as const));
  const fit = { vigil: fitOf(vigil), janus: fitOf(janus) };
  const idleCpu = (s: SystemWindows) => median(s.idle.map((w) => w.cpuPerS));
  const rssAt = (s: SystemWindows, n: number) =>
    median(s.levels.filter((l) => l.viewers === n).map((l) => l.rssMaxMiB));
  const figures = [
    judge({
      metric: "CPU per added viewer (least-squares slope over the viewer levels)",
      unit: "CPU-s/s",
      vigil: fit.vigil.slope,
      janus: fit.janus.slope,
      rule: { kind: "ratio", max: TARGETS.perViewerMaxRatio },
    }),
    judge({
      metric: "First-viewer surcharge (fit's intercept − idle)",
      unit: "CPU-s/s",
      vigil: fit.vigil.intercept - idleCpu(vigil),
      janus: fit.janus.intercept - idleCpu(janus),
      rule: { kind: "ratio", max: TARGETS.surchargeMaxRatio },
    }),
    judge({
      metric: "Idle CPU (stream running, no viewer)",
      unit: "CPU-s/s",
      vigil: idleCpu(vigil),
      janus: idleCpu(janus),
      rule: { kind: "ratio", max: TARGETS.idleMaxRatio },
    }),
    judge({
      metric: "Resident memory, idle",
      unit: "MiB",
      vigil: median(vigil.idle.map((w) => w.rssMiB)),
      janus: median(janus.idle.map((w) => w.rssMiB)),
      rule: { kind: "limit", limit: TARGETS.rssIdleMiB, label: `≤ ${TARGETS.rssIdleMiB} MiB` },
    }),
    judge({
      metric: "Resident memory, 4 viewers (highest)",
      unit: "MiB",
      vigil: rssAt(vigil, 4),
      janus: rssAt(janus, 4),
      rule: { kind: "limit", limit: TARGETS.rss4MiB, label: `≤ ${TARGETS.rss4MiB} MiB` },
    }),
    judge({
      metric: "Answer → first frame, median",
      unit: "ms",
      vigil: vigil.ttffMedianMs,
      janus: janus.ttffMedianMs,
      rule: { kind: "ratio", max: TARGETS.ttffMaxRatio },
    }),
  ];
  return { fit, figures };
}
