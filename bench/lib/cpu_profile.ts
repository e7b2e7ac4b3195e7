/**
 * Summaries of a V8 `.cpuprofile` (as written by `deno run --cpu-prof`): self
 * time per function and per package. Pure.
 *
 * @example
 * ```ts
 * const s = summarizeProfile(JSON.parse(Deno.readTextFileSync("x.cpuprofile")), 10);
 * s.byFunction[0]; // { name, location, selfMs, percent }
 * ```
 * @module
 */

/** The parts of V8's profile format used here. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One row of a summary. */
export interface ProfileRow {
  name: string;
  location: string;
  selfMs: number;
  percent: number;
}

/** Self-time summaries of a profile. */
export interface ProfileSummary {
  /** Sampled time, idle excluded. */
  totalMs: number;
  byFunction: ProfileRow[];
  byPackage: ProfileRow[];
}

const IDLE = new Set(["(idle)", "(program)", "(root)"]);

/** Groups a script URL: an npm package name, "vigil:<top folder>", "node:…", or "(native)". */
export function packageOf(url: string): string {
  if (!url) return "(native)";
  const npm =
    /\/node_modules\/(?:\.deno\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(url) ??
      /\/npm\/registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (npm) return npm[1];
  if (url.startsWith("node:") || url.includes("ext:deno_node") || url.includes("ext:node")) {
    return "node";
  }
  if (url.startsWith("ext:")) return "deno runtime";
  const vigil = /\/(signaling|publisher|pki|scripts|subscriber-web|bench|tests)\//.exec(url);
  if (vigil) return `vigil:${vigil[1]}`;
  return url;
}

/** Self time per function and per package, heaviest first (`top` rows of functions). */
export function summarizeProfile(p: CpuProfile, top = 20): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0; // a sample's time runs until the next one
    selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + dt);
  }
  const fn = new Map<string, ProfileRow>();
  const pkg = new Map<string, ProfileRow>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)?.callFrame;
    if (!cf || IDLE.has(cf.functionName)) continue;
    total += us;
    const location = cf.url
      ? `${cf.url.replace(/^.*\/(node_modules|registry\.npmjs\.org)\//, "")}:${cf.lineNumber + 1}`
      : "";
    const name = cf.functionName || "(anonymous)";
    const key = `${name}@${location}`;
    const f = fn.get(key) ?? { name, location, selfMs: 0, percent: 0 };
    f.selfMs += us / 1000;
    fn.set(key, f);
    const pn = cf.functionName === "(garbage collector)"
      ? "(garbage collector)"
      : packageOf(cf.url);
    const g = pkg.get(pn) ?? { name: pn, location: "", selfMs: 0, percent: 0 };
    g.selfMs += us / 1000;
    pkg.set(pn, g);
  }
  const totalMs = total / 1000;
  const finish = (rows: ProfileRow[]) =>
    rows.map((r) => ({ ...r, percent: totalMs > 0 ? (100 * r.selfMs) / totalMs : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs);
  return {
    totalMs,
    byFunction: finish([...fn.values()]).slice(0, top),
    byPackage: finish([...pkg.values()]),
  };
}
